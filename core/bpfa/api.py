"""One-call entry point: expression track → events → timeline → joint curves."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..track import ExpressionTrack
from .events import EventConfig, events_from_track
from .loader import load_default_library
from .model import Bpfa, Event, Timeline
from .motion import joint_curves
from .sampler import sample_timeline


@dataclass(frozen=True)
class BehaviorResult:
    """What the add-on keys onto the armature.

    Attributes:
        events: expression events plus the caller's external events, by timestamp.
        timeline: the sampled behavior segments.
        curves: bone role → (n_frames, 3) float32 Euler XYZ radians (every role present).
    """

    events: tuple[Event, ...]
    timeline: Timeline
    curves: dict[str, NDArray[np.float32]]


def _generators(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """Independent generators for the automaton instance and its motion variation."""
    a, b = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(a), np.random.default_rng(b)


def behavior_track(
    track: ExpressionTrack,
    bpfa: Bpfa | None = None,
    seed: int = 0,
    external_events: Iterable[Event] = (),
    event_config: EventConfig | None = None,
) -> BehaviorResult:
    """Generate the body behavior of ``track`` (default library when ``bpfa`` is None)."""
    lib = bpfa if bpfa is not None else load_default_library()
    evs = sorted(
        [*events_from_track(track, event_config), *external_events], key=lambda e: e.timestamp
    )
    g_sample, g_motion = _generators(seed)
    timeline = sample_timeline(lib, evs, len(track), track.fps, g_sample)
    curves = joint_curves(timeline, track, lib, g_motion)
    return BehaviorResult(tuple(evs), timeline, curves)
