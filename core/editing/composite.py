"""Model-resolution edit → full-resolution texture, through the (thresholded) mask.

All tensors here are float32 NCHW with values in [0, 1] (textures) or [0, 1] (masks).
The guarantee: wherever the upsampled mask is exactly 0 the output pixel *is* the input pixel
(selected with ``torch.where``, no arithmetic), so it is bit-identical. Mask values below
``threshold`` are set to exactly 0 at model resolution first; bilinear upsampling of a
neighbourhood of zeros is exactly 0, so everything farther than one model pixel from the
thresholded mask stays untouched.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def to_model_resolution(rgb: Tensor, resolution: int) -> Tensor:
    """(N, 3, H, W) → (N, 3, R, R), antialiased bilinear; identity when already R x R."""
    if rgb.shape[2] == resolution and rgb.shape[3] == resolution:
        return rgb
    out = F.interpolate(
        rgb, size=(resolution, resolution), mode="bilinear", align_corners=False, antialias=True
    )
    return out.clamp(0.0, 1.0)


def threshold_mask(mask: Tensor, threshold: float) -> Tensor:
    """Values below ``threshold`` → exactly 0."""
    return torch.where(mask < threshold, torch.zeros_like(mask), mask)


def upsample(x: Tensor, height: int, width: int) -> Tensor:
    """Bilinear (N, C, r, r) → (N, C, height, width); identity when the size already matches."""
    if x.shape[2] == height and x.shape[3] == width:
        return x
    return F.interpolate(x, size=(height, width), mode="bilinear", align_corners=False)


def composite(rgb: Tensor, edit: Tensor, mask: Tensor) -> Tensor:
    """Full-resolution final = M·edit + (1 − M)·rgb, and exactly ``rgb`` where M == 0.

    rgb: (N, 3, H, W) input; edit: (N, 3, H, W) upsampled model image in [0, 1];
    mask: (N, 1, H, W) upsampled thresholded mask.
    """
    blended = (mask * edit + (1.0 - mask) * rgb).clamp(0.0, 1.0)
    return torch.where(mask > 0, blended, rgb)
