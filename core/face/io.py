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
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NamedTuple, cast

# OpenCV reads these once, when its codecs are first used: set them before importing cv2.
os.environ.setdefault("OPENCV_IO_ENABLE_OPENEXR", "1")
os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(1 << 28))

import cv2
import numpy as np
from numpy.typing import NDArray

from ..errors import InputError
from ..image import srgb_encode
from .container import display_rotation, video_header
from .headers import image_size

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
    max_bad_fraction: float = 0.2
    """Largest fraction of a video's frames that may be undecodable (damaged and skipped, or
    indexed by the container but never reached) before the whole video is refused."""


DEFAULT_LIMITS = ReadLimits()


def _truncation(data: bytes) -> str | None:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and b"IEND" not in data[-32:]:
        return "PNG data ends before its IEND chunk (file is truncated)"
    if data[:2] == b"\xff\xd8" and b"\xff\xd9" not in data[-64:]:
        return "JPEG data ends before its end-of-image marker (file is truncated)"
    return None


def _cv_message(exc: cv2.error) -> str:
    """The last line of an OpenCV error, without its source path."""
    return str(exc).strip().splitlines()[-1].split(") ")[-1][:200]


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
        lin = np.nan_to_num(img.astype(np.float32), nan=0.0, posinf=1.0, neginf=0.0)
        out = np.rint(srgb_encode(lin) * 255.0).astype(np.uint8)
    else:
        raise InputError(source, f"unsupported pixel type {img.dtype}")
    if out.shape[2] == 1:
        return np.ascontiguousarray(np.repeat(out, 3, axis=2))
    return np.ascontiguousarray(out[:, :, 2::-1])


def decode_image(
    data: bytes, *, source: str | Path | None = None, limits: ReadLimits = DEFAULT_LIMITS
) -> NDArray[np.uint8]:
    """Encoded image bytes → HWC uint8 RGB (EXIF orientation applied)."""
    if len(data) == 0:
        raise InputError(source, "file is empty")
    if len(data) > limits.max_bytes:
        raise InputError(
            source, f"file is {len(data)} bytes, more than the limit of {limits.max_bytes}"
        )
    size = image_size(data)  # every accepted format declares its size: checked before decoding
    if size is None:
        raise InputError(
            source,
            _truncation(data) or "is not a readable image (unknown format or corrupt header)",
        )
    w, h = size
    if w == 0 or h == 0:
        raise InputError(source, f"image header declares an empty image ({w}x{h})")
    if w * h > limits.max_pixels:
        raise InputError(
            source, f"image is {w}x{h} = {w * h} pixels, more than the limit of {limits.max_pixels}"
        )
    problem = _truncation(data)
    if problem:
        raise InputError(source, problem)
    buf = np.frombuffer(data, dtype=np.uint8)
    try:
        # ANYCOLOR|ANYDEPTH keeps 16-bit/float and honours EXIF orientation (UNCHANGED would not).
        img = cv2.imdecode(buf, cv2.IMREAD_ANYCOLOR | cv2.IMREAD_ANYDEPTH)
    except cv2.error as exc:
        raise InputError(
            source, f"cannot be decoded as an image ({str(exc).strip().splitlines()[-1]})"
        ) from exc
    if img is None:
        raise InputError(source, "is not a readable image (unknown format or corrupt data)")
    h, w = img.shape[:2]
    if w * h > limits.max_pixels:
        raise InputError(
            source, f"image is {w}x{h} = {w * h} pixels, more than the limit of {limits.max_pixels}"
        )
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
        files = sorted(
            (f for f in p.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES),
            key=_natural_key,
        )
        if not files:
            raise InputError(p, "folder holds no image files (.png, .jpg, .tif, .exr, ...)")
        return files
    m = re.search(r"%0?(\d*)d", s)
    if not m:
        raise InputError(
            p, "is neither a folder of images nor a printf pattern such as frame_%04d.png"
        )
    folder = p.parent
    if not folder.is_dir():
        raise InputError(folder, "folder of the image sequence does not exist")
    pre, post = Path(s[: m.start()]).name, s[m.end() :]
    width = m.group(1)
    rx = re.compile(
        re.escape(pre) + (rf"(\d{{{int(width)}}})" if width else r"(\d+)") + re.escape(post) + "$"
    )
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
    raise InputError(
        p,
        f"unknown file type '{suffix}': expected an image ({', '.join(sorted(IMAGE_SUFFIXES))}) "
        f"or a video ({', '.join(sorted(VIDEO_SUFFIXES))})",
    )


_ROTATE = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


