"""The smile decision on video: labelled clips of held smiles, scored per frame (``face_eval``).

Clips (``face_clips.py``): per London person a 15 s, 24 fps clip of their own photos (front and
3/4 views, neutral, full smile and a faint smile made by morphing halfway, onsets and offsets,
view switches and a cut to another person), labelled per frame by construction.

Held out: 5-fold cross-validation by person (``face_calibrate.person_folds``). For each fold
the calibration is refitted on the other four fifths of the people, and the clips of the fold's
people (the person cut to is from the same fold) are analysed with it, so no clip shows a face
the calibration was fitted on. Each clip runs through the product's video path
(``video.analyze_frames``: tracking, smoothing, fill) twice, without and with the person's own
neutral (``VideoConfig.person_baseline``), and the stable decision (``decision.smile_states``)
is scored, beside a plain ``value > 0.5`` test of the same smoothed values.

Scores: per-frame accuracy over the held frames (ramps excluded; faint smiles count as
smiling), per label; decision flips inside each run of one held expression (a view switch
does not end a run, a ramp or a cut does: 0 is perfect, 1 is one late settle), runs with 2 or
more flips, and runs whose last frame is still wrong (never settled).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from moodrig.core.expression import INDEX
from moodrig.core.face.analyzer import AnalyzerConfig, FaceAnalyzer
from moodrig.core.face.baseline import BaselineConfig, person_neutral
from moodrig.core.face.decision import SmileDecisionConfig, smile_states
from moodrig.core.face.measures import N_MEASURES
from moodrig.core.face.video import FrameChange, FrameRecord, VideoConfig, analyze_frames, shots
from moodrig.weights_tools import face_clips as fc
from moodrig.weights_tools.face_calibrate import ImageLoader, Observed, Sample, fit, person_folds

FOLDS = 5
LABELS = ("neutral", "smiling", "faint")
BUCKETS = (*LABELS, "learnt", "unlearnt")


@dataclass
class Scores:
    """Accumulated per-frame results of one way of deciding."""

    correct: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0))
    frames: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0))
    flips: list[int] = field(default_factory=list)
    unsettled: int = 0
    rest_values: list[float] = field(default_factory=list)
    """Smile values of held neutral frames."""
    rest_steps: list[float] = field(default_factory=list)
    """Frame-to-frame changes of the smile value inside held neutral frames."""

    def add(
        self,
        labels: Sequence[str],
        who: Sequence[int],
        decided: NDArray[np.bool_],
        values: NDArray[np.floating[Any]] | None = None,
        learnt: NDArray[np.bool_] | None = None,
    ) -> None:
        """One clip: labels, persons, decisions; optionally the smile values and which frames
        are in a view where the person was seen at rest in the same shot."""
        lab = np.asarray(labels)
        truth = np.isin(lab, ("smiling", "faint"))
        held = lab != "ramp"
        ok = decided == truth
        masks = {k: lab == k for k in LABELS}
        if learnt is not None:
            masks |= {"learnt": held & learnt, "unlearnt": held & ~learnt}
        for k, m in masks.items():
            self.frames[k] += int(m.sum())
            self.correct[k] += int(ok[m].sum())
        for a, b, expr in fc.held_runs(labels, who):
            self.flips.append(int(np.count_nonzero(np.diff(decided[a:b].astype(np.int8)))))
            self.unsettled += bool(decided[b - 1]) != (expr == "smiling")
        if values is not None:
            rest = masks["neutral"]
            self.rest_values += [float(v) for v in values[rest]]
            both = np.flatnonzero(rest[1:] & rest[:-1])
            self.rest_steps += [float(v) for v in np.abs(values[both + 1] - values[both])]

    def summary(self) -> dict[str, float]:
        f = np.array(self.flips)
        n = sum(self.frames[k] for k in LABELS)
        out = {"accuracy": sum(self.correct[k] for k in LABELS) / max(n, 1), "frames": float(n)}
        out |= {f"accuracy_{k}": self.correct[k] / max(self.frames[k], 1) for k in BUCKETS}
        out |= {f"frames_{k}": float(self.frames[k]) for k in BUCKETS}
        out |= {
            "runs": float(len(f)),
            "flips_mean": float(f.mean()) if len(f) else 0.0,
            "flips_max": float(f.max()) if len(f) else 0.0,
            "runs_2_flips": float((f >= 2).sum()),
            "unsettled": float(self.unsettled),
            "rest_mean": float(np.mean(self.rest_values)) if self.rest_values else float("nan"),
            "rest_p90": float(np.percentile(self.rest_values, 90))
            if self.rest_values
            else float("nan"),
            "rest_step": float(np.mean(self.rest_steps)) if self.rest_steps else float("nan"),
        }
        return out


def clips_by_fold(
    samples: Sequence[Sample], people: Sequence[str], limit: int | None
) -> Iterator[tuple[int, list[fc.Clip]]]:
    """Per fold, one clip per held-out person (alternating the two schedules), cutting to the
    next person of the same fold."""
    folds = person_folds([s.face_id for s in samples], FOLDS)
    fold_of = {s.face_id: int(folds[i]) for i, s in enumerate(samples)}
    for k in range(FOLDS):
        ids = [p for p in sorted(people) if fold_of[p] == k]
        if limit is not None:
            ids = ids[:limit]
        if len(ids) < 2:
            continue
        yield (
            k,
            [fc.make_clip((p, ids[(j + 1) % len(ids)]), j % 2, int(p)) for j, p in enumerate(ids)],
        )


def evaluate(
    data: Path,
    samples: Sequence[Sample],
    obs: Observed,
    load_image: ImageLoader,
    *,
    people_per_fold: int | None = None,
    decision: SmileDecisionConfig | None = None,
    baseline: BaselineConfig | None = None,
    analyzer: AnalyzerConfig | None = None,
) -> dict[str, object]:
    """Scores of the three ways of deciding over every fold's clips (``analyzer``: the face
    analysis settings, default the product's)."""
    dec = decision or SmileDecisionConfig()
    base_cfg = baseline or BaselineConfig()
    photos = fc.load_people(data, samples, obs)
    folds = person_folds([s.face_id for s in samples], FOLDS)
    ways = {"plain": Scores(), "stable": Scores(), "baseline": Scores()}
    n_clips = 0
    shots_found: list[int] = []
    for k, clips in clips_by_fold(samples, list(photos), people_per_fold):
        cal = fit(samples, obs, folds != k, load_image)
        for clip in clips:
            pair = [photos[clip.people[0]], photos[clip.people[1]]]
            tracks, configs = {}, {}
            for name, base in (("stable", None), ("baseline", base_cfg)):
                vcfg = configs[name] = VideoConfig(
                    decision=dec, person_baseline=base, analyzer=analyzer or AnalyzerConfig()
                )
                raw = RawFrames()
                tracks[name] = analyze_frames(
                    raw.watch(fc.frames(clip, pair)),
                    fc.FPS,
                    config=vcfg,
                    analyzer=FaceAnalyzer(vcfg.analyzer, calibration=cal),
                    on_frame=raw.keep,
                )
            # which frames have the person's own rest in their view and shot (the product's
            # learning)
            shot = shots(raw.array("change"), VideoConfig.cut_level)
            pn = person_neutral(
                raw.array("z"),
                raw.array("measures"),
                raw.array("yaw"),
                tracks["baseline"].valid,
                shot,
                cal,
                base_cfg,
            )
            learnt = pn.weight > 0
            shots_found.append(int(shot[-1]))
            for name, track in tracks.items():
                values = track.expressions[:, INDEX["smile"]]
                smiling = smile_states(track, configs[name].smile_decision)
                ways[name].add(clip.labels, clip.who, smiling, values, learnt)
                if name == "stable":
                    ways["plain"].add(clip.labels, clip.who, values > 0.5, values, learnt)
            n_clips += 1
    return {
        "clips": n_clips,
        "cuts_found": shots_found,
        "decision": dec,
        "baseline_config": base_cfg,
        **{k: v.summary() for k, v in ways.items()},
    }


