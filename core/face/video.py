"""Per-frame analysis of a video, image sequence or single image into an ExpressionTrack.

Frames stream through one at a time (bounded memory: only per-frame numbers are kept).
Face Mesh follows the face from frame to frame; the detector runs only on the first frame
and whenever tracking is lost. Once the clip is read, the values can be read against the
person's own neutral (``VideoConfig.person_baseline``, ``baseline.py``; shots split at cuts),
then they are smoothed with a One Euro filter (reset after a gap); frames without a face are
marked invalid and filled by the caller's policy. The stable smile decision of every frame:
:func:`smile_states` (``decision.py``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from ..errors import InputError
from ..expression import N_EXPRESSION
from ..track import ExpressionTrack
from .analyzer import AnalyzerConfig, FaceAnalyzer, FaceResult, FrameCopies
from .baseline import BaselineConfig, person_neutral
from .calibration import Calibration
from .decision import SmileDecisionConfig, smile_states
from .expressions import expression_vector
from .io import FrameSource, ReadLimits, ReadStats
from .measures import N_MEASURES
from .netspec import engine_threads
from .smoothing import FillPolicy, OneEuro, OneEuroConfig, fill_missing
from .timing import NoFrame, Slot, on_grid

Progress = Callable[[int, int | None], object]

__all__ = [
    "FrameRecord",
    "VideoConfig",
    "analyze_frames",
    "analyze_video",
    "frame_at",
    "smile_states",
    "track_frames",
]


@dataclass(frozen=True)
class VideoConfig:
    """Video analysis settings."""

    analyzer: AnalyzerConfig = field(default_factory=AnalyzerConfig)
    """Per-frame analysis settings."""
    smooth_expression: OneEuroConfig | None = field(
        default_factory=lambda: OneEuroConfig(min_cutoff=1.5, beta=2.0)
    )
    """One Euro filter for the 8 expression values (units/s); None = no smoothing."""
    smooth_head: OneEuroConfig | None = field(
        default_factory=lambda: OneEuroConfig(min_cutoff=1.5, beta=0.05)
    )
    """One Euro filter for yaw/pitch/roll (degrees/s); None = no smoothing."""
    default_fps: float = 25.0
    """Frame rate given to image sequences and single images."""
    limits: ReadLimits = field(default_factory=ReadLimits)
    """Input size limits."""
    decision: SmileDecisionConfig = field(default_factory=SmileDecisionConfig)
    """The stable per-frame smile decision (:func:`smile_states`) on the population's reading;
    with ``person_baseline``, that config's own ``decision`` is used (:attr:`smile_decision`)."""
    person_baseline: BaselineConfig | None = None
    """Read the values against the person's own neutral, learnt from the clip's frames at rest
    (``baseline.py``). None (default): the population's neutral, as for photos."""
    cut_level: float = 4.0
    """Least picture change (mean grey levels of 32 × 24 thumbnails) of a cut, which starts a
    new shot where the person's neutral is learnt afresh (:func:`shots`); only used with
    ``person_baseline``."""

    @property
    def smile_decision(self) -> SmileDecisionConfig:
        """The smile decision for values read as this config reads them."""
        return self.decision if self.person_baseline is None else self.person_baseline.decision


@dataclass(frozen=True)
class FrameRecord:
    """Raw (unsmoothed) per-frame result, for callers that want landmarks too."""

    index: int
    face: FaceResult | None


