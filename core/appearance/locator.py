"""Finding the feature points of a painted face, and telling a face from no face.

A small network reads the face region squashed to R × R (RGBA in [-1, 1]) and predicts one
heatmap per feature point at R / 4 (the point is the heatmap's soft-argmax, so it is
sub-pixel) plus a presence logit: is there a painted face in this region at all. It is trained
on moodrig's painter and four independently written drawing styles (pixel art, anime, flat
vector cartoon, painterly), with the faces at random places and scales in their regions
(``weights_tools/locator_train.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..editing.arch import ArchitectureConfig
from .align import N_FEATURES

_SLOPE = 0.1


@dataclass(frozen=True)
class LocatorConfig(ArchitectureConfig):
    """Shape of the locator network."""

    resolution: int = 96
    """Side of the squashed region the network reads, pixels; a multiple of 8."""
    channels: tuple[int, ...] = (24, 48, 96, 128)
    """Widths at R, R/2, R/4 and R/8."""
    presence_threshold: float = 0.5
    """Probability above which the region is taken to show a face."""

    def __post_init__(self) -> None:
        if not 32 <= self.resolution <= 512 or self.resolution % 8:
            raise ValueError("LocatorConfig.resolution must be a multiple of 8 in [32, 512]")
        if len(self.channels) != 4 or not all(1 <= c <= 1024 for c in self.channels):
            raise ValueError("LocatorConfig.channels must hold 4 widths in [1, 1024]")
        if not 0.0 < self.presence_threshold < 1.0:
            raise ValueError("LocatorConfig.presence_threshold must be in (0, 1)")


def _block(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
        nn.BatchNorm2d(cout),
        nn.LeakyReLU(_SLOPE),
        nn.Conv2d(cout, cout, 3, 1, 1, bias=False),
        nn.BatchNorm2d(cout),
        nn.LeakyReLU(_SLOPE),
    )


class Locator(nn.Module):
    """RGBA (N, 4, R, R) in [-1, 1] → (points (N, 7, 2) in [0, 1] of the input square,
    presence logits (N,))."""

    def __init__(self, cfg: LocatorConfig) -> None:
        super().__init__()
        self.cfg = cfg
        c = cfg.channels
        self.stem = _block(4, c[0], 1)
        self.down1 = _block(c[0], c[1], 2)
        self.down2 = _block(c[1], c[2], 2)
        self.down3 = _block(c[2], c[3], 2)
        self.lateral = nn.Conv2d(c[3], c[2], 1)
        self.heat = nn.Sequential(
            nn.Conv2d(c[2], c[2], 3, 1, 1), nn.LeakyReLU(_SLOPE), nn.Conv2d(c[2], N_FEATURES, 1)
        )
        self.presence = nn.Linear(c[3], 1)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        h1 = self.down1(self.stem(x))
        h2 = self.down2(h1)  # R / 4
        h3 = self.down3(h2)  # R / 8
        up = F.interpolate(
            self.lateral(h3), size=h2.shape[-2:], mode="bilinear", align_corners=False
        )
        heat = self.heat(h2 + up)
        return soft_argmax(heat), self.presence(h3.mean(dim=(2, 3)))[:, 0]


def soft_argmax(heat: Tensor) -> Tensor:
    """(N, K, h, w) logits → (N, K, 2) expected (x, y) in [0, 1] (pixel centres at (i + .5) / w)."""
    n, k, h, w = heat.shape
    prob = torch.softmax(heat.reshape(n, k, h * w), dim=-1).reshape(n, k, h, w)
    xs = (torch.arange(w, device=heat.device, dtype=heat.dtype) + 0.5) / w
    ys = (torch.arange(h, device=heat.device, dtype=heat.dtype) + 0.5) / h
    x = (prob.sum(dim=2) * xs).sum(dim=-1)
    y = (prob.sum(dim=3) * ys).sum(dim=-1)
    return torch.stack([x, y], dim=-1)
