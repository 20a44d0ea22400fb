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


def check_vector(
    vec: NDArray[np.floating[Any]] | list[float],
    names: tuple[str, ...],
    kind: str,
    *,
    list_names: bool = False,
) -> NDArray[np.float32]:
    """Validate a ``kind`` vector of the vocabulary ``names``: shape (..., len(names)),
    finiteness and range [0, 1]; return float32. ``list_names``: name the entries when the
    shape is wrong."""
    arr = np.asarray(vec, dtype=np.float32)
    n = len(names)
    if arr.shape[-1:] != (n,):
        listed = f" ({', '.join(names)})" if list_names else ""
        raise ValueError(f"{kind} vector must end in {n} values{listed}, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{kind} vector contains NaN or infinity")
    if np.any(arr < 0.0) or np.any(arr > 1.0):
        raise ValueError(f"{kind} values must lie in [0, 1], got min {arr.min()} max {arr.max()}")
    return arr


def named_vector(
    names: tuple[str, ...], kind: str, values: dict[str, float]
) -> NDArray[np.float32]:
    """A ``kind`` vector of the vocabulary ``names`` from keyword values; unnamed entries are 0."""
    unknown = set(values) - set(names)
    if unknown:
        raise ValueError(f"unknown {kind} parameter(s) {sorted(unknown)}; known: {names}")
    vec = np.zeros(len(names), dtype=np.float32)
    for name, value in values.items():
        vec[names.index(name)] = value
    return check_vector(vec, names, kind)


def expression_vector(**values: float) -> NDArray[np.float32]:
    """Build a vector from keyword values; unnamed entries are 0 (neutral)."""
    return named_vector(EXPRESSION_NAMES, "expression", values)


def check_expression(vec: NDArray[np.floating[Any]] | list[float]) -> NDArray[np.float32]:
    """Validate shape (..., 8), finiteness and range [0, 1]; return float32."""
    return check_vector(vec, EXPRESSION_NAMES, "expression")


@dataclass(frozen=True)
class HeadPose:
    """Head rotation in degrees. yaw > 0: face turned toward image right (the subject's left)."""

    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0
