"""Expression track → events, with hysteresis and minimum durations.

Derived signals per frame (all from ``ExpressionTrack``):

* smile = ``smile``; frown = max(``frown``, ``brow_furrow``);
  surprise = mean(``brow_raise``, ``eye_wide``); blink = min(``eye_close_l``, ``eye_close_r``);
* look_left: head yaw > +threshold (a positive yaw turns the face to the subject's left);
  look_right: yaw < −threshold.

Each state is a Schmitt trigger (``core/hysteresis.py``; on above ``on``, off below ``off``;
frames without a face keep the previous state), then off-gaps shorter than ``min_off_s`` are
bridged and on-runs shorter than ``min_on_s`` removed. Events: ``<state>_on``/``<state>_off``
(``turn_left``, ``turn_right``, ``turn_off`` for the head), ``blink`` for a short closure, and
``neutral`` when the last active state ends. Timestamps are the frame where the change happened
(offline analysis: the whole track is known).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..expression import INDEX
from ..hysteresis import debounce, schmitt
from ..hysteresis import runs as _runs
from ..track import ExpressionTrack
from .model import EXPRESSION_STATES, Event


@dataclass(frozen=True)
class EventConfig:
    """Thresholds and durations of :func:`events_from_track`.

    Attributes:
        smile_on: smile level that switches the smile state on (0–1).
        smile_off: level below which it switches off (< smile_on).
        frown_on: frown level (max of frown, brow_furrow) that switches frown on.
        frown_off: level below which frown switches off.
        surprise_on: surprise level (mean of brow_raise, eye_wide) that switches it on.
        surprise_off: level below which surprise switches off.
        yaw_on_deg: |head yaw| in degrees that starts a head turn.
        yaw_off_deg: |head yaw| below which the turn ends.
        blink_on: eye closure (min of both eyes) that counts as closed.
        blink_off: eye closure below which the eyes count as open again.
        blink_max_s: longest closure (seconds) still reported as a blink.
        min_on_s: shortest on-run (seconds) kept as a state.
        min_off_s: shortest off-gap (seconds) kept; shorter gaps are bridged.
        expiry_s: seconds an event stays valid after its timestamp.
        sender: sender written into every event.
    """

    smile_on: float = 0.5
    smile_off: float = 0.3
    frown_on: float = 0.5
    frown_off: float = 0.3
    surprise_on: float = 0.55
    surprise_off: float = 0.35
    yaw_on_deg: float = 15.0
    yaw_off_deg: float = 8.0
    blink_on: float = 0.7
    blink_off: float = 0.4
    blink_max_s: float = 0.4
    min_on_s: float = 0.2
    min_off_s: float = 0.2
    expiry_s: float = 0.5
    sender: str = "face"


def _frames(seconds: float, fps: float) -> int:
    return max(1, round(seconds * fps))


def expression_states(
    track: ExpressionTrack, config: EventConfig | None = None
) -> NDArray[np.bool_]:
    """(N, 6) bool per frame in the order of ``EXPRESSION_STATES`` (neutral = none of the
    others)."""
    cfg = config or EventConfig()
    e = track.expressions.astype(np.float64)
    yaw = track.head[:, 0].astype(np.float64)
    v = track.valid
    signals = {
        "smile": (e[:, INDEX["smile"]], cfg.smile_on, cfg.smile_off),
        "frown": (
            np.maximum(e[:, INDEX["frown"]], e[:, INDEX["brow_furrow"]]),
            cfg.frown_on,
            cfg.frown_off,
        ),
        "surprise": (
            (e[:, INDEX["brow_raise"]] + e[:, INDEX["eye_wide"]]) / 2.0,
            cfg.surprise_on,
            cfg.surprise_off,
        ),
        "look_left": (yaw, cfg.yaw_on_deg, cfg.yaw_off_deg),
        "look_right": (-yaw, cfg.yaw_on_deg, cfg.yaw_off_deg),
    }
    mn, mf = _frames(cfg.min_on_s, track.fps), _frames(cfg.min_off_s, track.fps)
    out = np.zeros((len(track), len(EXPRESSION_STATES)), dtype=bool)
    for name, (sig, on, off) in signals.items():
        out[:, EXPRESSION_STATES.index(name)] = debounce(schmitt(sig, on, off, v), mn, mf)
    out[:, EXPRESSION_STATES.index("neutral")] = ~out[:, 1:].any(axis=1)
    return out


_ON_OFF = {
    "smile": ("smile_on", "smile_off"),
    "frown": ("frown_on", "frown_off"),
    "surprise": ("surprise_on", "surprise_off"),
    "look_left": ("turn_left", "turn_off"),
    "look_right": ("turn_right", "turn_off"),
}


def events_from_track(track: ExpressionTrack, config: EventConfig | None = None) -> list[Event]:
    """Events of an expression track, sorted by timestamp (offs before ons in one frame)."""
    cfg = config or EventConfig()
    states = expression_states(track, cfg)
    fps = track.fps
    raw: list[tuple[int, int, str]] = []  # (frame, order, content)
    for name, (on_ev, off_ev) in _ON_OFF.items():
        for a, b in _runs(states[:, EXPRESSION_STATES.index(name)]):
            raw.append((a, 2, on_ev))
            if b < len(track):
                raw.append((b, 0, off_ev))
    neutral = states[:, EXPRESSION_STATES.index("neutral")]
    for f in np.flatnonzero(neutral[1:] & ~neutral[:-1]) + 1:
        raw.append((int(f), 1, "neutral"))
    closure = np.minimum(
        track.expressions[:, INDEX["eye_close_l"]], track.expressions[:, INDEX["eye_close_r"]]
    )
    closed = schmitt(closure, cfg.blink_on, cfg.blink_off, track.valid)
    longest = _frames(cfg.blink_max_s, fps)
    for a, b in _runs(closed):
        if b - a <= longest:
            raw.append((a, 3, "blink"))
    raw.sort()
    return [
        Event(
            id=f"{cfg.sender}-{i}",
            sender=cfg.sender,
            receiver="*",
            content=c,
            timestamp=f / fps,
            expiry=f / fps + cfg.expiry_s,
        )
        for i, (f, _, c) in enumerate(raw)
    ]
