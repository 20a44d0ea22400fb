"""Stable on/off states from a noisy per-frame level: a Schmitt trigger, then minimum durations.

Used for the face analysis' smile decision (``core/face/decision.py``) and the behavior
events (``core/bpfa/events.py``). Offline: the whole signal is known, so a change is dated
to the frame it started in, not to the frame it was confirmed in.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from numpy.typing import NDArray


def schmitt(
    signal: NDArray[np.floating[Any]], on: float, off: float, valid: NDArray[np.bool_] | None = None
) -> NDArray[np.bool_]:
    """Hysteresis: True from a frame ≥ ``on`` until a frame ≤ ``off``; invalid frames hold."""
    if not off < on:
        raise ValueError(f"hysteresis needs off < on, got off={off}, on={on}")
    x = np.asarray(signal, dtype=np.float64)
    label = np.full(x.shape, -1, dtype=np.int8)
    label[x >= on] = 1
    label[x <= off] = 0
    if valid is not None:
        label[~np.asarray(valid, dtype=bool)] = -1
    idx = np.where(label >= 0, np.arange(len(x)), -1)
    np.maximum.accumulate(idx, out=idx)
    out = np.zeros(len(x), dtype=bool)
    known = idx >= 0
    out[known] = label[idx[known]] == 1
    return out


def runs(state: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """[start, end) of every True run."""
    d = np.diff(np.concatenate(([0], state.astype(np.int8), [0])))
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1)
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def debounce(state: NDArray[np.bool_], min_on: int, min_off: int) -> NDArray[np.bool_]:
    """Bridge interior off-gaps shorter than ``min_off`` frames, then drop on-runs shorter
    than ``min_on``."""
    s = state.copy()
    on_runs = runs(s)
    for (_, e0), (s1, _) in itertools.pairwise(on_runs):
        if s1 - e0 < min_off:
            s[e0:s1] = True
    for a, b in runs(s):
        if b - a < min_on:
            s[a:b] = False
    return s
