"""Reading real-world video: damaged stretches, variable frame rate, oversized frames.

Videos are made here, without ffmpeg (tests/data/bad/media.py): MJPEG AVIs frame by frame
(any frame replaced by garbage), OpenCV's MP4s with their sample durations rewritten, and
containers whose headers declare 16000×16000 frames. Frame content encodes the frame index
(gray level), so what was read, and when it is shown, can be checked exactly.
"""

from __future__ import annotations

import itertools
import json
import struct
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "data" / "bad"))

import media  # noqa: E402
from peak_rss import outcomes_in_child  # noqa: E402

from moodrig.core.errors import InputError  # noqa: E402
from moodrig.core.face.io import FrameSource, ReadLimits  # noqa: E402
from moodrig.core.face.timing import NoFrame, on_grid  # noqa: E402

BITS = 6
"""Frames carry their index as 6 black/white stripes (robust to lossy compression)."""


def _gray(i: int, size: tuple[int, int] = (160, 120)) -> np.ndarray:
    w, h = size
    f = np.zeros((h, w, 3), np.uint8)
    for b in range(BITS):
        if i >> b & 1:
            f[:, b * w // BITS : (b + 1) * w // BITS] = 255
    return f


def _index(frame: np.ndarray) -> int:
    w = frame.shape[1]
    return sum(
        1 << b
        for b in range(BITS)
        if frame[:, b * w // BITS + 4 : (b + 1) * w // BITS - 4].mean() > 128
    )


def _avi(path: Path, n: int, damaged: set[int], fps: float = 25.0) -> Path:
    jpegs = [media.garbage(800, i) if i in damaged else media.jpeg(_gray(i)) for i in range(n)]
    path.write_bytes(media.mjpeg_avi(jpegs, fps, 160, 120))
    return path


def _read(path: Path, **kw: object) -> tuple[list[tuple[float, int, bool]], FrameSource]:
    src = FrameSource(path, **kw)  # type: ignore[arg-type]
    return [(round(tf.t, 4), _index(tf.frame), tf.after_gap) for tf in src.timed()], src


def test_a_damaged_stretch_is_skipped_and_reading_goes_on(tmp_path: Path) -> None:
    got, src = _read(_avi(tmp_path / "damaged.avi", 30, {12, 13, 14}))
    assert [i for _, i, _ in got] == [i for i in range(30) if i not in (12, 13, 14)]
    assert all(t == round(i / 25.0, 4) for t, i, _ in got), "each frame keeps its own time"
    assert [i for _, i, gap in got if gap] == [15]
    st = src.stats
    assert (st.read, st.skipped, st.missing, st.declared, st.finished) == (27, 3, 0, 30, True)
    assert st.summary() == "27 frames read, 3 skipped (undecodable), 0 missing of 30 indexed"
    slots = list(on_grid(FrameSource(tmp_path / "damaged.avi").timed(), 25.0, 1000))
    assert len(slots) == 30
    assert [k for k, s in enumerate(slots) if s is NoFrame.GAP] == [12, 13, 14]
    assert all(_index(s) == k for k, s in enumerate(slots) if not isinstance(s, NoFrame))


def test_damage_at_the_end_is_skipped_and_a_cut_off_end_is_missing(tmp_path: Path) -> None:
    got, src = _read(_avi(tmp_path / "tail.avi", 30, {27, 28, 29}))
    assert [i for _, i, _ in got] == list(range(27))
    assert (src.stats.read, src.stats.skipped, src.stats.missing) == (27, 0, 3)
    whole = _avi(tmp_path / "whole.avi", 30, set()).read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(
        whole[: whole.index(media.jpeg(_gray(20)))]
    )  # the index and frames 20-29 are gone
    got, src = _read(cut, limits=ReadLimits(max_bad_fraction=0.5))
    assert [i for _, i, _ in got] == list(range(20))
    assert (src.stats.read, src.stats.skipped, src.stats.missing, src.stats.declared) == (
        20,
        0,
        10,
        30,
    )
    with pytest.raises(
        InputError, match=r"10 of 30 video frames cannot be decoded \(0 damaged, 10 missing\)"
    ):
        _read(cut)


def test_too_much_damage_refuses_the_video_and_the_fraction_is_configurable(tmp_path: Path) -> None:
    path = _avi(tmp_path / "ruined.avi", 30, set(range(5, 15)))
    with pytest.raises(
        InputError,
        match=r"at least 10 of 30 video frames cannot be decoded .* more than the 20% allowed",
    ) as info:
        _read(path)
    assert str(info.value).startswith(str(path)) and "\n" not in str(info.value)
    got, src = _read(path, limits=ReadLimits(max_bad_fraction=0.5))
    assert len(got) == 20 and src.stats.skipped == 10


@pytest.mark.parametrize(
    ("fourcc", "suffix"), [("mp4v", ".mp4"), ("MJPG", ".avi"), ("MJPG", ".mp4")]
)
def test_random_bytes_mid_file_no_longer_end_the_video(
    tmp_path: Path, fourcc: str, suffix: str
) -> None:
    """95 frames with 20 kB of random bytes at 45% of the file: OpenCV's reader stops at the
    first undecodable frame (44 of 95 for MJPEG in MP4); every frame after the damage must be
    read, and the damage counted."""
    clean = tmp_path / f"clean{suffix}"
    wr = cv2.VideoWriter(str(clean), cv2.VideoWriter_fourcc(*fourcc), 25, (320, 240))
    for i in range(95):
        f = np.full((240, 320, 3), (i * 2) % 256, np.uint8)
        cv2.putText(f, str(i), (50, 120), 0, 3, (255, 255, 255), 5)
        wr.write(f)
    wr.release()
    data = bytearray(clean.read_bytes())
    at = int(len(data) * 0.45)
    data[at : at + 20000] = (
        np.random.default_rng(3).integers(0, 256, 20000, dtype=np.uint8).tobytes()
    )
    bad = tmp_path / f"bad{suffix}"
    bad.write_bytes(bytes(data))
    src = FrameSource(bad, limits=ReadLimits(max_bad_fraction=0.5))
    times = [tf.t for tf in src.timed()]
    st = src.stats
    assert st.finished and st.declared == 95 and st.read + st.bad() == 95
    assert 85 <= st.read < 95, st.summary()
    assert abs(times[-1] - 94 / 25) < 1e-6, "read to the last frame"
    assert all(b > a for a, b in itertools.pairwise(times))


def _vfr_mp4(path: Path, n: int, durations_ms: list[int], frame: object = _gray) -> Path:
    total = sum(durations_ms) / 1000
    wr = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), n / total, (160, 120))
    for i in range(n):
        wr.write(frame(i))  # type: ignore[operator]
    wr.release()
    media.retime_mp4(path, durations_ms)
    return path


