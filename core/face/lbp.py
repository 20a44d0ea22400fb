"""The paper's appearance features (docs/method.md §1): block histograms of uniform LBP codes.

Pipeline for one face crop: grayscale → nearest-neighbour resize to twice the working size →
Lanczos (``cv2.INTER_LANCZOS4``) resize down to the working size → normalisation (zero mean,
unit standard deviation, then clipped to ±3 σ and rescaled to [0, 255]) → uniform LBP code
per pixel (8 neighbours at radius 1; 58 uniform patterns + 1 bin for all others) → the face
is divided into a grid of cells A_i and, for each cell, the histogram
g_ij = Σ_{(x,y) ∈ A_i} [code(x, y) = j] / |A_i| (eq. 1, normalised to sum 1) → the
concatenation G_A = (g_1, …, g_n) is the feature vector.

What the resize pair does here. The paper resizes each face to the working size with
nearest-neighbour interpolation and softens the jagged result with a Lanczos filter. The crops
moodrig passes in are already resampled to the working size (bilinear, with area averaging
first for large faces: ``analyzer.face_lbp``, ``smile.resample_patch``), so the pair maps a
size×size image to a size×size image, and it is linear and shift-invariant on the interior:
doubling every pixel and sampling the doubled image halfway between each pair with the
Lanczos kernel is the separable 5-tap filter ``LANCZOS_PAIR_KERNEL`` =
[−0.0126, −0.1062, 1.2378, −0.1062, −0.0126] on each axis (sum 1). It is a mild *sharpening*
(it partly undoes the bilinear blur of the crop), not an antialiasing: on the sample photo's
face crop it changes pixels by 5.5/255 on average. Its measured effect on the features that
use it (the view classifier and the mouth appearance score, cross-validated with and without
it) is in ``docs/face_eval.md``; it is kept because the shipped calibration was fitted with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

N_BINS = 59


def _uniform_table() -> NDArray[np.int64]:
    table = np.full(256, N_BINS - 1, dtype=np.int64)
    nxt = 0
    for code in range(256):
        bits = [(code >> k) & 1 for k in range(8)]
        transitions = sum(bits[k] != bits[(k + 1) % 8] for k in range(8))
        if transitions <= 2:
            table[code] = nxt
            nxt += 1
    assert nxt == N_BINS - 1
    return table


UNIFORM = _uniform_table()


@dataclass(frozen=True)
class LbpConfig:
    """Block-histogram feature settings."""

    size: int = 96
    """Working size (px) of the square face crop after resizing."""
    grid: int = 6
    """Cells per side; the feature has grid² × 59 values."""

    @property
    def length(self) -> int:
        return self.grid * self.grid * N_BINS


LANCZOS_PAIR_KERNEL = (-0.0126, -0.1062, 1.2378, -0.1062, -0.0126)
"""Per-axis filter the nearest ×2 + Lanczos ÷2 pair amounts to on a working-size image."""


def resize_pair(gray: NDArray[np.uint8], size: int) -> NDArray[np.uint8]:
    """The paper's resize: nearest-neighbour to 2·size, then Lanczos down to ``size`` (on a
    crop already at ``size``: the sharpening filter ``LANCZOS_PAIR_KERNEL``)."""
    big = cv2.resize(gray, (2 * size, 2 * size), interpolation=cv2.INTER_NEAREST)
    small = cv2.resize(big, (size, size), interpolation=cv2.INTER_LANCZOS4)
    return np.asarray(small, dtype=np.uint8)


def preprocess(
    gray_or_rgb: NDArray[np.uint8], size: int, *, pair: bool = True
) -> NDArray[np.uint8]:
    """Grayscale, the resize pair (nearest ×2, Lanczos to ``size``), normalise. ``pair=False``
    resizes straight to ``size`` (area/bilinear) instead: the ablation in docs/face_eval.md."""
    gray = gray_or_rgb if gray_or_rgb.ndim == 2 else cv2.cvtColor(gray_or_rgb, cv2.COLOR_RGB2GRAY)
    img = np.asarray(gray, np.uint8)
    if pair:
        small = resize_pair(img, size).astype(np.float32)
    else:
        interp = cv2.INTER_AREA if max(img.shape[:2]) > size else cv2.INTER_LINEAR
        small = cv2.resize(img, (size, size), interpolation=interp).astype(np.float32)
    std = float(small.std())
    z = (small - float(small.mean())) / (std if std > 1e-6 else 1.0)
    out: NDArray[np.uint8] = np.rint((np.clip(z, -3.0, 3.0) + 3.0) * (255.0 / 6.0)).astype(np.uint8)
    return out


def lbp_codes(gray: NDArray[np.uint8]) -> NDArray[np.int64]:
    """Uniform LBP bin (0..58) of every interior pixel: shape (H-2, W-2)."""
    g = np.asarray(gray)
    c = g[1:-1, 1:-1]
    h, w = c.shape
    offsets = ((-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1))
    code = np.zeros(c.shape, dtype=np.uint8)  # 8 bits fit a byte: 4x less memory traffic than int64
    for bit, (dy, dx) in enumerate(offsets):
        nb = g[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]
        code |= (nb >= c).view(np.uint8) << np.uint8(bit)
    return UNIFORM[code]


def block_histograms(codes: NDArray[np.int64], grid: int) -> NDArray[np.float32]:
    """Eq. 1: per-cell normalised histograms of LBP bins, concatenated (grid²·59,)."""
    h, w = codes.shape
    ys = np.linspace(0, h, grid + 1).astype(int)
    xs = np.linspace(0, w, grid + 1).astype(int)
    # one bincount over (cell, bin) pairs instead of one per cell
    row = np.repeat(np.arange(grid), np.diff(ys))
    col = np.repeat(np.arange(grid), np.diff(xs))
    cell = (row[:, None] * grid + col[None, :]) * N_BINS
    counts = np.bincount((cell + codes).ravel(), minlength=grid * grid * N_BINS).reshape(
        grid * grid, N_BINS
    )
    sizes = (np.diff(ys)[:, None] * np.diff(xs)[None, :]).reshape(-1, 1)
    out: NDArray[np.float32] = (counts / np.maximum(sizes, 1)).astype(np.float32).reshape(-1)
    return out


def features(face: NDArray[np.uint8], config: LbpConfig = LbpConfig()) -> NDArray[np.float32]:
    """G_A for an aligned face crop (HWC RGB or HW gray, uint8)."""
    if face.ndim not in (2, 3) or face.shape[0] < 3 or face.shape[1] < 3:
        raise ValueError(
            f"face crop must be an image of at least 3×3 pixels, got shape {face.shape}"
        )
    return block_histograms(lbp_codes(preprocess(face, config.size)), config.grid)
