"""The expression vocabulary every part of moodrig shares.

An expression vector is a float32 array of shape (8,) with each entry in [0, 1], in the
order of :data:`EXPRESSION_NAMES`. Head angles travel separately, in degrees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

EXPRESSION_NAMES: tuple[str, ...] = (
    "jaw_open",
    "smile",
    "frown",
    "brow_raise",
    "brow_furrow",
    "eye_close_l",
    "eye_close_r",
    "eye_wide",
)
N_EXPRESSION = len(EXPRESSION_NAMES)
INDEX = {name: i for i, name in enumerate(EXPRESSION_NAMES)}


def expression_vector(**values: float) -> NDArray[np.float32]:
    """Build a vector from keyword values; unnamed entries are 0 (neutral)."""
    unknown = set(values) - set(EXPRESSION_NAMES)
    if unknown:
        raise ValueError(f"unknown expression parameter(s) {sorted(unknown)}; known: {EXPRESSION_NAMES}")
    vec = np.zeros(N_EXPRESSION, dtype=np.float32)
    for name, value in values.items():
        vec[INDEX[name]] = value
    return check_expression(vec)


def check_expression(vec: NDArray[np.floating[Any]] | list[float]) -> NDArray[np.float32]:
    """Validate shape (..., 8), finiteness and range [0, 1]; return float32."""
    arr = np.asarray(vec, dtype=np.float32)
    if arr.shape[-1:] != (N_EXPRESSION,):
        raise ValueError(f"expression vector must end in {N_EXPRESSION} values, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("expression vector contains NaN or infinity")
    if np.any(arr < 0.0) or np.any(arr > 1.0):
        raise ValueError(f"expression values must lie in [0, 1], got min {arr.min()} max {arr.max()}")
    return arr


@dataclass(frozen=True)
class HeadPose:
    """Head rotation in degrees. yaw > 0: face turned toward image right (the subject's left)."""

    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0
