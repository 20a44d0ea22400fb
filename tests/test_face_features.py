"""Paper features (uniform LBP block histograms) and the cascade stage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moodrig.core.face.cascade import detect_faces
from moodrig.core.face.io import read_image
from moodrig.core.face.lbp import (
    N_BINS,
    UNIFORM,
    LbpConfig,
    block_histograms,
    features,
    lbp_codes,
    preprocess,
)


def test_uniform_table() -> None:
    assert N_BINS == 59
    assert len(set(UNIFORM.tolist())) == 59
    assert int((UNIFORM < 58).sum()) == 58  # 58 uniform patterns
    assert UNIFORM[0b01010101] == 58  # 8 transitions: non-uniform bin


def test_flat_image_is_all_ones_pattern() -> None:
    codes = lbp_codes(np.full((10, 12), 77, np.uint8))
    assert codes.shape == (8, 10)
    assert np.all(codes == UNIFORM[255])


def test_edge_pattern_and_histograms_sum_to_one() -> None:
    img = np.zeros((20, 20), np.uint8)
    img[:, 10:] = 200
    codes = lbp_codes(img)
    assert len(np.unique(codes)) > 1
    h = block_histograms(codes, 3).reshape(9, N_BINS)
    assert np.allclose(h.sum(axis=1), 1.0)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 3), st.integers(0, 40))
def test_lbp_invariant_to_monotone_gray_change(seed: int, gain: int, offset: int) -> None:
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 60, size=(16, 16)).astype(np.uint8)
    brighter = (img.astype(np.int32) * gain + offset).astype(
        np.uint8
    )  # strictly increasing map, no overflow
    assert np.array_equal(lbp_codes(img), lbp_codes(brighter))


def test_feature_vector_shape_and_normalisation() -> None:
    rng = np.random.default_rng(0)
    face = rng.integers(0, 255, size=(70, 50, 3)).astype(np.uint8)
    cfg = LbpConfig(size=48, grid=4)
    f = features(face, cfg)
    assert f.shape == (cfg.length,) and f.dtype == np.float32
    assert np.allclose(f.reshape(16, N_BINS).sum(axis=1), 1.0)
    pre = preprocess(face, 48)
    assert pre.shape == (48, 48) and pre.dtype == np.uint8 and pre.max() > 200 and pre.min() < 50
    with pytest.raises(ValueError):
        features(np.zeros((2, 2), np.uint8))


@pytest.mark.shared
def test_cascade_finds_the_frontal_face(shared_data: Path) -> None:
    img = read_image(shared_data / "london_faces_dev" / "images" / "001_03.jpg")
    boxes = detect_faces(img)
    assert boxes
    x0, y0, x1, y1 = boxes[0]
    assert x0 < 330 < x1 and y0 < 380 < y1  # around the nose of this 675-px photo
    assert not detect_faces(np.full((200, 200, 3), 128, np.uint8))


def _reference_histograms(gray: np.ndarray, grid: int) -> np.ndarray:
    """Eq. 1 written out plainly (one neighbour comparison and one histogram per cell)."""
    g = gray.astype(np.int64)
    h, w = g.shape[0] - 2, g.shape[1] - 2
    offsets = ((-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1))
    codes = np.zeros((h, w), np.int64)
    for y in range(h):
        for x in range(w):
            c = g[y + 1, x + 1]
            codes[y, x] = UNIFORM[
                sum(int(g[y + 1 + dy, x + 1 + dx] >= c) << b for b, (dy, dx) in enumerate(offsets))
            ]
    ys = np.linspace(0, h, grid + 1).astype(int)
    xs = np.linspace(0, w, grid + 1).astype(int)
    cells = [codes[ys[i] : ys[i + 1], xs[j] : xs[j + 1]] for i in range(grid) for j in range(grid)]
    return np.concatenate(
        [np.bincount(c.ravel(), minlength=N_BINS) / max(c.size, 1) for c in cells]
    )


@settings(max_examples=20, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(5, 40),
    st.integers(5, 40),
    st.integers(1, 4),
    st.booleans(),
)
def test_vectorised_lbp_matches_the_plain_definition(
    seed: int, h: int, w: int, grid: int, coarse: bool
) -> None:
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, size=(h, w)).astype(np.uint8)
    if coarse:  # many equal neighbours: exercises the >= comparison
        img = (img // 85 * 85).astype(np.uint8)
    got = block_histograms(lbp_codes(img), grid)
    assert np.allclose(got, _reference_histograms(img, grid), atol=1e-7)
