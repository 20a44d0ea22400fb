"""Integer texels and the float [0, 1] the editors work in: 8 or 16 bits per channel."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError

CHANNEL_MAX: dict[np.dtype[Any], float] = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}
"""The integer texel types moodrig reads and writes, and the value that stands for 1.0."""

TEXTURE_BITS = tuple(8 * dtype.itemsize for dtype in CHANNEL_MAX)
"""Bits per channel the expression textures are written with: 16 for a face texture that has
more than 8 (a 16-bit or float image), else 8."""


def texel_dtype(bits: int) -> np.dtype[Any]:
    """The integer type of ``bits`` (one of :data:`TEXTURE_BITS`) per channel."""
    if bits not in TEXTURE_BITS:
        raise ValueError(f"bits must be one of {TEXTURE_BITS}, got {bits}")
    return np.dtype(f"uint{bits}")


def to_unit(texture: Any) -> NDArray[np.float32]:
    """An (H, W, 3|4) uint8 or uint16 texture as float32 in [0, 1] (InputError otherwise)."""
    if (
        not isinstance(texture, np.ndarray)
        or texture.dtype not in CHANNEL_MAX
        or texture.ndim != 3
        or texture.shape[2] not in (3, 4)
    ):
        raise InputError(None, "texture must be an (H, W, 3|4) uint8 or uint16 array")
    return unit_values(texture)


def unit_values(texels: NDArray[Any]) -> NDArray[np.float32]:
    """Integer texels of any shape (a type of :data:`CHANNEL_MAX`) as float32 in [0, 1]."""
    unit: NDArray[np.float32] = texels.astype(np.float32) / np.float32(CHANNEL_MAX[texels.dtype])
    return unit


def from_unit(unit: NDArray[np.float32], dtype: np.dtype[Any]) -> NDArray[Any]:
    """:func:`to_unit`'s inverse: every texel ``to_unit`` made comes back as it was."""
    top = CHANNEL_MAX[np.dtype(dtype)]
    out: NDArray[Any] = np.clip(np.rint(unit * np.float32(top)), 0, top).astype(dtype)
    return out
