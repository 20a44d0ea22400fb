"""Independent expression regressor, used only to *measure* AMEE-GAN's expression accuracy.

It shares nothing with the discriminator's magnitude head: different architecture, trained
separately (weights_tools/amee_regressor.py) on painter images of its own style split.

It reads an image *together with the same character's neutral texture*: from a single image
some entries are confounded with the style (a wide-open eye vs a style with tall eyes, a
smile vs a wide mouth), which would put a floor under any measured error that has nothing to
do with the editor. The difference image − neutral is fed as well: it is zero wherever the
expression changed nothing, so the first layer does not have to learn the subtraction.
Input: neutral, image, image − neutral concatenated, (N, 9, R, R); output (N, 8) in [0, 1].
"""

from __future__ import annotations

from itertools import pairwise

import torch
from torch import Tensor, nn

REGRESSOR_NAME = "amee-expression-regressor"
REGRESSOR_VERSION = 3


def _conv(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]


CONVS_PER_STAGE = (1, 1, 2, 2)
"""3x3 convs in each of the four stages (R, R/2, R/4, R/8): the second convs sit at the coarse
scales, where they are cheap and where eyes, brows and mouth span the receptive field."""


class ExpressionRegressor(nn.Module):
    """Four stages of 3x3 conv-BN-ReLU + 2x2 max-pool (R → R/16), then an MLP with a sigmoid."""

    def __init__(self, resolution: int = 64, width: int = 16, n_expression: int = 8) -> None:
        super().__init__()
        chans = [9, width, 2 * width, 4 * width, 4 * width]
        layers: list[nn.Module] = []
        for (cin, cout), n in zip(pairwise(chans), CONVS_PER_STAGE, strict=True):
            layers += _conv(cin, cout)
            for _ in range(n - 1):
                layers += _conv(cout, cout)
            layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        side = resolution // 16
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(chans[-1] * side * side, 256), nn.ReLU(),
                                  nn.Linear(256, n_expression))

    def forward(self, neutral: Tensor, image: Tensor) -> Tensor:
        """neutral, image: (N, 3, R, R) in [-1, 1] → (N, 8) in [0, 1]."""
        return torch.sigmoid(self.head(self.features(torch.cat([neutral, image, image - neutral], 1))))
