"""Ways to run the analyser that must not change its results: the pipelined stream (describe
on a second thread), batched photos (one detector call for many), the network thread count."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from moodrig.core.face import AnalyzerConfig, FaceAnalyzer
from moodrig.core.face.io import read_image
from moodrig.core.face.roi import roi_from_landmarks
from moodrig.core.paths import data_dir


def _clip() -> list[np.ndarray]:
    """The sample face moving, with two frames of noise (tracking lost and found again); the
    frames are written into one reused buffer, as the video reader does."""
    photo = read_image(data_dir() / "sample_face.jpg")
    rng = np.random.default_rng(0)
    out = []
    for k in range(10):
        m = cv2.getRotationMatrix2D((256, 256), 3.0 * np.sin(k), 1.0 + 0.02 * k)
        m[:, 2] += (4 * k, 2 * k)
        f = cv2.warpAffine(photo, m, (512, 512), borderMode=cv2.BORDER_REPLICATE)
        out.append((rng.random(f.shape) * 255).astype(np.uint8) if k in (4, 5) else f)
    return out


def _same(a: object, b: object) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return bool(
        np.array_equal(a.landmarks, b.landmarks)
        and np.array_equal(a.expression, b.expression)  # type: ignore[attr-defined]
        and a.head == b.head
        and a.detected_by == b.detected_by
    )  # type: ignore[attr-defined]


def test_pipelined_stream_gives_the_sequential_results() -> None:
    frames = _clip()
    seq = list(FaceAnalyzer().track_stream(frames, pipelined=False))
    buf = np.empty_like(frames[0])

    def reused() -> object:
        for f in frames:
            np.copyto(buf, f)
            yield buf

    an = FaceAnalyzer()
    par = list(an.track_stream(reused(), pipelined=True))  # type: ignore[arg-type]
    assert an.last_stream_pipelined is True
    assert [r is None for r in seq] == [False] * 4 + [True] * 2 + [False] * 4
    assert all(_same(a, b) for a, b in zip(seq, par, strict=True))


def test_batched_photos_give_the_one_by_one_results() -> None:
    frames = _clip()
    an = FaceAnalyzer()
    one = [an.analyze(f) for f in frames]
    many = an.analyze_many(frames, batch=4)
    assert all(_same(a, b) for a, b in zip(one, many, strict=True))


def test_networks_run_with_the_configured_threads_and_restore_the_callers() -> None:
    seen: list[int] = []
    an = FaceAnalyzer(AnalyzerConfig(threads=1))
    real = an.mesh.net

    class Spy(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> object:
            seen.append(torch.get_num_threads())
            return real(x)

    an.mesh.net = Spy()
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        an.analyze(_clip()[0])
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    assert seen and set(seen) == {1}


def _counted(an: FaceAnalyzer) -> list[int]:
    """Counts Face Mesh network calls and the frames they read ([calls, frames])."""
    seen = [0, 0]
    real = an.mesh.run_batch

    def run_batch(images, rois):  # type: ignore[no-untyped-def]
        seen[0] += 1
        seen[1] += len(images)
        return real(images, rois)

    an.mesh.run_batch = run_batch  # type: ignore[method-assign]
    return seen


def test_batched_tracking_follows_the_face_as_frame_by_frame_does() -> None:
    frames = _clip()
    one = FaceAnalyzer(AnalyzerConfig(track_batch=1))
    four = FaceAnalyzer(AnalyzerConfig(track_batch=4))
    calls_one, calls_four = _counted(one), _counted(four)
    seq = list(one.track_stream(frames, pipelined=False))
    bat = list(four.track_stream(frames, pipelined=False))
    assert [r is None for r in bat] == [r is None for r in seq]
    for a, b in zip(seq, bat, strict=True):
        if a is not None and b is not None:
            # The same face read from a crop within 2 % of frame by frame's: the landmarks
            # move by under a pixel or two on this 512-px frame, far less than the motion.
            dev = np.abs(a.landmarks[:, :2] - b.landmarks[:, :2])
            assert float(np.median(dev)) < 1.0 and float(dev.max()) < 4.0
    assert calls_four[0] <= calls_one[0]


def test_a_slowly_moving_face_is_read_several_frames_per_network_call() -> None:
    photo = read_image(data_dir() / "sample_face.jpg")
    frames = [np.roll(photo, (k, 2 * k), axis=(0, 1)) for k in range(16)]
    one = FaceAnalyzer(AnalyzerConfig(track_batch=1))
    four = FaceAnalyzer(AnalyzerConfig(track_batch=4))
    calls_one, calls_four = _counted(one), _counted(four)
    seq = list(one.track_stream(frames, pipelined=False))
    bat = list(four.track_stream(frames, pipelined=False))
    assert all(r is not None for r in seq + bat)
    assert calls_four[0] <= calls_one[0] - 6  # the crops ahead follow the steady motion
    dev = max(
        float(np.abs(a.landmarks - b.landmarks)[:, :2].max()) for a, b in zip(seq, bat, strict=True)
    )
    assert dev < 3.0


def test_a_held_face_is_read_four_frames_per_network_call() -> None:
    still = [_clip()[0]] * 12
    an = FaceAnalyzer(AnalyzerConfig(track_batch=4))
    calls = _counted(an)
    out = list(an.track_stream(still, pipelined=False))
    assert all(r is not None and r.detected_by == "tracking" for r in out[1:])
    # frame 0 is detected (its own call and a refine), then 11 frames in 3 calls
    assert calls[0] <= 6 and calls[1] <= 14


def test_a_jump_starts_a_new_batch_from_the_frame_after_it() -> None:
    """A face that jumps within a batch: the frame after the jump is read again from the crop
    the jumped frame's landmarks define, as frame by frame would read it."""
    base = _clip()[0]
    shifted = np.roll(base, 60, axis=1)
    frames = [base] * 5 + [shifted] * 4
    one = FaceAnalyzer(AnalyzerConfig(track_batch=1))
    four = FaceAnalyzer(AnalyzerConfig(track_batch=4))
    seq = list(one.track_stream(frames, pipelined=False))
    bat = list(four.track_stream(frames, pipelined=False))
    assert all(r is not None for r in seq + bat)
    # frame 6 follows frame 5 (the jumped frame, read from the old crop) from its own crop
    assert bat[6].roi == roi_from_landmarks(bat[5].landmarks)
    assert bat[5].roi != roi_from_landmarks(bat[4].landmarks)  # read ahead in the batch
    assert abs(bat[8].box[0] - seq[8].box[0]) < 2.0


