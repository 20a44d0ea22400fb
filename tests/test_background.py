"""Long work in a child process (core/background.py): progress, results, errors, cancel; and
the add-on's real jobs through it (their inputs and results cross the pipe)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from moodrig.core.background import JobFailed, ProcessJob
from moodrig.core.bake_job import BakeInputs, ComputedBake
from moodrig.core.demo_timeline import scripted_track
from moodrig.core.expression import N_EXPRESSION
from moodrig.core.painter import DEFAULT_STYLE, paint_face
from moodrig.core.paths import data_dir
from moodrig.core.request import BakeRequest
from moodrig.core.texture_sync import painted_face_points

HELPERS = "background_jobs"  # tests/background_jobs.py, on the child's path like the parent's


def _finish(job: ProcessJob, timeout: float = 120.0) -> None:
    assert job.wait(timeout), "the child did not end"


def test_progress_and_result_come_back_while_prints_go_elsewhere() -> None:
    job = ProcessJob(HELPERS, "count", (4, 0.05))
    seen = set()
    while not job.done:
        if job.progress is not None:
            seen.add(job.progress)
        time.sleep(0.005)
    assert job.result() == 4
    assert job.progress == 4 and seen <= {1, 2, 3, 4}


@pytest.mark.parametrize(("function", "kind", "text"), [
    ("bad_input", JobFailed, "clip.mp4: no face found"),
    ("missing_module", ImportError, "moodrig_no_such_module"),
    ("bug", RuntimeError, "ZeroDivisionError: division by zero"),
    ("silent_exit", RuntimeError, "exit code 3"),
])
def test_errors_come_back_as_one_line(function: str, kind: type, text: str) -> None:
    job = ProcessJob(HELPERS, function)
    _finish(job)
    with pytest.raises(kind, match=text) as info:
        job.result()
    if kind is ImportError:
        assert info.value.name == "moodrig_no_such_module"


def test_cancel_stops_the_child_at_once() -> None:
    job = ProcessJob(HELPERS, "count", (1000, 0.05))
    while job.progress is None:
        time.sleep(0.01)
    t0 = time.perf_counter()
    job.cancel()
    _finish(job, 10.0)
    assert time.perf_counter() - t0 < 2.0
    with pytest.raises(InterruptedError):
        job.result()
    assert job.progress < 1000


def test_result_before_the_end_is_refused() -> None:
    job = ProcessJob(HELPERS, "count", (1000, 0.05))
    try:
        with pytest.raises(RuntimeError, match="still running"):
            job.result()
    finally:
        job.cancel()


def test_the_analysis_runs_in_a_child() -> None:
    job = ProcessJob("moodrig.core.addon_jobs", "analyse_source",
                     (data_dir() / "sample_face.jpg", 24.0, 6, False, "cpu"))
    _finish(job, 300.0)
    track, overlay = job.result()
    assert len(track) == 6 and track.valid.all() and track.details is not None
    assert overlay.dtype == np.uint8 and overlay.ndim == 3
    assert job.progress == 1.0


def test_a_bake_computes_in_a_child(tmp_path: Path) -> None:
    """The computation between reading and writing the scene: inputs and result pickle."""
    size = 64
    track = scripted_track(fps=24.0, seconds=2.0)
    base = paint_face(DEFAULT_STYLE, np.zeros(N_EXPRESSION, np.float32), size)
    request = BakeRequest(bone_map={"head": "Head"}, seed=3, device="cpu", batch=16)
    inputs = BakeInputs(request, 24.0, track, base, None, painted_face_points(DEFAULT_STYLE, size),
                        None, tmp_path)
    job = ProcessJob("moodrig.core.bake_job", "compute_bake_now", (inputs,))
    _finish(job, 600.0)
    computed = job.result()
    assert isinstance(computed, ComputedBake)
    out = computed.output
    assert len(out.track) == len(track) and len(out.frames) == len(track)
    assert all(p.is_file() for p in out.frames)
    assert set(computed.texture_sync) >= {"texture_ok", "texture_sentence", "texture_areas"}
    assert job.progress.fraction >= 0.9
