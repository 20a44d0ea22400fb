"""Hand-made media for the bad-input corpus and the reading tests, without ffmpeg.

* :func:`mjpeg_avi`: an MJPEG AVI from JPEG frames (any frame may be replaced by garbage,
  any header may claim any size);
* :func:`big_gray_jpeg`: a real, decodable side×side gray JPEG in a few MB (every 8×8 block
  is "DC unchanged, end of block": 6 bits);
* :func:`retime_mp4`: an MP4's per-frame durations rewritten (variable frame rate);
* :func:`claim_mp4_size`, :func:`claim_mkv_size`: container headers that declare another size;
* header-only image bombs for BMP, WebP and OpenEXR, and a PPM (a format moodrig does not
  accept, which OpenCV would still decode) named ``.png``.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

os.environ.setdefault("OPENCV_IO_ENABLE_OPENEXR", "1")

import cv2
import numpy as np


def _chunk(fourcc: bytes, data: bytes) -> bytes:
    return fourcc + struct.pack("<I", len(data)) + data + (b"\0" if len(data) % 2 else b"")


def _list(kind: bytes, body: bytes) -> bytes:
    return b"LIST" + struct.pack("<I", len(body) + 4) + kind + body


def mjpeg_avi(jpegs: list[bytes], fps: float, width: int, height: int) -> bytes:
    """A minimal AVI 1.0 (avih, strh, strf, movi, idx1) holding the given JPEG frames."""
    n = len(jpegs)
    biggest = max(map(len, jpegs))
    avih = struct.pack(
        "<14I", round(1e6 / fps), 0, 0, 0x10, n, 0, 1, biggest, width, height, 0, 0, 0, 0
    )
    strh = (
        b"vids"
        + b"MJPG"
        + struct.pack(
            "<IHHIIIIIIIIhhhh",
            0,
            0,
            0,
            0,
            1000,
            round(fps * 1000),
            0,
            n,
            biggest,
            0xFFFFFFFF,
            0,
            0,
            0,
            min(width, 32767),
            min(height, 32767),
        )
    )
    image_bytes = width * height * 3 if width * height * 3 < 2**32 else 0
    strf = struct.pack("<IiiHH4sIiiII", 40, width, height, 1, 24, b"MJPG", image_bytes, 0, 0, 0, 0)
    hdrl = _list(
        b"hdrl",
        _chunk(b"avih", avih) + _list(b"strl", _chunk(b"strh", strh) + _chunk(b"strf", strf)),
    )
    movi = b""
    index = b""
    for j in jpegs:
        index += b"00dc" + struct.pack("<III", 0x10, 4 + len(movi), len(j))
        movi += _chunk(b"00dc", j)
    body = b"AVI " + hdrl + _list(b"movi", movi) + _chunk(b"idx1", index)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def jpeg(rgb: np.ndarray, quality: int = 90) -> bytes:
    ok, buf = cv2.imencode(
        ".jpg", np.ascontiguousarray(rgb[:, :, ::-1]), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    assert ok
    return buf.tobytes()


def garbage(n: int, seed: int) -> bytes:
    """Random bytes that no JPEG decoder accepts (no start-of-image marker)."""
    data = bytearray(np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes())
    data[:2] = b"\x00\x00"
    return bytes(data)


def big_gray_jpeg(side: int) -> bytes:
    """A baseline gray JPEG of side×side pixels (uniform 128) with the standard tables."""
    assert side % 32 == 0
    ok, buf = cv2.imencode(".jpg", np.full((16, 16), 128, np.uint8))
    assert ok
    data = buf.tobytes()
    head = bytearray(data[: data.index(b"\xff\xda")])
    sof = head.index(b"\xff\xc0")
    struct.pack_into(">HH", head, sof + 5, side, side)
    sos = data.index(b"\xff\xda")
    (sos_len,) = struct.unpack(">H", data[sos + 2 : sos + 4])
    # Luminance DC category 0 is "00", AC end-of-block "1010": 4 blocks = 24 bits = 28 A2 8A.
    scan = b"\x28\xa2\x8a" * ((side // 8) ** 2 // 4)
    return bytes(head) + data[sos : sos + 2 + sos_len] + scan + b"\xff\xd9"


# --------------------------------------------------------------------------- ISO BMFF


def boxes(data: bytes | bytearray, start: int, end: int) -> list[tuple[int, int, bytes]]:
    """(offset, size, type) of the ISO BMFF boxes in ``data[start:end]``."""
    out = []
    i = start
    while i + 8 <= end:
        size, kind = struct.unpack(">I4s", data[i : i + 8])
        if size < 8:
            break
        out.append((i, size, kind))
        i += size
    return out


def find_box(data: bytes | bytearray, path: list[bytes]) -> list[tuple[int, int]]:
    """(offset, size) chain of boxes along ``path`` (first match at every level)."""
    chain = []
    start, end = 0, len(data)
    for kind in path:
        hit = next((b for b in boxes(data, start, end) if b[2] == kind), None)
        if hit is None:
            raise ValueError(f"no {kind!r} box")
        chain.append((hit[0], hit[1]))
        start, end = hit[0] + 8, hit[0] + hit[1]
    return chain


def retime_mp4(path: Path, durations_ms: list[int]) -> None:
    """Give the (only) video track's frames these durations: the media timescale becomes 1000
    and the sample table (stts) lists the durations. The movie's own duration is kept, so
    the total of ``durations_ms`` should equal the clip's length as written."""
    data = bytearray(path.read_bytes())
    stbl = [b"moov", b"trak", b"mdia", b"minf", b"stbl"]
    chain = find_box(data, [*stbl, b"stts"])
    mdat = next(b for b in boxes(data, 0, len(data)) if b[2] == b"mdat")
    assert mdat[0] < chain[0][0], "moov must follow mdat (growing it then moves no sample data)"
    mdhd, _ = find_box(data, [b"moov", b"trak", b"mdia", b"mdhd"])[-1]
    assert data[mdhd + 8] == 0, "mdhd version 0 expected"
    struct.pack_into(">II", data, mdhd + 20, 1000, sum(durations_ms))
    runs: list[list[int]] = []
    for d in durations_ms:
        if runs and runs[-1][1] == d:
            runs[-1][0] += 1
        else:
            runs.append([1, d])
    body = struct.pack(">II", 0, len(runs)) + b"".join(struct.pack(">II", c, d) for c, d in runs)
    new = struct.pack(">I4s", 8 + len(body), b"stts") + body
    off, size = chain[-1]
    (count,) = struct.unpack(">I", data[off + 16 : off + 20])
    assert sum(c for c, _ in runs) >= count, "one duration per frame"
    data[off : off + size] = new
    for o, s in chain[:-1]:
        struct.pack_into(">I", data, o, s + len(new) - size)
    path.write_bytes(bytes(data))


