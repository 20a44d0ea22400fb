"""The per-side ("detailed") expression vocabulary: what a lopsided smile or one raised brow needs.

The 8-entry expression vector (``core/expression.py``) gives one value for the smile, the frown
and the brow raise. A detail vector splits those three into the character's left and right
side; the rest is shared. Order of :data:`DETAIL_NAMES`, float32 in [0, 1]. "Left"/"right" are
the character's (or the subject's) own: the left side is drawn on the image's right half.

:func:`detail_from_expression` maps an 8-vector to its symmetric detail vector (both sides take
the shared value); :func:`expression_from_detail` goes back by averaging the sides, so
``expression_from_detail(detail_from_expression(e)) == e`` exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from .expression import INDEX as EXPRESSION_INDEX
from .expression import N_EXPRESSION, check_expression, check_vector, named_vector

DETAIL_NAMES: tuple[str, ...] = (
    "jaw_open",
    "smile_l",
    "smile_r",
    "frown_l",
    "frown_r",
    "brow_raise_l",
    "brow_raise_r",
    "brow_furrow",
    "eye_close_l",
    "eye_close_r",
    "eye_wide",
)
N_DETAIL = len(DETAIL_NAMES)
DETAIL_INDEX = {name: i for i, name in enumerate(DETAIL_NAMES)}

SIDED: tuple[str, ...] = ("smile", "frown", "brow_raise")
"""Expression entries that the detail vector splits into a left and a right value."""


def _base_name(name: str) -> str:
    """'smile_l' → 'smile'; names without a side stay as they are."""
    stem = name.removesuffix("_l").removesuffix("_r")
    return stem if stem in SIDED else name


# For each detail entry, the index of the expression entry it comes from.
_SOURCE = tuple(EXPRESSION_INDEX[_base_name(n)] for n in DETAIL_NAMES)


def check_detail(vec: NDArray[np.floating[Any]] | list[float]) -> NDArray[np.float32]:
    """Validate shape (..., 11), finiteness and range [0, 1]; return float32."""
    return check_vector(vec, DETAIL_NAMES, "detail", list_names=True)


def detail_vector(**values: float) -> NDArray[np.float32]:
    """Build a detail vector from keyword values; unnamed entries are 0 (neutral)."""
    return named_vector(DETAIL_NAMES, "detail", values)


def detail_from_expression(
    expression: NDArray[np.floating[Any]] | list[float],
) -> NDArray[np.float32]:
    """(..., 8) expression → (..., 11) symmetric detail vector (both sides = the shared value)."""
    e = check_expression(expression)
    out: NDArray[np.float32] = np.ascontiguousarray(e[..., list(_SOURCE)])
    return out


def expression_from_detail(detail: NDArray[np.floating[Any]] | list[float]) -> NDArray[np.float32]:
    """(..., 11) detail → (..., 8) expression: sided entries become the mean of their two sides."""
    d = check_detail(detail)
    out = np.zeros((*d.shape[:-1], N_EXPRESSION), dtype=np.float32)
    for name, i in EXPRESSION_INDEX.items():
        if name in SIDED:
            out[..., i] = np.float32(0.5) * (
                d[..., DETAIL_INDEX[f"{name}_l"]] + d[..., DETAIL_INDEX[f"{name}_r"]]
            )
        else:
            out[..., i] = d[..., DETAIL_INDEX[name]]
    return out


def asymmetry(detail: NDArray[np.floating[Any]]) -> NDArray[np.float32]:
    """(..., 3) left − right differences of smile, frown and brow raise (order of :data:`SIDED`)."""
    d = check_detail(detail)
    out: NDArray[np.float32] = np.stack(
        [d[..., DETAIL_INDEX[f"{n}_l"]] - d[..., DETAIL_INDEX[f"{n}_r"]] for n in SIDED], -1
    )
    return out
