"""Per-frame analysis of a video, image sequence or single image into an ExpressionTrack.

Frames stream through one at a time (bounded memory: only per-frame numbers are kept).
Face Mesh follows the face from frame to frame; the detector runs only on the first frame
and whenever tracking is lost. Values are smoothed with a One Euro filter (reset after a
gap); frames without a face are marked invalid and filled by the caller's policy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError
from ..expression import N_EXPRESSION
from ..track import ExpressionTrack
from .analyzer import AnalyzerConfig, FaceAnalyzer, FaceResult
from .io import FrameSource, ReadLimits, ReadStats
from .models import torch_threads
from .smoothing import FillPolicy, OneEuro, OneEuroConfig, fill_missing
from .timing import NoFrame, Slot, on_grid

Progress = Callable[[int, int | None], object]


@dataclass(frozen=True)
class VideoConfig:
    """Video analysis settings."""

    analyzer: AnalyzerConfig = field(default_factory=AnalyzerConfig)
    """Per-frame analysis settings."""
    smooth_expression: OneEuroConfig | None = field(default_factory=lambda: OneEuroConfig(min_cutoff=1.5, beta=2.0))
    """One Euro filter for the 8 expression values (units/s); None = no smoothing."""
    smooth_head: OneEuroConfig | None = field(default_factory=lambda: OneEuroConfig(min_cutoff=1.5, beta=0.05))
    """One Euro filter for yaw/pitch/roll (degrees/s); None = no smoothing."""
    default_fps: float = 25.0
    """Frame rate given to image sequences and single images."""
    limits: ReadLimits = field(default_factory=ReadLimits)
    """Input size limits."""


@dataclass(frozen=True)
class FrameRecord:
    """Raw (unsmoothed) per-frame result, for callers that want landmarks too."""

    index: int
    face: FaceResult | None


def track_frames(frames: Iterable[Slot], analyzer: FaceAnalyzer) -> Iterator[FrameRecord]:
    """Follow one face through frames (HWC uint8 RGB); a held slot repeats the previous
    result, a gap has no face and makes the next frame detect afresh."""
    prev: FaceResult | None = None
    for i, frame in enumerate(frames):
        if frame is NoFrame.GAP:
            prev = None
        elif not isinstance(frame, NoFrame):
            prev = analyzer.track(frame, prev)
        yield FrameRecord(i, prev)


class _TrackRows:
    """Per-frame values in preallocated arrays that double when full.

    A 30-minute video has 45,000 frames; lists of small per-frame arrays pinned heap pages
    between the frame buffers (glibc fragmentation: 1.6 GB peak), a few big arrays do not.
    """

    def __init__(self, capacity: int = 1024) -> None:
        self.n = 0
        self.expr = np.zeros((capacity, N_EXPRESSION))
        self.head = np.zeros((capacity, 3))
        self.valid = np.zeros(capacity, dtype=bool)

    def append(self, expr: NDArray[np.float64] | None, head: NDArray[np.float64] | None) -> None:
        """One frame; None for both = no face (the row stays zero, marked invalid)."""
        if self.n == len(self.valid):
            grow = len(self.valid)
            self.expr = np.concatenate([self.expr, np.zeros_like(self.expr[:grow])])
            self.head = np.concatenate([self.head, np.zeros_like(self.head[:grow])])
            self.valid = np.concatenate([self.valid, np.zeros_like(self.valid[:grow])])
        if expr is not None and head is not None:
            self.expr[self.n] = expr
            self.head[self.n] = head
            self.valid[self.n] = True
        self.n += 1


def _run(
    frames: Iterable[Slot],
    an: FaceAnalyzer,
    f_expr: OneEuro | None,
    f_head: OneEuro | None,
    rows: _TrackRows,
    max_frames: int | None,
    total: int | None,
    progress: Progress | None,
    on_frame: Callable[[FrameRecord], object] | None,
) -> None:
    for rec in track_frames(iter(frames), an):
        if on_frame is not None:
            on_frame(rec)
        face = rec.face
        if face is None:
            rows.append(None, None)
            for f in (f_expr, f_head):
                if f is not None:
                    f.reset()
        else:
            e = face.expression.astype(np.float64)
            h = np.array([face.head.yaw, face.head.pitch, face.head.roll])
            rows.append(f_expr(e) if f_expr else e, f_head(h) if f_head else h)
        if progress is not None:
            progress(rec.index + 1, total)
        if max_frames is not None and rec.index + 1 >= max_frames:
            break


def analyze_frames(
    frames: Iterable[Slot],
    fps: float,
    *,
    fill: FillPolicy = "hold",
    config: VideoConfig | None = None,
    analyzer: FaceAnalyzer | None = None,
    max_frames: int | None = None,
    total: int | None = None,
    progress: Progress | None = None,
    on_frame: Callable[[FrameRecord], object] | None = None,
    source: str | Path | None = None,
) -> ExpressionTrack:
    """Frames → smoothed, filled ExpressionTrack (see module docs)."""
    if fill not in ("hold", "interpolate"):
        raise ValueError(f"fill must be 'hold' or 'interpolate', got {fill!r}")
    if max_frames is not None and max_frames < 1:
        raise ValueError(f"max_frames must be at least 1, got {max_frames}")
    cfg = config or VideoConfig()
    an = analyzer or FaceAnalyzer(cfg.analyzer)
    f_expr = OneEuro(cfg.smooth_expression, fps) if cfg.smooth_expression else None
    f_head = OneEuro(cfg.smooth_head, fps) if cfg.smooth_head else None
    rows = _TrackRows()
    with torch_threads(an.config.threads):
        _run(frames, an, f_expr, f_head, rows, max_frames, total, progress, on_frame)
    if rows.n == 0:
        raise InputError(source, "contains no frames")
    ok = rows.valid[: rows.n].copy()
    if not ok.any():
        raise InputError(source, f"no face found in any of its {rows.n} frame(s)")
    e_arr = np.clip(fill_missing(rows.expr[: rows.n], ok, fill), 0.0, 1.0).astype(np.float32)
    h_arr = fill_missing(rows.head[: rows.n], ok, fill).astype(np.float32)
    return ExpressionTrack(fps=float(fps), expressions=e_arr, head=h_arr, valid=ok)


def analyze_video(
    path: str | Path,
    *,
    fill: FillPolicy = "hold",
    max_frames: int | None = None,
    progress: Progress | None = None,
    config: VideoConfig | None = None,
    on_frame: Callable[[FrameRecord], object] | None = None,
    on_read: Callable[[ReadStats], object] | None = None,
) -> ExpressionTrack:
    """Analyse a video file, a numbered image sequence (folder or ``name_%04d.png``) or a
    single image. ``progress(done, total_or_None)`` is called after every frame;
    ``on_frame`` receives each raw :class:`FrameRecord` (landmarks, unsmoothed values);
    ``on_read`` receives the reading counts (frames read, skipped, missing) once reading ends.

    A video's frames are placed on a uniform grid at its frame rate by their own timestamps
    (``timing.on_grid``): variable frame rate keeps its timing, skipped undecodable frames
    become frames without a face. Too many undecodable frames refuse the video."""
    cfg = config or VideoConfig()
    src = FrameSource(path, default_fps=cfg.default_fps, limits=cfg.limits, reuse_buffers=True)
    try:
        total = src.info.frame_count
        if max_frames is not None and total is not None:
            total = min(total, max_frames)
        slots = on_grid(src.timed(), src.info.fps, cfg.limits.max_frames)
        track = analyze_frames(
            slots, src.info.fps, fill=fill, config=cfg, max_frames=max_frames, total=total,
            progress=progress, on_frame=on_frame, source=path,
        )
    finally:
        src.close()
    if on_read is not None:
        on_read(src.stats)
    return track


def frame_at(
    path: str | Path, index: int, config: VideoConfig | None = None
) -> NDArray[np.uint8] | None:
    """The picture shown at grid slot ``index`` of :func:`analyze_video` (a held slot shows the
    last decoded picture); None for a gap or past the end."""
    cfg = config or VideoConfig()
    src = FrameSource(path, default_fps=cfg.default_fps, limits=cfg.limits)
    try:
        last: NDArray[np.uint8] | None = None
        for i, slot in enumerate(on_grid(src.timed(), src.info.fps, cfg.limits.max_frames)):
            if slot is NoFrame.GAP:
                last = None
            elif not isinstance(slot, NoFrame):
                last = slot
            if i == index:
                return last
        return None
    finally:
        src.close()
