"""The demo's scripted expression timeline: what the sample face "does" over the clip.

A photo holds one expression; the demo needs a performance. This script lays keyed beats
(smile, surprise, look left/right, frown, laugh, blinks) over a resting face, with smooth
ramps so onsets are clean. The resting face comes from the expression and head pose measured
on the sample face, made neutral (:func:`resting_face`): each entry at most ``REST_MAX`` and
the yaw within ``REST_YAW_DEG``, below every event's switch-off level. A photo that reads
smile 1.0 would otherwise make the performer smile from frame 0, and the scripted smile
beats would start no event; this way every event of the performance is a scripted beat.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .expression import INDEX, N_EXPRESSION
from .track import ExpressionTrack


@dataclass(frozen=True)
class Beat:
    """One scripted beat: parameters (and head angles) held from ``start`` to ``end`` seconds."""

    start: float
    end: float
    values: tuple[tuple[str, float], ...] = ()
    yaw: float = 0.0
    pitch: float = 0.0
    ramp: float = 0.2
    """Seconds to ease in and out."""


DEMO_BEATS: tuple[Beat, ...] = (
    Beat(1.0, 2.4, (("smile", 0.9),)),
    Beat(3.0, 4.0, (("brow_raise", 1.0), ("eye_wide", 0.9), ("jaw_open", 0.7), ("smile", 0.0))),
    Beat(4.6, 5.9, (), yaw=-40.0),
    Beat(6.3, 7.4, (("frown", 0.85), ("brow_furrow", 0.9), ("smile", 0.0), ("jaw_open", 0.0))),
    Beat(7.8, 8.8, (), yaw=35.0, pitch=-8.0),
    Beat(9.0, 9.8, (("smile", 1.0), ("jaw_open", 0.6))),
    Beat(2.7, 2.85, (("eye_close_l", 1.0), ("eye_close_r", 1.0)), ramp=0.05),
    Beat(6.0, 6.15, (("eye_close_l", 1.0), ("eye_close_r", 1.0)), ramp=0.05),
)


REST_MAX = 0.15
"""Highest value an expression entry keeps in the resting face (events switch off at 0.3)."""
REST_YAW_DEG = 5.0
"""Largest head yaw of the resting face in degrees (head turns switch off at 8°)."""


def resting_face(
    expression: NDArray[np.floating[Any]] | None, head: tuple[float, float, float] = (0.0, 0.0, 0.0)
) -> tuple[NDArray[np.float64], tuple[float, float, float]]:
    """A measured expression and head pose made neutral: entries capped at ``REST_MAX``, yaw
    clipped to ±``REST_YAW_DEG`` (pitch and roll kept). None: all zeros."""
    e = np.zeros(N_EXPRESSION) if expression is None else np.asarray(expression, dtype=np.float64)
    yaw = float(np.clip(head[0], -REST_YAW_DEG, REST_YAW_DEG))
    return np.clip(e, 0.0, REST_MAX), (yaw, float(head[1]), float(head[2]))


def _envelope(t: NDArray[np.float64], beat: Beat) -> NDArray[np.float64]:
    """0 outside the beat, 1 inside, smoothstep ramps at both ends."""
    up = np.clip((t - beat.start) / beat.ramp, 0.0, 1.0)
    down = np.clip((beat.end - t) / beat.ramp, 0.0, 1.0)
    x = np.minimum(up, down)
    out: NDArray[np.float64] = x * x * (3.0 - 2.0 * x)
    return out


def scripted_track(
    fps: float = 24.0,
    seconds: float = 10.0,
    baseline: NDArray[np.floating[Any]] | None = None,
    baseline_head: tuple[float, float, float] = (0.0, 0.0, 0.0),
    beats: tuple[Beat, ...] = DEMO_BEATS,
) -> ExpressionTrack:
    """Per-frame track: the resting face (``baseline`` and ``baseline_head`` made neutral by
    :func:`resting_face`) + beats, clipped to [0, 1].

    Each beat blends its parameters from the resting face toward its values (a frown beat
    also relaxes the smile), and adds its head angles.
    """
    n = round(seconds * fps)
    t = np.arange(n, dtype=np.float64) / fps
    base, rest_head = resting_face(baseline, baseline_head)
    expr = np.tile(base, (n, 1))
    head = np.tile(np.asarray(rest_head, dtype=np.float64), (n, 1))
    for beat in beats:
        env = _envelope(t, beat)
        for name, value in beat.values:
            i = INDEX[name]
            expr[:, i] = expr[:, i] * (1.0 - env) + value * env
        head[:, 0] += beat.yaw * env
        head[:, 1] += beat.pitch * env
    return ExpressionTrack(fps, np.clip(expr, 0.0, 1.0).astype(np.float32), head.astype(np.float32))
