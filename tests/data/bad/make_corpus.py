"""The bad-input corpus: generated, never committed (``generated/`` is gitignored).

    python tests/data/bad/make_corpus.py           # (re)generate tests/data/bad/generated/
    python tests/data/bad/make_corpus.py --check   # run every input through analysis, JSON lines
    python tests/data/bad/make_corpus.py --report  # classes and outcomes → docs/security.md

Every case names its class, how it is made, and what analysis must do with it: ``error``
(an :class:`InputError` whose message contains a phrase), ``face`` (a track with a face in
every frame), ``gaps`` (a track whose missing frames are reported as ranges), or ``defined``
(either a track or an InputError — e.g. a corrupt JPEG whose damaged rows still decode).
The check runs each input through ``analyze_video`` — the call the bake makes — in one
process, timing it and recording the peak RSS, so hangs and memory blow-ups are measured.

Two further corpora sit beside this one: ``weights_corpus.py`` (inflated architectures and
impossible sizes, run by tests/test_reliability_weights.py) and ``output_corpus.py``
(unwritable and occupied output paths of every command line, run by
tests/test_reliability_outputs.py).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import struct
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "generated"
REPO = HERE.parent.parent.parent
SAMPLE_FACE = REPO / "core" / "data" / "sample_face.jpg"
TIME_BOUND_S = 60.0
"""Per input, on a loaded 2-core CI machine (a face frame takes ~0.1–0.6 s there)."""
MAX_VIDEO_FRAMES = 8
"""Videos in the corpus are short; analysis is asked for at most this many frames."""

os.environ.setdefault("OPENCV_IO_ENABLE_OPENEXR", "1")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from numpy.typing import NDArray  # noqa: E402

sys.path.insert(0, str(HERE))
import media  # noqa: E402


@dataclass(frozen=True)
class Case:
    name: str
    """File name under generated/."""
    cls: str
    """Class of bad input (one row of the report table)."""
    make: Callable[[Path], None]
    expect: str
    """'error', 'face', 'gaps' or 'defined'."""
    phrase: str = ""
    """For 'error': text the InputError message must contain; for 'gaps': the missing ranges."""
    reading: str = ""
    """For a track: text the reading counts must contain ("8 frames read, 2 skipped")."""
    max_frames: int | None = MAX_VIDEO_FRAMES
    """Frames analysed (None: all of them, for short damaged videos read to their end)."""


# --------------------------------------------------------------------------- pictures


def face_rgb() -> NDArray[np.uint8]:
    bgr = cv2.imread(str(SAMPLE_FACE), cv2.IMREAD_COLOR)
    if bgr is None:
        raise SystemExit(f"cannot read {SAMPLE_FACE}")
    return np.ascontiguousarray(bgr[:, :, ::-1])


def face_frame(i: int, size: tuple[int, int] = (640, 480), face_px: int = 300) -> NDArray[np.uint8]:
    """The sample face on a grey 640×480 canvas, drifting on a slow Lissajous path (RGB)."""
    w, h = size
    face = cv2.resize(face_rgb(), (face_px, face_px), interpolation=cv2.INTER_AREA)
    canvas = np.full((h, w, 3), 96, np.uint8)
    x = int((w - face_px) / 2 + (w - face_px) / 2 * 0.8 * np.sin(i / 37.0))
    y = int((h - face_px) / 2 + (h - face_px) / 2 * 0.8 * np.sin(i / 53.0))
    canvas[y : y + face_px, x : x + face_px] = face
    return canvas


def _bgr(rgb: NDArray[np.generic]) -> NDArray[np.generic]:
    return np.ascontiguousarray(rgb[:, :, ::-1])


def write_cv(path: Path, rgb: NDArray[np.generic], params: list[int] | None = None) -> None:
    if not cv2.imwrite(str(path), _bgr(rgb) if rgb.ndim == 3 else rgb, params or []):
        raise RuntimeError(f"cv2 could not write {path}")


def png_bytes(rgb: NDArray[np.uint8]) -> bytes:
    ok, buf = cv2.imencode(".png", _bgr(rgb))
    assert ok
    return buf.tobytes()


def jpeg_bytes(rgb: NDArray[np.uint8]) -> bytes:
    ok, buf = cv2.imencode(".jpg", _bgr(rgb), [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return buf.tobytes()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_bomb(path: Path, side: int = 50_000) -> None:
    """A real decompression bomb: a side×side RGB PNG of zeros (7.5 GB of pixels for 50,000²)
    in a few MB. Built from one repeated full-flushed deflate block (identical bytes every
    time), so nothing the size of the image is ever allocated or compressed here."""
    row = 1 + side * 3
    rows_per_chunk = max(1, 4_000_000 // row)
    n_chunks, tail_rows = divmod(side, rows_per_chunk)
    comp = zlib.compressobj(9)
    chunk = bytes(row * rows_per_chunk)
    head = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    repeat = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    again = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    assert repeat == again, "full-flushed blocks of identical data must be identical"
    body = [head] + [repeat] * (n_chunks - 1)
    if tail_rows:
        body.append(comp.compress(bytes(row * tail_rows)))
    body.append(comp.flush(zlib.Z_FINISH)[:-4])  # drop the adler32 computed over the prefix only
    total = row * side
    adler = ((total % 65521) << 16) | 1  # adler32 of `total` zero bytes: A = 1, B = total mod 65521
    idat = b"".join(body) + struct.pack(">I", adler)
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    with path.open("wb") as fh:
        fh.write(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr))
        for i in range(0, len(idat), 1 << 20):
            fh.write(_chunk(b"IDAT", idat[i : i + (1 << 20)]))
        fh.write(_chunk(b"IEND", b""))


def png_header_only_bomb(path: Path, w: int, h: int) -> None:
    """Header claims w×h; the data is a tiny valid zlib stream (a 'lying' bomb)."""
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(bytes(4096)))
        + _chunk(b"IEND", b"")
    )


def jpeg_bomb(path: Path, side: int = 65_000) -> None:
    """A JPEG whose frame header declares side×side: patch the SOF0 of a small real JPEG."""
    data = bytearray(jpeg_bytes(face_rgb()[:64, :64]))
    i = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, i + 5, side, side)
    path.write_bytes(bytes(data))


def tiff_bomb(path: Path, side: int = 16_000) -> None:
    """256 MP of zeros, deflate-compressed to under 1 MB. TIFF (like EXR and WebP) has no
    header check in the reader: only OpenCV's own 2^28-pixel cap stands before the decode."""
    zeros = np.zeros((side, side), np.uint8)
    if not cv2.imwrite(str(path), zeros, [cv2.IMWRITE_TIFF_COMPRESSION, 8]):
        raise RuntimeError("cv2 could not write the TIFF bomb")


