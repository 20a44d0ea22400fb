"""Smile decision and person-baseline settings on the labelled London clips (docs/face.md).

    .venv/bin/python research/smile_video.py [--data ../shared/data] [--cache runs/smile_video.npz]

Every clip of ``weights_tools/face_eval_video.py`` (5-fold by person, calibration refitted per
fold) is analysed once through the product's video path (``analyze_frames``; each frame's raw
smile score, measures, yaw and picture change kept through ``on_frame``); the smile channel is
then read again, for each setting of a small grid, by the same functions the product runs after
the clip is read (``baseline.person_neutral``, ``video.shots``, ``video.smooth``,
``decision.smile_states``). The One Euro filter works on each channel alone, so the smile
channel alone gives the product's numbers (checked against the recorded track).

Printed: each setting's per-frame accuracy, and the *nested* figure: for each fold, the
setting chosen on the other four folds' clips, scored on that fold's clips, so the choice
never saw the people it is scored on. Research data: nothing is written but the cache.
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from moodrig.core.expression import INDEX
from moodrig.core.face import calibration as calib
from moodrig.core.face.analyzer import AnalyzerConfig, FaceAnalyzer
from moodrig.core.face.baseline import BaselineConfig, person_neutral
from moodrig.core.face.decision import SmileDecisionConfig, smile_states
from moodrig.core.face.smile import smile_value
from moodrig.core.face.video import (
    FrameChange,
    FrameRecord,
    VideoConfig,
    analyze_frames,
    shots,
    smooth,
)
from moodrig.core.track import ExpressionTrack
from moodrig.weights_tools import face_clips as fc
from moodrig.weights_tools.face_calibrate import (
    Observed,
    fit,
    image_loader,
    observe,
    person_folds,
    read_labels,
)
from moodrig.weights_tools.face_eval_video import FOLDS, Scores, clips_by_fold

KEYS = (
    "fold",
    "z",
    "measures",
    "yaw",
    "valid",
    "change",
    "smile",
    "labels",
    "who",
    "anchor",
    "nsd",
    "neutral",
    "neutral_sd",
)


def record(data: Path) -> list[dict[str, Any]]:
    """One pass of the product's video path over every clip; raw per-frame numbers."""
    samples = read_labels(data)
    obs: Observed = observe(data, samples, FaceAnalyzer(AnalyzerConfig()))
    photos = fc.load_people(data, samples, obs)
    load = image_loader(data, samples)
    folds = person_folds([s.face_id for s in samples], FOLDS)
    out = []
    for k, clips in clips_by_fold(samples, list(photos), None):
        cal = fit(samples, obs, folds != k, load)
        for clip in clips:
            change = FrameChange()
            rows: dict[str, list[Any]] = {"z": [], "measures": [], "yaw": [], "change": []}

            def watched(frames: Any, change: FrameChange = change) -> Any:
                for f in frames:
                    change.see(f)
                    yield f

            def keep(
                r: FrameRecord, rows: dict[str, list[Any]] = rows, change: FrameChange = change
            ) -> None:
                raw = r.face.raw if r.face is not None else None
                rows["z"].append(raw.smile.z if raw is not None else np.nan)
                rows["measures"].append(raw.measures if raw is not None else np.full(7, np.nan))
                rows["yaw"].append(r.face.head.yaw if r.face is not None else np.nan)
                rows["change"].append(change.at(r.index))

            pair = [photos[clip.people[0]], photos[clip.people[1]]]
            track = analyze_frames(
                watched(fc.frames(clip, pair)),
                fc.FPS,
                analyzer=FaceAnalyzer(AnalyzerConfig(), cal),
                on_frame=keep,
            )
            out.append(
                {
                    "fold": k,
                    **{key: np.array(v) for key, v in rows.items()},
                    "valid": track.valid,
                    "smile": track.expressions[:, INDEX["smile"]],
                    "labels": np.array(clip.labels),
                    "who": np.array(clip.who),
                    "anchor": np.array(cal.smile_anchor),
                    "nsd": cal.smile_neutral_sd,
                    "neutral": cal.neutral,
                    "neutral_sd": cal.neutral_sd,
                }
            )
            print(f"fold {k}: clip of {clip.people[0]} recorded", flush=True)
    return out


def save(path: Path, clips: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **{f"{i}_{k}": v for i, c in enumerate(clips) for k, v in c.items()})


def load_cache(path: Path) -> list[dict[str, Any]]:
    with np.load(path) as z:
        n = 1 + max(int(k.split("_", 1)[0]) for k in z.files)
        return [{k: z[f"{i}_{k}"] for k in KEYS} for i in range(n)]


