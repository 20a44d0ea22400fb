"""One Euro filter (Casiez et al., CHI 2012) and the missing-frame fill policies.

The One Euro filter is a low-pass filter whose cutoff rises with the signal's speed:
fc = min_cutoff + beta · |dx/dt|. Still signals are smoothed hard (jitter removed); onsets
raise the cutoff at once, so they are not delayed. State is reset after a gap (missing
frames), so a face found again starts from its own value rather than a stale one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

FillPolicy = Literal["hold", "interpolate"]


@dataclass(frozen=True)
class OneEuroConfig:
    """Filter parameters (per channel)."""

    min_cutoff: float = 1.0
    """Cutoff frequency (Hz) for a still signal: lower = smoother, more lag when still."""
    beta: float = 1.0
    """Speed coefficient (Hz per unit/s): higher = less lag on fast changes."""
    d_cutoff: float = 1.0
    """Cutoff (Hz) for the derivative estimate."""


def _alpha(cutoff: float, dt: float) -> float:
    tau = 1.0 / (2.0 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


class OneEuro:
    """Vector One Euro filter with a fixed frame interval."""

    def __init__(self, config: OneEuroConfig, fps: float) -> None:
        if not (fps > 0 and math.isfinite(fps)):
            raise ValueError(f"fps must be positive, got {fps}")
        self.config = config
        self.dt = 1.0 / fps
        self.x: NDArray[np.float64] | None = None
        self.dx: NDArray[np.float64] | None = None

    def reset(self) -> None:
        self.x = None
        self.dx = None

    def __call__(self, value: NDArray[np.floating[Any]]) -> NDArray[np.float64]:
        v = np.asarray(value, dtype=np.float64)
        if self.x is None or self.dx is None:
            self.x, self.dx = v.copy(), np.zeros_like(v)
            return v.copy()
        c = self.config
        dx = (v - self.x) / self.dt
        a_d = _alpha(c.d_cutoff, self.dt)
        self.dx = a_d * dx + (1 - a_d) * self.dx
        cutoff = c.min_cutoff + c.beta * np.abs(self.dx)
        tau = 1.0 / (2.0 * math.pi * cutoff)
        a = 1.0 / (1.0 + tau / self.dt)
        self.x = a * v + (1 - a) * self.x
        return self.x.copy()


def fill_missing(
    values: NDArray[np.floating[Any]], valid: NDArray[np.bool_], policy: FillPolicy
) -> NDArray[np.float64]:
    """Fill rows where ``valid`` is False. ``hold``: last valid row (leading gap: first valid
    row); ``interpolate``: linear between the valid neighbours (edges held).
    Raises ValueError when no row is valid (there is nothing to fill from)."""
    v = np.asarray(values, dtype=np.float64).copy()
    ok = np.asarray(valid, dtype=bool)
    if v.shape[0] != ok.shape[0]:
        raise ValueError(f"values has {v.shape[0]} rows, valid has {ok.shape[0]}")
    if not ok.any():
        raise ValueError("no valid frame to fill from")
    idx = np.flatnonzero(ok)
    if policy == "hold":
        last = np.maximum.accumulate(np.where(ok, np.arange(len(ok)), -1))
        src = np.where(last >= 0, last, idx[0])
        held: NDArray[np.float64] = v[src]
        return held
    if policy == "interpolate":
        t = np.arange(len(ok))
        for k in range(v.shape[1]):
            v[:, k] = np.interp(t, idx, v[idx, k])
        return v
    raise ValueError(f"fill policy must be 'hold' or 'interpolate', got {policy!r}")
