"""Reading photos, image sequences and videos into HWC uint8 RGB frames.

Every failure is an :class:`~moodrig.core.errors.InputError` naming the file: missing,
empty, not an image, truncated, absurdly large, or a video with no decodable frame.
Supported: PNG/JPEG/TIFF/EXR (8/16-bit or float, gray, RGB, RGBA) through OpenCV, with the
JPEG/TIFF EXIF orientation honoured; videos through ``cv2.VideoCapture``; numbered image
sequences as a folder of images or a printf pattern (``frames/img_%04d.png``).

Conversions: 16-bit → 8-bit by /257 (rounded); float (EXR, linear light) → sRGB-encoded 8-bit;
gray → RGB; alpha is dropped (the face models read RGB only).
"""

from __future__ import annotations

import math
import os
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# OpenCV reads these once, when its codecs are first used: set them before importing cv2.
os.environ.setdefault("OPENCV_IO_ENABLE_OPENEXR", "1")
os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(1 << 28))

import cv2
import numpy as np
from numpy.typing import NDArray

from ..errors import InputError
from .container import display_rotation

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".exr", ".bmp", ".webp"})
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg"})


@dataclass(frozen=True)
class ReadLimits:
    """Guards against inputs that would exhaust memory."""

    max_pixels: int = 64_000_000
    """Largest accepted width × height of one image or frame (64 MP)."""
    max_bytes: int = 512 * 1024 * 1024
    """Largest accepted image file size in bytes."""
    max_frames: int = 1_000_000
    """Most frames read from one video or sequence."""


DEFAULT_LIMITS = ReadLimits()


def _header_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG, JPEG or TIFF header without decoding; None if unknown."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        w, h = struct.unpack(">II", data[16:24])
        return int(w), int(h)
    if data[:2] == b"\xff\xd8":
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
    if data[:4] in (b"II*\x00", b"MM\x00*") and len(data) >= 8:
        return _tiff_size(data)
    return None


def _tiff_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a TIFF's first image from its IFD (tags 256, 257)."""
    end = "<" if data[:2] == b"II" else ">"
    (ifd,) = struct.unpack(end + "I", data[4:8])
    if ifd + 2 > len(data):
        return None
    (count,) = struct.unpack(end + "H", data[ifd : ifd + 2])
    dims: dict[int, int] = {}
    for k in range(count):
        entry = data[ifd + 2 + 12 * k : ifd + 14 + 12 * k]
        if len(entry) < 12:
            break
        tag, typ = struct.unpack(end + "HH", entry[:4])
        if tag in (256, 257):
            value = struct.unpack(end + ("H" if typ == 3 else "I"), entry[8:10] if typ == 3 else entry[8:12])[0]
            dims[tag] = int(value)
    if 256 in dims and 257 in dims:
        return dims[256], dims[257]
    return None


def _truncation(data: bytes) -> str | None:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and b"IEND" not in data[-32:]:
        return "PNG data ends before its IEND chunk (file is truncated)"
    if data[:2] == b"\xff\xd8" and b"\xff\xd9" not in data[-64:]:
        return "JPEG data ends before its end-of-image marker (file is truncated)"
    return None


