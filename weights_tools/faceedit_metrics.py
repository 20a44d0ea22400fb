"""Quality of a face edit where the user looks: in the face region, at full resolution.

All images are HWC float32 RGB(A) in [0, 1]; only RGB is compared.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

F32 = NDArray[np.float32]


def psnr(a: F32, b: F32) -> float:
    mse = float(np.mean((a[..., :3].astype(np.float64) - b[..., :3]) ** 2))
    return math.inf if mse == 0.0 else 10.0 * math.log10(1.0 / mse)


def change_fraction(edit: F32, truth: F32, source: F32) -> float:
    """1 − |edit − truth|₁ / |source − truth|₁: 1 = the whole change made, 0 = none, < 0 = worse
    than not editing. NaN when the truth does not differ from the source."""
    need = float(np.abs(source[..., :3].astype(np.float64) - truth[..., :3]).sum())
    if need == 0.0:
        return math.nan
    miss = float(np.abs(edit[..., :3].astype(np.float64) - truth[..., :3]).sum())
    return 1.0 - miss / need


def sharpness(img: F32) -> float:
    """Variance of the Laplacian of the luminance (a focus measure)."""
    gray = cv2.cvtColor(np.ascontiguousarray(img[..., :3]), cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(gray.astype(np.float64), cv2.CV_64F).var())


@dataclass(frozen=True)
class EditScore:
    """One edit against its ground truth, inside the region."""

    change: float
    psnr_edit: float
    psnr_input: float
    sharpness_ratio: float
    outside_identical: bool


def score(edit: F32, truth: F32, source: F32, region: tuple[slice, slice]) -> EditScore:
    rows, cols = region
    e, t, s = edit[rows, cols], truth[rows, cols], source[rows, cols]
    outside = np.ones(edit.shape[:2], bool)
    outside[rows, cols] = False
    sharp_t = sharpness(t)
    return EditScore(
        change=change_fraction(e, t, s),
        psnr_edit=psnr(e, t),
        psnr_input=psnr(s, t),
        sharpness_ratio=sharpness(e) / sharp_t if sharp_t > 0 else math.nan,
        outside_identical=bool(np.array_equal(edit[outside], source[outside])),
    )
