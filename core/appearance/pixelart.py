"""Pixel art: a texture made of blocks of one colour (art pixels scaled up by nearest neighbour).

Editing such a face at its display resolution would blur the block edges. It is edited at its
art-pixel resolution instead, and the result is scaled back up on the same blocks, so every
output block is again one colour and the grid is where it was.

The scale need not be whole: art scaled up ×10.8 by nearest neighbour has blocks of 10 and
11 pixels. Along each axis block k covers the texture pixels i with
``floor((i - phase) / period) == k``, a regular grid of real period, which is what every
nearest-neighbour scaler makes (each picks its own phase).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

MIN_CHANGES = 3
"""Colour changes needed along each axis to call an image pixel art."""
_SAMPLES = 17
"""Trial periods per block count (see :func:`_axis_blocks`)."""
_SLACK = 0.25
"""How far above 1 a trial period's spread may be and still be refined: between two trial
periods the spread rises by at most 1 / (_SAMPLES - 1)."""


@dataclass(frozen=True)
class AxisBlocks:
    """The blocks along one axis: block k covers pixels i with floor((i - phase) / period) = k
    (``phase`` in (-period, 0], so pixel 0 lies in block 0; the first and last blocks may be
    partial)."""

    period: float
    """Texture pixels per art pixel (2 or more; need not be whole)."""
    phase: float

    def index(self, n: int) -> NDArray[np.int64]:
        """The block of each of ``n`` pixels."""
        i = np.arange(n, dtype=np.float64)
        out: NDArray[np.int64] = np.floor((i - self.phase) / self.period).astype(np.int64)
        return out

    def starts(self, n: int) -> NDArray[np.int64]:
        """First pixel of each block that covers pixels 0 … n - 1."""
        idx = self.index(n)
        out: NDArray[np.int64] = np.concatenate([[0], np.flatnonzero(np.diff(idx)) + 1])
        return out

    def to_art(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """Texture coordinates (pixel centres at i + 0.5) → art-pixel coordinates, linear
        within each block, so block centres land on art-pixel centres k + 0.5."""
        k = np.floor((np.floor(x) - self.phase) / self.period)
        a = np.ceil(self.phase + k * self.period)
        b = np.ceil(self.phase + (k + 1) * self.period)
        out: NDArray[np.float64] = k + (x - a) / (b - a)
        return out


@dataclass(frozen=True)
class BlockGrid:
    """The art-pixel blocks of a crop along x (columns) and y (rows)."""

    x: AxisBlocks
    y: AxisBlocks

    def to_art(self, points: NDArray[np.floating[Any]]) -> NDArray[np.float64]:
        """(N, 2) texture coordinates (x, y) → art-pixel coordinates."""
        p = np.asarray(points, dtype=np.float64)
        return np.stack([self.x.to_art(p[:, 0]), self.y.to_art(p[:, 1])], axis=1)


def _change_positions(img: NDArray[np.generic], axis: int) -> NDArray[np.int64]:
    """Indices i (>= 1) along ``axis`` where row/column i differs from i - 1 anywhere."""
    a = np.moveaxis(img, axis, 0).reshape(img.shape[axis], -1)
    differs = np.any(a[1:] != a[:-1], axis=1)
    return np.flatnonzero(differs).astype(np.int64) + 1


def _spread(c: NDArray[np.float64], k: NDArray[np.float64], period: float) -> float:
    r = c - k * period
    return float(r.max() - r.min())


def _axis_blocks(changes: NDArray[np.int64]) -> AxisBlocks | None:
    """The coarsest regular block grid on which every change position starts a block.

    A change at c starts block k when c = ceil(phase + k·period), that is when every
    c - k·period lies in one interval [phase, phase + 1). Hypotheses are the number of blocks
    m between the first and the last change (largest period first); for each, trial periods
    give the blocks k of every change, and the spread of c - k·period (convex in the period
    for fixed k) is minimised exactly by ternary search.
    """
    if len(changes) < MIN_CHANGES or int(np.diff(changes).min()) < 2:
        return None  # a one-pixel step is never a block of 2 or more pixels
    c = changes.astype(np.float64)
    rel = c - c[0]
    span = float(rel[-1])
    d_min = float(np.diff(c).min())
    m_lo = max(1, math.ceil((span - 1.0) / (d_min + 1.0)))
    m_hi = math.floor((span + 1.0) / 2.0)
    t = np.linspace(-1.0, 1.0, _SAMPLES)
    for m in range(m_lo, m_hi + 1):
        lo, hi = max(2.0, (span - 1.0) / m), (span + 1.0) / m
        if hi <= lo:
            continue
        trials = np.unique(np.clip((span + t) / m, lo, hi))[::-1]
        ks = np.rint(rel[None, :] / trials[:, None])
        r = c[None, :] - ks * trials[:, None]
        for k, spread in zip(ks, r.max(axis=1) - r.min(axis=1), strict=True):
            if spread >= 1.0 + _SLACK:
                continue
            a, b = lo, hi
            for _ in range(60):
                m1, m2 = a + (b - a) / 3.0, b - (b - a) / 3.0
                if _spread(c, k, m1) <= _spread(c, k, m2):
                    b = m2
                else:
                    a = m1
            period = 0.5 * (a + b)
            whole = float(round(period))
            if whole >= 2.0 and _spread(c, k, whole) <= _spread(c, k, period):
                period = whole  # an exact whole scale when it fits as well
            res = c - k * period
            if float(res.max() - res.min()) >= 1.0 - 1e-6:
                continue
            # phase ∈ (max res - 1, min res]: the middle, moved so that pixel 0 is in block 0.
            phase = 0.5 * (float(res.max()) - 1.0 + float(res.min()))
            phase -= period * math.ceil(phase / period)
            return AxisBlocks(period, phase)
    return None


def detect_blocks(img: NDArray[np.generic]) -> BlockGrid | None:
    """The block grid of a nearest-neighbour-scaled image, or None when it is not one.

    Every colour change along x and y must start a block of one regular grid per axis (blocks
    of 2 or more pixels), and every block must be one colour. An image with too few changes to
    tell (fewer than 3 per axis) is not called pixel art.
    """
    bx = _axis_blocks(_change_positions(img, 1))
    by = _axis_blocks(_change_positions(img, 0)) if bx is not None else None
    if bx is None or by is None:
        return None
    grid = BlockGrid(bx, by)
    h, w = img.shape[:2]
    if not np.array_equal(from_art_pixels(to_art_pixels(img, grid), grid, h, w), img):
        return None
    return grid


PALETTE_COLOURS = 64
"""At most this many distinct colours, and no block grid: pixel art at its native resolution."""
PALETTE_SIDE = 256
"""Longest side of a region that can be pixel art at its native resolution (its texels are art
pixels, so its face is a few dozen texels across, never hundreds)."""


def palette_grid(img: NDArray[np.generic]) -> BlockGrid | None:
    """One block per texel when ``img`` holds at most :data:`PALETTE_COLOURS` distinct colours
    (pixel art shown at its own resolution, such as an 8 × 8 face in a 64 × 32 skin), else
    None: painted, shaded or antialiased art has far more."""
    if max(img.shape[:2]) > PALETTE_SIDE or not _few_colours(img, PALETTE_COLOURS):
        return None
    one = AxisBlocks(1.0, 0.0)
    return BlockGrid(one, one)


def _few_colours(img: NDArray[np.generic], limit: int) -> bool:
    """Whether ``img`` (h, w, C) holds at most ``limit`` distinct colours. A strided sample is
    looked at first and the rest in chunks, so painted art is turned down after a few."""
    flat = np.ascontiguousarray(img.reshape(-1, img.shape[-1] if img.ndim == 3 else 1))
    keys = flat.view(np.dtype((np.void, flat.dtype.itemsize * flat.shape[1]))).ravel()
    seen: set[bytes] = set()
    step = max(1, len(keys) // 4096)
    for chunk in [keys[::step], *(keys[i : i + 65536] for i in range(0, len(keys), 65536))]:
        seen.update(np.unique(chunk).tolist())
        if len(seen) > limit:
            return False
    return True


def to_art_pixels(img: NDArray[np.generic], grid: BlockGrid) -> NDArray[np.generic]:
    """One value per block (its top-left texture pixel); partial edge blocks included."""
    return img[grid.y.starts(img.shape[0])][:, grid.x.starts(img.shape[1])]


def from_art_pixels(
    art: NDArray[np.generic], grid: BlockGrid, height: int, width: int
) -> NDArray[np.generic]:
    """Scale art pixels back up to ``height`` × ``width`` by nearest neighbour on ``grid``."""
    return art[grid.y.index(height)][:, grid.x.index(width)]