class RawFrames:
    """Each frame's raw smile score, measures, yaw and picture change, kept through
    ``analyze_frames``' hook (to see which frames the person's neutral was learnt for)."""

    def __init__(self) -> None:
        self.change = FrameChange()
        self.rows: dict[str, list[Any]] = {"z": [], "measures": [], "yaw": [], "change": []}

    def watch(self, frames: Iterator[NDArray[np.uint8]]) -> Iterator[NDArray[np.uint8]]:
        for f in frames:
            self.change.see(f)
            yield f

    def keep(self, rec: FrameRecord) -> None:
        raw = rec.face.raw if rec.face is not None else None
        self.rows["z"].append(raw.smile.z if raw is not None else 0.0)
        self.rows["measures"].append(raw.measures if raw is not None else np.zeros(N_MEASURES))
        self.rows["yaw"].append(rec.face.head.yaw if rec.face is not None else 0.0)
        self.rows["change"].append(self.change.at(rec.index))

    def array(self, key: str) -> NDArray[np.float64]:
        return np.asarray(self.rows[key], dtype=np.float64)


def _cut_summary(found: object) -> str:
    f = list(found) if isinstance(found, list) else []
    return (
        f"exactly 1 in {sum(x == 1 for x in f)} of {len(f)} clips, "
        f"none in {sum(x == 0 for x in f)}, more in {sum(x > 1 for x in f)}"
    )