def read_smile(
    c: dict[str, Any], base: BaselineConfig | None, cut_level: float = VideoConfig.cut_level
) -> NDArray[np.float64]:
    """The clip's smoothed smile values, as ``analyze_frames`` makes them."""
    cal = replace(
        calib.cached(),
        smile_anchor=tuple(c["anchor"]),
        smile_neutral_sd=float(c["nsd"]),
        neutral=c["neutral"],
        neutral_sd=c["neutral_sd"],
    )
    ok = c["valid"]
    z = np.nan_to_num(c["z"])
    if base is None:
        raw = np.array([smile_value(float(v), cal.smile_anchor) for v in z])
    else:
        pn = person_neutral(
            z,
            np.nan_to_num(c["measures"]),
            np.nan_to_num(c["yaw"]),
            ok,
            shots(c["change"], cut_level),
            cal,
            base,
        )
        raw = pn.smile(z)
    raw = np.where(ok, raw, 0.0)
    cfg = VideoConfig()
    v = smooth(raw[:, None], ok, cfg.smooth_expression, fc.FPS)[:, 0]
    # fill: hold the last valid value (the track's policy)
    idx = np.maximum.accumulate(np.where(ok, np.arange(len(ok)), -1))
    first = int(np.flatnonzero(ok)[0])
    return np.clip(v[np.where(idx >= 0, idx, first)], 0.0, 1.0)


def score(
    clips: list[dict[str, Any]], base: BaselineConfig | None, dec: SmileDecisionConfig
) -> dict[int, Scores]:
    out: dict[int, Scores] = {}
    for c in clips:
        e = np.zeros((len(c["valid"]), 8), np.float32)
        e[:, INDEX["smile"]] = read_smile(c, base)
        track = ExpressionTrack(fc.FPS, e, np.zeros((len(e), 3), np.float32), c["valid"])
        out.setdefault(int(c["fold"]), Scores()).add(
            list(c["labels"]), list(c["who"]), smile_states(track, dec)
        )
    return out


def merged(per_fold: dict[int, Scores], folds: list[int]) -> dict[str, float]:
    s = Scores()
    for k in folds:
        f = per_fold[k]
        for lab in s.frames:
            s.frames[lab] += f.frames[lab]
            s.correct[lab] += f.correct[lab]
        s.flips += f.flips
        s.unsettled += f.unsettled
    return s.summary()


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    ap.add_argument("--cache", type=Path, default=Path("runs/smile_video.npz"))
    a = ap.parse_args()
    if a.cache.exists():
        clips = load_cache(a.cache)
    else:
        clips = record(a.data)
        save(a.cache, clips)
    # the simulation reproduces the product's track
    worst = max(float(np.abs(read_smile(c, None) - c["smile"]).max()) for c in clips)
    print(f"{len(clips)} clips; largest difference to the recorded population track: {worst:.2e}")
    decisions = [
        SmileDecisionConfig(on, off, 0.25) for on, off in ((0.52, 0.48), (0.55, 0.45), (0.6, 0.4))
    ]
    bases = [
        BaselineConfig(smile_margin=m, smile_quantile=q, learn_below=lb, view_transfer=t)
        for m, q, lb, t in itertools.product(
            (0.05, 0.075, 0.1, 0.15, 0.2), (0.15, 0.25, 0.5), (0.35, 0.45), (0.0, 0.5, 0.75, 1.0)
        )
    ]
    folds = sorted({int(c["fold"]) for c in clips})
    for name, options in (
        ("population", [(None, d) for d in decisions]),
        ("person baseline", [(b, d) for b in bases for d in decisions]),
    ):
        results = [score(clips, b, d) for b, d in options]
        for (b, d), r in zip(options, results, strict=True):
            s = merged(r, folds)
            what = (
                ""
                if b is None
                else f"margin {b.smile_margin}, quantile {b.smile_quantile}, "
                f"rest ≤ {b.learn_below}, transfer {b.view_transfer}; "
            )
            print(
                f"{name}: {what}on {d.on} off {d.off}: {s['accuracy']:.1%} "
                f"(neutral {s['accuracy_neutral']:.1%}, "
                f"smile {s['accuracy_smiling']:.1%}, faint {s['accuracy_faint']:.1%}), "
                f"flips {s['flips_mean']:.2f}/held, "
                f"{s['runs_2_flips']:.0f} with ≥ 2, unsettled {s['unsettled']:.0f}"
            )
        nested = Scores()
        for k in folds:
            train = [f for f in folds if f != k]
            best = max(range(len(options)), key=lambda i: merged(results[i], train)["accuracy"])
            f = results[best][k]
            for lab in nested.frames:
                nested.frames[lab] += f.frames[lab]
                nested.correct[lab] += f.correct[lab]
            nested.flips += f.flips
            nested.unsettled += f.unsettled
            b, d = options[best]
            what = (
                "population"
                if b is None
                else f"margin {b.smile_margin}, quantile {b.smile_quantile}, "
                f"rest ≤ {b.learn_below}, transfer {b.view_transfer}"
            )
            print(f"  fold {k}: chosen on the others: {what}, on {d.on} off {d.off}")
        s = nested.summary()
        print(
            f"{name}, nested (setting chosen without the fold's people): {s['accuracy']:.2%}, "
            f"flips {s['flips_mean']:.2f}/held, unsettled {s['unsettled']:.0f}"
        )


if __name__ == "__main__":
    main()
