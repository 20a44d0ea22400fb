"""One plain sentence about a bake's sync, for the artist; the figures stay for *Details*.

A bake's sync figures (the ``moodrig_sync`` record: ``bpfa.sync.SyncReport``'s fields, the
shape-key figures of ``shapekeys.shape_key_sync`` and the texture figures of
``bake_sync.texture_figures``) answer three questions: does the body react to the face's
expression changes in time, does the face texture show the asked expressions in time, and do
the face's shape keys follow the track. :func:`sync_verdict` turns them into one answer:

* every part that could be judged passed: "Body and face in sync within 1 frame";
* the texture does not show what was asked: "Face texture does not show the asked
  expressions" (this wins: a bake whose textures are wrong never reports sync success);
* the body misses the expression changes: "Body does not follow the face in time";
* a part that could not be judged says so in the same sentence ("too few expression changes
  to judge the body", "face texture not checked: …").
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MIN_ONSET_F1 = 0.7
"""Onset F1 (behavior onsets against the expression events, ± the sync tolerance) the body
needs to count as in sync."""
MAX_P_VALUE = 0.05
"""Largest share of random alignments allowed to score as well (the body must beat chance)."""
MAX_SHAPE_KEY_LAG = 1
"""Largest lag (frames) of the keyed shape keys behind the track that counts as in sync."""


@dataclass(frozen=True)
class SyncVerdict:
    """The answer the panel shows first."""

    ok: bool | None
    """True: everything judged is in sync; False: something is not; None: nothing could be
    judged."""
    sentence: str
    """One plain sentence (no figures beyond a frame count)."""


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _body(sync: Mapping[str, Any]) -> tuple[bool | None, int]:
    """(in sync, frames off) of the behavior onsets; None: not enough events."""
    f1 = _number(sync.get("onset_f1"))
    if f1 is None:
        return None, 0
    p = _number(sync.get("p_value"))
    ok = f1 >= MIN_ONSET_F1 and (p is None or p <= MAX_P_VALUE)
    offset = _number(sync.get("median_offset"))
    return ok, 0 if offset is None else round(abs(offset))


def _texture(sync: Mapping[str, Any]) -> tuple[bool | None, int, str | None]:
    """(shows the asked expressions, frames late, why not checked) of the face texture; the
    first None when it was not judged (``why`` says so when it was not checked at all)."""
    if "texture_ok" not in sync:
        return None, 0, None
    ok = sync.get("texture_ok")
    lag = _number(sync.get("texture_lag"))
    frames = 0 if lag is None else round(abs(lag))
    if ok is None:
        return None, frames, sync.get("texture_not_checked")
    return bool(ok), frames, None


def _shape_keys(sync: Mapping[str, Any]) -> tuple[bool | None, int]:
    if not sync.get("shape_keys_keyed"):
        return None, 0
    lag = _number(sync.get("shape_key_lag"))
    if lag is None:
        return None, 0
    return abs(lag) <= MAX_SHAPE_KEY_LAG, round(abs(lag))


def _frames(n: int) -> str:
    return f"within {max(1, n)} frame" + ("s" if n > 1 else "")


def sync_verdict(sync: Mapping[str, Any]) -> SyncVerdict:
    """The plain answer for a bake's sync record (see the module docs)."""
    body, body_off = _body(sync)
    texture, texture_off, not_checked = _texture(sync)
    keys, keys_off = _shape_keys(sync)
    if texture is False:
        return SyncVerdict(False, "Face texture does not show the asked expressions")
    if keys is False:
        return SyncVerdict(False, "Face shape keys lag behind the expressions")
    if body is False:
        return SyncVerdict(False, "Body does not follow the face in time")
    face = [ok for ok in (texture, keys) if ok is not None]
    notes = []
    if body is None:
        notes.append("too few expression changes to judge the body")
    if not_checked:
        notes.append(f"face texture not checked: {not_checked}")
    if body is None and not face:
        return SyncVerdict(None, "Not judged: " + "; ".join(notes) if notes else "Not judged")
    frames = max([body_off if body else 0, texture_off if texture else 0, keys_off if keys else 0])
    who = "Body and face" if body and face else "Body" if body else "Face"
    sentence = f"{who} in sync {_frames(frames)}"
    if notes:
        sentence += "; " + "; ".join(notes)
    return SyncVerdict(True, sentence)
