"""Pixel art: a texture made of s × s blocks of one colour (art pixels scaled up by nearest).

Editing such a face at its display resolution would blur the block edges. It is edited at its
art-pixel resolution instead, and the result is scaled back up by nearest neighbour, so every
output block is again one colour and the grid is where it was.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import reduce

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class BlockGrid:
    """Art pixels of ``size`` × ``size`` texture pixels, the first full block starting at
    (``offset_x``, ``offset_y``) of the crop (partial blocks at the edges are allowed)."""

    size: int
    offset_x: int
    offset_y: int


def _change_positions(img: NDArray[np.generic], axis: int) -> NDArray[np.int64]:
    """Indices i (>= 1) along ``axis`` where row/column i differs from i - 1 anywhere."""
    a = np.moveaxis(img, axis, 0).reshape(img.shape[axis], -1)
    differs = np.any(a[1:] != a[:-1], axis=1)
    return np.flatnonzero(differs).astype(np.int64) + 1


def detect_blocks(img: NDArray[np.generic], min_size: int = 2) -> BlockGrid | None:
    """The block grid of a nearest-neighbour-scaled image, or None when it is not one.

    Every colour change along x and y must fall on one grid of period s (s >= ``min_size``):
    s is the gcd of the distances between change positions. An image with too few changes to
    tell (fewer than 3 per axis) is not called pixel art.
    """
    xs = _change_positions(img, 1)
    ys = _change_positions(img, 0)
    if len(xs) < 3 or len(ys) < 3:
        return None
    steps = np.concatenate([np.diff(xs), np.diff(ys)]).tolist()
    period = reduce(math.gcd, (int(s) for s in steps), 0)
    if period < min_size:
        return None
    return BlockGrid(period, int(xs[0] % period), int(ys[0] % period))


def to_art_pixels(img: NDArray[np.generic], grid: BlockGrid) -> NDArray[np.generic]:
    """One value per block (its top-left texture pixel); partial edge blocks included."""
    s = grid.size
    ys = _block_starts(img.shape[0], grid.offset_y, s)
    xs = _block_starts(img.shape[1], grid.offset_x, s)
    return img[ys][:, xs]


def from_art_pixels(
    art: NDArray[np.generic], grid: BlockGrid, height: int, width: int
) -> NDArray[np.generic]:
    """Scale art pixels back up to ``height`` × ``width`` by nearest neighbour on ``grid``."""
    rows = _block_index(height, grid.offset_y, grid.size)
    cols = _block_index(width, grid.offset_x, grid.size)
    return art[rows][:, cols]


def _block_starts(n: int, offset: int, s: int) -> NDArray[np.int64]:
    starts = [0] if offset > 0 else []
    starts += list(range(offset, n, s))
    return np.asarray(starts, dtype=np.int64)


def _block_index(n: int, offset: int, s: int) -> NDArray[np.int64]:
    """For each of ``n`` pixels, the index of its block in :func:`_block_starts`'s order."""
    idx = np.arange(n, dtype=np.int64)
    block = (idx - offset) // s
    if offset > 0:
        block = block + 1
    out: NDArray[np.int64] = block
    return out
