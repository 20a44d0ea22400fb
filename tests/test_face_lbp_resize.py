"""The LBP pipeline's nearest ×2 + Lanczos resize pair does what core/face/lbp.py documents."""

from __future__ import annotations

import numpy as np

from moodrig.core.face.lbp import LANCZOS_PAIR_KERNEL, preprocess, resize_pair


def test_resize_pair_on_a_working_size_crop_is_the_documented_sharpening_filter() -> None:
    rng = np.random.default_rng(0)
    img = rng.integers(60, 190, (48, 48)).astype(np.uint8)
    got = resize_pair(img, 48).astype(np.float64)
    k = np.array(LANCZOS_PAIR_KERNEL)
    f = img.astype(np.float64)
    rows = np.apply_along_axis(lambda r: np.convolve(r, k, mode="same"), 1, f)
    both = np.apply_along_axis(lambda c: np.convolve(c, k, mode="same"), 0, rows)
    inner = (slice(4, -4), slice(4, -4))
    assert np.abs(np.clip(np.rint(both), 0, 255)[inner] - got[inner]).max() <= 1.0
    assert abs(k.sum() - 1.0) < 1e-3 and k[2] > 1.0  # sums to one, sharpens


def test_preprocess_without_the_pair_differs_only_by_that_filter() -> None:
    rng = np.random.default_rng(1)
    img = rng.integers(0, 255, (64, 64)).astype(np.uint8)
    a, b = preprocess(img, 64), preprocess(img, 64, pair=False)
    assert a.shape == b.shape == (64, 64) and not np.array_equal(a, b)
