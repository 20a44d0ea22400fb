"""Synchronization metric: computed from the curves, one-to-one matching, chance baseline."""

from __future__ import annotations

import numpy as np
import pytest
from seed_stats import estimate, summarize

from moodrig.core.bpfa import (
    SyncConfig,
    behavior_track,
    driven_channels,
    load_default_library,
    sync_metrics,
    to_dot,
    to_mermaid,
)
from moodrig.core.bpfa.motion import stack_curves
from moodrig.core.bpfa.sync import (
    decode_behaviors,
    detect_onsets,
    f1_score,
    match_onsets,
    reference_frames,
)
from moodrig.core.rig import BONE_ROLES
from moodrig.weights_tools.bpfa_tracks import DEMO_CHARACTERS, demo_track

LIB = load_default_library()
FAST = SyncConfig(n_shifts=200)


def test_matching_is_one_to_one_within_tolerance() -> None:
    assert match_onsets(np.array([10]), np.array([9, 11]), 2) == [(10, 9)]
    assert match_onsets(np.array([10, 12]), np.array([11]), 2) == [(10, 11)]
    assert match_onsets(np.array([10, 20]), np.array([13, 20]), 2) == [(20, 20)]
    assert match_onsets(np.array([10, 20]), np.array([12, 18]), 2) == [(10, 12), (20, 18)]
    assert f1_score(0, 0, 0) == (1.0, 1.0, 1.0)
    assert f1_score(0, 3, 0)[0] == 0.0
    f, p, r = f1_score(2, 4, 2)
    assert (p, r) == (1.0, 0.5) and f == pytest.approx(2 / 3)


def test_onset_detection_walks_back_to_the_start_of_the_rise() -> None:
    n = 200
    x = np.zeros((n, 4))
    t = np.arange(n)
    x[:, 0] = 0.01 * np.sin(2 * np.pi * 0.25 * t / 30)  # breathing below theta
    ramp = np.clip((t - 60) / 9, 0, 1)
    x[:, 1] = 0.3 * ramp * ramp * (3 - 2 * ramp)  # a gesture easing in from frame 60
    x[:, 2] = np.where(
        t >= 130, 0.2 * np.sin(2 * np.pi * 3 * (t - 130) / 45), 0
    )  # an oscillation from 130
    got = detect_onsets(x, 30.0)
    assert got.tolist() == [60, 130]


def _run(ci: int, seed: int, seconds: float = 40.0):  # type: ignore[no-untyped-def]
    tr = demo_track(DEMO_CHARACTERS[ci], seconds, 0)
    res = behavior_track(tr, LIB, seed)
    return tr, res


def test_demo_character_is_synchronized_and_beats_chance() -> None:
    tr, res = _run(0, 0)
    rep = sync_metrics(tr, res.curves, LIB, res.events, FAST)
    assert rep.n_reference >= 5
    assert rep.onset_f1 >= 0.9
    assert rep.baseline_f1 < 0.3
    assert rep.allowed_fraction >= 0.97 > rep.baseline_allowed_fraction
    assert rep.xcorr_peak > 0.8 > rep.baseline_xcorr_peak
    assert abs(rep.xcorr_lag) <= 6
    assert [tol for tol, _ in rep.f1_sweep] == [1, 2, 4, 6]
    assert all(
        a <= b + 1e-12 for (_, a), (_, b) in zip(rep.f1_sweep, rep.f1_sweep[1:], strict=False)
    )


def test_metric_reads_the_curves_not_the_log() -> None:
    tr, res = _run(2, 1)
    still = {r: np.zeros_like(c) for r, c in res.curves.items()}
    rep = sync_metrics(tr, still, LIB, res.events, FAST)
    assert rep.n_detected == 0 and rep.onset_f1 == 0.0
    late = {r: np.roll(c, 10, axis=0) for r, c in res.curves.items()}
    rep_late = sync_metrics(tr, late, LIB, res.events, FAST)
    assert rep_late.onset_f1 < 0.3
    assert (
        rep_late.median_offset != rep_late.median_offset
        or rep_late.median_offset == pytest.approx(10, abs=2)
    )
    assert dict(rep_late.f1_sweep)[6] < 0.3


