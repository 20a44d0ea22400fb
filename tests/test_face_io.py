"""Image/video input: formats, conversions and a clear InputError for every bad input."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from moodrig.core.errors import InputError
from moodrig.core.face.io import (
    FrameSource,
    ReadLimits,
    as_rgb8,
    decode_image,
    read_image,
    sequence_files,
)


def _gradient(h: int = 40, w: int = 60) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([x * 255 // (w - 1), y * 255 // (h - 1), (x + y) % 256], axis=2).astype(
        np.uint8
    )


def _write(path: Path, bgr_or_gray: np.ndarray) -> Path:
    assert cv2.imwrite(str(path), bgr_or_gray)
    return path


def test_png_jpeg_roundtrip_rgb_order(tmp_path: Path) -> None:
    rgb = _gradient()
    p = _write(tmp_path / "a.png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    out = read_image(p)
    assert out.dtype == np.uint8 and out.shape == (40, 60, 3)
    assert np.array_equal(out, rgb)
    j = _write(tmp_path / "a.jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    assert np.abs(read_image(j).astype(int) - rgb).mean() < 2  # measured 0.69; as BGR: 54


def test_gray_rgba_16bit_tiff_exr(tmp_path: Path) -> None:
    rgb = _gradient()
    gray = rgb[:, :, 0]
    out = read_image(_write(tmp_path / "g.png", gray))
    assert out.shape == (40, 60, 3) and np.array_equal(out[:, :, 1], gray)
    rgba = np.dstack([cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), np.full((40, 60), 7, np.uint8)])
    assert np.array_equal(read_image(_write(tmp_path / "a.png", rgba)), rgb)
    sixteen = rgb.astype(np.uint16) * 257
    assert np.array_equal(
        read_image(_write(tmp_path / "s.png", cv2.cvtColor(sixteen, cv2.COLOR_RGB2BGR))), rgb
    )
    assert np.array_equal(
        read_image(_write(tmp_path / "s.tif", cv2.cvtColor(sixteen, cv2.COLOR_RGB2BGR))), rgb
    )
    lin = np.full((8, 8, 3), 0.2140, np.float32)  # sRGB 0.5 ≈ linear 0.214
    exr = read_image(_write(tmp_path / "l.exr", lin))
    assert abs(int(exr[0, 0, 0]) - 128) <= 1


def test_exif_orientation_is_honoured(tmp_path: Path) -> None:
    pil = pytest.importorskip("PIL.Image")
    rgb = _gradient(30, 50)
    im = pil.fromarray(rgb)
    exif = im.getexif()
    exif[0x0112] = 6  # rotate 90° clockwise for display
    p = tmp_path / "rot.jpg"
    im.save(p, exif=exif.tobytes(), quality=95)
    out = read_image(p)
    assert out.shape == (50, 30, 3)
    expected = np.rot90(rgb, k=-1)
    assert np.abs(out.astype(int) - expected).mean() < 3  # measured 0.85; turned the other way: 97


def _png_header(w: int, h: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    chunk = (
        struct.pack(">I", len(ihdr))
        + b"IHDR"
        + ihdr
        + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    )
    return b"\x89PNG\r\n\x1a\n" + chunk


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("empty.png", b"", "empty"),
        ("text.png", b"hello, I am not a picture" * 4, "not a readable image"),
        (
            "huge.png",
            _png_header(100_000, 100_000) + b"\0" * 64 + b"IEND\xaeB`\x82",
            "more than the limit",
        ),
        ("zero.png", _png_header(0, 10) + b"IEND\xaeB`\x82", "empty image"),
    ],
)
def test_bad_images_raise_input_error_naming_the_file(
    tmp_path: Path, name: str, content: bytes, needle: str
) -> None:
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(InputError) as ei:
        read_image(p)
    assert str(p) in str(ei.value) and needle in str(ei.value)


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_truncated_files(tmp_path: Path, suffix: str) -> None:
    full = _write(tmp_path / f"full{suffix}", _gradient(64, 64))
    data = full.read_bytes()
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated"):
        read_image(cut)


def test_missing_folder_and_limits(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        read_image(tmp_path / "nope.png")
    with pytest.raises(InputError, match="not a file"):
        read_image(tmp_path)
    p = _write(tmp_path / "a.png", _gradient())
    with pytest.raises(InputError, match="limit"):
        read_image(p, limits=ReadLimits(max_pixels=100))
    with pytest.raises(InputError, match="limit"):
        decode_image(p.read_bytes(), limits=ReadLimits(max_bytes=10))


def test_array_input_validation() -> None:
    assert as_rgb8(np.zeros((4, 5), np.uint8)).shape == (4, 5, 3)
    assert as_rgb8(np.ones((4, 5, 4), np.float32)).max() == 255
    with pytest.raises(InputError):
        as_rgb8(np.zeros((4, 5, 2), np.uint8))
    with pytest.raises(InputError):
        as_rgb8(np.full((4, 5, 3), 2.0, np.float32))
    with pytest.raises(InputError):
        as_rgb8(np.zeros((4, 5, 3), np.int32))


def test_sequences_folder_and_pattern(tmp_path: Path) -> None:
    for i in (10, 2, 1):
        _write(tmp_path / f"f_{i:03d}.png", np.full((6, 7, 3), i, np.uint8))
    (tmp_path / "notes.txt").write_text("x")
    files = sequence_files(tmp_path)
    assert [f.name for f in files] == ["f_001.png", "f_002.png", "f_010.png"]
    assert [f.name for f in sequence_files(tmp_path / "f_%03d.png")] == [
        "f_001.png",
        "f_002.png",
        "f_010.png",
    ]
    src = FrameSource(tmp_path / "f_%03d.png", default_fps=12)
    frames = list(src)
    assert (
        src.info.kind == "sequence"
        and src.info.fps == 12
        and [int(f[0, 0, 0]) for f in frames] == [1, 2, 10]
    )
    with pytest.raises(InputError, match="no file matches"):
        sequence_files(tmp_path / "g_%03d.png")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no image files"):
        FrameSource(empty)


def test_video_read_and_bad_videos(tmp_path: Path) -> None:
    p = tmp_path / "v.avi"
    vw = cv2.VideoWriter(str(p), cv2.VideoWriter_fourcc(*"MJPG"), 24, (64, 48))
    for i in range(5):
        vw.write(np.full((48, 64, 3), 40 * i, np.uint8))
    vw.release()
    src = FrameSource(p)
    frames = list(src)
    assert src.info.kind == "video" and abs(src.info.fps - 24) < 1e-6
    assert len(frames) == 5 and frames[0].shape == (48, 64, 3) and frames[0].dtype == np.uint8
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\0\1\2\3" * 1000)
    with pytest.raises(InputError) as ei:
        list(FrameSource(junk))
    assert "junk.mp4" in str(ei.value)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        FrameSource(empty)
    odd = tmp_path / "model.obj"
    odd.write_text("v 0 0 0")
    with pytest.raises(InputError, match="unknown file type"):
        FrameSource(odd)