def exr(path: Path, half: bool, poison: bool = False) -> None:
    lin = (face_rgb().astype(np.float32) / 255.0) ** 2.2
    if poison:
        lin[:40] = np.nan
        lin[40:80] = np.inf
        lin[80:120] = -5.0
    flag = cv2.IMWRITE_EXR_TYPE_HALF if half else cv2.IMWRITE_EXR_TYPE_FLOAT
    write_cv(path, lin, [cv2.IMWRITE_EXR_TYPE, flag])


def cmyk_jpeg(path: Path) -> None:
    from PIL import Image

    Image.fromarray(face_rgb()).convert("CMYK").save(path, "JPEG", quality=90)


def several_faces(path: Path) -> None:
    f = cv2.resize(face_rgb(), (300, 300), interpolation=cv2.INTER_AREA)
    canvas = np.full((400, 1000, 3), 80, np.uint8)
    canvas[50:350, 20:320] = f
    canvas[80:330, 370:620] = cv2.resize(f, (250, 250))
    canvas[100:300, 700:900] = cv2.resize(f, (200, 200))
    write_cv(path, canvas)


def face_at_border(path: Path) -> None:
    f = cv2.resize(face_rgb(), (360, 360), interpolation=cv2.INTER_AREA)
    canvas = np.full((480, 640, 3), 90, np.uint8)
    canvas[60:420, 0:250] = f[:, 110:]  # the left third of the face lies outside the frame
    write_cv(path, canvas)


def extreme_yaw(path: Path) -> None:
    """Synthetic ~70° yaw: the face squeezed and perspective-warped about a vertical axis (a
    real profile photo is not in the repo; this is what a strongly turned face projects to)."""
    f = face_rgb()
    h, w = f.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32(
        [[w * 0.40, h * 0.02], [w * 0.62, h * 0.18], [w * 0.62, h * 0.82], [w * 0.40, h * 0.98]]
    )
    out = cv2.warpPerspective(
        f, cv2.getPerspectiveTransform(src, dst), (w, h), borderValue=(90, 90, 90)
    )
    write_cv(path, out)


