"""Image layout and value range, documented once.

Inside moodrig an image is a numpy array laid out HWC, channels RGB or RGBA, either
``uint8`` in [0, 255] or ``float32`` in [0, 1]. Torch tensors are NCHW float32 in [-1, 1]
(the generator's Tanh range). OpenCV's BGR never leaves the module that calls OpenCV.
"""

from __future__ import annotations

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
