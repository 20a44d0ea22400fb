"""Training terms both editors share (training, fine-tuning, evaluation), at model resolution.

Images are NCHW in [-1, 1]; masks (N, 1, H, W) in [0, 1].
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor


def compose(base: Tensor, image: Tensor, mask: Tensor) -> Tensor:
    """final = M·image + (1 − M)·base (differentiable; the add-on's composite is composite.py)."""
    return mask * image + (1.0 - mask) * base


def changed_map(a: Tensor, b: Tensor) -> Tensor:
    """(N, 1, H, W): 1 where a and b differ by more than 1/255 of the range, dilated by 1 px.
    The painter says exactly which pixels an edit must touch."""
    diff = ((a - b).abs().amax(dim=1, keepdim=True) > (2.0 / 255.0)).float()
    return F.max_pool2d(diff, 3, 1, 1)


def weighted_l1(x: Tensor, y: Tensor, w: Tensor | None) -> Tensor:
    """Mean |x − y| with per-pixel weights w (N, 1, H, W), or the plain mean when w is None."""
    if w is None:
        return (x - y).abs().mean()
    return ((x - y).abs() * w).sum() / (w.sum() * x.shape[1])


def total_variation(m: Tensor) -> Tensor:
    """Mean absolute difference of vertically and of horizontally adjacent mask values."""
    vertical = (m[:, :, 1:, :] - m[:, :, :-1, :]).abs().mean()
    return vertical + (m[:, :, :, 1:] - m[:, :, :, :-1]).abs().mean()