def test_decoded_behaviors_agree_with_the_sampled_ones() -> None:
    tr, res = _run(3, 2)
    labels = decode_behaviors(stack_curves(res.curves), LIB, tr.fps)
    ids = [b.id for b in LIB.automaton.behaviors]
    truth = res.timeline.behavior_per_frame()
    agree = np.mean([ids[k] == g for k, g in zip(labels.tolist(), truth, strict=True)])
    assert agree > 0.8


def test_reference_uses_only_events_that_move_the_body() -> None:
    tr, res = _run(1, 0, 20.0)
    ref = reference_frames(res.events, LIB, tr.fps, len(tr))
    blinks = {round(e.timestamp * tr.fps) for e in res.events if e.content == "blink"}
    ons = {
        round(e.timestamp * tr.fps)
        for e in res.events
        if e.content.endswith("_on") or (e.content.startswith("turn_") and e.content != "turn_off")
    }
    assert set(ref.tolist()) == ons
    assert not (blinks - ons) & set(ref.tolist())


def test_estimates_over_seeds() -> None:
    e = estimate([1.0, 1.0, 1.0])
    assert (e.mean, e.lo, e.hi, e.n) == (1.0, 1.0, 1.0, 3)
    rng = np.random.default_rng(0)
    vals = rng.normal(5.0, 1.0, 30)
    e = estimate(vals.tolist())
    half = 2.0452 * vals.std(ddof=1) / np.sqrt(30)  # t(0.975, 29)
    assert e.lo == pytest.approx(vals.mean() - half, rel=1e-3) and e.hi == pytest.approx(
        vals.mean() + half, rel=1e-3
    )
    tr, res = _run(4, 0, 20.0)
    reps = [
        sync_metrics(
            tr, behavior_track(tr, LIB, s).curves, LIB, res.events, SyncConfig(n_shifts=50)
        )
        for s in range(3)
    ]
    summ = summarize(reps)
    assert summ["onset_f1"].n == 3 and "f1@6" in summ


def test_diagrams_show_every_behavior_and_edge_labels() -> None:
    mer = to_mermaid(LIB)
    dot = to_dot(LIB)
    assert mer.startswith("stateDiagram-v2")
    assert dot.startswith('digraph "humanoid_default" {') and dot.rstrip().endswith("}")
    for b in LIB.automaton.behaviors:
        assert f'"{b.id}"' in dot and f"b_{b.id}" in mer
    assert "smile_on / 0.55" in mer and "smile_on / 0.55" in dot
    assert "[*] --> b_idle" in mer and '"__start" -> "idle"' in dot
    n_edges = len({(t.behavior, x) for t in LIB.automaton.transitions for x in t.targets})
    assert dot.count(" -> ") == n_edges + 1
    assert len(BONE_ROLES) == 19


def test_allowed_fraction_catches_a_library_that_reacts_wrongly() -> None:
    import json

    from moodrig.core.bpfa import default_library_path, parse_definition

    raw = json.loads(default_library_path().read_text())
    for row in raw["transitions"]:
        if row["event"] == "frown_on":
            row["to"] = {"laugh": 1.0}  # laughing at a frown: not allowed while frowning
    wrong, _ = parse_definition(raw)
    tr = demo_track(DEMO_CHARACTERS[1], 40.0, 0)  # the grumpy character frowns a lot
    good = sync_metrics(
        tr, behavior_track(tr, LIB, 0).curves, LIB, behavior_track(tr, LIB, 0).events, FAST
    )
    res = behavior_track(tr, wrong, 0)
    bad = sync_metrics(tr, res.curves, wrong, res.events, FAST)
    assert good.allowed_fraction >= 0.99
    assert bad.allowed_fraction < 0.9


