"""Phone videos: the container's display matrix turns frames upright (OpenCV here ignores it),
and the reader of that matrix stays bounded on hostile files."""

from __future__ import annotations

import struct
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from moodrig.core.face import container
from moodrig.core.face.container import display_rotation
from moodrig.core.face.io import FrameSource

ONE, NEG = 0x00010000, -0x00010000
MATRICES = {0: (ONE, 0, 0, ONE), 90: (0, ONE, NEG, 0), 180: (NEG, 0, 0, NEG), 270: (0, NEG, ONE, 0)}


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def _tkhd(rotation: int, version: int = 0) -> bytes:
    a, b, c, d = MATRICES[rotation]
    times = bytes(32 if version == 1 else 20)
    matrix = struct.pack(">9i", a, b, 0, c, d, 0, 0, 0, 0x40000000)
    return _box(
        b"tkhd",
        bytes([version, 0, 0, 3])
        + times
        + bytes(16)
        + matrix
        + struct.pack(">II", 64 << 16, 48 << 16),
    )


def _trak(rotation: int, handler: bytes = b"vide", version: int = 0) -> bytes:
    hdlr = _box(b"hdlr", bytes(4) + bytes(4) + handler + bytes(12) + b"\0")
    return _box(b"trak", _tkhd(rotation, version) + _box(b"mdia", hdlr))


def _mp4(*traks: bytes, mdat: int = 1000) -> bytes:
    return (
        _box(b"ftyp", b"isom\0\0\0\0isom")
        + _box(b"mdat", bytes(mdat))
        + _box(b"moov", b"".join(traks))
    )


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
@pytest.mark.parametrize("version", [0, 1])
def test_display_rotation_from_the_video_tracks_matrix(
    tmp_path: Path, rotation: int, version: int
) -> None:
    p = tmp_path / "clip.mp4"
    p.write_bytes(
        _mp4(_trak(90, b"soun"), _trak(rotation, version=version))
    )  # the audio track is not the video's
    assert display_rotation(p) == rotation


def test_large_box_sizes_and_damaged_or_foreign_files_read_as_upright(tmp_path: Path) -> None:
    p = tmp_path / "big.mov"
    big_mdat = struct.pack(">I4sQ", 1, b"mdat", 16 + 100) + bytes(100)  # 64-bit box size
    p.write_bytes(_box(b"ftyp", b"qt  ") + big_mdat + _box(b"moov", _trak(270)))
    assert display_rotation(p) == 270
    for name, data in {
        "junk.mp4": b"\1\2\3" * 50,
        "short.mp4": b"\0\0",
        "empty.mp4": b"",
        "cut.mp4": _mp4(_trak(90))[:-30],
        "nomoov.mp4": _box(b"ftyp", b"isom"),
    }.items():
        (tmp_path / name).write_bytes(data)
        assert display_rotation(tmp_path / name) == 0, name
    skew = _mp4(_trak(0)).replace(
        struct.pack(">i", ONE), struct.pack(">i", 0x0000B505), 1
    )  # 45° shear
    (tmp_path / "skew.mp4").write_bytes(skew)
    assert display_rotation(tmp_path / "skew.mp4") == 0
    (tmp_path / "clip.avi").write_bytes(_mp4(_trak(90)))
    assert display_rotation(tmp_path / "clip.avi") == 0  # not an ISO BMFF container


def test_hostile_containers_cost_neither_time_nor_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiny = tmp_path / "tiny_boxes.mp4"
    tiny.write_bytes(
        _box(b"free", b"") * 300_000 + _box(b"moov", _trak(90))
    )  # 2.4 MB of empty boxes
    t0 = time.perf_counter()
    assert display_rotation(tiny) == 0  # gave up after MAX_TOP_LEVEL_BOXES
    assert time.perf_counter() - t0 < 5.0
    huge = tmp_path / "huge_moov.mp4"
    huge.write_bytes(_box(b"ftyp", b"isom") + struct.pack(">I4s", 0xFFFFFFF0, b"moov") + _trak(90))
    monkeypatch.setattr(container, "MAX_MOOV_BYTES", 1024)
    assert display_rotation(huge) == 0  # declared 4 GB moov is never read


def _rotated_clip(path: Path, rotation: int) -> np.ndarray:
    """An upright 64×48 pattern stored as a phone would: turned against ``rotation``."""
    upright = np.zeros((48, 64, 3), np.uint8)
    upright[:24, :32] = (255, 0, 0)  # red top-left quadrant
    upright[24:, 32:] = (0, 0, 255)  # blue bottom-right quadrant
    coded = np.ascontiguousarray(np.rot90(upright, rotation // 90))
    h, w = coded.shape[:2]
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25, (w, h))
    for _ in range(3):
        vw.write(cv2.cvtColor(coded, cv2.COLOR_RGB2BGR))
    vw.release()
    data = bytearray(path.read_bytes())
    off = data.index(b"tkhd") - 4
    a, b, c, d = MATRICES[rotation]
    struct.pack_into(">9i", data, off + 48, a, b, 0, c, d, 0, 0, 0, 0x40000000)
    path.write_bytes(bytes(data))
    return upright


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_frames_of_a_rotated_video_come_out_upright(tmp_path: Path, rotation: int) -> None:
    p = tmp_path / f"phone_{rotation}.mp4"
    upright = _rotated_clip(p, rotation)
    for reuse in (False, True):
        src = FrameSource(p, reuse_buffers=reuse)
        assert src.info.rotation == rotation
        frames = [f.copy() for f in src]
        assert len(frames) == 3
        for f in frames:
            assert f.shape == upright.shape
            assert np.abs(f.astype(int) - upright).mean() < 8, "frame is not upright"


def test_reused_buffers_are_the_same_arrays_frame_after_frame(tmp_path: Path) -> None:
    for rotation in (0, 90):
        p = tmp_path / f"r{rotation}.mp4"
        _rotated_clip(p, rotation)
        reused = list(FrameSource(p, reuse_buffers=True))
        assert len(reused) == 3 and all(f is reused[0] for f in reused)
        fresh = list(FrameSource(p))
        assert len({id(f) for f in fresh}) == 3  # the default yields frames a caller may keep