def to_rgb8(img: NDArray[np.generic], *, source: str | Path | None = None) -> NDArray[np.uint8]:
    """Any decoded OpenCV image (BGR/BGRA/gray, uint8/uint16/float) → HWC uint8 RGB."""
    if img.ndim == 2:
        img = img[:, :, None]
    if img.ndim != 3 or img.shape[2] not in (1, 3, 4) or img.shape[0] == 0 or img.shape[1] == 0:
        raise InputError(source, f"unsupported image layout {img.shape}")
    if img.dtype == np.uint8:
        out = img
    elif img.dtype == np.uint16:
        out = ((img.astype(np.uint32) + 128) // 257).astype(np.uint8)
    elif img.dtype in (np.float32, np.float64, np.float16):
        lin = np.nan_to_num(img.astype(np.float32), nan=0.0, posinf=1.0, neginf=0.0).clip(0.0, 1.0)
        srgb = np.where(lin <= 0.0031308, lin * 12.92, 1.055 * np.power(lin, 1 / 2.4) - 0.055)
        out = np.rint(srgb * 255.0).astype(np.uint8)
    else:
        raise InputError(source, f"unsupported pixel type {img.dtype}")
    if out.shape[2] == 1:
        return np.ascontiguousarray(np.repeat(out, 3, axis=2))
    return np.ascontiguousarray(out[:, :, 2::-1])


def decode_image(data: bytes, *, source: str | Path | None = None, limits: ReadLimits = DEFAULT_LIMITS) -> NDArray[np.uint8]:
    """Encoded image bytes → HWC uint8 RGB (EXIF orientation applied)."""
    if len(data) == 0:
        raise InputError(source, "file is empty")
    if len(data) > limits.max_bytes:
        raise InputError(source, f"file is {len(data)} bytes, more than the limit of {limits.max_bytes}")
    size = _header_size(data)
    if size is not None:
        w, h = size
        if w == 0 or h == 0:
            raise InputError(source, f"image header declares an empty image ({w}x{h})")
        if w * h > limits.max_pixels:
            raise InputError(source, f"image is {w}x{h} = {w * h} pixels, more than the limit of {limits.max_pixels}")
    problem = _truncation(data)
    if problem:
        raise InputError(source, problem)
    buf = np.frombuffer(data, dtype=np.uint8)
    try:
        # ANYCOLOR|ANYDEPTH keeps 16-bit/float and honours EXIF orientation (UNCHANGED would not).
        img = cv2.imdecode(buf, cv2.IMREAD_ANYCOLOR | cv2.IMREAD_ANYDEPTH)
    except cv2.error as exc:
        raise InputError(source, f"cannot be decoded as an image ({str(exc).strip().splitlines()[-1]})") from exc
    if img is None:
        raise InputError(source, "is not a readable image (unknown format or corrupt data)")
    h, w = img.shape[:2]
    if w * h > limits.max_pixels:
        raise InputError(source, f"image is {w}x{h} = {w * h} pixels, more than the limit of {limits.max_pixels}")
    return to_rgb8(img, source=source)


def read_image(path: str | Path, *, limits: ReadLimits = DEFAULT_LIMITS) -> NDArray[np.uint8]:
    """Read one image file as HWC uint8 RGB, or raise ``InputError`` naming the file."""
    p = Path(path)
    if not p.exists():
        raise InputError(p, "file does not exist")
    if not p.is_file():
        raise InputError(p, "is not a file")
    size = p.stat().st_size
    if size > limits.max_bytes:
        raise InputError(p, f"file is {size} bytes, more than the limit of {limits.max_bytes}")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(p, f"cannot be read ({exc.strerror})") from exc
    return decode_image(data, source=p, limits=limits)


def as_rgb8(image: NDArray[np.generic], *, name: str = "image") -> NDArray[np.uint8]:
    """An in-memory array (HW gray, HWC RGB/RGBA; uint8 or float in [0, 1]) → HWC uint8 RGB."""
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3 or arr.shape[2] not in (1, 3, 4) or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise InputError(None, f"{name} must be HxW, HxWx3 or HxWx4, got shape {arr.shape}")
    if arr.dtype == np.uint8:
        out = arr
    elif np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr)) or arr.min() < 0 or arr.max() > 1:
            raise InputError(None, f"{name}: float pixels must be finite and in [0, 1]")
        out = np.rint(arr.astype(np.float32) * 255.0).astype(np.uint8)
    else:
        raise InputError(None, f"{name}: pixel type {arr.dtype} is not uint8 or float")
    if out.shape[2] == 1:
        out = np.repeat(out, 3, axis=2)
    return np.ascontiguousarray(out[:, :, :3])


# ---------------------------------------------------------------- frame sources


@dataclass(frozen=True)
class SourceInfo:
    """What a frame source is."""

    kind: str
    """"image", "sequence" or "video"."""
    fps: float
    """Frames per second (the video's own, or the caller's default for images/sequences)."""
    frame_count: int | None
    """Number of frames if known in advance."""
    rotation: int = 0
    """Clockwise turn (0/90/180/270 degrees) applied to a video's frames to show them upright,
    from the container's display matrix (phones' portrait videos)."""


_NUM = re.compile(r"(\d+)")


def _natural_key(p: Path) -> list[object]:
    return [int(t) if t.isdigit() else t for t in _NUM.split(p.name)]


def sequence_files(spec: str | Path) -> list[Path]:
    """Files of a numbered sequence: a folder of images, or a printf pattern like ``f_%04d.png``."""
    s = str(spec)
    p = Path(s)
    if p.is_dir():
        files = sorted((f for f in p.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES), key=_natural_key)
        if not files:
            raise InputError(p, "folder holds no image files (.png, .jpg, .tif, .exr, ...)")
        return files
    m = re.search(r"%0?(\d*)d", s)
    if not m:
        raise InputError(p, "is neither a folder of images nor a printf pattern such as frame_%04d.png")
    folder = p.parent
    if not folder.is_dir():
        raise InputError(folder, "folder of the image sequence does not exist")
    pre, post = Path(s[: m.start()]).name, s[m.end() :]
    width = m.group(1)
    rx = re.compile(re.escape(pre) + (rf"(\d{{{int(width)}}})" if width else r"(\d+)") + re.escape(post) + "$")
    numbered = sorted(
        ((int(mm.group(1)), f) for f in folder.iterdir() if (mm := rx.match(f.name))),
        key=lambda t: t[0],
    )
    if not numbered:
        raise InputError(p, "no file matches this numbered-sequence pattern")
    return [f for _, f in numbered]


