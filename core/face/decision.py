"""The per-frame smile decision of a video: stable while one expression is held.

The smile *value* (``expressions.py``) is continuous, and a faint smile or a smiley resting
face sits near its 0.5 midpoint, where frame-to-frame noise of the landmarks would flip a
plain ``value > 0.5`` test many times within one held expression. The decision is therefore a
Schmitt trigger on the (smoothed) value, with two thresholds, followed by a minimum dwell:
a state (on-run or off-gap) shorter than ``min_dwell_s`` is removed (``core/hysteresis.py``).
Offline (the whole track is known), so a change is dated to the frame it started in, not to
the frame it was confirmed in: the dwell costs no lag.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..expression import INDEX
from ..hysteresis import debounce, schmitt
from ..track import ExpressionTrack


@dataclass(frozen=True)
class SmileDecisionConfig:
    """Thresholds of the smile decision (``VideoConfig.decision``)."""

    on: float = 0.55
    """Smile value at or above which the decision turns to smiling."""
    off: float = 0.45
    """Smile value at or below which it turns back to not smiling (< ``on``)."""
    min_dwell_s: float = 0.25
    """Shortest smile or pause kept, in seconds (shorter ones are absorbed by their
    surroundings)."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.off < self.on <= 1.0:
            raise ValueError(
                f"smile decision needs 0 <= off < on <= 1, got off={self.off}, on={self.on}"
            )
        if not self.min_dwell_s >= 0.0:
            raise ValueError(f"min_dwell_s must be >= 0, got {self.min_dwell_s}")


def smile_states(
    track: ExpressionTrack, config: SmileDecisionConfig | None = None
) -> NDArray[np.bool_]:
    """(N,) True where the person smiles. Frames without a face keep the state before them."""
    cfg = config or SmileDecisionConfig()
    dwell = max(1, round(cfg.min_dwell_s * track.fps))
    level = track.expressions[:, INDEX["smile"]].astype(np.float64)
    return debounce(schmitt(level, cfg.on, cfg.off, track.valid), dwell, dwell)