def report_lines(res: dict[str, object]) -> list[str]:
    """Markdown section of ``docs/face_eval.md``."""
    dec, base = res["decision"], res["baseline_config"]
    assert isinstance(dec, SmileDecisionConfig) and isinstance(base, BaselineConfig)
    rows = (
        ("plain", "smoothed smile value > 0.5, population neutral"),
        (
            "stable",
            f"stable decision (on ≥ {dec.on}, off ≤ {dec.off}, dwell {dec.min_dwell_s} s), "
            "population neutral",
        ),
        (
            "baseline",
            f"stable decision (on ≥ {base.decision.on}, off ≤ {base.decision.off}), the person's "
            "own neutral learnt from the clip (`--person-baseline`)",
        ),
    )
    stats = {k: res[k] for k, _ in rows}
    assert all(isinstance(v, dict) for v in stats.values())
    b = stats["baseline"]
    assert isinstance(b, dict)
    L = [
        "## Smile on video: held expressions, 5-fold cross-validation by person "
        f"({res['clips']} clips)",
        "",
        "| decision | per-frame accuracy | neutral | full smile | faint smile "
        "| views with the person's rest / without | flips per held expression (mean / max) "
        "| held with ≥ 2 flips | never settled | "
        "smile value at rest: mean / 90th pct. / change per frame |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key, what in rows:
        s = stats[key]
        assert isinstance(s, dict)
        L.append(
            f"| {what} | **{s['accuracy']:.1%}** | {s['accuracy_neutral']:.1%} "
            f"| {s['accuracy_smiling']:.1%} | {s['accuracy_faint']:.1%} "
            f"| {s['accuracy_learnt']:.1%} / {s['accuracy_unlearnt']:.1%} "
            f"| {s['flips_mean']:.2f} / {s['flips_max']:.0f} "
            f"| {s['runs_2_flips']:.0f} of {s['runs']:.0f} | {s['unsettled']:.0f} "
            f"| {s['rest_mean']:.2f} / {s['rest_p90']:.2f} / {s['rest_step']:.3f} |"
        )
    L += [
        "",
        "Clips (`weights_tools/face_clips.py`): one per London person, about 15 s at 24 fps, "
        f"{b['frames']:.0f} scored frames in all (the onset and offset ramps are not scored). "
        "Each holds the person's neutral and smiling photos (front and both 3/4 views) with "
        "camera jitter, brightness drift and sensor noise; a faint smile made by morphing the "
        f"neutral photo {fc.FAINT:.0%} of the way toward the smiling one (both photos warped onto "
        "interpolated Face Mesh landmarks, piecewise affine, then cross-faded: a proxy, a real "
        f"faint smile is not a blend); {fc.TURN}-frame dissolves between views while an "
        "expression is held (a double exposure, not a turning head); and a cut to another "
        "held-out person. Half the clips start neutral; the other half start smiling, and their "
        "right 3/4 view only ever shows a smile (no rest to learn from there). A held expression "
        "ends at a ramp or a cut, not at a view change; flips are decision changes inside one. "
        '"Views with the person\'s rest": frames whose view band '
        f"({b['frames_learnt']:.0f} frames) has a rest of the person in the same shot; "
        f"the others ({b['frames_unlearnt']:.0f}) are read with the population's neutral, "
        f"moved by {base.view_transfer} of the other views' offset. Cuts found by `video.shots`: "
        f"{_cut_summary(res['cuts_found'])} (every clip has one).",
        "",
        "Settings (`BaselineConfig`: rest when the running median of the value is ≤ "
        f"{base.learn_below} for {base.learn_after} frames, "
        f"neutral = the {base.smile_quantile} quantile of the rest, "
        f"0.5 at {base.smile_margin} of the population's mean smile above it, "
        f"{base.passes} passes, {base.view_transfer} of the learnt views' offset carried to a "
        "view without a rest, the decision's own band) were chosen in `research/smile_video.py` "
        "over a grid of 120 person-baseline settings × 3 decision bands, fold by fold on the "
        "other four folds' clips: 4 of the 5 folds chose these. The figure of that nested "
        "choice (each fold scored with the setting chosen without its people) is in "
        "[history/face.md](history/face.md). The cost is in the value, not the decision: "
        "with the person's own neutral the 0.5 point sits close to it, so the resting face's "
        "frame noise is magnified (the last column).",
        "",
    ]
    return L
