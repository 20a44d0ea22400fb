"""Expression track → events: hysteresis, minimum durations, blinks, head turns, neutral."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from moodrig.core.bpfa import EventConfig, events_from_track, expression_states
from moodrig.core.bpfa.events import debounce, schmitt
from moodrig.core.bpfa.model import EXPRESSION_STATES
from moodrig.core.expression import INDEX
from moodrig.core.track import ExpressionTrack

FPS = 30.0


def track(n: int = 300, **channels: tuple[int, int, float]) -> ExpressionTrack:
    """Expression ``name=(start, end, level)`` boxes; ``yaw=(start, end, degrees)`` for the head."""
    e = np.zeros((n, 8), dtype=np.float32)
    h = np.zeros((n, 3), dtype=np.float32)
    for name, (a, b, v) in channels.items():
        if name == "yaw":
            h[a:b, 0] = v
        else:
            e[a:b, INDEX[name]] = v
    return ExpressionTrack(FPS, e, h)


def contents(events: list) -> list[tuple[int, str]]:
    return [(round(e.timestamp * FPS), e.content) for e in events]


def test_schmitt_has_hysteresis_and_holds_invalid_frames() -> None:
    x = np.array([0.0, 0.6, 0.45, 0.35, 0.2, 0.45, 0.6, 0.6])
    np.testing.assert_array_equal(schmitt(x, 0.5, 0.3), [0, 1, 1, 1, 0, 0, 1, 1])
    valid = np.array([1, 1, 1, 1, 0, 1, 1, 1], dtype=bool)
    np.testing.assert_array_equal(schmitt(x, 0.5, 0.3, valid), [0, 1, 1, 1, 1, 1, 1, 1])


def test_debounce_bridges_gaps_then_drops_short_runs() -> None:
    s = np.array([0, 1, 1, 0, 1, 1, 0, 0, 0, 1, 0], dtype=bool)
    np.testing.assert_array_equal(
        debounce(s, min_on=2, min_off=2), [0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
    )


def test_smile_episode_gives_on_off_and_neutral_at_the_right_frames() -> None:
    evs = events_from_track(track(smile=(60, 150, 0.9)))
    assert contents(evs) == [(60, "smile_on"), (150, "smile_off"), (150, "neutral")]
    e = evs[0]
    assert e.sender == "face" and e.receiver == "*" and e.expiry >= e.timestamp


def test_flicker_shorter_than_min_on_is_ignored() -> None:
    assert events_from_track(track(smile=(60, 63, 0.9))) == []
    cfg = EventConfig(min_on_s=0.05)
    assert [c for _, c in contents(events_from_track(track(smile=(60, 63, 0.9)), cfg))] == [
        "smile_on",
        "smile_off",
        "neutral",
    ]


def test_frown_surprise_and_overlap_produce_one_neutral() -> None:
    t = track(frown=(30, 120, 0.8), brow_raise=(90, 200, 0.9), eye_wide=(90, 200, 0.9))
    assert contents(events_from_track(t)) == [
        (30, "frown_on"),
        (90, "surprise_on"),
        (120, "frown_off"),
        (200, "surprise_off"),
        (200, "neutral"),
    ]


def test_blinks_are_short_closures_only() -> None:
    t = track(eye_close_l=(40, 44, 0.95), eye_close_r=(40, 44, 0.95))
    assert contents(events_from_track(t)) == [(40, "blink")]
    long_close = track(eye_close_l=(40, 100, 0.95), eye_close_r=(40, 100, 0.95))
    assert events_from_track(long_close) == []
    one_eye = track(eye_close_l=(40, 44, 0.95))
    assert events_from_track(one_eye) == []


def test_head_turns_left_and_right() -> None:
    n = 300
    h = np.zeros((n, 3), dtype=np.float32)
    h[50:120, 0] = 30.0
    h[180:250, 0] = -25.0
    t = ExpressionTrack(FPS, np.zeros((n, 8), dtype=np.float32), h)
    assert contents(events_from_track(t)) == [
        (50, "turn_left"),
        (120, "turn_off"),
        (120, "neutral"),
        (180, "turn_right"),
        (250, "turn_off"),
        (250, "neutral"),
    ]
    st_ = expression_states(t)
    assert (
        st_[60, EXPRESSION_STATES.index("look_left")]
        and st_[200, EXPRESSION_STATES.index("look_right")]
    )
    assert st_[150, EXPRESSION_STATES.index("neutral")]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=10, max_size=200))
def test_events_alternate_and_states_are_consistent(levels: list[float]) -> None:
    n = len(levels)
    e = np.zeros((n, 8), dtype=np.float32)
    e[:, INDEX["smile"]] = levels
    t = ExpressionTrack(FPS, e, np.zeros((n, 3), dtype=np.float32))
    evs = [c for _, c in contents(events_from_track(t)) if c.startswith("smile")]
    # on and off strictly alternate, starting with on
    assert all(c == ("smile_on" if i % 2 == 0 else "smile_off") for i, c in enumerate(evs))
    states = expression_states(t)
    assert np.all(states[:, 0] == ~states[:, 1:].any(axis=1))
    times = [ev.timestamp for ev in events_from_track(t)]
    assert times == sorted(times)