def no_face(path: Path) -> None:
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:480, 0:640]
    img = np.stack([xx % 256, yy % 256, (xx + yy) % 256], -1).astype(np.uint8)
    img = cv2.GaussianBlur(img, (0, 0), 3) // 2 + rng.integers(0, 64, img.shape, dtype=np.uint8)
    write_cv(path, img)


def truncate(data: bytes, fraction: float) -> bytes:
    return data[: int(len(data) * fraction)]


def corrupt_middle(data: bytes, seed: int, start: float = 0.3, length: int = 2000) -> bytes:
    b = bytearray(data)
    rng = np.random.default_rng(seed)
    i = int(len(b) * start)
    b[i : i + length] = rng.integers(0, 256, min(length, len(b) - i), dtype=np.uint8).tobytes()
    return bytes(b)


# --------------------------------------------------------------------------- videos


def write_video(path: Path, frames: list[NDArray[np.uint8]], fps: float = 25.0) -> None:
    h, w = frames[0].shape[:2] if frames else (480, 640)
    wr = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    if not wr.isOpened():
        raise RuntimeError("OpenCV cannot write mp4v here")
    for f in frames:
        wr.write(_bgr(f))
    wr.release()


def rotate_mp4(path: Path, degrees: int = 90) -> None:
    """Set the track header's display matrix (what phones write for portrait video)."""
    data = bytearray(path.read_bytes())
    off, _ = media.find_box(data, [b"moov", b"trak", b"tkhd"])[-1]
    assert data[off + 8] == 0, "tkhd version 0 expected"
    one, neg = 0x00010000, 0xFFFF0000
    m = {90: (0, one, 0, neg, 0, 0), 180: (neg, 0, 0, neg, 0, 0), 270: (0, neg, 0, one, 0, 0)}[
        degrees
    ]
    struct.pack_into(">9I", data, off + 48, m[0], m[1], 0, m[2], m[3], 0, m[4], m[5], 0x40000000)
    path.write_bytes(bytes(data))