def track_frames(frames: Iterable[Slot], analyzer: FaceAnalyzer) -> Iterator[FrameRecord]:
    """Follow one face through frames (HWC uint8 RGB); a held slot repeats the previous
    result, a gap has no face and makes the next frame detect afresh. Pictures are read in
    runs of ``track_batch`` (copied: the reader reuses its buffer), so that Face Mesh reads a
    run in one network call (``FaceAnalyzer.track_landmarks_many``)."""
    k = max(1, analyzer.config.track_batch)
    copies = FrameCopies(k)
    run: list[Slot] = []  # pictures (copied) and held slots, in order
    prev: FaceResult | None = None
    index = 0

    def flush() -> Iterator[FrameRecord]:
        nonlocal prev, index
        pictures = [s for s in run if not isinstance(s, NoFrame)]
        faces = iter(analyzer.track_many(pictures, prev))
        for slot in run:
            if not isinstance(slot, NoFrame):
                prev = next(faces)
            yield FrameRecord(index, prev)
            index += 1
        run.clear()

    for frame in frames:
        if frame is NoFrame.GAP:
            yield from flush()
            prev = None
            yield FrameRecord(index, None)
            index += 1
        elif isinstance(frame, NoFrame):
            run.append(frame)
        else:
            run.append(copies.take(frame))
            if sum(not isinstance(s, NoFrame) for s in run) == k:
                yield from flush()
    yield from flush()


class _TrackRows:
    """Per-frame values in preallocated arrays that double when full.

    A 30-minute video has 45,000 frames; lists of small per-frame arrays pinned heap pages
    between the frame buffers (glibc fragmentation: 1.6 GB peak), a few big arrays do not.
    Kept unsmoothed (smoothing runs once the clip is read, after the person's neutral):
    the 8 values and head angles, and with ``raw`` (for the person's neutral) the raw smile
    score, raw measures and picture change.
    """

    def __init__(self, capacity: int = 1024, *, raw: bool = False) -> None:
        self.n = 0
        self.expr = np.zeros((capacity, N_EXPRESSION))
        self.head = np.zeros((capacity, 3))
        self.valid = np.zeros(capacity, dtype=bool)
        self.raw = raw
        self.z = np.zeros(capacity if raw else 0)
        self.measures = np.zeros((capacity if raw else 0, N_MEASURES))
        self.change = np.zeros(capacity if raw else 0)

    def append(self, face: FaceResult | None, change: float) -> None:
        """One frame; None = no face (the row stays zero, marked invalid)."""
        if self.n == len(self.valid):
            extra = ("z", "measures", "change") if self.raw else ()
            for name in ("expr", "head", "valid", *extra):
                arr = getattr(self, name)
                setattr(self, name, np.concatenate([arr, np.zeros_like(arr)]))
        if self.raw:
            self.change[self.n] = change
        if face is not None:
            self.expr[self.n] = face.expression
            self.head[self.n] = (face.head.yaw, face.head.pitch, face.head.roll)
            self.valid[self.n] = True
            if self.raw and face.raw is not None:
                self.z[self.n] = face.raw.smile.z
                self.measures[self.n] = face.raw.measures
        self.n += 1


class FrameChange:
    """How much each picture differs from the one before: mean absolute difference of 32 × 24
    gray thumbnails, in grey levels (0 for the first picture, a held slot and after a gap).
    The last ``window`` values are kept (:meth:`at`), because frames are read a few ahead of
    their analysis."""

    def __init__(self, window: int = 64) -> None:
        self._recent: deque[float] = deque(maxlen=window)
        self.seen = 0
        """Slots seen so far."""
        self._thumb: NDArray[np.float32] | None = None

    @property
    def last(self) -> float:
        """The change of the last slot seen (0 before any)."""
        return self._recent[-1] if self._recent else 0.0

    def at(self, index: int) -> float:
        """The change of slot ``index`` (one of the last ``window`` seen)."""
        k = index - (self.seen - len(self._recent))
        if not 0 <= k < len(self._recent):
            raise IndexError(f"slot {index} is not among the last {len(self._recent)} seen")
        return self._recent[k]

    def see(self, frame: Slot) -> None:
        self.seen += 1
        if frame is NoFrame.GAP:
            self._thumb = None
            self._recent.append(0.0)
            return
        if isinstance(frame, NoFrame):
            self._recent.append(0.0)
            return
        small = cv2.resize(frame, (32, 24), interpolation=cv2.INTER_AREA)
        thumb = np.asarray(small, dtype=np.float32).reshape(24, 32, -1).mean(axis=2)
        d = 0.0 if self._thumb is None else float(np.abs(thumb - self._thumb).mean())
        self._recent.append(d)
        self._thumb = thumb


