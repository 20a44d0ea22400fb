"""Image layout and value range, documented once.

Inside moodrig an image is a numpy array laid out HWC, channels RGB or RGBA, either
``uint8`` in [0, 255] or ``float32`` in [0, 1]. Torch tensors are NCHW float32 in [-1, 1]
(the generator's Tanh range). OpenCV's BGR never leaves the module that calls OpenCV.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatImage = NDArray[np.float32]
ByteImage = NDArray[np.uint8]


def check_image(img: NDArray[np.generic], *, name: str = "image") -> None:
    """Raise ValueError unless ``img`` is HWC with 3 or 4 channels, uint8 or float32 in [0, 1]."""
    if img.ndim != 3 or img.shape[2] not in (3, 4):
        raise ValueError(f"{name} must be HxWx3 or HxWx4, got shape {img.shape}")
    if img.dtype == np.uint8:
        return
    if img.dtype != np.float32:
        raise ValueError(f"{name} must be uint8 or float32, got {img.dtype}")
    if not np.all(np.isfinite(img)) or img.min() < 0.0 or img.max() > 1.0:
        raise ValueError(f"{name} float values must lie in [0, 1]")


def to_float(img: NDArray[np.generic]) -> FloatImage:
    """uint8 [0, 255] or float32 [0, 1] → float32 [0, 1]."""
    check_image(img)
    if img.dtype == np.uint8:
        return (img.astype(np.float32) / np.float32(255.0)).astype(np.float32)
    return img.astype(np.float32, copy=False)


def to_uint8(img: FloatImage) -> ByteImage:
    """float32 [0, 1] → uint8 with round-half-to-even, deterministic on every platform."""
    out: ByteImage = np.clip(np.rint(img * np.float32(255.0)), 0, 255).astype(np.uint8)
    return out


def srgb_encode(linear: NDArray[np.floating[Any]]) -> FloatImage:
    """Linear light → sRGB-encoded values (IEC 61966-2-1's piecewise curve), clipped to [0, 1]
    first; NaN reads as 0. Image files and the editors hold colour this way, while Blender keeps
    float images (16-bit PNG, EXR) and OpenCV reads EXR in linear light."""
    lin = np.nan_to_num(np.asarray(linear, np.float32), nan=0.0).clip(0.0, 1.0)
    encoded: FloatImage = np.where(
        lin <= 0.0031308, lin * np.float32(12.92), 1.055 * np.power(lin, 1 / 2.4) - 0.055
    ).astype(np.float32)
    return encoded


def straight_alpha(rgba: FloatImage) -> FloatImage:
    """RGBA with its colour premultiplied by alpha → colour unassociated from alpha (where alpha
    is 0 the colour is lost and stays 0). Blender premultiplies float images' colour."""
    alpha = rgba[..., 3:4]
    colour = np.divide(
        rgba[..., :3], alpha, out=np.zeros_like(rgba[..., :3]), where=alpha > 0
    ).clip(0.0, 1.0)
    out: FloatImage = np.concatenate([colour, alpha], axis=-1).astype(np.float32)
    return out