def test_crops_ahead_follow_the_motion_seen() -> None:
    from moodrig.core.face.analyzer import CropMotion, near_crop
    from moodrig.core.face.roi import Roi

    motion = CropMotion()
    assert motion.ahead(Roi(100, 100, 200), 3) == [Roi(100, 100, 200)] * 3  # nothing seen yet
    ahead = motion.ahead(Roi(104, 98, 202, 0.01), 3)
    assert [(r.cx, r.cy, r.size) for r in ahead] == [(104, 98, 202), (108, 96, 204), (112, 94, 206)]
    assert ahead[2].rotation == pytest.approx(0.03)
    assert motion.ahead(Roi(300, 98, 202), 2) == [Roi(300, 98, 202)] * 2  # a jump: no guess
    assert near_crop(Roi(100, 100, 200), Roi(103, 97, 202, 0.015), 0.02)
    assert not near_crop(Roi(100, 100, 200), Roi(105, 100, 200), 0.02)
    assert not near_crop(Roi(100, 100, 200, 0.0), Roi(100, 100, 200, 0.03), 0.02)


def test_picture_change_is_kept_per_slot_for_frames_read_ahead() -> None:
    from moodrig.core.face.timing import NoFrame
    from moodrig.core.face.video import FrameChange

    change = FrameChange(window=4)
    black, white = np.zeros((24, 32, 3), np.uint8), np.full((24, 32, 3), 255, np.uint8)
    for f in (black, white, NoFrame.HOLD, white, NoFrame.GAP, black):
        change.see(f)
    assert [change.at(i) for i in (2, 3, 4, 5)] == [0.0, 0.0, 0.0, 0.0]
    with pytest.raises(IndexError):
        change.at(1)  # older than the window
    change = FrameChange()
    change.see(black)
    change.see(white)
    assert change.at(1) == 255.0 and change.last == 255.0


def test_pipelined_stream_reads_a_batch_on_two_lanes_at_once() -> None:
    import threading

    an = FaceAnalyzer(AnalyzerConfig(track_batch=2, track_lanes=2))
    lanes: set[str] = set()
    real = an.mesh.run_batch

    def run_batch(images, rois):  # type: ignore[no-untyped-def]
        lanes.add(threading.current_thread().name)
        return real(images, rois)

    an.mesh.run_batch = run_batch  # type: ignore[method-assign]
    out = list(an.track_stream([_clip()[0]] * 9, pipelined=True))
    assert all(r is not None for r in out)
    # frame 0 is found on the caller's thread, frames 1-8 in two batches of two calls each
    assert len({name for name in lanes if name.startswith("moodrig-mesh")}) == 2


def test_face_mesh_calls_from_two_threads_at_once_give_the_one_by_one_results() -> None:
    from concurrent.futures import ThreadPoolExecutor

    frames = [f for k, f in enumerate(_clip()) if k not in (4, 5)]
    an = FaceAnalyzer()
    rois = [roi_from_landmarks(an.analyze(f).landmarks) for f in frames]  # type: ignore[union-attr]
    starts = list(range(0, 8, 2)) * 3
    one = [an.mesh.run_batch(frames[k : k + 2], rois[k : k + 2]) for k in starts]
    with ThreadPoolExecutor(2) as pool:
        both = list(
            pool.map(lambda k: an.mesh.run_batch(frames[k : k + 2], rois[k : k + 2]), starts)
        )
    for a, b in zip(one, both, strict=True):
        assert all(np.array_equal(x.landmarks, y.landmarks) for x, y in zip(a, b, strict=True))