def classify(path: str | Path) -> str:
    p = Path(path)
    if "%" in str(path) and re.search(r"%0?\d*d", str(path)):
        return "sequence"
    if p.is_dir():
        return "sequence"
    if not p.exists():
        raise InputError(p, "file does not exist")
    suffix = p.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if suffix in VIDEO_SUFFIXES:
        return "video"
    raise InputError(p, f"unknown file type '{suffix}': expected an image ({', '.join(sorted(IMAGE_SUFFIXES))}) or a video ({', '.join(sorted(VIDEO_SUFFIXES))})")


_ROTATE = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


class FrameSource:
    """Streams frames (HWC uint8 RGB) from an image, a numbered sequence or a video.

    Bounded memory: only the current frame is held. Use as an iterator; ``info`` describes it.
    Videos are turned upright by their container's display rotation (``info.rotation``).
    ``reuse_buffers=True``: a video's frames are decoded into the same few arrays every time
    (the yielded frame is overwritten by the next one), so a long video makes no per-frame
    allocation; for consumers that do not keep frames, such as the analysis.
    """

    def __init__(self, path: str | Path, *, default_fps: float = 25.0, limits: ReadLimits = DEFAULT_LIMITS,
                 reuse_buffers: bool = False) -> None:
        if not (math.isfinite(default_fps) and default_fps > 0):
            raise ValueError(f"default_fps must be positive, got {default_fps}")
        self.path = Path(path)
        self.limits = limits
        self.reuse_buffers = reuse_buffers
        kind = classify(path)
        self._files: list[Path] = []
        self._cap: cv2.VideoCapture | None = None
        if kind == "image":
            self._files = [self.path]
            self.info = SourceInfo("image", default_fps, 1)
        elif kind == "sequence":
            self._files = sequence_files(path)
            self.info = SourceInfo("sequence", default_fps, len(self._files))
        else:
            if self.path.stat().st_size == 0:
                raise InputError(self.path, "file is empty")
            cap = cv2.VideoCapture(str(self.path))
            if not cap.isOpened():
                cap.release()
                raise InputError(self.path, "cannot be opened as a video (unknown codec or corrupt file)")
            # moodrig applies the container's rotation itself; OpenCV must never add its own.
            cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 0)
            fps = float(cap.get(cv2.CAP_PROP_FPS))
            count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
            self._cap = cap
            self.info = SourceInfo("video", fps if math.isfinite(fps) and 0 < fps < 1000 else default_fps,
                                   count if count > 0 else None, display_rotation(self.path))

    def __iter__(self) -> Iterator[NDArray[np.uint8]]:
        if self._cap is None:
            for f in self._files[: self.limits.max_frames]:
                yield read_image(f, limits=self.limits)
            return
        cap = self._cap
        n = 0
        # Any: OpenCV's stubs type buffers as Mat | ndarray; these hold uint8 HWC frames.
        decoded: Any = None
        rgb: Any = None
        upright: Any = None
        turn = _ROTATE.get(self.info.rotation)
        try:
            while n < self.limits.max_frames:
                ok, decoded = cap.read(decoded if self.reuse_buffers else None)
                if not ok or decoded is None:
                    break
                h, w = decoded.shape[:2]
                if w * h > self.limits.max_pixels:
                    raise InputError(self.path, f"video frames are {w}x{h}, more than the limit of {self.limits.max_pixels} pixels")
                n += 1
                # OpenCV writes into a given dst of the right shape and allocates otherwise.
                if self.reuse_buffers and decoded.dtype == np.uint8 and decoded.ndim == 3 and decoded.shape[2] == 3:
                    rgb = cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB, dst=rgb)
                else:
                    rgb = to_rgb8(decoded, source=self.path)
                if turn is None:
                    yield rgb
                else:
                    upright = cv2.rotate(rgb, turn, dst=upright if self.reuse_buffers else None)
                    yield upright
        finally:
            cap.release()
            self._cap = None
        if n == 0:
            raise InputError(self.path, "video contains no decodable frame")

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