def rotated_video(path: Path, degrees: int, n: int = 4) -> None:
    """What a phone records: upright frames turned counter-clockwise by ``degrees``, with the
    display matrix saying "turn clockwise by ``degrees`` to show"."""
    write_video(path, [np.ascontiguousarray(np.rot90(f, degrees // 90)) for f in video_frames(n)])
    rotate_mp4(path, degrees)


def vfr_mp4(path: Path) -> None:
    """Variable frame rate: rewrite the sample durations (stts) so the first half of the frames
    last half as long and the second half 1.5× as long (same total duration). The moov box
    follows mdat in OpenCV's files, so growing it moves no sample data."""
    data = bytearray(path.read_bytes())
    chain = media.find_box(data, [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stts"])
    mdat = next(b for b in media.boxes(data, 0, len(data)) if b[2] == b"mdat")
    assert mdat[0] < chain[0][0], "moov must follow mdat"
    off, size = chain[-1]
    count, delta = struct.unpack(">II", data[off + 16 : off + 24])
    entries = struct.unpack(">I", data[off + 12 : off + 16])[0]
    assert entries == 1 and count >= 2 and delta % 2 == 0
    a = count // 2
    new_entries = [(a, delta // 2), (count - a, delta + delta // 2)]
    body = (
        struct.pack(">I", 0)
        + struct.pack(">I", len(new_entries))
        + b"".join(struct.pack(">II", c, d) for c, d in new_entries)
    )
    new = struct.pack(">I4s", 8 + len(body), b"stts") + body
    grow = len(new) - size
    data[off : off + size] = new
    for o, s in chain[:-1]:
        struct.pack_into(">I", data, o, s + grow)
    path.write_bytes(bytes(data))


def video_frames(n: int, blank: range | None = None) -> list[NDArray[np.uint8]]:
    frames = []
    for i in range(n):
        if blank is not None and i in blank:
            frames.append(np.full((480, 640, 3), 96, np.uint8))
        else:
            frames.append(face_frame(i))
    return frames


def _video_bytes(tmp: Path, frames: list[NDArray[np.uint8]]) -> bytes:
    write_video(tmp, frames)
    data = tmp.read_bytes()
    tmp.unlink()
    return data


# ------------------------------------------------------- damaged, timed and oversized videos


def damaged_avi(n: int, damaged: set[int], cut_after: int | None = None) -> Callable[[Path], None]:
    """An MJPEG AVI of ``n`` face frames; frames in ``damaged`` (0-based) are garbage; with
    ``cut_after`` the file ends before that frame (its index and later frames lost)."""

    def make(path: Path) -> None:
        jpegs = [media.jpeg(face_frame(i)) for i in range(n)]
        jpegs = [media.garbage(900, i) if i in damaged else j for i, j in enumerate(jpegs)]
        data = media.mjpeg_avi(jpegs, 25.0, 640, 480)
        if cut_after is not None:
            data = data[: data.index(jpegs[cut_after])]
        path.write_bytes(data)

    return make


def damaged_mp4(path: Path, n: int = 14) -> None:
    """mp4v face clip with 3 kB of random bytes in the middle of its frame data."""
    write_video(path, video_frames(n))
    data = bytearray(path.read_bytes())
    mdat = next(b for b in media.boxes(data, 0, len(data)) if b[2] == b"mdat")
    at = mdat[0] + mdat[1] // 2
    data[at : at + 3000] = np.random.default_rng(9).integers(0, 256, 3000, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))


def retimed_video(path: Path, durations_ms: list[int]) -> None:
    """Face frames with the given durations (variable frame rate)."""
    n = len(durations_ms)
    write_video(path, video_frames(n), fps=n / (sum(durations_ms) / 1000))
    media.retime_mp4(path, durations_ms)


def huge_avi(header_side: int) -> Callable[[Path], None]:
    """Two real 16000×16000 gray JPEG frames in an AVI whose headers say header_side²."""

    def make(path: Path) -> None:
        j = media.big_gray_jpeg(16_000)
        path.write_bytes(media.mjpeg_avi([j, j], 25.0, header_side, header_side))

    return make


def claimed_mp4(path: Path) -> None:
    write_video(path, video_frames(2))
    media.claim_mp4_size(path, 16_000, 16_000)


def claimed_mkv(path: Path) -> None:
    wr = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, (320, 256))
    for f in video_frames(2):
        wr.write(_bgr(cv2.resize(f, (320, 256))))
    wr.release()
    media.claim_mkv_size(path, 16_000, 16_000)


# --------------------------------------------------------------------------- the corpus


def _w(data: Callable[[], bytes]) -> Callable[[Path], None]:
    return lambda p: p.write_bytes(data())


def _face_png() -> bytes:
    return png_bytes(face_rgb())


def _face_jpg() -> bytes:
    return jpeg_bytes(face_rgb())


def _clip() -> bytes:
    return _video_bytes(OUT / ".clip.mp4", video_frames(4))


def _symlink(target: str) -> Callable[[Path], None]:
    return lambda p: p.symlink_to(target)


def _fifo(p: Path) -> None:
    os.mkfifo(p)


def _dir(p: Path) -> None:
    p.mkdir()


CASES: list[Case] = [
    # Controls: the same content, well-formed, so a failure below is about the damage.
    Case("control_face.png", "control (well-formed)", _w(_face_png), "face"),
    Case("control_face.jpg", "control (well-formed)", _w(_face_jpg), "face"),
    Case("control_clip.mp4", "control (well-formed)", _w(_clip), "face"),
    # Zero bytes.
    *[
        Case(f"empty{s}", "zero-byte file", lambda p: p.write_bytes(b""), "error", "empty")
        for s in (".png", ".jpg", ".exr", ".mp4", ".mov")
    ],
    # Truncated.
    Case(
        "truncated_10pct.png",
        "truncated",
        _w(lambda: truncate(_face_png(), 0.1)),
        "error",
        "truncated",
    ),
    Case(
        "truncated_90pct.png",
        "truncated",
        _w(lambda: truncate(_face_png(), 0.9)),
        "error",
        "truncated",
    ),
    Case("truncated_header.png", "truncated", _w(lambda: _face_png()[:20]), "error", "truncated"),
    Case(
        "truncated_50pct.jpg",
        "truncated",
        _w(lambda: truncate(_face_jpg(), 0.5)),
        "error",
        "truncated",
    ),
    Case("truncated_2bytes.jpg", "truncated", _w(lambda: b"\xff\xd8"), "error", "truncated"),
    Case(
        "truncated_50pct.mp4",
        "truncated",
        _w(lambda: truncate(_clip(), 0.5)),
        "error",
        "cannot be opened",
    ),
    Case(
        "truncated_95pct.mp4",
        "truncated",
        _w(lambda: truncate(_clip(), 0.95)),
        "error",
        "cannot be opened",
    ),
    # Corrupt payload, intact framing.
    Case(
        "corrupt_idat.png",
        "corrupt data",
        _w(lambda: corrupt_middle(_face_png(), 1)),
        "error",
        "not a readable image",
    ),
    Case("corrupt_scan.jpg", "corrupt data", _w(lambda: corrupt_middle(_face_jpg(), 2)), "defined"),
    Case(
        "corrupt_mdat.mp4",
        "corrupt data",
        _w(lambda: corrupt_middle(_clip(), 3, 0.2, 20000)),
        "defined",
    ),
    Case(
        "corrupt_moov.mp4",
        "corrupt data",
        _w(lambda: corrupt_middle(_clip(), 4, 0.985, 400)),
        "defined",
    ),
    Case(
        "random.mp4",
        "corrupt data",
        _w(lambda: np.random.default_rng(5).integers(0, 256, 50_000, dtype=np.uint8).tobytes()),
        "error",
        "cannot be opened",
    ),
    # Not an image, image name.
    Case(
        "text.png",
        "not an image, image extension",
        _w(lambda: b"hello, I am a text file\n" * 10),
        "error",
        "not a readable image",
    ),
    Case(
        "html.jpg",
        "not an image, image extension",
        _w(lambda: b"<!doctype html><html><body>nope</body></html>"),
        "error",
        "not a readable image",
    ),
    Case(
        "zip.png",
        "not an image, image extension",
        _w(lambda: b"PK\x03\x04" + bytes(200)),
        "error",
        "not a readable image",
    ),
    Case(
        "elf.jpg",
        "not an image, image extension",
        _w(lambda: Path(sys.executable).resolve().read_bytes()[:65536]),
        "error",
        "not a readable image",
    ),
    Case(
        "video_named.png",
        "not an image, image extension",
        _w(_clip),
        "error",
        "not a readable image",
    ),
    Case("png_named.jpg", "not an image, image extension", _w(_face_png), "face"),
    Case("image_named.mp4", "not an image, image extension", _w(_face_jpg), "defined"),
    Case(
        "unknown.gif",
        "not an image, image extension",
        _w(lambda: b"GIF89a" + bytes(100)),
        "error",
        "unknown file type",
    ),
    # Decompression bombs.
    Case("bomb_50000x50000.png", "decompression bomb", png_bomb, "error", "more than the limit"),
    Case(
        "bomb_header_100000x100000.png",
        "decompression bomb",
        lambda p: png_header_only_bomb(p, 100_000, 100_000),
        "error",
        "more than the limit",
    ),
    Case(
        "bomb_1x4000000000.png",
        "decompression bomb",
        lambda p: png_header_only_bomb(p, 1, 4_000_000_000),
        "error",
        "more than the limit",
    ),
    Case("bomb_65000x65000.jpg", "decompression bomb", jpeg_bomb, "error", "more than the limit"),
    Case("bomb_16000x16000.tif", "decompression bomb", tiff_bomb, "error", "more than the limit"),
    *[
        Case(
            f"bomb_16000x16000.{kind}",
            "decompression bomb",
            _w(make),
            "error",
            "more than the limit",
        )
        for kind, make in (
            ("bmp", media.bmp_bomb),
            ("webp", media.webp_bomb),
            ("exr", media.exr_bomb),
        )
    ],
    Case(
        "bomb_ppm_named.png",
        "decompression bomb",
        _w(media.ppm_bomb),
        "error",
        "not a readable image",
    ),
    Case(
        "zero_size_0x0.png",
        "decompression bomb",
        lambda p: png_header_only_bomb(p, 0, 0),
        "error",
        "empty image",
    ),
    # Deep pixel formats.
    Case("float32.exr", "16-bit and float", lambda p: exr(p, half=False), "face"),
    Case("half16.exr", "16-bit and float", lambda p: exr(p, half=True), "face"),
    Case(
        "nan_inf_neg.exr", "16-bit and float", lambda p: exr(p, half=False, poison=True), "defined"
    ),
    Case(
        "rgb16.png",
        "16-bit and float",
        lambda p: write_cv(p, face_rgb().astype(np.uint16) * 257),
        "face",
    ),
    Case(
        "rgb16.tif",
        "16-bit and float",
        lambda p: write_cv(p, face_rgb().astype(np.uint16) * 257),
        "face",
    ),
    # Colour models.
    Case(
        "gray.jpg",
        "grayscale and CMYK",
        lambda p: write_cv(p, cv2.cvtColor(face_rgb(), cv2.COLOR_RGB2GRAY)),
        "face",
    ),
    Case(
        "gray16.png",
        "grayscale and CMYK",
        lambda p: write_cv(p, cv2.cvtColor(face_rgb(), cv2.COLOR_RGB2GRAY).astype(np.uint16) * 257),
        "face",
    ),
    Case("cmyk.jpg", "grayscale and CMYK", cmyk_jpeg, "face"),
    Case(
        "rgba.png",
        "grayscale and CMYK",
        lambda p: write_cv(
            p, np.dstack([face_rgb(), np.full(face_rgb().shape[:2], 128, np.uint8)])
        ),
        "face",
    ),
    Case(
        "tiny_1x1.png",
        "grayscale and CMYK",
        lambda p: write_cv(p, np.zeros((1, 1, 3), np.uint8)),
        "error",
        "no face",
    ),
    # Videos.
    Case("zero_frames.mp4", "video: zero frames", lambda p: write_video(p, []), "error", ""),
    Case(
        "header_only.mp4",
        "video: zero frames",
        _w(lambda: _clip()[:36]),
        "error",
        "cannot be opened",
    ),
    Case(
        "vfr.mp4",
        "video: variable frame rate",
        lambda p: (write_video(p, video_frames(6)), vfr_mp4(p)),
        "face",
    ),
    # Phone-style: the coded frames are the scene turned against the display rotation.
    Case("rotated_90.mp4", "video: rotated metadata", lambda p: rotated_video(p, 90), "face"),
    Case("rotated_180.mp4", "video: rotated metadata", lambda p: rotated_video(p, 180), "face"),
    Case("rotated_270.mp4", "video: rotated metadata", lambda p: rotated_video(p, 270), "face"),
    Case(
        "vfr_fast_then_slow.mp4",
        "video: variable frame rate",
        lambda p: retimed_video(p, [10] * 12 + [120] * 5),
        "face",
        max_frames=None,
    ),
    # Damaged frames: skipped, counted, and the reading goes on; too many refuse the video.
    Case(
        "damaged_frames_3-4.avi",
        "video: damaged frames",
        damaged_avi(10, {2, 3}),
        "gaps",
        "3–4",
        reading="8 frames read, 2 skipped",
        max_frames=None,
    ),
    Case(
        "damaged_last_2.avi",
        "video: damaged frames",
        damaged_avi(10, {8, 9}),
        "face",
        reading="8 frames read, 0 skipped (undecodable), 2 missing",
        max_frames=None,
    ),
    Case("damaged_mdat.mp4", "video: damaged frames", damaged_mp4, "defined", max_frames=None),
    Case(
        "damaged_half.avi",
        "video: damaged frames",
        damaged_avi(10, {2, 3, 4, 5, 6}),
        "error",
        "cannot be decoded",
    ),
    Case(
        "cut_off_after_6.avi",
        "video: damaged frames",
        damaged_avi(10, set(), cut_after=6),
        "error",
        "4 missing",
    ),
    # Oversized frames: refused from the container header, before a frame is decoded.
    *[
        Case(name, "video: oversized frames", make, "error", "more than the limit")
        for name, make in (
            ("huge_16000x16000.avi", huge_avi(16_000)),
            ("huge_jpeg_small_header.avi", huge_avi(64)),
            ("huge_header.mp4", claimed_mp4),
            ("huge_header.mkv", claimed_mkv),
        )
    ],
    Case(
        "gap_frames_3-4.mp4",
        "video: face lost mid-clip",
        lambda p: write_video(p, video_frames(7, range(2, 4))),
        "gaps",
        "3–4",
    ),
    Case(
        "no_face.mp4",
        "video: face lost mid-clip",
        lambda p: write_video(p, [np.full((480, 640, 3), 96, np.uint8)] * 4),
        "error",
        "no face found in any of its 4 frame",
    ),
    # Content.
    Case("no_face.png", "content: no face", no_face, "error", "no face"),
    Case(
        "flat_gray.jpg",
        "content: no face",
        lambda p: write_cv(p, np.full((480, 640, 3), 128, np.uint8)),
        "error",
        "no face",
    ),
    Case("several_faces.png", "content: several faces", several_faces, "face"),
    Case("face_at_border.png", "content: face at the border", face_at_border, "defined"),
    Case("extreme_yaw.png", "content: extreme yaw", extreme_yaw, "defined"),
    Case(
        "upside_down.png",
        "content: extreme yaw",
        lambda p: write_cv(p, face_rgb()[::-1, ::-1]),
        "defined",
    ),
    # File-system oddities that can hang naive readers.
    Case("fifo.png", "file-system oddity", _fifo, "error", "not a file"),
    Case("fifo.mp4", "file-system oddity", _fifo, "error", "empty"),
    Case("dev_zero.png", "file-system oddity", _symlink("/dev/zero"), "error", "not a file"),
    Case("dev_zero.mp4", "file-system oddity", _symlink("/dev/zero"), "error", "empty"),
    Case(
        "dangling.jpg",
        "file-system oddity",
        _symlink("/nonexistent/moodrig/x.jpg"),
        "error",
        "does not exist",
    ),
    Case("folder.png", "file-system oddity", _dir, "error", "no image files"),
]


def generate(out: Path = OUT) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for case in CASES:
        p = out / case.name
        if p.is_symlink() or p.is_file() or (p.exists() and not p.is_dir()):
            p.unlink()
        elif p.is_dir():
            shutil.rmtree(p)
        case.make(p)
        paths.append(p)
    return paths


# --------------------------------------------------------------------------- checking


def _ranges(missing: list[int]) -> str:
    """1-based frame numbers → '4–7, 12' (en dash)."""
    out: list[str] = []
    for i in missing:
        if out and out[-1][1] == i - 1:
            out[-1] = (out[-1][0], i)  # type: ignore[assignment]
        else:
            out.append((i, i))  # type: ignore[arg-type]
    return ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in out)  # type: ignore[misc]


def _frames(ranges: str) -> set[int]:
    """'4–7, 12' → {4, 5, 6, 7, 12}."""
    out: set[int] = set()
    for part in filter(None, (p.strip() for p in ranges.split(","))):
        a, _, b = part.partition("–")
        out.update(range(int(a), int(b or a) + 1))
    return out


def peak_rss_mb() -> float:
    """VmHWM of this process. Not ru_maxrss: Linux carries that over fork+exec from the parent
    (a test process that has decoded large images would hide this process's own peak)."""
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM")) / 1024


def check_one(path: Path, max_frames: int | None = MAX_VIDEO_FRAMES) -> dict[str, object]:
    """Run one input through analysis (as the bake does); the outcome and its cost."""
    from moodrig.core.errors import MoodrigError
    from moodrig.core.face import analyze_video

    t0 = time.perf_counter()
    reading: list[str] = []
    try:
        track = analyze_video(
            path,
            fill="hold",
            max_frames=max_frames,
            on_read=lambda st: reading.append(st.summary()),
        )
        missing = [i + 1 for i, ok in enumerate(track.valid.tolist()) if not ok]
        result: dict[str, object] = {
            "outcome": "track",
            "frames": len(track),
            "missing": _ranges(missing),
            "reading": reading[0] if reading else "",
        }
    except MoodrigError as exc:
        result = {"outcome": type(exc).__name__, "message": str(exc).replace(str(path), "<file>")}
    except Exception as exc:  # recorded: anything else is a bug the test reports
        result = {"outcome": "CRASH " + type(exc).__name__, "message": str(exc)[:300]}
    result["seconds"] = round(time.perf_counter() - t0, 2)
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return result


def verdict(case: Case, got: dict[str, object]) -> str:
    """'' when the outcome is the one the case expects, else what is wrong."""
    outcome = got["outcome"]
    if str(outcome).startswith("CRASH"):
        return f"crashed: {got.get('message')}"
    if float(got["seconds"]) > TIME_BOUND_S:  # type: ignore[arg-type]
        return f"took {got['seconds']} s (bound {TIME_BOUND_S} s)"
    if case.expect == "error":
        if outcome != "InputError":
            return f"expected InputError, got {outcome}"
        if case.phrase.lower() not in str(got["message"]).lower():
            return f"message lacks {case.phrase!r}: {got['message']}"
    elif case.expect == "face":
        if outcome != "track" or got["missing"]:
            return f"expected a face in every frame, got {got}"
    elif case.expect == "gaps":
        # The blank frames must be reported missing; the tracker may need one more frame to
        # pick the face up again (the detector re-runs on the frame after a loss).
        blank = _frames(case.phrase)
        missing = _frames(str(got["missing"])) if outcome == "track" else set()
        if outcome != "track" or not blank <= missing <= blank | {max(blank) + 1}:
            return f"expected missing frames {case.phrase} (+1 to reacquire), got {got}"
    elif case.expect == "defined" and outcome not in ("track", "InputError"):
        return f"expected a track or an InputError, got {outcome}"
    if case.reading and case.reading not in str(got.get("reading", "")):
        return f"reading counts lack {case.reading!r}: {got.get('reading')}"
    return ""


def check_all(names: list[str] | None = None) -> list[dict[str, object]]:
    rows = []
    for case in CASES:
        if names and case.name not in names:
            continue
        print(json.dumps({"start": case.name}), flush=True)
        got = check_one(OUT / case.name, case.max_frames)
        row = {
            "name": case.name,
            "class": case.cls,
            "expect": case.expect,
            **got,
            "problem": verdict(case, got),
        }
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def _handled(row: dict[str, object]) -> str:
    if row["outcome"] == "track":
        reading = str(row.get("reading", ""))
        damaged = reading and not (" 0 skipped" in reading and " 0 missing" in reading)
        gaps = f", no face in frames {row['missing']}" if row["missing"] else ""
        return f"track of {row['frames']} frame(s){gaps}" + (f"; {reading}" if damaged else "")
    msg = str(row.get("message", "")).replace("<file>: ", "")
    return f"{row['outcome']}: {msg[:90]}"


def report(rows: list[dict[str, object]]) -> str:
    classes: dict[str, list[dict[str, object]]] = {}
    for r in rows:
        classes.setdefault(str(r["class"]), []).append(r)
    summary = ["| class | inputs | how it is handled |", "|---|---:|---|"]
    for cls, rs in classes.items():
        kinds: dict[str, int] = {}
        for r in rs:
            if r["outcome"] == "track":
                key = "analysed" + (" (missing frames reported)" if r["missing"] else "")
            else:
                key = f"{r['outcome']}: “{str(r.get('message', '')).replace('<file>: ', '')[:60]}”"
            kinds[key] = kinds.get(key, 0) + 1
        how = "; ".join(f"{k} ×{n}" if n > 1 else k for k, n in kinds.items())
        summary.append(f"| {cls} | {len(rs)} | {how.replace('|', '/')} |")
    lines = [
        *summary,
        "",
        f"{len(rows)} inputs in {len(classes)} classes; "
        f"{sum(1 for r in rows if not r['problem'])} handled as specified. "
        f"Slowest {max(float(r['seconds']) for r in rows):.1f} s (bound {TIME_BOUND_S:.0f} s); "  # type: ignore[arg-type]
        f"peak RSS of the whole run {max(float(r['peak_rss_mb']) for r in rows):.0f} MB.",  # type: ignore[arg-type]
        "",
        "| class | input | expected | what analysis does | s | ok |",
        "|---|---|---|---|---:|:-:|",
    ]
    for cls, rs in classes.items():
        for r in rs:
            ok = "✓" if not r["problem"] else "✗ " + str(r["problem"])[:80]
            lines.append(
                f"| {cls} | `{r['name']}` | {r['expect']} | {_handled(r).replace('|', '/')} "
                f"| {r['seconds']} | {ok} |"
            )
    return "\n".join(lines) + "\n"


BEGIN, END = "<!-- corpus-table:begin -->", "<!-- corpus-table:end -->"


def write_report(table: str, doc: Path = REPO / "docs" / "security.md") -> None:
    text = doc.read_text(encoding="utf-8")
    a, b = text.index(BEGIN) + len(BEGIN), text.index(END)
    doc.write_text(text[:a] + "\n" + table + text[b:], encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--check", action="store_true", help="run every input through analysis (JSON lines)"
    )
    ap.add_argument(
        "--report", action="store_true", help="--check, then write the table into docs/security.md"
    )
    ap.add_argument(
        "--no-generate", action="store_true", help="use the files already in generated/"
    )
    ap.add_argument(
        "--rows",
        type=Path,
        help="--report from the JSON lines of an earlier --check instead of rerunning",
    )
    ap.add_argument("names", nargs="*", help="only these cases")
    args = ap.parse_args(argv)
    if args.rows:
        rows = [json.loads(line) for line in args.rows.read_text().splitlines() if '"name"' in line]
        write_report(report(rows))
        return 1 if any(r["problem"] for r in rows) else 0
    if not args.no_generate:
        generate()
    if args.check or args.report:
        rows = check_all(args.names)
        if args.report:
            table = report(rows)
            write_report(table)
            print(table)
        return 1 if any(r["problem"] for r in rows) else 0
    print(f"{len(CASES)} inputs in {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