def test_curves_read_back_from_a_partial_rig_are_accepted() -> None:
    tr, res = _run(0, 0, 20.0)
    partial = {r: c for r, c in res.curves.items() if not r.startswith(("thigh", "shin", "foot"))}
    full = sync_metrics(tr, res.curves, LIB, res.events, FAST)
    assert sync_metrics(tr, partial, LIB, res.events, FAST) == full
    with pytest.raises(ValueError, match="unknown bone role"):
        sync_metrics(tr, {**res.curves, "tail": res.curves["head"]}, LIB, res.events, FAST)


def test_chance_baseline_is_valid_on_short_clips() -> None:
    """A 4 s clip: every circular shift counts once, so chance is the exact mean over all
    phases (not one repeated 'minimum' shift that scored like the aligned track)."""
    from moodrig.core.demo_timeline import Beat, scripted_track

    # The beats start after 0.75 s: over the first half second the idle blends in from the rest
    # pose, and a gesture starting there is read up to 3 frames early (its rise merges with the
    # idle's).
    beats = tuple(Beat(0.75 + 1.0 * k, 0.75 + 1.0 * k + 0.5, (("smile", 1.0),)) for k in range(3))
    tr = scripted_track(fps=24.0, seconds=4.0, beats=beats)
    res = behavior_track(tr, LIB, 0)
    rep = sync_metrics(tr, res.curves, LIB, res.events, SyncConfig())
    assert rep.n_reference == 3 and rep.reason is None
    assert rep.n_shifts == len(tr)  # all 96 phases
    assert rep.onset_f1 is not None and rep.onset_f1 >= 0.9
    assert rep.baseline_f1 is not None and rep.baseline_f1 < 0.3
    assert rep.p_value is not None and rep.p_value <= 0.1  # a few near-aligned shifts do as well


def test_too_few_events_are_not_judged() -> None:
    from moodrig.core.demo_timeline import Beat, scripted_track

    tr = scripted_track(fps=24.0, seconds=3.0, beats=(Beat(1.0, 2.0, (("smile", 1.0),)),))
    res = behavior_track(tr, LIB, 0)
    rep = sync_metrics(tr, res.curves, LIB, res.events, SyncConfig())
    assert rep.n_reference == 1
    assert rep.onset_f1 is None and rep.baseline_f1 is None and rep.p_value is None
    assert rep.reason is not None and rep.reason.startswith("not enough events to judge")
    assert 0.0 <= rep.allowed_fraction <= 1.0  # the per-frame figures are still measured


def test_chance_shifts_cover_every_phase_or_sample_uniformly() -> None:
    from moodrig.core.bpfa.sync import chance_shifts

    assert chance_shifts(96, 1000).tolist() == list(range(96))
    s = chance_shifts(5000, 1000, seed=1)
    assert len(s) == 1000 and s.min() >= 0 and s.max() < 5000 and s.min() < 500 and s.max() > 4500


def test_driven_channels_keep_what_the_behaviors_move_and_rest_the_rest() -> None:
    """Keys read back from a rig can move channels no behavior drives (legs solved to keep
    the feet planted while the hips sway); those are not behavior onsets."""
    n = 48
    sampled = {"head": np.zeros((n, 3)), "shin.L": np.zeros((n, 3))}
    sampled["head"][24:, 1] = 0.3  # the head turns at frame 24
    written = {
        "head": sampled["head"] + 0.001,  # as written: a little off everywhere
        "shin.L": np.zeros((n, 3)),
        "hand.L": np.ones((n, 3)),  # a role the sampler has no curve for
    }
    written["shin.L"][10:, 0] = 0.1  # the planted leg bends with the hips at frame 10
    driven = driven_channels(written, sampled)
    assert set(driven) == {"head", "shin.L"}
    assert np.array_equal(driven["head"][:, 1], written["head"][:, 1])
    assert not driven["head"][:, [0, 2]].any() and not driven["shin.L"].any()
    x = stack_curves(written | {"hand.L": np.zeros((n, 3))})
    onsets = detect_onsets(x, 24.0).tolist()
    assert len(onsets) == 2 and abs(onsets[0] - 10) <= 1, "the leg alone reads as an onset"
    only = detect_onsets(stack_curves(driven), 24.0).tolist()
    assert len(only) == 1 and abs(only[0] - 24) <= 1