def test_variable_frame_rate_frames_keep_their_timestamps_on_the_grid(tmp_path: Path) -> None:
    """40 frames of 10 ms, then 21 of 100 ms: frame 56 is shown from 2.00 s. Counting frames
    at the average rate (24.4 fps) would put it at 2.30 s."""
    durations = [10] * 40 + [100] * 21
    path = _vfr_mp4(tmp_path / "vfr.mp4", 61, durations)
    got, src = _read(path)
    starts = np.cumsum([0, *durations[:-1]]) / 1000
    assert [i for _, i, _ in got] == list(range(61))
    assert np.allclose([t for t, _, _ in got], starts, atol=1e-3)
    fps = src.info.fps
    slots = list(on_grid(FrameSource(path).timed(), fps, 10_000))
    first = next(k for k, s in enumerate(slots) if not isinstance(s, NoFrame) and _index(s) == 56)
    assert abs(first / fps - 2.0) <= 0.5 / fps, (first, fps)
    assert 56 / fps - 2.0 > 0.25  # what frame counting would have said
    shown = [_index(s) for s in slots if not isinstance(s, NoFrame)]
    assert shown == sorted(shown) and shown[-1] == 60
    assert all(s is not NoFrame.GAP for s in slots), (
        "a slow stretch holds its picture, it is not a gap"
    )


READ_VIDEO = """
from moodrig.core.errors import InputError
from moodrig.core.face.io import FrameSource
def load(path):
    for _ in FrameSource(path):
        pass
"""


def test_oversized_frames_are_refused_from_the_header_before_decoding(tmp_path: Path) -> None:
    """16000×16000 frames: an honest MJPEG AVI (the decoder would allocate 1 GB), an AVI whose
    headers say 64×64 around 16000² JPEGs, and MP4/Matroska headers that claim the size."""
    j = media.big_gray_jpeg(16000)
    (tmp_path / "honest.avi").write_bytes(media.mjpeg_avi([j, j], 25, 16000, 16000))
    (tmp_path / "small_header.avi").write_bytes(media.mjpeg_avi([j, j], 25, 64, 64))
    mp4 = tmp_path / "claims.mp4"
    wr = cv2.VideoWriter(str(mp4), cv2.VideoWriter_fourcc(*"mp4v"), 25, (160, 120))
    for i in range(3):
        wr.write(_gray(i))
    wr.release()
    media.claim_mp4_size(mp4, 16000, 16000)
    mkv = tmp_path / "claims.mkv"
    wr = cv2.VideoWriter(str(mkv), cv2.VideoWriter_fourcc(*"MJPG"), 25, (320, 256))
    for i in range(3):
        wr.write(_gray(i, (320, 256)))
    wr.release()
    media.claim_mkv_size(mkv, 16000, 16000)
    paths = [
        str(tmp_path / n) for n in ("honest.avi", "small_header.avi", "claims.mp4", "claims.mkv")
    ]
    r = outcomes_in_child(READ_VIDEO, "InputError", paths)
    for p in paths:
        expected = (
            f"{p}: the container header says video frames are 16000x16000 = 256000000 "
            "pixels, more than the limit of 64000000"
        )
        assert r[p][0] == expected, r[p]
    assert r["growth_mb"] < 64, r


