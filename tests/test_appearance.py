"""Appearance track on disk: distinct-expression cache, hard-linked sequence, safe paths."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from moodrig.core.appearance.cache import (
    TextureCache,
    bake_context,
    decode_png,
    disk_usage,
    plan_appearance,
    sequence_name,
)
from moodrig.core.expression import expression_vector
from moodrig.core.painter import DEFAULT_STYLE, paint_face
from moodrig.core.paths import contained_path, safe_folder_name


def _track() -> np.ndarray:
    neutral, smile = expression_vector(), expression_vector(smile=0.8)
    noisy = smile + np.float32(0.004)  # within one quantisation step of the smile
    return np.stack([neutral] * 10 + [smile] * 20 + [noisy] * 5 + [neutral] * 10)


def test_plan_lists_distinct_expressions_in_first_seen_order() -> None:
    plan = plan_appearance(_track())
    assert len(plan.levels) == 2
    assert plan.frame_to_key.tolist() == [0] * 10 + [1] * 25 + [0] * 10
    assert np.allclose(plan.vectors[1], expression_vector(smile=0.8))


def _painter(calls: list[int]) -> Callable[[np.ndarray], np.ndarray]:
    """The painter as a batch generator, counting the textures it makes in ``calls``."""

    def generate(vectors: np.ndarray) -> np.ndarray:
        calls.append(len(vectors))
        return np.stack([paint_face(DEFAULT_STYLE, v, 32) for v in vectors])

    return generate


def test_cache_generates_each_distinct_expression_once_and_links_frames(tmp_path: Path) -> None:
    calls: list[int] = []
    generate = _painter(calls)
    plan = plan_appearance(_track())
    base = paint_face(DEFAULT_STYLE, expression_vector(), 32)
    cache = TextureCache(tmp_path / "out", bake_context("painter", base, 32, plan.step))
    report = cache.ensure(plan, generate)
    assert sum(calls) == 2 and report.generated == 2 and report.reused == 0
    frames = cache.write_sequence(plan, tmp_path / "out" / "seq")
    assert [f.name for f in frames[:2]] == [sequence_name(1), sequence_name(2)]
    assert len(frames) == 45
    # Disk grows with distinct expressions, not frames.
    assert disk_usage(frames) == report.bytes_on_disk
    img = decode_png(frames[15])
    assert img.shape == (32, 32, 4)
    assert np.abs(img - paint_face(DEFAULT_STYLE, plan.vectors[1], 32)).max() <= 0.5 / 255 + 1e-6
    # A second run (resume) regenerates nothing and rewrites identical bytes.
    again = cache.ensure(plan, generate)
    assert sum(calls) == 2 and again.reused == 2
    before = frames[20].read_bytes()
    cache.write_sequence(plan, tmp_path / "out" / "seq")
    assert frames[20].read_bytes() == before
    assert not list((tmp_path / "out").rglob("*.part"))


def test_cancel_between_batches_leaves_only_whole_files(tmp_path: Path) -> None:
    track = np.stack([expression_vector(jaw_open=i / 40) for i in range(40)])
    plan = plan_appearance(track, step=0.025)
    state = {"n": 0}

    def generate(vectors: np.ndarray) -> np.ndarray:
        state["n"] += 1
        return np.stack([paint_face(DEFAULT_STYLE, v, 16) for v in vectors])

    cache = TextureCache(tmp_path, "ctx")
    with pytest.raises(InterruptedError):
        cache.ensure(plan, generate, batch=8, cancelled=lambda: state["n"] >= 2)
    written = sorted(cache.cache.glob("*.png"))
    assert len(written) == 16
    assert all(decode_png(p).shape == (16, 16, 4) for p in written)
    cache.ensure(plan, generate, batch=8)
    assert state["n"] == 2 + 3  # resumed: only the remaining 24 textures, in 3 batches


class _Painter:
    """Test double of the appearance model (core.editor.Editor): the painter's ground truth."""

    model_id = "painter"
    takes_source = False
    resolution = 16

    def __init__(self) -> None:
        self.calls = 0

    def edit(self, textures: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        self.calls += 1
        return np.stack([paint_face(DEFAULT_STYLE, v, textures.shape[1]) for v in vectors])


def test_bake_progress_and_cancel_land_between_texture_batches(tmp_path: Path) -> None:
    from moodrig.core.pipeline import BakeRequest, run_bake_sync
    from moodrig.core.track import ExpressionTrack

    n = 40
    ex = np.stack([expression_vector(jaw_open=i / n) for i in range(n)])
    track = ExpressionTrack(24.0, ex, np.zeros((n, 3), np.float32), np.ones(n, bool))
    base = paint_face(DEFAULT_STYLE, np.zeros(8, np.float32), 16)
    request = BakeRequest(quant_step=0.025, batch=8)
    seen: list[str] = []
    first = _Painter()
    with pytest.raises(InterruptedError):
        run_bake_sync(
            track,
            base,
            request,
            tmp_path,
            first,
            progress=lambda p: seen.append(p.stage),
            cancelled=lambda: seen[-1] == "textures 16/40",
        )
    assert first.calls == 2 and seen[-2:] == ["textures 8/40", "textures 16/40"]
    assert len(list((tmp_path / "cache").glob("*.png"))) == 16
    assert not (tmp_path / "sequence").exists()
    resumed = _Painter()
    out = run_bake_sync(track, base, request, tmp_path, resumed)
    assert resumed.calls == 3 and (out.cache.generated, out.cache.reused) == (24, 16)


@pytest.mark.parametrize(
    "name", ["../../etc", "/abs/path", "..", ".", "CON", "nul.txt", "a/b\\c", "", "Fäce:01"]
)
def test_folder_names_cannot_escape(tmp_path: Path, name: str) -> None:
    safe = safe_folder_name(name)
    assert (
        "/" not in safe
        and "\\" not in safe
        and safe not in {".", ".."}
        and not safe.startswith(".")
    )
    assert safe.split(".")[0].upper() not in {"CON", "NUL"}
    path = contained_path(tmp_path, "moodrig", name)
    assert tmp_path.resolve() in path.parents


def test_written_files_have_ordinary_permissions(tmp_path: Path) -> None:
    import os

    from moodrig.core.fileio import atomic_write_bytes

    umask = os.umask(0o022)
    try:
        path = atomic_write_bytes(tmp_path / "t.png", b"x")
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644


def test_textures_cached_by_another_render_version_are_not_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moodrig.core.appearance import cache as cache_module

    calls: list[int] = []
    generate = _painter(calls)
    plan = plan_appearance(_track())
    base = paint_face(DEFAULT_STYLE, expression_vector(), 32)
    TextureCache(tmp_path, bake_context("painter", base, 32, plan.step)).ensure(plan, generate)
    monkeypatch.setattr(cache_module, "RENDER_VERSION", cache_module.RENDER_VERSION + 1)
    report = TextureCache(tmp_path, bake_context("painter", base, 32, plan.step)).ensure(
        plan, generate
    )
    assert report.reused == 0 and sum(calls) == 4
