"""A source (photo, image sequence or video) → the per-frame track a bake runs on.

:func:`analyze_video` does the analysis (the 8 values, head angles, smoothing, fill); its
``on_frame`` hook hands over each frame's raw landmarks, from which the per-side asymmetry is
measured (``core/transfer/geometry.py``), smoothed with the same One Euro filter as the
expression values, filled with the same policy, and combined with the smoothed 8 values into
the frame's detail vector (the detailed appearance mode reads it). The 8-value track is exactly
what ``analyze_video`` returns. A photo's one frame is then held for ``hold_frames`` frames; a
sequence or video is resampled to the scene's frame rate.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..detail import N_DETAIL
from ..track import ExpressionTrack, hold_track, resample_track
from ..transfer.geometry import detail_from_asymmetry, face_asymmetry
from .analyzer import AnalyzerConfig
from .baseline import BaselineConfig
from .smoothing import fill_missing
from .video import FrameRecord, VideoConfig, analyze_video, smooth


def track_from_source(
    path: str | Path,
    fps: float,
    *,
    hold_frames: int = 48,
    person_baseline: bool = False,
    device: str = "cpu",
    progress: Callable[[float], object] | None = None,
    cancelled: Callable[[], bool] | None = None,
    on_frame: Callable[[FrameRecord], object] | None = None,
) -> ExpressionTrack:
    """Photo, image sequence or video → per-frame track at ``fps`` with per-side details.

    ``person_baseline``: read a video's expressions against the person's own neutral face,
    learnt from the frames seen so far (docs/face.md). ``device``: where the face networks
    run (``BakeRequest.device``: "auto", "cpu", "cuda", "mps"). ``progress(fraction)``
    follows the frames read, when their count is known; ``cancelled()`` is asked after every
    frame (True stops the analysis with InterruptedError); ``on_frame`` receives each frame's
    raw :class:`FrameRecord` (landmarks: a photo's overlay). Frames without a face hold the
    last face's values.
    """
    config = VideoConfig(
        analyzer=AnalyzerConfig(device=device),
        person_baseline=BaselineConfig() if person_baseline else None,
    )

    def frames_done(done: int, total: int | None) -> None:
        if progress is not None and total:
            progress(done / total)
        if cancelled is not None and cancelled():
            raise InterruptedError("analysis cancelled")

    track = _analyze_detailed(Path(path), config, frames_done, on_frame)
    if len(track) == 1:  # a photo: hold its expression
        return hold_track(
            ExpressionTrack(fps, track.expressions, track.head, track.valid, track.details),
            hold_frames,
        )
    return resample_track(track, fps)


def _analyze_detailed(
    path: Path,
    config: VideoConfig,
    progress: Callable[[int, int | None], object],
    also: Callable[[FrameRecord], object] | None = None,
) -> ExpressionTrack:
    """:func:`analyze_video` (gaps held) plus ``details`` (N, 11) per frame."""
    # Flat typed arrays (24 bytes a frame), not a Python object per frame: a 30-minute video
    # is 54,000 frames (docs/security.md, bounded memory).
    rows = array("d")

    def on_frame(rec: FrameRecord) -> None:
        if also is not None:
            also(rec)
        if rec.face is None:
            rows.extend((0.0, 0.0, 0.0))
        else:
            a = face_asymmetry(rec.face.landmarks)
            rows.extend((1.0, float(a[0]), float(a[1])))

    track = analyze_video(path, fill="hold", progress=progress, config=config, on_frame=on_frame)
    n = len(track)
    table = np.frombuffer(rows, dtype=np.float64).reshape(-1, 3)[:n]
    ok = table[:, 0] > 0.5
    raw = np.where(ok[:, None], table[:, 1:], 0.0)
    asym = fill_missing(smooth(raw, ok, config.smooth_expression, track.fps), ok, "hold")
    details = np.empty((n, N_DETAIL), dtype=np.float32)
    for i in range(n):
        details[i] = detail_from_asymmetry(track.expressions[i], asym[i])
    return ExpressionTrack(track.fps, track.expressions, track.head, track.valid, details)
