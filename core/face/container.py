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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .headers import jpeg_size

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


ChunkHeader = Callable[[bytes, int], tuple[bytes, int, int] | None]
"""Reads one header: (first 16 bytes, bytes left in the file) → (type, header length, size)."""


def _seek_chunks(
    fh: BinaryIO, file_size: int, start: int, parse: ChunkHeader
) -> Iterator[tuple[bytes, int, int, int]]:
    """(type, offset, header length, size) of a file's top-level boxes or chunks, found by
    seeking from one header to the next (payloads are never read); ``parse(head, room)``
    reads one header (at most 16 bytes, ``room`` bytes left in the file). At most
    :data:`MAX_TOP_LEVEL_BOXES`, so a file of tiny boxes cannot make a long loop."""
    pos = start
    for _ in range(MAX_TOP_LEVEL_BOXES):
        if pos + 8 > file_size:
            return
        fh.seek(pos)
        parsed = parse(fh.read(16), file_size - pos)
        if parsed is None:
            return
        kind, hlen, size = parsed
        yield kind, pos, hlen, size
        pos += size


def _bmff_box(head: bytes, room: int) -> tuple[bytes, int, int] | None:
    """An ISO BMFF box header: 32-bit size and type, 64-bit size when the size is 1, the rest
    of the file when it is 0."""
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
        size = room
    return None if size < hlen else (kind, hlen, size)


def _riff_chunk(head: bytes, room: int) -> tuple[bytes, int, int] | None:
    """A RIFF chunk header: id and little-endian size; payloads are padded to even length."""
    if len(head) < 8:
        return None
    cid, size = struct.unpack("<4sI", head[:8])
    return cid, 8, 8 + size + (size & 1)


def _read_moov(fh: BinaryIO, file_size: int) -> bytes | None:
    """The payload of the top-level ``moov`` box, found by seeking from header to header."""
    for kind, pos, hlen, size in _seek_chunks(fh, file_size, 0, _bmff_box):
        if kind == b"moov":
            if size - hlen > MAX_MOOV_BYTES:
                return None
            fh.seek(pos + hlen)
            return fh.read(size - hlen)
    return None


def _matrix_rotation(tkhd: bytes) -> int:
    """Clockwise display rotation (0, 90, 180, 270) from a ``tkhd`` payload's matrix."""
    if not tkhd:
        return 0
    version = tkhd[0]
    offset = (
        4 + (32 if version == 1 else 20) + 16
    )  # version/flags, times/ids/duration, layer..reserved
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
    track = _video_track(moov)
    if track is None:
        return 0
    ts, te = track[0][b"tkhd"]
    return _matrix_rotation(moov[ts:te])


Boxes = dict[bytes, tuple[int, int]]
"""Box type → (payload start, payload end) of the boxes inside one box."""


def _video_track(moov: bytes) -> tuple[Boxes, Boxes] | None:
    """The boxes of the first video ``trak`` (those inside it, those inside its ``mdia``)."""
    for kind, start, end in _boxes(moov, 0, len(moov)):
        if kind != b"trak":
            continue
        children = {k: (s, e) for k, s, e in _boxes(moov, start, end)}
        if b"tkhd" not in children or b"mdia" not in children:
            continue
        mdia = {k: (s, e) for k, s, e in _boxes(moov, *children[b"mdia"])}
        hdlr = mdia.get(b"hdlr")
        # hdlr payload: version/flags 4, pre_defined 4, handler type 4
        if hdlr is not None and moov[hdlr[0] + 8 : hdlr[0] + 12] == b"vide":
            return children, mdia
    return None
    return 0


# --------------------------------------------------------------------------- frame size and count

MAX_HEADER_BYTES = 4 * 1024 * 1024
"""AVI and Matroska headers are looked for in the file's first 4 MB (they come before the
frames in every file these formats' muxers write)."""


