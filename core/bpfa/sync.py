"""Expression–behavior synchronization, measured from the joint curves (docs/method.md §6).

Nothing here reads the sampler's log. From the curves and the definition alone:

* **Behavior onsets**: a channel departs from rest when |angle| rises above ``theta`` after
  at least ``quiet_s`` seconds at or below it; the onset is walked back to the frame
  where the rise began (per-frame increase above the channel's own step size while it was
  quiet, so idle motion is not mistaken for the rise), and onsets of several channels
  within ``merge_s`` are one onset (the earliest). Idle breathing and sway stay below
  ``theta`` by design of the library.
* **Per-frame behavior**: each behavior's *signature* — the (channel, sign) pairs its motions
  drive beyond ``theta`` — is computed from the definition; a frame's active pairs (within
  ± ``activity_window_s``) are matched to the signature with the highest Jaccard index
  (no active pair: the initial behavior).
* **Reference**: frames of expression events whose content has a row leading to a
  behavior with a non-empty signature (a visible gesture).

Metrics: onset F1 with one-to-one matching within ± tolerance (precision, recall, median
offset, a sweep over tolerances); the fraction of frames whose decoded behavior is allowed
for the expression state; the peak normalised cross-correlation (and its lag) between head
yaw and the sum of the look-toward channels.

Chance baseline: each metric recomputed with the expression track (its reference events, its
states, its yaw) circularly shifted against the curves, over *every* shift 0 … n−1 (or
``n_shifts`` shifts drawn uniformly from all of them when the clip has more frames). That is
the exact expectation under a random phase between face and body, valid at every clip length:
on a short clip the few shifts that keep the events near their onsets count in proportion,
instead of every shift being the same one. ``p_value`` is the share of shifts that score an
F1 at least as high as the real alignment.

With fewer than ``min_events`` reference events the F1 figures cannot tell synchronisation
from luck: they are None, and ``reason`` says "not enough events to judge" (with the counts).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..track import ExpressionTrack
from .events import EventConfig, expression_states
from .model import ANY, DONE_EVENT, EXPRESSION_STATES, Bpfa, Event
from .motion import N_CHANNELS, ROLE_INDEX, channel_values, stack_curves


@dataclass(frozen=True)
class SyncConfig:
    """Parameters of :func:`sync_metrics`.

    Attributes:
        tolerance: onset matching tolerance in frames (± this).
        sweep: tolerances (frames) for the F1 sweep.
        theta: radians above which a channel counts as away from rest.
        quiet_s: seconds at or below ``theta`` required before a departure (longer than
            half a period of any gesture's oscillation).
        rise_eps: radians per frame counted as rising when no quiet stretch precedes the
            departure (the start of the track); elsewhere the channel's own floor is used.
        merge_s: channel departures this close (seconds) are one onset.
        activity_window_s: half-width (seconds) of the window a pair stays active.
        onset_window_s: seconds after (and before) an onset whose newly active pairs
            identify the behavior that started there.
        xcorr_max_lag_s: largest lag (seconds) searched for the yaw cross-correlation.
        n_shifts: circular shifts for the chance baseline: every shift when the clip has at
            most this many frames, else this many drawn uniformly from all of them.
        min_events: reference events needed to judge the onset figures (fewer: None).
        seed: seed of the generator that picks the shifts.
    """

    tolerance: int = 2
    sweep: tuple[int, ...] = (1, 2, 4, 6)
    theta: float = 0.035
    quiet_s: float = 0.35
    rise_eps: float = 1e-3
    merge_s: float = 0.25
    activity_window_s: float = 0.2
    onset_window_s: float = 0.4
    xcorr_max_lag_s: float = 1.0
    n_shifts: int = 1000
    min_events: int = 3
    seed: int = 0


@dataclass(frozen=True)
class SyncReport:
    """Synchronization of one character's curves with its expression track.

    Attributes:
        onset_f1: F1 of behavior onsets vs reference event frames at ± ``tolerance``
            (None: not enough events to judge, see ``reason``).
        precision: matched onsets / detected onsets (None with ``onset_f1``).
        recall: matched references / reference events (None with ``onset_f1``).
        median_offset: median (onset − event) frames over matches (nan if none).
        f1_sweep: (tolerance, F1) for each sweep tolerance (empty when not judged).
        allowed_fraction: frames whose decoded behavior is allowed for the expression state.
        xcorr_peak: peak normalised cross-correlation of head yaw and look-toward joints.
        xcorr_lag: lag (frames, joints after yaw > 0) of that peak.
        baseline_f1: mean onset F1 over circular shifts (chance; None when not judged).
        baseline_f1_p95: 95th percentile of the shifted F1s (None when not judged).
        p_value: share of shifts whose F1 is at least ``onset_f1`` (None when not judged).
        baseline_allowed_fraction: mean allowed fraction over shifts.
        baseline_xcorr_peak: mean peak cross-correlation over shifts.
        n_reference: reference events.
        n_detected: detected onsets.
        n_shifts: circular shifts the chance figures average over.
        reason: why the onset figures are None ("not enough events to judge: …"), else None.
    """

    onset_f1: float | None
    precision: float | None
    recall: float | None
    median_offset: float
    f1_sweep: tuple[tuple[int, float], ...]
    allowed_fraction: float
    xcorr_peak: float
    xcorr_lag: int
    baseline_f1: float | None
    baseline_f1_p95: float | None
    baseline_allowed_fraction: float
    baseline_xcorr_peak: float
    n_reference: int
    n_detected: int
    p_value: float | None = None
    n_shifts: int = 0
    reason: str | None = None


# --------------------------------------------------------------------------- onsets


def detect_onsets(
    x: NDArray[np.floating[Any]], fps: float, cfg: SyncConfig | None = None
) -> NDArray[np.int64]:
    """Behavior-onset frames of stacked curves ``x`` (n_frames, channels) at ``fps``.

    Channels are followed by magnitude: a joint already away from rest that swings to the
    other side (a turned head that starts shaking) shows no onset; following each side
    separately catches those but reads every slow oscillation as onsets (measured: F1 on the
    six demo characters fell from 1.00 to 0.88; allowing only swings from a side held for
    the whole quiet stretch: 0.99 on the six, 0.83 → 0.85 on the stress track), so
    magnitude it is.
    """
    c = cfg or SyncConfig()
    sides = np.abs(np.asarray(x, dtype=np.float64))
    quiet = max(1, round(c.quiet_s * fps))
    merge = max(1, round(c.merge_s * fps))
    found: list[int] = []
    above = sides > c.theta
    for col in np.flatnonzero(above.any(axis=0)):
        ab = above[:, col]
        ac = sides[:, col]
        rises = np.flatnonzero(ab[1:] & ~ab[:-1]) + 1
        if ab[0]:
            rises = np.concatenate(([0], rises))
        for t in rises.tolist():
            if ab[max(0, t - quiet) : t].any():
                continue
            # Walk back to where the rise began: increments above the channel's own noise floor
            # (1.5 × its largest step early in the quiet stretch; 0 for a joint at rest).
            # Only the first 40% of the stretch: the rise itself may start inside it.
            q0 = max(0, t - quiet)
            q1 = q0 + max(2, (t - q0) * 2 // 5)
            floor = 1.5 * float(np.abs(np.diff(ac[q0:q1])).max()) if t - q0 >= 3 else c.rise_eps
            # Idle motion: also its steps over the second before, where the joint stayed quiet.
            w0 = max(0, q1 - round(fps))
            steps = np.abs(np.diff(ac[w0:q1]))
            calm = ~ab[w0 + 1 : q1] & ~ab[w0 : q1 - 1]
            if calm.any():
                floor = max(floor, 1.5 * float(steps[calm].max()))
            tau = t
            while tau > 0 and ac[tau] - ac[tau - 1] > floor:
                tau -= 1
            found.append(tau)
    found.sort()
    onsets: list[int] = []
    for f in found:
        if not onsets or f > onsets[-1] + merge:
            onsets.append(f)
    return np.asarray(onsets, dtype=np.int64)


def match_onsets(
    reference: NDArray[np.integer[Any]], detected: NDArray[np.integer[Any]], tolerance: int
) -> list[tuple[int, int]]:
    """One-to-one (reference, detected) pairs within ± ``tolerance``.

    Two pointers over both sorted lists: the greedy earliest match maximises the number of
    pairs for interval tolerance in one dimension.
    """
    r = np.sort(np.asarray(reference, dtype=np.int64)).tolist()
    d = np.sort(np.asarray(detected, dtype=np.int64)).tolist()
    pairs: list[tuple[int, int]] = []
    i = j = 0
    while i < len(r) and j < len(d):
        if abs(d[j] - r[i]) <= tolerance:
            pairs.append((r[i], d[j]))
            i += 1
            j += 1
        elif d[j] < r[i]:
            j += 1
        else:
            i += 1
    return pairs


def f1_score(n_match: int, n_ref: int, n_det: int) -> tuple[float, float, float]:
    """(F1, precision, recall); empty sets count as perfect only when both are empty."""
    if n_ref == 0 and n_det == 0:
        return 1.0, 1.0, 1.0
    p = n_match / n_det if n_det else 0.0
    r = n_match / n_ref if n_ref else 0.0
    f = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return f, p, r


# --------------------------------------------------------------------------- decoding


def _actions_of(bpfa: Bpfa, body: str) -> set[str]:
    """Every action ``body`` can play (an explicit stack: composites may nest thousands deep)."""
    seen = {body}
    stack = [body]
    out: set[str] = set()
    while stack:
        b = stack.pop()
        if b in bpfa.actions:
            out.add(b)
            continue
        if b in bpfa.composites:
            children = list(bpfa.composites[b].children)
        else:
            children = [x.body for x in bpfa.subautomata[b].behaviors]
        for ch in children:
            if ch not in seen:
                seen.add(ch)
                stack.append(ch)
    return out


def behavior_signatures(
    bpfa: Bpfa, theta: float, probe_deg: Sequence[float] = (-40.0, -20.0, 20.0, 40.0)
) -> dict[str, NDArray[np.bool_]]:
    """Behavior → (2·channels,) bool: (column, sign) pairs its motions drive beyond ``theta``.

    Evaluated from the definition (scale 1, no jitter, every table, head angles at
    ``probe_deg`` on every axis); column 2k is channel k negative, 2k+1 positive.
    """
    frames = np.arange(0, 61, dtype=np.int64)
    out: dict[str, NDArray[np.bool_]] = {}
    for b in bpfa.automaton.behaviors:
        sig = np.zeros(2 * N_CHANNELS, dtype=bool)
        for aid in _actions_of(bpfa, b.body):
            for ch in bpfa.motions[bpfa.actions[aid].motion].channels:
                col = 3 * ROLE_INDEX[ch.role] + ch.axis
                for deg in probe_deg:
                    for ti in range(len(ch.tables)):
                        v = channel_values(
                            ch, frames, 0, 60, np.full(len(frames), deg), 30.0, 1.0, ti, (0.0, 0.0)
                        )
                        sig[2 * col] |= bool((v < -theta).any())
                        sig[2 * col + 1] |= bool((v > theta).any())
        out[b.id] = sig
    return out


def active_pairs(x: NDArray[np.floating[Any]], theta: float, window: int) -> NDArray[np.bool_]:
    """(n, 2·channels) bool: pair active if beyond ``theta`` within ± ``window`` frames."""
    xx = np.asarray(x, dtype=np.float64)
    act = np.empty((xx.shape[0], 2 * xx.shape[1]), dtype=bool)
    act[:, 0::2] = xx < -theta
    act[:, 1::2] = xx > theta
    out = act.copy()
    for k in range(1, window + 1):
        out[k:] |= act[:-k]
        out[:-k] |= act[k:]
    return out


def _jaccard(k: NDArray[np.float64], s: NDArray[np.float64]) -> NDArray[np.float64]:
    """(rows of k) × (rows of s) Jaccard index of bool vectors given as floats."""
    inter = k @ s.T
    union = k.sum(axis=1, keepdims=True) + s.sum(axis=1)[None, :] - inter
    return np.asarray(np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0), dtype=np.float64)


def decode_behaviors(
    x: NDArray[np.floating[Any]], bpfa: Bpfa, fps: float, cfg: SyncConfig | None = None
) -> NDArray[np.int64]:
    """Per frame, index (in ``bpfa.automaton.behaviors``) of the behavior the curves show.

    Frames with no active pair show the initial behavior. From each detected onset to the
    next, the behavior is the best Jaccard match of the pairs that *became* active at the
    onset (active within ``onset_window_s`` after it, not in the same span before it), so
    a gesture still blending out does not mask the new one. Before the first onset, and
    when an onset brings no new pair, all active pairs are matched frame by frame.
    """
    c = cfg or SyncConfig()
    sigs = behavior_signatures(bpfa, c.theta)
    ids = [b.id for b in bpfa.automaton.behaviors]
    s = np.stack([sigs[i] for i in ids]).astype(np.float64)
    raw = active_pairs(x, c.theta, 0)
    k = active_pairs(x, c.theta, max(0, round(c.activity_window_s * fps)))
    labels: NDArray[np.int64] = np.argmax(_jaccard(k.astype(np.float64), s), axis=1).astype(
        np.int64
    )
    n = len(labels)
    win = max(1, round(c.onset_window_s * fps))
    onsets = detect_onsets(x, fps, c).tolist()
    for i, t0 in enumerate(onsets):
        t1 = onsets[i + 1] if i + 1 < len(onsets) else n
        post = raw[t0 : min(t1, t0 + win)].any(axis=0)
        pre = raw[max(0, t0 - win) : t0].any(axis=0)
        new = post & ~pre
        if new.any():
            labels[t0:t1] = int(np.argmax(_jaccard(new[None, :].astype(np.float64), s)[0]))
    labels[~k.any(axis=1)] = ids.index(bpfa.automaton.initial)
    return labels


def allowed_table(bpfa: Bpfa) -> NDArray[np.bool_]:
    """(n_behaviors, 64) bool: behavior allowed under each bitmask of ``EXPRESSION_STATES``."""
    bs = bpfa.automaton.behaviors
    tbl = np.zeros((len(bs), 1 << len(EXPRESSION_STATES)), dtype=bool)
    for i, b in enumerate(bs):
        if ANY in b.allowed_when:
            tbl[i] = True
            continue
        bits = sum(1 << EXPRESSION_STATES.index(s) for s in b.allowed_when)
        tbl[i] = (np.arange(tbl.shape[1]) & bits) != 0
    return tbl


def state_masks(states: NDArray[np.bool_]) -> NDArray[np.int64]:
    """(N,) bitmask per frame of an ``expression_states`` matrix."""
    return np.asarray(
        (states.astype(np.int64) << np.arange(states.shape[1])).sum(axis=1), dtype=np.int64
    )


# --------------------------------------------------------------------------- reference


def driving_events(bpfa: Bpfa, theta: float = SyncConfig.theta) -> set[str]:
    """Event contents with a row leading to a behavior that visibly moves (non-empty signature)."""
    sigs = behavior_signatures(bpfa, theta)
    return {
        t.event
        for t in bpfa.automaton.transitions
        if t.event != DONE_EVENT and any(sigs[x].any() for x in t.targets)
    }


def reference_frames(
    events: Iterable[Event], bpfa: Bpfa, fps: float, n_frames: int, theta: float = SyncConfig.theta
) -> NDArray[np.int64]:
    """Sorted unique frames of driving expression events inside the track."""
    drive = driving_events(bpfa, theta)
    frames = {math.floor(e.timestamp * fps + 0.5) for e in events if e.content in drive}
    return np.asarray(sorted(f for f in frames if 0 <= f < n_frames), dtype=np.int64)


# --------------------------------------------------------------------------- xcorr


def look_columns(bpfa: Bpfa) -> list[int]:
    """Stacked columns driven by a ``track`` channel on head yaw (the look-toward joints)."""
    cols = {
        3 * ROLE_INDEX[ch.role] + ch.axis
        for m in bpfa.motions.values()
        for ch in m.channels
        if ch.shape == "track" and ch.source == "yaw"
    }
    return sorted(cols)


def _zscore(v: NDArray[np.float64]) -> NDArray[np.float64] | None:
    sd = float(v.std())
    if sd < 1e-9:
        return None
    return np.asarray((v - v.mean()) / sd, dtype=np.float64)


def xcorr_peak(
    yaw: NDArray[np.floating[Any]], joints: NDArray[np.floating[Any]], max_lag: int
) -> tuple[float, int]:
    """(peak normalised correlation, lag) over |lag| ≤ max_lag; joints[t + lag] vs yaw[t]."""
    y = _zscore(np.asarray(yaw, dtype=np.float64))
    j = _zscore(np.asarray(joints, dtype=np.float64))
    if y is None or j is None:
        return float("nan"), 0
    n = len(y)
    best, best_lag = -np.inf, 0
    for lag in range(-max_lag, max_lag + 1):
        if lag >= 0:
            r = float(np.dot(y[: n - lag], j[lag:]) / max(n - lag, 1))
        else:
            r = float(np.dot(y[-lag:], j[: n + lag]) / max(n + lag, 1))
        if r > best:
            best, best_lag = r, lag
    return best, best_lag


def _circular_xcorr(
    yaw: NDArray[np.float64], joints: NDArray[np.float64]
) -> NDArray[np.float64] | None:
    """c[k] = mean_t z(yaw)[t] · z(joints)[(t + k) mod n]."""
    y = _zscore(yaw)
    j = _zscore(joints)
    if y is None or j is None:
        return None
    return np.fft.irfft(np.conj(np.fft.rfft(y)) * np.fft.rfft(j), n=len(y)) / len(y)


def driven_channels(
    written: Mapping[str, NDArray[np.floating[Any]]],
    sampled: Mapping[str, NDArray[np.floating[Any]]],
) -> dict[str, NDArray[np.float64]]:
    """The curves read back from written keys (``written``), restricted to the channels the
    behaviors drive: those the sampler's ``sampled`` curves move at some frame; the others are
    at rest. A rig's derived motion is not a behavior onset: the legs solved to keep the feet
    planted while the hips sway move with every weight shift, and read as onsets the
    behaviors never made."""
    out: dict[str, NDArray[np.float64]] = {}
    for role, curve in written.items():
        ref = sampled.get(role)
        if ref is None:
            continue
        moves = np.any(np.asarray(ref) != 0.0, axis=0)
        out[role] = np.where(moves, np.asarray(curve, dtype=np.float64), 0.0)
    return out


# --------------------------------------------------------------------------- report


def sync_metrics(
    track: ExpressionTrack,
    curves: Mapping[str, NDArray[np.floating[Any]]],
    bpfa: Bpfa,
    events: Sequence[Event],
    config: SyncConfig | None = None,
    event_config: EventConfig | None = None,
) -> SyncReport:
    """Synchronization of ``curves`` (from :func:`joint_curves`) with ``track`` and its events."""
    c = config or SyncConfig()
    fps = track.fps
    x = stack_curves(curves)
    n = x.shape[0]
    if n != len(track):
        raise ValueError(f"curves have {n} frames but the track {len(track)}")
    ref = reference_frames(events, bpfa, fps, n, c.theta)
    det = detect_onsets(x, fps, c)
    pairs = match_onsets(ref, det, c.tolerance)
    f1, prec, rec = f1_score(len(pairs), len(ref), len(det))
    offsets = [d - r for r, d in pairs]
    median = float(np.median(offsets)) if offsets else float("nan")
    sweep = tuple(
        (tol, f1_score(len(match_onsets(ref, det, tol)), len(ref), len(det))[0]) for tol in c.sweep
    )

    labels = decode_behaviors(x, bpfa, fps, c)
    masks = state_masks(expression_states(track, event_config))
    tbl = allowed_table(bpfa)
    allowed = float(tbl[labels, masks].mean())

    cols = look_columns(bpfa)
    joints = x[:, cols].sum(axis=1) if cols else np.zeros(n)
    yaw = track.head[:, 0].astype(np.float64)
    max_lag = max(1, round(c.xcorr_max_lag_s * fps))
    peak, lag = xcorr_peak(yaw, joints, max_lag)

    shifts = chance_shifts(n, c.n_shifts, c.seed)
    base_f1 = np.empty(len(shifts))
    base_allowed = np.empty(len(shifts))
    base_peak = np.full(len(shifts), np.nan)
    circ = _circular_xcorr(yaw, joints)
    lags = np.arange(-max_lag, max_lag + 1)
    for i, s in enumerate(shifts.tolist()):
        shifted_ref = np.sort((ref + s) % n)
        m = len(match_onsets(shifted_ref, det, c.tolerance))
        base_f1[i] = f1_score(m, len(ref), len(det))[0]
        base_allowed[i] = tbl[labels, np.roll(masks, s)].mean()
        if circ is not None:
            base_peak[i] = circ[(s + lags) % n].max()
    judged = len(ref) >= c.min_events
    reason = (
        None
        if judged
        else (
            f"not enough events to judge: {len(ref)} reference event(s) in {n / fps:.1f} s "
            f"(at least {c.min_events} needed)"
        )
    )
    return SyncReport(
        onset_f1=f1 if judged else None,
        precision=prec if judged else None,
        recall=rec if judged else None,
        median_offset=median,
        f1_sweep=sweep if judged else (),
        allowed_fraction=allowed,
        xcorr_peak=peak,
        xcorr_lag=lag,
        baseline_f1=float(base_f1.mean()) if judged else None,
        baseline_f1_p95=float(np.percentile(base_f1, 95)) if judged else None,
        baseline_allowed_fraction=float(base_allowed.mean()),
        baseline_xcorr_peak=float(np.nanmean(base_peak)) if circ is not None else float("nan"),
        n_reference=len(ref),
        n_detected=len(det),
        p_value=float((base_f1 >= f1 - 1e-12).mean()) if judged else None,
        n_shifts=len(shifts),
        reason=reason,
    )


def chance_shifts(n: int, n_shifts: int, seed: int = 0) -> NDArray[np.int64]:
    """Circular shifts for the chance baseline: all of 0 … n−1 when n ≤ ``n_shifts``, else
    ``n_shifts`` drawn uniformly from them (with replacement). Shift 0, the real alignment,
    is one of the n equally likely phases."""
    if n <= n_shifts:
        return np.arange(n, dtype=np.int64)
    return np.random.default_rng(seed).integers(0, n, size=n_shifts).astype(np.int64)
