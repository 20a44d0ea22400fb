"""Timestamped frames → a uniform frame grid (variable frame rate, skipped frames).

The analysis and everything after it (smoothing, events, the bake's resampling to the scene
rate) assume slot ``k`` is shown at ``k / fps``. A variable-frame-rate video, or one whose
damaged frames were skipped, does not deliver frames like that, so its frames are placed by
their own timestamps: each frame fills the slot nearest its time; a slot no frame falls in
repeats the picture still on screen (:attr:`NoFrame.HOLD`), or, when undecodable frames were
skipped there, has no picture (:attr:`NoFrame.GAP`: no face, filled later by the fill policy).
Two frames nearest the same slot (a stretch faster than the grid) keep the first.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Iterator

import numpy as np
from numpy.typing import NDArray

from .io import TimedFrame


class NoFrame(enum.Enum):
    """A grid slot without a new decoded picture."""

    HOLD = "hold"
    """The previous slot's picture is still on screen (the video's frame lasts longer)."""
    GAP = "gap"
    """No picture: undecodable frames were skipped here."""


Slot = NDArray[np.uint8] | NoFrame
"""What one grid slot holds: a new picture (HWC uint8 RGB) or a :class:`NoFrame`."""


def slot_of(t: float, fps: float) -> int:
    """The grid slot nearest to ``t`` seconds."""
    return math.floor(t * fps + 0.5)


def on_grid(frames: Iterable[TimedFrame], fps: float, max_slots: int) -> Iterator[Slot]:
    """Slots ``0, 1, ...`` at ``fps`` (at most ``max_slots``) from timestamped frames."""
    if not (math.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be positive, got {fps}")
    nxt = 0
    shown = False
    for tf in frames:
        slot = slot_of(tf.t, fps)
        if slot < nxt:
            continue
        while nxt < min(slot, max_slots):
            yield NoFrame.GAP if tf.after_gap or not shown else NoFrame.HOLD
            nxt += 1
        if nxt >= max_slots:
            return
        yield tf.frame
        shown = True
        nxt += 1