def shots(change: NDArray[np.float64], level: float, ratio: float = 3.0) -> NDArray[np.int64]:
    """Shot number of every frame: a cut is a frame whose picture change exceeds ``level`` and
    ``ratio`` times the change of both neighbours (one abrupt change; a dissolve, a fast head
    turn or a camera move change several frames alike, a flash changes two in a row)."""
    c = np.asarray(change, dtype=np.float64)
    prev = np.concatenate(([0.0], c[:-1]))
    nxt = np.concatenate((c[1:], [0.0]))
    cut = (c > level) & (c > ratio * np.maximum(prev, nxt))
    return np.cumsum(cut).astype(np.int64)


def _watched(frames: Iterable[Slot], change: FrameChange | None) -> Iterator[Slot]:
    for f in frames:
        if change is not None:
            change.see(f)
        yield f


def _run(
    frames: Iterable[Slot],
    an: FaceAnalyzer,
    rows: _TrackRows,
    change: FrameChange | None,
    max_frames: int | None,
    total: int | None,
    progress: Progress | None,
    on_frame: Callable[[FrameRecord], object] | None,
) -> None:
    for rec in track_frames(_watched(frames, change), an):
        if on_frame is not None:
            on_frame(rec)
        rows.append(rec.face, change.at(rec.index) if change is not None else 0.0)
        if progress is not None:
            progress(rec.index + 1, total)
        if max_frames is not None and rec.index + 1 >= max_frames:
            break


def relative_expressions(
    rows: _TrackRows, cal: Calibration, config: BaselineConfig, cut_level: float
) -> NDArray[np.float64]:
    """The 8 values of every frame read against the person's own neutral (``baseline.py``),
    learnt per shot."""
    n = rows.n
    shot = shots(rows.change[:n], cut_level)
    pn = person_neutral(
        rows.z[:n], rows.measures[:n], rows.head[:n, 0], rows.valid[:n], shot, cal, config
    )
    out = rows.expr[:n].copy()
    smile = pn.smile(rows.z[:n])
    for i in np.flatnonzero(rows.valid[:n]):
        out[i] = expression_vector(rows.measures[i], float(smile[i]), pn.neutral[i])
    return out


def smooth(
    values: NDArray[np.float64], valid: NDArray[np.bool_], config: OneEuroConfig | None, fps: float
) -> NDArray[np.float64]:
    """One Euro filter over the valid rows, restarted after every frame without a face."""
    if config is None:
        return values
    f = OneEuro(config, fps)
    out = values.copy()
    for i in range(len(values)):
        if valid[i]:
            out[i] = f(values[i])
        else:
            f.reset()
    return out


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
    rows = _TrackRows(raw=cfg.person_baseline is not None)
    with engine_threads(an.config.engine, an.config.threads):
        change = FrameChange() if cfg.person_baseline is not None else None
        _run(frames, an, rows, change, max_frames, total, progress, on_frame)
    if rows.n == 0:
        raise InputError(source, "contains no frames")
    ok = rows.valid[: rows.n].copy()
    if not ok.any():
        raise InputError(source, f"no face found in any of its {rows.n} frame(s)")
    expr = rows.expr[: rows.n]
    if cfg.person_baseline is not None:
        expr = relative_expressions(rows, an.calibration, cfg.person_baseline, cfg.cut_level)
    expr = smooth(expr, ok, cfg.smooth_expression, fps)
    head = smooth(rows.head[: rows.n], ok, cfg.smooth_head, fps)
    e_arr = np.clip(fill_missing(expr, ok, fill), 0.0, 1.0).astype(np.float32)
    h_arr = fill_missing(head, ok, fill).astype(np.float32)
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
            slots,
            src.info.fps,
            fill=fill,
            config=cfg,
            max_frames=max_frames,
            total=total,
            progress=progress,
            on_frame=on_frame,
            source=path,
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
