"""Independent expression regressor, used only to *measure* AMEE-GAN's expression accuracy.

It shares nothing with the discriminator's magnitude head: different architecture, trained
separately (weights_tools/amee_regressor.py) on painter images of its own style split.

It reads an image *together with the same character's neutral texture*: from a single image
some entries are confounded with the style (a wide-open eye vs a style with tall eyes, a
smile vs a wide mouth), which would put a floor under any measured error that has nothing to
do with the editor. Input: neutral and image concatenated, (N, 6, R, R) in [-1, 1];
output (N, 8) in [0, 1].
"""

from __future__ import annotations

from itertools import pairwise

import torch
from torch import Tensor, nn

REGRESSOR_NAME = "amee-expression-regressor"
REGRESSOR_VERSION = 2


class ExpressionRegressor(nn.Module):
    """Four 3x3 conv stages (conv-BN-ReLU + 2x2 max-pool), then an MLP with a sigmoid."""

    def __init__(self, resolution: int = 64, width: int = 16, n_expression: int = 8) -> None:
        super().__init__()
        chans = [6, width, 2 * width, 4 * width, 4 * width]
        layers: list[nn.Module] = []
        for cin, cout in pairwise(chans):
            layers += [nn.Conv2d(cin, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(), nn.MaxPool2d(2)]
        self.features = nn.Sequential(*layers)
        side = resolution // 16
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(chans[-1] * side * side, 256), nn.ReLU(),
                                  nn.Linear(256, n_expression))

    def forward(self, neutral: Tensor, image: Tensor) -> Tensor:
        """neutral, image: (N, 3, R, R) in [-1, 1] → (N, 8) in [0, 1]."""
        return torch.sigmoid(self.head(self.features(torch.cat([neutral, image], 1))))
