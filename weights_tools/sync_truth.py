"""Sync against ground truth: clips with known expression change times, scored end to end.

    python -m moodrig.weights_tools.sync_truth [--data ../shared/data] [--people 6]
        [--json out.json]

The onset F1 of ``core/bpfa/sync.py`` compares behavior onsets with the events that drove the
automaton, so it checks the plumbing, not the face: an error of the face analysis is
invisible to it. Here the truth is known independently of the analysis.

**Clips.** For each of ``people`` London dev-split people, a 640×480, 24 fps clip cuts between
their neutral and their smiling front photo (real expressions, photographed, not synthesised)
on a fixed schedule, with 4-frame dissolves, while the photo drifts and zooms slowly so the
tracker works as on video. The truth track is labelled per frame: smile = the share of the
smiling photo in the frame (0, 1, or the dissolve ramp), every other entry 0, head 0. Only
the smile is covered: it is the one expression the dev split labels; the cuts are cleaner
than real onsets (a dissolve, not a 0.5 s muscle movement).

**Scores** (each against the truth's change times, matched one-to-one within ± tolerance):

* *analysis*: smile on/off events of the analysed track (``analyze_frames``, the product's
  video path) vs the truth's events: F1 and median offset (frames, positive = late);
* *behavior*: behavior onsets detected in the joint curves the automaton made from the
  analysed track vs the truth's reference frames (the events that should move the body);
* *texture*: the shipped parameters-mode editor's edits (the face editor where it ships) of
  the painted demo face for the analysed expressions (one per distinct quantised expression,
  as the bake caches them), measured by ``core/texture_sync.py`` against the truth's
  expressions: the mouth area's correlation, lag and agreement, and whether the verdict is
  "shows the asked expressions".
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from moodrig.core.bpfa import behavior_track, events_from_track, load_default_library
from moodrig.core.bpfa.motion import stack_curves
from moodrig.core.bpfa.sync import (
    SyncConfig,
    detect_onsets,
    f1_score,
    match_onsets,
    reference_frames,
)
from moodrig.core.expression import INDEX, N_EXPRESSION
from moodrig.core.face.io import read_image
from moodrig.core.face.video import analyze_frames
from moodrig.core.track import ExpressionTrack

REPO = Path(__file__).resolve().parents[1]
FPS = 24.0
W, H = 640, 480
SCHEDULE: tuple[tuple[str, float], ...] = (
    ("neutral", 1.5),
    ("smiling", 1.5),
    ("neutral", 1.5),
    ("smiling", 1.0),
    ("neutral", 1.5),
    ("smiling", 2.0),
    ("neutral", 1.0),
)
"""Held expression and seconds, in order (10 s, three smiles)."""
DISSOLVE = 4
"""Frames of each cross-dissolve."""
TOLERANCES = (2, 4, 6)
"""Matching tolerances (frames) reported."""


@dataclass(frozen=True)
class TruthClip:
    person: str
    frames: list[NDArray[np.uint8]]
    truth: ExpressionTrack


def people(data: Path) -> list[tuple[str, Path, Path]]:
    """(face id, neutral front, smiling front) for every dev-split person with both."""
    rows = list(csv.DictReader((data / "london_faces_dev" / "labels.csv").open(encoding="utf-8")))
    by: dict[str, dict[str, Path]] = {}
    for r in rows:
        if r["view"] == "front":
            by.setdefault(r["face_id"], {})[r["expression"]] = data / "london_faces_dev" / r["file"]
    return [
        (k, v["neutral"], v["smiling"])
        for k, v in sorted(by.items())
        if {"neutral", "smiling"} <= v.keys()
    ]


def smile_weights(
    schedule: tuple[tuple[str, float], ...] = SCHEDULE, dissolve: int = DISSOLVE
) -> NDArray[np.float64]:
    """Per-frame share of the smiling photo: the schedule's holds with linear dissolves
    centred on each cut."""
    held = np.concatenate(
        [np.full(round(s * FPS), 1.0 if e == "smiling" else 0.0) for e, s in schedule]
    )
    out = held.copy()
    cuts = np.flatnonzero(np.diff(held) != 0) + 1
    for c in cuts:
        a, b = held[c - 1], held[c]
        for k in range(-dissolve // 2, dissolve - dissolve // 2):
            i = c + k
            if 0 <= i < len(out):
                out[i] = a + (b - a) * (k + dissolve // 2 + 1) / (dissolve + 1)
    return out


def _place(photo: NDArray[np.uint8], i: int) -> NDArray[np.uint8]:
    """The photo scaled to 420 px high on a grey canvas, drifting and zooming slowly."""
    t = i / FPS
    s = 420 / photo.shape[0] * (1.0 + 0.04 * math.sin(2 * math.pi * t / 6.0))
    dx = 20 * math.sin(2 * math.pi * t / 5.0)
    dy = 8 * math.sin(2 * math.pi * t / 3.7 + 1.0)
    m = np.array(
        [[s, 0, W / 2 - s * photo.shape[1] / 2 + dx], [0, s, H / 2 - s * photo.shape[0] / 2 + dy]]
    )
    return np.asarray(
        cv2.warpAffine(photo, m, (W, H), flags=cv2.INTER_AREA, borderValue=(90, 90, 90)), np.uint8
    )


def make_clip(person: str, neutral: Path, smiling: Path) -> TruthClip:
    a, b = read_image(neutral), read_image(smiling)
    wts = smile_weights()
    frames = []
    for i, w in enumerate(wts):
        fa, fb = _place(a, i), _place(b, i)
        frames.append(np.asarray(np.rint((1 - w) * fa + w * fb), np.uint8))
    e = np.zeros((len(wts), N_EXPRESSION), np.float32)
    e[:, INDEX["smile"]] = wts
    return TruthClip(person, frames, ExpressionTrack(FPS, e, np.zeros((len(wts), 3), np.float32)))


def _state_changes(track: ExpressionTrack, state: str) -> NDArray[np.int64]:
    frames = [
        math.floor(ev.timestamp * track.fps + 0.5)
        for ev in events_from_track(track)
        if ev.content in (f"{state}_on", f"{state}_off")
    ]
    return np.asarray(sorted(frames), dtype=np.int64)


def match_scores(truth: NDArray[np.int64], found: NDArray[np.int64]) -> dict[str, Any]:
    """F1 per tolerance and the median offset (found − truth) of the matches at the largest."""
    out: dict[str, Any] = {"n_truth": len(truth), "n_found": len(found)}
    for tol in TOLERANCES:
        out[f"f1@{tol}"] = f1_score(len(match_onsets(truth, found, tol)), len(truth), len(found))[0]
    pairs = match_onsets(truth, found, max(TOLERANCES))
    out["median_offset"] = float(np.median([d - r for r, d in pairs])) if pairs else None
    return out


def score_clip(clip: TruthClip, seed: int = 0, editor: Any = None) -> dict[str, Any]:
    """Analysis, behavior and texture scores of one clip (see the module docs)."""
    from moodrig.core.painter import DEFAULT_STYLE, paint_face
    from moodrig.core.texture_sync import painted_face_points, texture_sync

    analysed = analyze_frames(clip.frames, FPS)
    lib = load_default_library()
    res = behavior_track(analysed, lib, seed)
    onsets = detect_onsets(stack_curves(res.curves), FPS, SyncConfig())
    ref = reference_frames(events_from_track(clip.truth), lib, FPS, len(clip.truth))
    out: dict[str, Any] = {
        "person": clip.person,
        "frames": len(clip.truth),
        "valid": float(analysed.valid.mean()),
        "analysis": match_scores(
            _state_changes(clip.truth, "smile"), _state_changes(analysed, "smile")
        ),
        "behavior": match_scores(ref, onsets),
    }
    if editor is not None:
        size = 256
        from moodrig.core.appearance.bake_editor import bind_editor
        from moodrig.core.appearance.setup import FaceSetup

        base = paint_face(DEFAULT_STYLE, np.zeros(N_EXPRESSION), size)
        q = np.round(analysed.expressions * 4) / 4
        uniq, idx = np.unique(q, axis=0, return_inverse=True)
        # As a bake binds it: the face editor finds the points itself; AMEE-GAN edits as is.
        tex = bind_editor(editor, base, FaceSetup()).edit(
            np.repeat(base[None], len(uniq), 0),
            uniq.astype(np.float32),
            np.zeros((len(uniq), N_EXPRESSION), np.float32),
        )
        rep = texture_sync(
            list(tex),
            idx.ravel(),
            base,
            painted_face_points(DEFAULT_STYLE, size),
            clip.truth.expressions,
        )
        mouth = next(a for a in rep.areas if a.area == "mouth")
        out["texture"] = {
            "ok": rep.ok,
            "sentence": rep.sentence,
            "correlation": mouth.correlation,
            "lag": mouth.lag,
            "agreement": mouth.agreement,
            "smile_agreement": rep.entries.get("smile"),
        }
    return out


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Pooled matches over all clips (F1 from summed counts) and texture verdicts."""
    out: dict[str, Any] = {"clips": len(rows)}
    for part in ("analysis", "behavior"):
        s: dict[str, Any] = {}
        for tol in TOLERANCES:
            f = [r[part][f"f1@{tol}"] for r in rows]
            s[f"f1@{tol}"] = float(np.mean(f)) if f else None
        offs = [r[part]["median_offset"] for r in rows if r[part]["median_offset"] is not None]
        s["median_offset"] = float(np.median(offs)) if offs else None
        s["n_truth"] = int(sum(r[part]["n_truth"] for r in rows))
        s["n_found"] = int(sum(r[part]["n_found"] for r in rows))
        out[part] = s
    tex = [r["texture"] for r in rows if "texture" in r]
    if tex:
        lags = [t["lag"] for t in tex if t["lag"] is not None]
        out["texture"] = {
            "shows_asked": sum(t["ok"] is True for t in tex),
            "clips": len(tex),
            "median_lag": float(np.median(lags)) if lags else None,
            "mean_agreement": float(
                np.mean([t["agreement"] for t in tex if t["agreement"] is not None])
            ),
        }
    return out


def shipped_editor() -> Any:
    """The parameters mode's shipped editor, as a bake loads it: the face editor where its
    weights ship, else AMEE-GAN."""
    from moodrig.core.pipeline import load_editor
    from moodrig.core.request import BakeRequest

    return load_editor(BakeRequest(device="cpu"))


def run(data: Path, n_people: int = 6, texture: bool = True) -> dict[str, Any]:
    editor = shipped_editor() if texture else None
    rows = [score_clip(make_clip(*p), editor=editor) for p in people(data)[:n_people]]
    return {
        "summary": summary(rows),
        "clips": rows,
        "schedule": [list(s) for s in SCHEDULE],
        "dissolve": DISSOLVE,
        "fps": FPS,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--people", type=int, default=6)
    ap.add_argument("--no-texture", action="store_true")
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args(argv)
    out = run(a.data, a.people, not a.no_texture)
    text = json.dumps(out, indent=1)
    if a.json:
        a.json.write_text(text)
    print(json.dumps(out["summary"], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
