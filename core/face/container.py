"""Display rotation of MP4/MOV videos, read from the container (ISO BMFF ``tkhd`` matrix).

Phones record portrait video as landscape frames plus a display matrix that says "rotate by
90° to show". OpenCV 4.11's FFmpeg backend here neither applies nor reports it
(``CAP_PROP_ORIENTATION_META`` is unknown), so moodrig reads the matrix itself and turns the
frames upright. Only box headers are read (the ``mdat`` payload is seeked over), and ``moov``
is read only up to a size cap, so a huge or hostile file costs neither time nor memory.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path
from typing import BinaryIO

BMFF_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".3gp"})
MAX_MOOV_BYTES = 64 * 1024 * 1024
"""Largest ``moov`` box read (a 30-minute clip's is a few MB); bigger ones are not parsed."""
MAX_TOP_LEVEL_BOXES = 100_000
"""Top-level boxes looked at before giving up (a file of tiny boxes must not make a long loop)."""


def _boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of the boxes in ``data[start:end]``; stops at damage."""
    out = []
    i = start
    while i + 8 <= end:
        size, kind = struct.unpack(">I4s", data[i : i + 8])
        head = 8
        if size == 1:
            if i + 16 > end:
                break
            (size,) = struct.unpack(">Q", data[i + 8 : i + 16])
            head = 16
        elif size == 0:
            size = end - i
        if size < head or i + size > end:
            break
        out.append((kind, i + head, i + size))
        i += size
    return out


def _read_moov(fh: BinaryIO, file_size: int) -> bytes | None:
    """The payload of the top-level ``moov`` box, found by seeking from header to header."""
    pos = 0
    for _ in range(MAX_TOP_LEVEL_BOXES):
        if pos + 8 > file_size:
            return None
        fh.seek(pos)
        head = fh.read(16)
        if len(head) < 8:
            return None
        size, kind = struct.unpack(">I4s", head[:8])
        hlen = 8
        if size == 1:
            if len(head) < 16:
                return None
            (size,) = struct.unpack(">Q", head[8:16])
            hlen = 16
        elif size == 0:
            size = file_size - pos
        if size < hlen:
            return None
        if kind == b"moov":
            if size - hlen > MAX_MOOV_BYTES:
                return None
            fh.seek(pos + hlen)
            return fh.read(size - hlen)
        pos += size
    return None


def _matrix_rotation(tkhd: bytes) -> int:
    """Clockwise display rotation (0, 90, 180, 270) from a ``tkhd`` payload's matrix."""
    if not tkhd:
        return 0
    version = tkhd[0]
    offset = 4 + (32 if version == 1 else 20) + 16  # version/flags, times/ids/duration, layer..reserved
    if len(tkhd) < offset + 36:
        return 0
    a, b = struct.unpack(">ii", tkhd[offset : offset + 8])
    # ISO/IEC 14496-12: (p, q) → (a·p + c·q, b·p + d·q); with image y pointing down, the
    # angle of the image of the x axis, (a, b), is the clockwise turn on screen.
    if a == b == 0:
        return 0
    angle = math.degrees(math.atan2(b, a))
    quarter = round(angle / 90.0)
    if abs(angle - 90.0 * quarter) > 1.0:
        return 0
    return (90 * quarter) % 360


def display_rotation(path: str | Path) -> int:
    """Clockwise rotation (0, 90, 180 or 270 degrees) that shows the video's first video track
    upright; 0 for other formats, unreadable containers and non-quarter-turn matrices."""
    p = Path(path)
    if p.suffix.lower() not in BMFF_SUFFIXES:
        return 0
    try:
        with p.open("rb") as fh:
            moov = _read_moov(fh, p.stat().st_size)
    except OSError:
        return 0
    if moov is None:
        return 0
    for kind, start, end in _boxes(moov, 0, len(moov)):
        if kind != b"trak":
            continue
        children = {k: (s, e) for k, s, e in _boxes(moov, start, end)}
        if b"tkhd" not in children or b"mdia" not in children:
            continue
        ms, me = children[b"mdia"]
        mdia = {k: (s, e) for k, s, e in _boxes(moov, ms, me)}
        if b"hdlr" not in mdia:
            continue
        hs, _ = mdia[b"hdlr"]
        if moov[hs + 8 : hs + 12] != b"vide":  # version/flags 4, pre_defined 4, handler_type 4
            continue
        ts, te = children[b"tkhd"]
        return _matrix_rotation(moov[ts:te])
    return 0