def claim_mp4_size(path: Path, width: int, height: int) -> None:
    """Make the track header and the sample description declare width×height."""
    data = bytearray(path.read_bytes())
    tkhd, _ = find_box(data, [b"moov", b"trak", b"tkhd"])[-1]
    struct.pack_into(">II", data, tkhd + 8 + 4 + 20 + 16 + 36, width << 16, height << 16)
    stsd, _ = find_box(data, [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd"])[-1]
    struct.pack_into(">HH", data, stsd + 8 + 8 + 32, width, height)
    path.write_bytes(bytes(data))


def claim_mkv_size(path: Path, width: int, height: int) -> None:
    """Rewrite Matroska's PixelWidth/PixelHeight; both must be stored in 2 bytes (256 to 65535
    pixels, e.g. a 320×256 clip written by OpenCV)."""
    data = bytearray(path.read_bytes())
    for eid, value in ((b"\xb0\x82", width), (b"\xba\x82", height)):
        i = data.index(eid)
        struct.pack_into(">H", data, i + 2, value)
    path.write_bytes(bytes(data))


# --------------------------------------------------------------------------- image headers


def bmp_bomb(side: int = 16_000) -> bytes:
    """A BMP header declaring side×side 24-bit pixels, followed by almost no data."""
    pixels = 64
    dib = struct.pack("<IiiHHIIiiII", 40, side, side, 1, 24, 0, 0, 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 14 + 40 + pixels, 0, 0, 54) + dib + bytes(pixels)


def webp_bomb(side: int = 16_000) -> bytes:
    """A WebP whose VP8X canvas is side×side (the frame inside is 8×8)."""
    ok, buf = cv2.imencode(".webp", np.zeros((8, 8, 3), np.uint8))
    assert ok
    inner = buf.tobytes()[12:]  # the VP8 chunk of a tiny lossy WebP
    vp8x = (
        struct.pack("<I", 0) + (side - 1).to_bytes(3, "little") + (side - 1).to_bytes(3, "little")
    )
    body = b"WEBP" + _chunk(b"VP8X", vp8x) + inner
    return b"RIFF" + struct.pack("<I", len(body)) + body


def exr_bomb(side: int = 16_000) -> bytes:
    """An OpenEXR whose dataWindow is side×side (patched into a small real file)."""
    ok, buf = cv2.imencode(".exr", np.zeros((8, 8, 3), np.float32))
    assert ok
    data = bytearray(buf.tobytes())
    i = data.index(b"dataWindow\x00box2i\x00") + len(b"dataWindow\x00box2i\x00") + 4
    struct.pack_into("<4i", data, i, 0, 0, side - 1, side - 1)
    j = data.index(b"displayWindow\x00box2i\x00") + len(b"displayWindow\x00box2i\x00") + 4
    struct.pack_into("<4i", data, j, 0, 0, side - 1, side - 1)
    return bytes(data)


def ppm_bomb(side: int = 16_000) -> bytes:
    """A binary PPM header declaring side×side pixels (OpenCV reads PPM whatever the name)."""
    return f"P6\n{side} {side}\n255\n".encode() + bytes(64)