@dataclass(frozen=True)
class VideoHeader:
    """What a video's container says about its first video track, read without decoding.

    Attributes:
        width: frame width the header declares for decoding, pixels (MP4: the sample
            description, else the track header; AVI: the largest of its headers and its first
            MJPEG frame; Matroska: the largest of pixel and display width).
        height: frame height, likewise.
        frames: number of frames the container indexes, or None when it does not say
            (Matroska, fragmented MP4).
        container: "mp4", "avi" or "mkv".
    """

    width: int
    height: int
    frames: int | None
    container: str


def video_header(path: str | Path) -> VideoHeader | None:
    """The frame size (and count) an MP4/MOV, AVI or Matroska/WebM header declares, by the
    file's magic bytes (not its name); None for other formats or unreadable headers."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            head = fh.read(16)
            if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
                fh.seek(0)
                found = _avi_header(fh.read(MAX_HEADER_BYTES))
                indexed = _avi_index_count(fh, p.stat().st_size)
                if found is not None and indexed:  # the index lists the frames; headers may lie
                    found = VideoHeader(found.width, found.height, indexed, found.container)
                return found
            if head[:4] == b"\x1a\x45\xdf\xa3":
                fh.seek(0)
                return _mkv_header(fh.read(MAX_HEADER_BYTES))
            if head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip"):
                moov = _read_moov(fh, p.stat().st_size)
                return None if moov is None else _bmff_header(moov)
    except (OSError, struct.error, IndexError):
        return None
    return None


def _bmff_header(moov: bytes) -> VideoHeader | None:
    track = _video_track(moov)
    if track is None:
        return None
    children, mdia = track
    w = h = 0
    ts, te = children[b"tkhd"]
    tkhd = moov[ts:te]
    at = 4 + (32 if tkhd[:1] == b"\x01" else 20) + 16 + 36  # width, height after the matrix
    if len(tkhd) >= at + 8:
        tw, th = struct.unpack(">II", tkhd[at : at + 8])
        w, h = tw >> 16, th >> 16
    frames = None
    stbl = (
        {k: (s, e) for k, s, e in _boxes(moov, *mdia[b"minf"])}.get(b"stbl")
        if b"minf" in mdia
        else None
    )
    table = {} if stbl is None else {k: (s, e) for k, s, e in _boxes(moov, *stbl)}
    if b"stsd" in table:
        s, e = table[b"stsd"]
        entry = s + 8  # version/flags, entry_count; then the first sample entry
        if e >= entry + 36:  # the coded size, what a decoder allocates: it wins over tkhd's
            w, h = struct.unpack(">HH", moov[entry + 32 : entry + 36])
    if b"stsz" in table and table[b"stsz"][1] >= table[b"stsz"][0] + 12:
        s, e = table[b"stsz"]
        size, count = struct.unpack(">II", moov[s + 4 : s + 12])  # after version/flags
        if size or e - s >= 12 + 4 * count:  # a count its own table holds (else it lies)
            frames = count or None
    return VideoHeader(w, h, frames, "mp4")


def _riff_chunks(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(id, payload start, payload end) of the RIFF chunks in ``data[start:end]``; a LIST's
    id is its list type (``hdrl``, ``strl``) and its payload starts after that type."""
    out = []
    i = start
    while i + 8 <= min(end, len(data)):
        cid, size = struct.unpack("<4sI", data[i : i + 8])
        body = i + 8
        if cid == b"LIST" and body + 4 <= len(data):
            out.append((data[body : body + 4], body + 4, min(body + size, len(data))))
        else:
            out.append((cid, body, min(body + size, len(data))))
        i = body + size + (size & 1)
    return out


