"""Image dimensions from file headers, without decoding a pixel.

Every format the readers accept (PNG, JPEG, TIFF/BigTIFF, OpenEXR, WebP, BMP) declares its
size in a header; reading it first lets a decompression bomb be refused before the decoder
allocates its pixels. A file whose header is not one of these is not decoded at all.
"""

from __future__ import annotations

import struct

Size = tuple[int, int]
"""(width, height) in pixels."""


def image_size(data: bytes) -> Size | None:
    """(width, height) the header of an encoded image declares; None if the format is not one
    of PNG, JPEG, TIFF, OpenEXR, WebP, BMP or its header is unreadable."""
    try:
        if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
            w, h = struct.unpack(">II", data[16:24])
            return int(w), int(h)
        if data[:2] == b"\xff\xd8":
            return jpeg_size(data)
        if data[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
            return _tiff_size(data)
        if data[:4] == b"\x76\x2f\x31\x01":
            return _exr_size(data)
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            return _webp_size(data)
        if data[:2] == b"BM" and len(data) >= 26:
            return _bmp_size(data)
    except (struct.error, IndexError, ValueError):
        return None
    return None


def jpeg_size(data: bytes) -> Size | None:
    """(width, height) from a JPEG's first frame header (SOF0..SOF15)."""
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            i += 1 if marker == 0xFF else 2
            continue
        seg = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h, w = struct.unpack(">HH", data[i + 5 : i + 9])
            return int(w), int(h)
        i += 2 + seg
    return None


def _tiff_size(data: bytes) -> Size | None:
    """(width, height) of a TIFF's first image from its IFD (tags 256, 257); BigTIFF too."""
    end = "<" if data[:2] == b"II" else ">"
    big = data[2:4] in (b"+\x00", b"\x00+")
    if big:
        (ifd,) = struct.unpack(end + "Q", data[8:16])
        (count,) = struct.unpack(end + "Q", data[ifd : ifd + 8])
        first, step = ifd + 8, 20
    else:
        (ifd,) = struct.unpack(end + "I", data[4:8])
        (count,) = struct.unpack(end + "H", data[ifd : ifd + 2])
        first, step = ifd + 2, 12
    dims: dict[int, int] = {}
    for k in range(min(count, 4096)):
        entry = data[first + step * k : first + step * (k + 1)]
        if len(entry) < step:
            break
        tag, typ = struct.unpack(end + "HH", entry[:4])
        if tag in (256, 257):
            at = 12 if big else 8
            fmt = {3: "H", 4: "I", 16: "Q"}.get(typ)
            if fmt is None:
                return None
            dims[tag] = int(struct.unpack(end + fmt, entry[at : at + struct.calcsize(fmt)])[0])
    if 256 in dims and 257 in dims:
        return dims[256], dims[257]
    return None


def _exr_size(data: bytes) -> Size | None:
    """(width, height) of an OpenEXR image from its ``dataWindow`` attribute (box2i)."""
    i = 8  # magic, version/flags
    while i < len(data) and data[i] != 0:
        name_end = data.index(b"\x00", i)
        type_end = data.index(b"\x00", name_end + 1)
        (size,) = struct.unpack("<i", data[type_end + 1 : type_end + 5])
        value = type_end + 5
        if (
            data[i:name_end] == b"dataWindow"
            and data[name_end + 1 : type_end] == b"box2i"
            and size == 16
        ):
            x0, y0, x1, y1 = struct.unpack("<4i", data[value : value + 16])
            return max(0, x1 - x0 + 1), max(0, y1 - y0 + 1)
        if size < 0:
            return None
        i = value + size
    return None


def _webp_size(data: bytes) -> Size | None:
    """(width, height) of a WebP from its first chunk (VP8X canvas, VP8 or VP8L frame)."""
    kind = data[12:16]
    body = 20
    if kind == b"VP8X":
        w = int.from_bytes(data[body + 4 : body + 7], "little") + 1
        h = int.from_bytes(data[body + 7 : body + 10], "little") + 1
        return w, h
    if kind == b"VP8 " and data[body + 3 : body + 6] == b"\x9d\x01\x2a":
        w, h = struct.unpack("<HH", data[body + 6 : body + 10])
        return w & 0x3FFF, h & 0x3FFF
    if kind == b"VP8L" and data[body] == 0x2F:
        bits = int.from_bytes(data[body + 1 : body + 5], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _bmp_size(data: bytes) -> Size | None:
    """(width, height) of a BMP from its DIB header (height may be negative: top-down)."""
    (dib,) = struct.unpack("<I", data[14:18])
    if dib == 12:
        w, h = struct.unpack("<HH", data[18:22])
        return int(w), int(h)
    w, h = struct.unpack("<ii", data[18:26])
    return abs(w), abs(h)