def test_the_face_cli_reports_read_skipped_and_missing(tmp_path: Path, repo_root: Path) -> None:
    from make_corpus import face_frame

    jpegs = [media.garbage(900, i) if i in (2, 3) else media.jpeg(face_frame(i)) for i in range(10)]
    video = tmp_path / "damaged.avi"
    video.write_bytes(media.mjpeg_avi(jpegs, 25.0, 640, 480))
    out = tmp_path / "out.json"
    proc = subprocess.run(
        [sys.executable, "-m", "moodrig.core.face", "analyze", str(video), "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=repo_root,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (
        f"{video}: 8 frames read, 2 skipped (undecodable), 0 missing of 10 indexed"
        in proc.stderr.splitlines()
    )
    doc = json.loads(out.read_text())
    assert {k: doc["reading"][k] for k in ("read", "skipped", "missing", "declared")} == {
        "read": 8,
        "skipped": 2,
        "missing": 0,
        "declared": 10,
    }
    valid = [f["valid"] for f in doc["frames"]]
    assert valid == [True, True, False, False, True, True, True, True, True, True], (
        "no face where frames were skipped"
    )


@pytest.mark.shared
def test_a_smile_at_two_seconds_of_a_variable_rate_video_is_at_two_seconds(
    shared_data: Path, tmp_path: Path
) -> None:
    """A neutral face, smiling from 2.00 s, in a video whose first 0.4 s run at 100 fps and
    the rest at 10 fps. The track's first smiling frame is at 2.00 s (within one frame)."""
    from moodrig.core.expression import INDEX
    from moodrig.core.face import analyze_video
    from moodrig.core.face.io import read_image

    faces = [
        read_image(shared_data / "london_faces_dev" / "images" / f"003_0{k}.jpg") for k in (3, 8)
    ]
    faces = [
        np.ascontiguousarray(cv2.resize(f, (480, 480), interpolation=cv2.INTER_AREA)[:, :, ::-1])
        for f in faces
    ]

    def frame(i: int) -> np.ndarray:
        canvas = np.full((480, 640, 3), 90, np.uint8)
        canvas[:, 80:560] = faces[1 if i >= 56 else 0]
        return canvas

    durations = [10] * 40 + [100] * 21
    path = tmp_path / "vfr_smile.mp4"
    wr = cv2.VideoWriter(
        str(path), cv2.VideoWriter_fourcc(*"mp4v"), 61 / (sum(durations) / 1000), (640, 480)
    )
    for i in range(61):
        wr.write(frame(i))
    wr.release()
    media.retime_mp4(path, durations)
    track = analyze_video(path)
    smile = track.expressions[:, INDEX["smile"]]
    neutral, smiling = float(np.median(smile[: len(smile) // 2])), float(smile[-1])
    assert smiling - neutral > 0.15, (neutral, smiling)
    first = int(np.argmax(smile > (neutral + smiling) / 2))  # the onset: halfway up
    assert abs(first / track.fps - 2.0) <= 1.5 / track.fps, (first, track.fps)


def test_an_avi_header_frame_count_is_checked_against_its_index(tmp_path: Path) -> None:
    """Headers claiming 4,294,967,280 frames around an index of 30: the index is what counts,
    so nothing is reported missing (and the video is not refused as damaged)."""
    data = bytearray(_avi(tmp_path / "x.avi", 30, set()).read_bytes())
    for chunk, at in ((b"avih", 16), (b"strh", 32)):
        struct.pack_into("<I", data, data.index(chunk) + 8 + at, 0xFFFFFFF0)
    lying = tmp_path / "lying.avi"
    lying.write_bytes(bytes(data))
    assert (
        int(cv2.VideoCapture(str(lying), cv2.CAP_FFMPEG).get(cv2.CAP_PROP_FRAME_COUNT))
        == 0xFFFFFFF0
    )
    got, src = _read(lying)
    assert len(got) == 30 and (src.stats.declared, src.stats.missing) == (30, 0)