@dataclass
class ReadStats:
    """How reading a source went, filled in while its frames stream (a video's skipped and
    missing frames are only known once its end is reached: ``finished``)."""

    read: int = 0
    """Frames decoded and handed on."""
    skipped: int = 0
    """Frames that could not be decoded between frames that were (a damaged stretch)."""
    missing: int = 0
    """Frames the container indexes after the last frame decoded (undecodable or cut off);
    0 when the container does not say how many frames it holds."""
    declared: int | None = None
    """Frames the container indexes (MP4/MOV, AVI), or None when it does not say."""
    retimed: int = 0
    """Frames whose timestamp was unusable (not increasing, or jumping far ahead) and was
    replaced by the previous one plus one frame period."""
    finished: bool = False
    """True once the end of the source was reached (not stopped after ``max_frames``)."""

    def bad(self) -> int:
        """Frames that could not be used: skipped plus missing."""
        return self.skipped + self.missing

    def summary(self) -> str:
        """``92 frames read, 3 skipped (undecodable), 0 missing`` (+ the declared count)."""
        of = f" of {self.declared} indexed" if self.declared is not None else ""
        extra = f", {self.retimed} with repaired timestamps" if self.retimed else ""
        stop = "" if self.finished else " (stopped before the end)"
        return (
            f"{self.read} frames read, {self.skipped} skipped (undecodable), "
            f"{self.missing} missing{of}{extra}{stop}"
        )

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class TimedFrame(NamedTuple):
    """A decoded frame and when it is shown."""

    t: float
    """Seconds from the first frame (the container's timestamps; variable frame rate kept)."""
    frame: NDArray[np.uint8]
    """HWC uint8 RGB (reused by the next frame when the source reuses buffers)."""
    after_gap: bool
    """True when undecodable frames were skipped just before this one."""


RETRY_GRABS = 32
"""Failed reads in a row before a damaged video is re-entered by seeking past the damage
(each failed read consumes one damaged packet; a stuck demuxer needs the seek)."""
MAX_SEEKS = 16
"""Seeks past damage per video; then the rest counts as missing."""
MAX_TIMESTAMP_JUMP_S = 60.0
"""A timestamp further than this past the previous frame (beyond what the skipped frames
explain) is treated as broken and replaced by the previous one plus one frame period."""


