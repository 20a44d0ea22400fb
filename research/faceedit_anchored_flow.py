"""Learnt displacement kernels anchored at the feature points: how each part of a face moves.

For every expression entry and every feature point there is a small learnt flow kernel over a
window around that point (in canonical units scaled by the eye distance). A face's flow is the
sum of the kernels placed at its own points, each scaled by how far its entry changes (target −
source). The kernels are shared by every face, so they learn the typical motion from all the
training styles at once (brows rise, corners lift, the lid slides down) and move with each
face's own layout; the editor network adds a per-face correction on top.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from moodrig.core.appearance.align import N_FEATURES
from moodrig.core.expression import N_EXPRESSION


class AnchoredFlow(nn.Module):
    """Kernels (entries, points, 2, K, K) over ±``reach`` eye distances around each point."""

    def __init__(self, kernel: int = 24, reach: float = 0.6) -> None:
        super().__init__()
        self.reach = reach
        self.kernels = nn.Parameter(torch.zeros(N_EXPRESSION, N_FEATURES, 2, kernel, kernel))

    def forward(self, points: Tensor, delta: Tensor, size: int) -> Tensor:
        """(N, 2, R, R) canonical backward flow for canonical ``points`` (N, 7, 2) and expression
        change ``delta`` (N, 8)."""
        n = points.shape[0]
        t = (torch.arange(size, device=points.device, dtype=points.dtype) + 0.5) / size
        gy, gx = torch.meshgrid(t, t, indexing="ij")
        grid = torch.stack([gx, gy], dim=-1)  # (R, R, 2)
        eye = (points[:, 1] - points[:, 0]).norm(dim=-1).clamp_min(0.05)  # (N,)
        span = (self.reach * eye)[:, None, None, None, None]
        # Window coordinates of every pixel for every point: (N, 7, R, R, 2) in [-1, 1].
        rel = (grid[None, None] - points[:, :, None, None, :]) / span
        k = self.kernels.shape[-1]
        weights = delta[:, :, None, None, None, None] * self.kernels[None]  # (N, 8, 7, 2, K, K)
        per_point = weights.sum(dim=1).reshape(n * N_FEATURES, 2, k, k)
        flow = F.grid_sample(
            per_point,
            rel.reshape(n * N_FEATURES, size, size, 2),
            mode="bilinear",
            padding_mode="zeros",
            align_corners=False,
        )
        return flow.reshape(n, N_FEATURES, 2, size, size).sum(dim=1) * eye[:, None, None, None]
