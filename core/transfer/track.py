"""Analyse a source into an ExpressionTrack that also carries per-frame detail vectors.

``core.face.analyze_video`` does the analysis (the 8 values, head angles, smoothing, fill);
its ``on_frame`` hook hands over each frame's raw landmarks, from which the per-side
asymmetry is measured (``geometry.py``), smoothed with the same One Euro filter as the
expression values, filled with the same policy, and combined with the smoothed 8 values into
the frame's detail vector. The 8-value track is exactly what ``analyze_video`` returns.
"""

from __future__ import annotations

from array import array
from pathlib import Path

import numpy as np

from ..detail import N_DETAIL
from ..face.smoothing import FillPolicy, OneEuro, fill_missing
from ..face.video import FrameRecord, Progress, VideoConfig, analyze_video
from ..track import ExpressionTrack
from .geometry import detail_from_asymmetry, face_asymmetry


def analyze_detailed(
    path: str | Path,
    *,
    fill: FillPolicy = "hold",
    max_frames: int | None = None,
    progress: Progress | None = None,
    config: VideoConfig | None = None,
) -> ExpressionTrack:
    """:func:`core.face.analyze_video` plus ``details`` (N, 11) per frame."""
    cfg = config or VideoConfig()
    # Flat typed arrays (24 bytes a frame), not a Python object per frame: a 30-minute video
    # is 54,000 frames (docs/security.md, bounded memory).
    rows = array("d")

    def on_frame(rec: FrameRecord) -> None:
        if rec.face is None:
            rows.extend((0.0, 0.0, 0.0))
        else:
            a = face_asymmetry(rec.face.landmarks)
            rows.extend((1.0, float(a[0]), float(a[1])))

    track = analyze_video(path, fill=fill, max_frames=max_frames, progress=progress, config=cfg, on_frame=on_frame)
    n = len(track)
    table = np.frombuffer(rows, dtype=np.float64).reshape(-1, 3)[:n]
    ok = table[:, 0] > 0.5
    raw = table[:, 1:].copy()
    smooth = OneEuro(cfg.smooth_expression, track.fps) if cfg.smooth_expression else None
    asym = np.zeros_like(raw)
    for i in range(n):
        if not ok[i]:
            if smooth is not None:
                smooth.reset()
            continue
        asym[i] = smooth(raw[i]) if smooth is not None else raw[i]
    asym = fill_missing(asym, ok, fill)
    details = np.empty((n, N_DETAIL), dtype=np.float32)
    for i in range(n):
        details[i] = detail_from_asymmetry(track.expressions[i], asym[i])
    return ExpressionTrack(track.fps, track.expressions, track.head, track.valid, details)