def _avi_header(data: bytes) -> VideoHeader | None:
    top = {k: (s, e) for k, s, e in reversed(_riff_chunks(data, 12, len(data)))}
    hdrl = top.get(b"hdrl")
    if hdrl is None:
        return None
    w = h = 0
    frames: int | None = None
    for kind, s, e in _riff_chunks(data, *hdrl):
        if kind == b"avih" and e - s >= 40:
            (total,) = struct.unpack("<I", data[s + 16 : s + 20])
            aw, ah = struct.unpack("<II", data[s + 32 : s + 40])
            w, h = max(w, aw), max(h, ah)
            frames = total or None
        elif kind == b"strl":
            parts = {k: (a, b) for k, a, b in _riff_chunks(data, s, e)}
            strh = parts.get(b"strh")
            if strh is None or data[strh[0] : strh[0] + 4] != b"vids":
                continue
            if strh[1] - strh[0] >= 36:
                (length,) = struct.unpack("<I", data[strh[0] + 32 : strh[0] + 36])
                frames = length or frames
            strf = parts.get(b"strf")
            if strf is not None and strf[1] - strf[0] >= 12:
                bw, bh = struct.unpack("<ii", data[strf[0] + 4 : strf[0] + 12])
                w, h = max(w, abs(bw)), max(h, abs(bh))
    if b"movi" in top:  # MJPEG: the first frame's own JPEG header (what the decoder allocates)
        first = next(
            ((a, b) for k, a, b in _riff_chunks(data, *top[b"movi"]) if k[2:] in (b"dc", b"db")),
            None,
        )
        if first is not None and data[first[0] : first[0] + 2] == b"\xff\xd8":
            size = jpeg_size(data[first[0] : first[1]])
            if size is not None:
                w, h = max(w, size[0]), max(h, size[1])
    return VideoHeader(w, h, frames, "avi")


MAX_INDEX_BYTES = 64 * 1024 * 1024
"""Largest AVI ``idx1`` index read (16 bytes a frame: 4 million frames)."""


def _avi_index_count(fh: BinaryIO, file_size: int) -> int | None:
    """Frames (non-empty video chunks) listed in an AVI's ``idx1`` index; None without one."""
    for cid, pos, hlen, size in _seek_chunks(fh, file_size, 12, _riff_chunk):
        if cid == b"idx1":
            body = size - hlen
            if body > MAX_INDEX_BYTES:
                return None
            fh.seek(pos + hlen)
            entries = fh.read(body - body % 16)
            return sum(
                1
                for ck, _, _, n in struct.iter_unpack("<4sIII", entries)
                if ck[2:] in (b"dc", b"db") and n > 0
            )
    return None


def _vint(data: bytes, i: int, keep_marker: bool) -> tuple[int, int]:
    """An EBML variable-length integer at ``i``: (value, next index); value -1 = unknown size."""
    first = data[i]
    length = 9 - first.bit_length() if first else 9
    if length > 8:
        raise IndexError("bad EBML integer")
    value = int.from_bytes(data[i : i + length], "big")
    if not keep_marker:
        value &= (1 << (7 * length)) - 1
        if value == (1 << (7 * length)) - 1:
            value = -1
    return value, i + length


_EBML_CONTAINERS = {0x18538067, 0x1654AE6B, 0xAE, 0xE0}
"""Segment, Tracks, TrackEntry, Video: the path down to the pixel size."""
_CLUSTER = 0x1F43B675


def _mkv_header(data: bytes) -> VideoHeader | None:
    w = h = 0
    i = 0
    while i < len(data):  # containers on the path are entered, every other element skipped
        eid, i = _vint(data, i, keep_marker=True)
        size, i = _vint(data, i, keep_marker=False)
        if eid == _CLUSTER:
            break  # frames begin: the tracks were before them
        if eid in _EBML_CONTAINERS:
            continue
        if size < 0:
            break
        if (
            eid in (0xB0, 0xBA, 0x54B0, 0x54BA) and 0 < size <= 8
        ):  # PixelWidth/Height, DisplayWidth/Height
            v = int.from_bytes(data[i : i + size], "big")
            if eid in (0xB0, 0x54B0):
                w = max(w, v)
            else:
                h = max(h, v)
        i += size
    return VideoHeader(w, h, None, "mkv") if w or h else None
