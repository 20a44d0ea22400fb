"""Evaluation metrics of both editors: image quality (HWC float32/64 RGB in [0, 1]) and speed."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable

import cv2
import numpy as np
from numpy.typing import NDArray


def psnr(
    a: NDArray[np.floating], b: NDArray[np.floating], where: NDArray[np.bool_] | None = None
) -> float:
    """PSNR in dB with data range 1; ``where`` (H, W) restricts the pixels; inf when identical."""
    d = (a.astype(np.float64) - b.astype(np.float64)) ** 2
    if where is not None:
        if not where.any():
            return float("nan")
        d = d[where]
    mse = float(d.mean())
    return float("inf") if mse == 0.0 else 10.0 * math.log10(1.0 / mse)


def ssim(a: NDArray[np.floating], b: NDArray[np.floating]) -> float:
    """Mean SSIM over channels: Gaussian window σ = 1.5 (11x11), K1 = 0.01, K2 = 0.03, range 1
    (Wang et al. 2004), reflect-padded borders."""
    c1, c2 = 0.01**2, 0.03**2
    vals = []
    for ch in range(a.shape[2]):
        x = a[..., ch].astype(np.float64)
        y = b[..., ch].astype(np.float64)

        def g(z: NDArray[np.float64]) -> NDArray[np.float64]:
            out: NDArray[np.float64] = cv2.GaussianBlur(
                z, (11, 11), 1.5, borderType=cv2.BORDER_REFLECT
            )
            return out

        mx, my = g(x), g(y)
        sxx = g(x * x) - mx * mx
        syy = g(y * y) - my * my
        sxy = g(x * y) - mx * my
        m = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
        vals.append(float(m.mean()))
    return float(np.mean(vals))


def time_repeats(fn: Callable[[], object], repeats: int, warmup: int = 1) -> list[float]:
    """Wall times of ``repeats`` calls of ``fn``, seconds, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``repeats`` calls of ``fn`` after one untimed warm-up call."""
    return statistics.median(time_repeats(fn, repeats))
