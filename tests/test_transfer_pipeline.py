"""The detailed appearance mode in the Blender-free bake: plans over detail vectors, cache keys
that never mix with the parameter mode, tracks that carry (or lack) per-side values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moodrig.core.appearance.cache import plan_details
from moodrig.core.detail import (
    N_DETAIL,
    detail_from_expression,
    detail_vector,
    expression_from_detail,
)
from moodrig.core.errors import InputError
from moodrig.core.painter import DEFAULT_STYLE, paint_detail, paint_face
from moodrig.core.pipeline import BakeRequest, run_bake_sync
from moodrig.core.track import ExpressionTrack, hold_track, resample_track


class PainterDetailEditor:
    """Test double for the transfer model: the painter's exact ground truth of a detail vector."""

    model_id = "painter-detail"
    takes_source = False
    resolution = 64  # the painter draws at any size; the textures here are 64 px

    def __init__(self) -> None:
        self.calls: list[np.ndarray] = []

    def edit(self, textures: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        self.calls.append(vectors)
        return np.stack([paint_detail(DEFAULT_STYLE, v, textures.shape[1]) for v in vectors])


class PainterEditor:
    model_id = "painter-detail"  # the same id on purpose: the mode alone must separate the caches
    takes_source = False
    resolution = 64

    def edit(self, textures: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        return np.stack([paint_face(DEFAULT_STYLE, v, textures.shape[1]) for v in vectors])


def _track(n: int = 12, with_details: bool = True) -> ExpressionTrack:
    d = np.stack(
        [detail_vector(smile_l=k / (n - 1), brow_raise_r=0.5 * k / (n - 1)) for k in range(n)]
    )
    return ExpressionTrack(
        24.0,
        expression_from_detail(d),
        np.zeros((n, 3), np.float32),
        np.ones(n, bool),
        d if with_details else None,
    )


def test_track_details_are_validated_and_optional() -> None:
    t = _track()
    assert t.details is not None and t.details.shape == (12, N_DETAIL)
    plain = _track(with_details=False)
    assert np.array_equal(plain.detail_vectors(), detail_from_expression(plain.expressions))
    with pytest.raises(ValueError, match="details"):
        ExpressionTrack(24.0, t.expressions, t.head, t.valid, t.details[:3])
    with pytest.raises(ValueError):
        ExpressionTrack(24.0, t.expressions, t.head, t.valid, t.details + 2.0)


def test_hold_and_resample_carry_details() -> None:
    one = ExpressionTrack(
        24.0,
        _track().expressions[:1],
        np.zeros((1, 3), np.float32),
        np.ones(1, bool),
        _track().details[:1],
    )
    held = hold_track(one, 5)
    assert held.details is not None and held.details.shape == (5, N_DETAIL)
    res = resample_track(_track(), 48.0)
    assert res.details is not None and len(res.details) == len(res)
    assert np.allclose(res.details[0], _track().details[0]) and np.allclose(
        res.details[-1], _track().details[-1]
    )


def test_detailed_bake_plans_detail_vectors_and_keeps_its_own_cache(tmp_path: Path) -> None:
    base = paint_face(DEFAULT_STYLE, np.zeros(8), 64)
    ed = PainterDetailEditor()
    out = run_bake_sync(_track(), base, BakeRequest(appearance_mode="detailed"), tmp_path, ed)
    assert out.plan.levels.shape[1] == N_DETAIL and all(c.shape[1] == N_DETAIL for c in ed.calls)
    assert out.cache.generated == out.cache.distinct
    cached = set((tmp_path / "cache").glob("*.png"))
    # The parameter mode with an editor of the same id never reuses a detailed texture.
    par = run_bake_sync(_track(), base, BakeRequest(), tmp_path, PainterEditor())
    assert par.cache.generated == par.cache.distinct
    assert cached < set((tmp_path / "cache").glob("*.png"))
    again = run_bake_sync(
        _track(), base, BakeRequest(appearance_mode="detailed"), tmp_path, PainterDetailEditor()
    )
    assert again.cache.generated == 0
    # The last frame is the painter's lopsided face.
    from moodrig.core.appearance.cache import decode_png

    last = decode_png(out.frames[-1])
    want = paint_detail(DEFAULT_STYLE, plan_details(_track().details, 0.05).vectors[-1], 64)
    assert np.abs(last - want).max() <= 1 / 255 + 1e-6


def test_unknown_mode_is_refused_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="'sketchy'"):
        BakeRequest(appearance_mode="sketchy")