class FrameSource:
    """Streams frames (HWC uint8 RGB) from an image, a numbered sequence or a video.

    Bounded memory: only the current frame is held. Use as an iterator of frames, or
    :meth:`timed` for frames with their timestamps; ``info`` describes the source and
    ``stats`` counts what was read, skipped and missing. Videos are turned upright by their
    container's display rotation (``info.rotation``). A video whose frames are larger than
    ``limits.max_pixels`` is refused from its container header, before anything is decoded.
    Undecodable frames are skipped, not the end of the video; more than
    ``limits.max_bad_fraction`` of them refuses the video.
    ``reuse_buffers=True``: a video's frames are decoded into the same few arrays every time
    (the yielded frame is overwritten by the next one), so a long video makes no per-frame
    allocation; for consumers that do not keep frames, such as the analysis.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        default_fps: float = 25.0,
        limits: ReadLimits = DEFAULT_LIMITS,
        reuse_buffers: bool = False,
    ) -> None:
        if not (math.isfinite(default_fps) and default_fps > 0):
            raise ValueError(f"default_fps must be positive, got {default_fps}")
        self.path = Path(path)
        self.limits = limits
        self.reuse_buffers = reuse_buffers
        self.stats = ReadStats()
        self._rgb: Any = None  # frame buffers reused across frames (reuse_buffers)
        self._upright: Any = None
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
            self._open_video(default_fps)

    def _open_video(self, default_fps: float) -> None:
        if self.path.stat().st_size == 0:
            raise InputError(self.path, "file is empty")
        header = video_header(self.path)
        if header is not None:
            self._check_size(header.width, header.height, "the container header says ")
            self.stats.declared = header.frames
        try:  # FFmpeg everywhere: the same decoder, with timestamps, on every platform
            cap = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG)
        except cv2.error as exc:
            raise InputError(
                self.path, f"cannot be opened as a video ({_cv_message(exc)})"
            ) from exc
        if not cap.isOpened():
            cap.release()
            raise InputError(
                self.path, "cannot be opened as a video (unknown codec or corrupt file)"
            )
        try:
            self._check_size(
                int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)), ""
            )
        except InputError:
            cap.release()
            raise
        # moodrig applies the container's rotation itself; OpenCV must never add its own.
        cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 0)
        fps = float(cap.get(cv2.CAP_PROP_FPS))
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        self._cap = cap
        self.info = SourceInfo(
            "video",
            fps if math.isfinite(fps) and 0 < fps < 1000 else default_fps,
            count if count > 0 else None,
            display_rotation(self.path),
        )

    def _check_size(self, w: int, h: int, where: str) -> None:
        if w * h > self.limits.max_pixels:
            raise InputError(
                self.path,
                f"{where}video frames are {w}x{h} = {w * h} pixels, "
                f"more than the limit of {self.limits.max_pixels}",
            )

    def __iter__(self) -> Iterator[NDArray[np.uint8]]:
        for item in self.timed():
            yield item.frame

    def timed(self) -> Iterator[TimedFrame]:
        """Frames with the second they are shown (images and sequences: ``index / fps``)."""
        if self._cap is None:
            for i, f in enumerate(self._files[: self.limits.max_frames]):
                frame = read_image(f, limits=self.limits)
                self.stats.read += 1
                yield TimedFrame(i / self.info.fps, frame, False)
            self.stats.finished = True
            return
        yield from self._timed_video(self._cap)

    def _refuse_if_too_damaged(self) -> None:
        """Refuse once more than ``max_bad_fraction`` of the frames are known to be bad: of
        those seen at the end, or already of the declared count while reading."""
        st = self.stats
        total = st.read + st.bad() if st.finished or st.declared is None else st.declared
        if st.bad() > self.limits.max_bad_fraction * total:
            some = "" if st.finished else "at least "
            raise InputError(
                self.path,
                f"{some}{st.bad()} of {total} video frames cannot be decoded "
                f"({st.skipped} damaged, {st.missing} missing), more than the "
                f"{self.limits.max_bad_fraction:.0%} allowed: the file is damaged; "
                "re-export or repair it",
            )

    def _timed_video(self, cap: cv2.VideoCapture) -> Iterator[TimedFrame]:
        """Decoded frames with their timestamps. A failed read is not the end: the next read
        starts at the next packet, and after :data:`RETRY_GRABS` failures in a row a seek
        jumps 1, 2, 4, ... frames past the damage (at most :data:`MAX_SEEKS` times)."""
        st, lim = self.stats, self.limits
        period = 1.0 / self.info.fps
        last_index = (st.declared or self.info.frame_count or 0) - 1
        decoded: Any = None  # OpenCV's stubs type buffers as Mat | ndarray: uint8 HWC here
        pending = run = seeks = damage_seeks = 0  # failed reads since the last frame / in a row
        t0: float | None = None
        last_t = 0.0
        try:
            while st.read < lim.max_frames:
                try:
                    ok = cap.grab()
                    if ok:
                        ms = float(cap.get(cv2.CAP_PROP_POS_MSEC))
                        ok, decoded = cap.retrieve(decoded if self.reuse_buffers else None)
                except cv2.error:
                    ok = False  # a decoder's own assertion on damaged data: a failed read
                if not ok or decoded is None:
                    pending += 1
                    run += 1
                    if run < RETRY_GRABS:
                        continue
                    target = st.read + st.skipped + (1 << damage_seeks)
                    if seeks >= MAX_SEEKS or target > last_index:
                        break  # the end, or damage no seek gets past: the rest is missing
                    seeks += 1
                    damage_seeks += 1
                    run = 0
                    try:
                        cap.set(cv2.CAP_PROP_POS_FRAMES, target)
                    except cv2.error:
                        break
                    continue
                self._check_size(decoded.shape[1], decoded.shape[0], "")
                if t0 is None:
                    t0 = ms / 1000.0 if math.isfinite(ms) else 0.0
                t = ms / 1000.0 - t0
                if damage_seeks and st.read and t <= last_t:
                    continue  # a seek landed before the damage: this frame was handed on already
                if st.read and not last_t < t <= last_t + max(
                    MAX_TIMESTAMP_JUMP_S, 2 * (pending + 1) * period
                ):
                    t = last_t + period  # no usable timestamp (OpenCV says 0 when there is none)
                    st.retimed += 1
                elif not st.read:
                    t = 0.0
                if pending and damage_seeks:  # failed reads overcount what a seek jumped over
                    pending = min(pending, max(0, round((t - last_t) / period) - 1))
                st.skipped += pending
                gap = pending > 0
                pending = run = damage_seeks = 0
                last_t = t
                st.read += 1
                if st.declared is not None and st.skipped > lim.max_bad_fraction * st.declared:
                    self._refuse_if_too_damaged()
                yield TimedFrame(t, self._upright_rgb(decoded), gap)
            else:
                return  # stopped at max_frames: what follows is unknown, not missing
            st.finished = True
            if st.declared is not None:
                bad = max(0, st.declared - st.read)
                st.skipped = min(st.skipped, bad)
                st.missing = bad - st.skipped
        finally:
            cap.release()
            self._cap = None
        if st.read == 0:
            raise InputError(self.path, "video contains no decodable frame")
        self._refuse_if_too_damaged()

    def _upright_rgb(self, decoded: Any) -> NDArray[np.uint8]:
        """A decoded BGR frame as upright RGB (into the reused buffers when asked)."""
        reuse = self.reuse_buffers
        if reuse and decoded.dtype == np.uint8 and decoded.ndim == 3 and decoded.shape[2] == 3:
            # OpenCV writes into a given dst of the right shape and allocates otherwise.
            self._rgb = cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB, dst=self._rgb if reuse else None)
        else:
            self._rgb = to_rgb8(decoded, source=self.path)
        turn = _ROTATE.get(self.info.rotation)
        if turn is None:
            return cast(NDArray[np.uint8], self._rgb)
        self._upright = cv2.rotate(self._rgb, turn, dst=self._upright if reuse else None)
        return cast(NDArray[np.uint8], self._upright)

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
