"""The painter caches: provenance checked on load, re-rendered when the shape is wrong."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moodrig.weights_tools.amee_data import ensure_cache, render_split
from moodrig.weights_tools.painter_cache import cached, read_cache
from moodrig.weights_tools.transfer_data import ensure_cache as ensure_transfer_cache


def test_amee_cache_matches_a_fresh_render_and_is_reused(tmp_path: Path) -> None:
    path = tmp_path / "c.npz"
    images, exprs = ensure_cache(path, seed=3, split="eval", n_styles=2, per_style=3, size=16)
    ref_images, ref_exprs = render_split(3, "eval", 2, 3, 16)
    assert images.dtype == np.uint8 and images.shape == (2, 3, 16, 16, 3)
    assert np.abs(images / 255.0 - ref_images).max() <= 0.5 / 255 + 1e-6
    np.testing.assert_array_equal(exprs, ref_exprs)
    stamp = path.stat().st_mtime_ns
    ensure_cache(path, seed=3, split="eval", n_styles=2, per_style=3, size=16)
    assert path.stat().st_mtime_ns == stamp  # loaded, not rendered again
    more, _ = ensure_cache(path, seed=3, split="eval", n_styles=3, per_style=3, size=16)
    assert more.shape[:2] == (3, 3)  # another shape: rendered again
    with pytest.raises(ValueError, match="another resolution/seed/split"):
        ensure_cache(path, seed=4, split="eval", n_styles=3, per_style=3, size=16)


def test_transfer_cache_round_trip(tmp_path: Path) -> None:
    images, drawings, details = ensure_transfer_cache(
        tmp_path / "t.npz", seed=0, split="train", n_styles=2, per_style=2, size=16
    )
    assert (
        images.shape == (2, 2, 16, 16, 3)
        and drawings.shape == (2, 2, 16, 16)
        and details.shape[:2] == (2, 2)
    )
    assert images.dtype == np.uint8 and drawings.dtype == np.uint8 and details.dtype == np.float32


def test_cache_checks_provenance(tmp_path: Path) -> None:
    path = tmp_path / "x.npz"
    calls = []

    def render() -> dict[str, np.ndarray]:
        calls.append(1)
        return {"a": np.zeros((2, 1, 4)), "b": np.ones(3)}

    a, b = cached(path, ("a", "b"), render, seed=1, split=2, size=4, n_styles=2, per_style=1)
    assert a.shape == (2, 1, 4) and b.tolist() == [1, 1, 1] and len(calls) == 1
    cached(path, ("a", "b"), render, seed=1, split=2, size=4, n_styles=2, per_style=1)
    assert len(calls) == 1
    for kw in (
        {"seed": 0, "split": 2, "size": 4},
        {"seed": 1, "split": 3, "size": 4},
        {"seed": 1, "split": 2, "size": 8},
    ):
        with pytest.raises(ValueError, match=str(path)):
            read_cache(path, ("a",), **kw)
