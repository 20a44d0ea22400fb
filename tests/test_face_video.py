"""Video: tracking without re-detection, One Euro smoothing, missing-frame policies, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from moodrig.core.errors import InputError
from moodrig.core.face.__main__ import main as cli_main
from moodrig.core.face.analyzer import FaceAnalyzer
from moodrig.core.face.io import read_image
from moodrig.core.face.smoothing import OneEuro, OneEuroConfig, fill_missing
from moodrig.core.face.video import analyze_frames, analyze_video


def test_one_euro_follows_onsets_and_removes_jitter() -> None:
    rng = np.random.default_rng(1)
    f = OneEuro(OneEuroConfig(min_cutoff=1.5, beta=2.0), fps=30)
    still = [f(np.array([0.2 + 0.02 * rng.standard_normal()]))[0] for _ in range(60)]
    assert np.std(still[20:]) < 0.5 * 0.02  # jitter reduced by more than half
    step = [f(np.array([1.0]))[0] for _ in range(6)]
    assert step[2] > 0.8  # an onset is followed within 3 frames (0.1 s)
    plain = OneEuro(OneEuroConfig(min_cutoff=1.5, beta=0.0), fps=30)
    for _ in range(30):
        plain(np.array([0.2]))
    assert [plain(np.array([1.0]))[0] for _ in range(3)][2] < step[
        2
    ]  # beta is what removes the lag


def test_fill_policies_never_zero() -> None:
    v = np.array([[0.0], [5.0], [0.0], [0.0], [8.0], [0.0]])
    ok = np.array([False, True, False, False, True, False])
    assert fill_missing(v, ok, "hold")[:, 0].tolist() == [5, 5, 5, 5, 8, 8]
    assert fill_missing(v, ok, "interpolate")[:, 0].tolist() == [5, 5, 6, 7, 8, 8]
    with pytest.raises(ValueError):
        fill_missing(v, np.zeros(6, bool), "hold")
    with pytest.raises(ValueError):
        fill_missing(v, ok, "zero")  # type: ignore[arg-type]


def _moving_frames(photo: np.ndarray, n: int, gap: range) -> list[np.ndarray]:
    s = 420 / photo.shape[0]
    small = cv2.resize(photo, (round(photo.shape[1] * s), 420), interpolation=cv2.INTER_AREA)[
        :, :400
    ]
    out = []
    for i in range(n):
        f = np.full((480, 640, 3), 50, np.uint8)
        if i not in gap:
            x = 100 + int(60 * np.sin(i / 8.0))
            f[30:450, x : x + small.shape[1]] = small
        out.append(f)
    return out


@pytest.mark.shared
def test_tracking_gap_and_policies(shared_data: Path) -> None:
    photo = read_image(shared_data / "cc0_selfies" / "lisa1.jpg")
    frames = _moving_frames(photo, 24, range(10, 14))
    an = FaceAnalyzer()
    calls = {"n": 0}
    real = an.detector.detect

    def counting(img: np.ndarray) -> list:  # type: ignore[type-arg]
        calls["n"] += 1
        return real(img)

    an.detector.detect = counting  # type: ignore[method-assign]
    hold = analyze_frames(frames, 30.0, fill="hold", analyzer=an)
    assert hold.valid.tolist() == [i not in range(10, 14) for i in range(24)]
    # detector: frame 0, each of the 4 empty frames, and the first frame after the gap
    assert calls["n"] == 6
    assert np.allclose(hold.expressions[10:14], hold.expressions[9])
    assert np.allclose(hold.head[10:14], hold.head[9])
    interp = analyze_frames(frames, 30.0, fill="interpolate", analyzer=an)
    a, b = interp.head[9], interp.head[14]
    assert np.allclose(interp.head[12], a + (b - a) * 3 / 5, atol=1e-3)
    assert len(hold) == 24 and hold.fps == 30.0 and hold.expressions.dtype == np.float32


@pytest.mark.shared
def test_video_file_sequence_and_cli(shared_data: Path, tmp_path: Path) -> None:
    photo = read_image(shared_data / "cc0_selfies" / "lisa2.jpg")
    frames = _moving_frames(photo, 8, range(0))
    video = tmp_path / "clip.avi"
    vw = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 24, (640, 480))
    for f in frames:
        vw.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    vw.release()
    seen: list[tuple[int, int | None]] = []
    threads_before = torch.get_num_threads()
    track = analyze_video(video, progress=lambda d, t: seen.append((d, t)))
    assert torch.get_num_threads() == threads_before  # the analysis' own thread setting is restored
    assert len(track) == 8 and abs(track.fps - 24) < 1e-6 and track.valid.all()
    assert seen[-1][0] == 8
    assert len(analyze_video(video, max_frames=3)) == 3
    seq = tmp_path / "seq"
    seq.mkdir()
    for i, f in enumerate(frames[:4]):
        cv2.imwrite(str(seq / f"f_{i:04d}.png"), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    assert len(analyze_video(seq / "f_%04d.png")) == 4
    single = analyze_video(shared_data / "cc0_selfies" / "lisa2.jpg")
    assert len(single) == 1 and single.valid.all()
    out, ov = tmp_path / "v.json", tmp_path / "v.png"
    assert (
        cli_main(
            [
                "analyze",
                str(video),
                "--json",
                str(out),
                "--overlay",
                str(ov),
                "--fill",
                "interpolate",
            ]
        )
        == 0
    )
    doc = json.loads(out.read_text())
    assert doc["kind"] == "video" and len(doc["frames"]) == 8 and doc["fill"] == "interpolate"
    assert set(doc["frames"][0]["expression"]) >= {"smile", "jaw_open"} and ov.stat().st_size > 1000
    assert doc["settings"]["video"]["person_baseline"] is None
    assert cli_main(["analyze", str(video), "--json", str(out), "--person-baseline"]) == 0
    doc2 = json.loads(out.read_text())
    assert doc2["settings"]["video"]["person_baseline"]["max_shift_sd"] == 2.0
    assert len(doc2["frames"]) == 8 and all(f["valid"] for f in doc2["frames"])


def test_video_without_face_is_an_input_error(tmp_path: Path) -> None:
    video = tmp_path / "blank.avi"
    vw = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (160, 120))
    for _ in range(3):
        vw.write(np.full((120, 160, 3), 90, np.uint8))
    vw.release()
    with pytest.raises(InputError, match="no face found in any of its 3"):
        analyze_video(video)
    with pytest.raises(ValueError):
        analyze_video(video, fill="zero")  # type: ignore[arg-type]


def test_long_analysis_keeps_no_python_objects_per_frame() -> None:
    """A 30-minute video fragmented the heap into 1.6 GB because every frame left small arrays
    behind. The per-frame bookkeeping must keep no object per frame: live allocations at frame
    10,000 are no more than at frame 1,000 (a few doubled arrays), far from one per frame."""
    import gc
    import tracemalloc

    from moodrig.core.expression import HeadPose
    from moodrig.core.face.analyzer import AnalyzerConfig, FaceResult
    from moodrig.core.face.roi import Roi

    rng = np.random.default_rng(0)
    faces = [
        FaceResult(
            np.zeros((468, 3), np.float32),
            (0.0, 0.0, 1.0, 1.0),
            0.99,
            rng.uniform(0, 1, 8).astype(np.float32),
            HeadPose(float(y), 0.0, 0.0),
            "front",
            Roi(0.5, 0.5, 1.0),
            "tracking",
        )
        for y in rng.uniform(-20, 20, 16)
    ]

    class Replay:
        """Stands in for the networks: returns one of a few fixed results (a gap every 97
        frames)."""

        config = AnalyzerConfig(threads=None)

        def __init__(self) -> None:
            self.n = 0

        def track(self, frame: np.ndarray, prev: object) -> FaceResult | None:
            self.n += 1
            return None if self.n % 97 == 0 else faces[self.n % len(faces)]

        def track_many(self, frames: list[np.ndarray], prev: object) -> list[FaceResult | None]:
            return [self.track(f, prev) for f in frames]

    frame = np.zeros((4, 4, 3), np.uint8)

    def live_while_running(n: int) -> tuple[int, int]:
        """Live traced blocks and bytes at the last frame, before analyze_frames returns."""
        seen: list[tuple[int, int]] = []

        def at_frame(done: int, total: int | None) -> None:
            if done == n:
                gc.collect()
                stats = tracemalloc.take_snapshot().statistics("filename")
                seen.append((sum(s.count for s in stats), sum(s.size for s in stats)))

        gc.collect()
        tracemalloc.start()
        try:
            track = analyze_frames(
                (frame for _ in range(n)),
                25.0,
                analyzer=Replay(),  # type: ignore[arg-type]
                progress=at_frame,
            )
        finally:
            tracemalloc.stop()
        assert len(track) == n and not track.valid.all()
        return seen[0]

    (few_blocks, _), (many_blocks, many_bytes) = (
        live_while_running(1_000),
        live_while_running(10_000),
    )
    assert many_blocks - few_blocks < 200, (
        f"{many_blocks - few_blocks} more live blocks for 9,000 more frames"
    )
    assert many_bytes < 10_000 * 200, f"{many_bytes} bytes held at frame 10,000"
