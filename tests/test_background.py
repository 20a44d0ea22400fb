"""Long work in a child process (core/background.py): progress, results, errors, cancel; and
the add-on's real jobs through it (their inputs and results cross the pipe)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from moodrig.core.appearance.align import FEATURE_NAMES
from moodrig.core.appearance.points_io import FeaturePoints
from moodrig.core.appearance.setup import FaceSetup
from moodrig.core.background import JobFailed, ProcessJob
from moodrig.core.bake_job import BakeInputs, ComputedBake
from moodrig.core.demo_timeline import scripted_track
from moodrig.core.expression import N_EXPRESSION
from moodrig.core.painter import DEFAULT_STYLE, feature_points, paint_face
from moodrig.core.paths import data_dir
from moodrig.core.request import BakeRequest

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


@pytest.mark.parametrize(
    ("function", "kind", "text"),
    [
        ("bad_input", JobFailed, "clip.mp4: no face found"),
        ("missing_module", ImportError, "moodrig_no_such_module"),
        ("bug", RuntimeError, "ZeroDivisionError: division by zero"),
        ("silent_exit", RuntimeError, "exit code 3"),
    ],
)
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
    job = ProcessJob(
        "moodrig.core.addon_jobs",
        "analyse_source",
        (data_dir() / "sample_face.jpg", 24.0, 6, False, "cpu"),
    )
    _finish(job, 300.0)
    track, overlay = job.result()
    assert len(track) == 6 and track.valid.all() and track.details is not None
    assert overlay.dtype == np.uint8 and overlay.ndim == 3
    assert job.progress == 1.0


def test_a_bake_computes_in_a_child(tmp_path: Path) -> None:
    """The computation between reading and writing the scene: inputs (the face's stored setup
    and a bone map as a mapping included) and result pickle."""
    size = 64
    track = scripted_track(fps=24.0, seconds=2.0)
    base = paint_face(DEFAULT_STYLE, np.zeros(N_EXPRESSION, np.float32), size)
    request = BakeRequest(bone_map={"head": "Head"}, seed=3, device="cpu", batch=16)
    painted = feature_points(DEFAULT_STYLE, size)
    points = FeaturePoints(np.array([painted[n] for n in FEATURE_NAMES]), (size, size))
    inputs = BakeInputs(request, 24.0, track, base, None, FaceSetup(points=points), tmp_path)
    job = ProcessJob("moodrig.core.bake_job", "compute_bake_now", (inputs,))
    _finish(job, 600.0)
    computed = job.result()
    assert isinstance(computed, ComputedBake)
    out = computed.output
    assert len(out.track) == len(track) and len(out.frames) == len(track)
    assert all(p.is_file() for p in out.frames)
    assert set(computed.texture_sync) >= {"texture_ok", "texture_sentence", "texture_areas"}
    assert job.progress.fraction >= 0.9


def test_bake_inputs_with_every_scene_part_pickle(tmp_path: Path) -> None:
    """What the parent reads out of the scene crosses to the child intact: a request with a
    region, a points file, a bone map mapping, rest pose, key tolerance, NLA strips and a
    shape-key map; the face's stored region and points; the shape-key rows."""
    import pickle

    from moodrig.core.appearance.region import FaceRegion
    from moodrig.core.shapekeys import ShapeKeyMap, ShapeKeyRow

    rows = (ShapeKeyRow("mouthSmile", "smile", 0.8), ShapeKeyRow("jawOpen", "jaw_open"))
    request = BakeRequest(
        bone_map={"head": "Head", "neck": "Neck"},
        region=(0.1, 0.2, 0.6, 0.9),
        features=tmp_path / "points.json",
        rest_pose="t-pose",
        key_tolerance=0.25,
        nla_strips=True,
        shape_key_map=ShapeKeyMap(rows, "arkit"),
        face_output="both",
    )
    points = FeaturePoints(np.arange(14, dtype=np.float64).reshape(7, 2), (40, 50))
    setup = FaceSetup(FaceRegion(0.1, 0.2, 0.6, 0.9), points, "the feature points of 'Face'")
    base = np.zeros((8, 8, 4), np.float32)
    inputs = BakeInputs(
        request, 24.0, scripted_track(fps=24.0, seconds=1.0), base, rows, setup, tmp_path
    )
    back = pickle.loads(pickle.dumps(inputs))
    assert back.request == request and dict(back.request.bone_map) == dict(request.bone_map)
    assert back.rows == rows and back.folder == tmp_path and back.fps == 24.0
    assert back.setup.region == setup.region and back.setup.points_from == setup.points_from
    assert np.array_equal(back.setup.points.points, points.points)
    assert back.setup.points.region_size == (40, 50)
    assert np.array_equal(back.track.expressions, inputs.track.expressions)
