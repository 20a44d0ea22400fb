"""Measure the face analysis on ``../shared/data`` and write a report (``docs/face_eval.md``).

    python -m moodrig.weights_tools.face_eval [--data ../shared/data] [--out docs/face_eval.md]
        [--speed-frames 150]

* Landmark NME: London neutral frontal faces (12 closely corresponding points, mapping in
  ``../shared/data/README.md``, normalised by the outer-eye distance) with the full pipeline
  (detection included); dlib example faces (same 12 iBUG points, dlib's own pseudo ground
  truth) with Face Mesh started from the annotated box, plus detector recall.
* Smile and view/yaw: 5-fold cross-validation by person (the calibration is refitted on the
  other 4/5 of the people each time), so every figure is on people the calibration never saw.
  The shipped calibration's figures on all 41 people (resubstitution) are listed separately.
* Smile on video (``face_eval_video.py``): labelled clips made from each held-out person's
  photos (``face_clips.py``), per-frame decision with and without the person's own neutral
  (``baseline.py``), same 5-fold split.
* Speed on 640×480 frames (made from the CC0 selfies, moving): detection, Face Mesh, whole
  per-frame analysis in tracking mode; LiteRT running the same .tflite (from .venv-parity) for
  comparison. The CPU is shared, so medians and 10th percentiles are both reported.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from numpy.typing import NDArray

from moodrig.core.face import calibration as calib
from moodrig.core.face.analyzer import (
    AnalyzerConfig,
    FaceAnalyzer,
    FaceResult,
    resolve_view,
)
from moodrig.core.face.cascade import detect_faces
from moodrig.core.face.detector import Detection, to_tensor
from moodrig.core.face.expressions import analyse_landmarks
from moodrig.core.face.io import read_image
from moodrig.core.face.models import MESH
from moodrig.core.face.roi import crop, roi_from_box, roi_from_landmarks
from moodrig.core.face.smile import appearance_features
from moodrig.core.face.smoothing import OneEuro, OneEuroConfig
from moodrig.core.fileio import atomic_write_text
from moodrig.weights_tools import face_eval_video
from moodrig.weights_tools.face_calibrate import (
    ImageLoader,
    Observed,
    Sample,
    fit,
    image_loader,
    observe,
    person_folds,
    read_labels,
)
from moodrig.weights_tools.face_eval_angles import (
    ablation_rows,
    dlib_by_yaw,
    resize_pair_ablation,
    views_eval,
)

REPO = Path(__file__).resolve().parents[1]
# London template index → Face Mesh index, for the 12 close correspondences (iBUG in comments).
LONDON_TO_MESH = {
    129: 152,
    55: 2,
    18: 33,
    22: 133,
    23: 362,
    27: 263,
    87: 61,
    93: 291,
    90: 0,
    106: 17,
    96: 13,
    101: 14,
}
# iBUG-68 index → Face Mesh index (same 12 points).
IBUG_TO_MESH = {
    8: 152,
    33: 2,
    36: 33,
    39: 133,
    42: 362,
    45: 263,
    48: 61,
    54: 291,
    51: 0,
    57: 17,
    62: 13,
    66: 14,
}
FOLDS = 5


def nme(pred: NDArray[np.floating[Any]], gt: NDArray[np.floating[Any]], norm: float) -> float:
    return float(np.linalg.norm(np.asarray(pred)[:, :2] - np.asarray(gt), axis=1).mean() / norm)


def london_nme(data: Path, samples: list[Sample], obs: Observed) -> dict[str, float]:
    vals = []
    missed = 0
    for i, s in enumerate(samples):
        if s.view != "front" or s.expression != "neutral":
            continue
        tpl = np.array(
            json.loads(
                (
                    data / "london_faces_dev" / s.file.replace(".jpg", ".landmarks189.json")
                ).read_text()
            )
        )
        if not obs.found[i]:
            missed += 1
            continue
        gt = tpl[list(LONDON_TO_MESH)]
        pred = obs.landmarks[i][list(LONDON_TO_MESH.values())]
        vals.append(nme(pred, gt, float(np.linalg.norm(tpl[18] - tpl[27]))))
    v = np.array(vals)
    return {
        "n": len(v),
        "missed": missed,
        "mean": float(v.mean()),
        "median": float(np.median(v)),
        "max": float(v.max()),
        "frac_le_0.05": float((v <= 0.05).mean()),
    }


def dlib_faces(data: Path) -> list[tuple[str, tuple[int, int, int, int], NDArray[np.float64]]]:
    out = []
    for xml in ("training_with_face_landmarks.xml", "testing_with_face_landmarks.xml"):
        root = ET.parse(data / "dlib_faces" / xml).getroot()
        for im in root.iter("image"):
            for box in im.iter("box"):
                pts = {
                    int(p.get("name", "0")): (float(p.get("x", 0)), float(p.get("y", 0)))
                    for p in box.iter("part")
                }
                if len(pts) < 68:
                    continue
                b = tuple(int(box.get(k, 0)) for k in ("left", "top", "width", "height"))
                out.append(
                    (
                        str(im.get("file")),
                        (b[0], b[1], b[2], b[3]),
                        np.array([pts[k] for k in range(68)]),
                    )
                )
    return out


def _iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter + 1e-9)


def dlib_eval(data: Path, analyzer: FaceAnalyzer) -> dict[str, float]:
    faces = dlib_faces(data)
    vals = []
    by_file: dict[str, list[tuple[float, float, float, float]]] = defaultdict(list)
    for file, (x, y, w, h), pts in faces:
        img = read_image(data / "dlib_faces" / file)
        res = analyzer.mesh.run(img, roi_from_box(x + w / 2, y + h / 2, w, h, 0.0, scale=1.6))
        res = analyzer.mesh.run(img, roi_from_landmarks(res.landmarks))
        gt = pts[list(IBUG_TO_MESH)]
        vals.append(
            nme(
                res.landmarks[list(IBUG_TO_MESH.values())],
                gt,
                float(np.linalg.norm(pts[36] - pts[45])),
            )
        )
        by_file[file].append((x, y, x + w, y + h))
    hits_bf = hits_any = total = 0
    for file, boxes in by_file.items():
        img = read_image(data / "dlib_faces" / file)
        bf = [d.box for d in analyzer.detector.detect(img)]
        cas = detect_faces(img)
        for b in boxes:
            total += 1
            hit_bf = any(_iou(b, d) > 0.3 for d in bf)
            hits_bf += hit_bf
            hits_any += hit_bf or any(_iou(b, d) > 0.3 for d in cas)
    v = np.array(vals)
    return {
        "n": len(v),
        "mean": float(v.mean()),
        "median": float(np.median(v)),
        "frac_le_0.05": float((v <= 0.05).mean()),
        "recall_blazeface": hits_bf / total,
        "recall_blazeface_or_cascade": hits_any / total,
        "faces": total,
    }


def cross_validate(
    samples: list[Sample], obs: Observed, config: AnalyzerConfig, load_image: ImageLoader
) -> dict[str, NDArray[np.float64]]:
    """Held-out smile values (combined, geometric alone, appearance alone) and yaw of every
    photo, the calibration refitted without its fold."""
    folds = person_folds([s.face_id for s in samples], FOLDS)
    out = {k: np.full(len(samples), np.nan) for k in ("smile", "smile_geo", "z_app", "yaw")}
    for k in range(FOLDS):
        cal = fit(samples, obs, folds != k, load_image)
        for i in np.flatnonzero(folds == k):
            if not obs.found[i]:
                continue
            fe = analyse_landmarks(obs.landmarks[i], cal, load_image(int(i)))
            out["smile"][i] = fe.expression[1]
            out["smile_geo"][i] = analyse_landmarks(obs.landmarks[i], cal).expression[1]
            out["z_app"][i] = fe.smile.z_app if fe.smile.z_app is not None else np.nan
            head, _ = resolve_view(
                fe.head,
                float(obs.scores[i]),
                functools.partial(np.asarray, obs.lbp[i]),
                cal,
                config,
            )
            out["yaw"][i] = head.yaw
    return out


def smile_table(
    samples: list[Sample], smile: NDArray[np.float64], thr: float = 0.5
) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    groups = {
        "front": ("front",),
        "3/4": ("left_3quarter", "right_3quarter"),
        "profile": ("left_profile", "right_profile"),
    }
    for name, views in groups.items():
        idx = [i for i, s in enumerate(samples) if s.view in views and np.isfinite(smile[i])]
        if not idx:
            continue
        correct = [(smile[i] > thr) == (samples[i].expression == "smiling") for i in idx]
        pairs: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
        for i in idx:
            pairs[(samples[i].face_id, samples[i].view)][samples[i].expression] = smile[i]
        paired = [p["smiling"] > p["neutral"] for p in pairs.values() if len(p) == 2]
        out[name] = {
            "n": len(idx),
            "accuracy": float(np.mean(correct)),
            "paired": float(np.mean(paired)),
            "pairs": len(paired),
        }
    return out


def yaw_table(samples: list[Sample], yaw: NDArray[np.float64]) -> dict[str, dict[str, float]]:
    bins = np.array([-90.0, -45.0, 0.0, 45.0, 90.0])
    out: dict[str, dict[str, float]] = {}
    for view in calib.VIEWS:
        idx = [i for i, s in enumerate(samples) if s.view == view]
        nominal = samples[idx[0]].yaw
        est = yaw[idx]
        ok = np.isfinite(est)
        b = bins[np.argmin(np.abs(est[ok, None] - bins[None]), axis=1)]
        sign = (
            float(np.mean(np.sign(est[ok]) == np.sign(nominal))) if nominal != 0 else float("nan")
        )
        out[view] = {
            "n": len(idx),
            "found": int(ok.sum()),
            "mean_yaw": float(est[ok].mean()),
            "sd": float(est[ok].std()),
            "sign": sign,
            "bin": float(np.mean(b == nominal) * ok.mean()),
        }
    return out


def _timeit(fn: Callable[[], object], n: int) -> tuple[float, float, float]:
    """(median wall s, 10th-percentile wall s, mean CPU s of this process) per call."""
    ts = []
    c0 = time.process_time()
    for _ in range(n):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    cpu = (time.process_time() - c0) / n
    a = np.sort(np.array(ts))
    return float(np.median(a)), float(a[len(a) // 10]), cpu


def speed_frames(data: Path, n: int) -> list[NDArray[np.uint8]]:
    photos = [read_image(data / "cc0_selfies" / f"lisa{k}.jpg") for k in (1, 2, 3, 4)]
    frames = []
    for i in range(n):
        src = photos[(i // 40) % 4]
        s = 420 / src.shape[0]
        small = cv2.resize(src, (round(src.shape[1] * s), 420), interpolation=cv2.INTER_AREA)[
            :, :400
        ]
        f = np.full((480, 640, 3), 50, np.uint8)
        x = 100 + int(100 * np.sin(i / 15.0))
        f[30:450, x : x + small.shape[1]] = small
        frames.append(f)
    return frames


def speed(data: Path, n: int, threads: int) -> dict[str, object]:
    torch.set_num_threads(threads)
    an = FaceAnalyzer(AnalyzerConfig())
    frames = speed_frames(data, n)
    for f in frames[:10]:  # warm-up (TorchScript profiling runs)
        an.analyze(f)
    it = iter(range(10**9))
    det = _timeit(lambda: an.detector.detect(frames[next(it) % n]), n)
    # landmarks: one Face Mesh call per frame on the tracking crop of the previous result
    prev: list[FaceResult | None] = [an.analyze(frames[0])]
    rois = []
    for f in frames:
        r = an.track(f, prev[0])
        prev[0] = r
        rois.append(roi_from_landmarks(r.landmarks) if r is not None else None)
    it2 = iter(range(10**9))

    def mesh_once() -> None:
        k = next(it2) % n
        roi = rois[k - 1] if rois[k - 1] is not None else rois[0]
        assert roi is not None
        an.mesh.run(frames[k], roi)

    lm = _timeit(mesh_once, n)
    # the smile score's appearance half (mouth patch + LBP) on the tracked landmarks
    faces = []
    for f in frames:
        prev[0] = an.track(f, prev[0])
        faces.append(prev[0])
    it_app = iter(range(10**9))
    can = an.calibration.canonical

    def app_once() -> None:
        k = next(it_app) % n
        face = faces[k] or faces[0]
        assert face is not None
        appearance_features(frames[k], face.landmarks, can)

    app = _timeit(app_once, n)
    filt = OneEuro(OneEuroConfig(), 30.0)
    state: list[FaceResult | None] = [None]
    detector_calls = [0]
    real_detect = an.detector.detect

    def counting(img: NDArray[np.uint8]) -> list[Detection]:
        detector_calls[0] += 1
        return real_detect(img)

    an.detector.detect = counting  # type: ignore[method-assign, assignment]
    it3 = iter(range(10**9))

    def whole() -> None:
        r = an.track(frames[next(it3) % n], state[0])
        state[0] = r
        if r is not None:
            filt(np.concatenate([r.expression, [r.head.yaw, r.head.pitch, r.head.roll]]))

    tot = _timeit(whole, n)
    an.detector.detect = real_detect  # type: ignore[method-assign]
    out: dict[str, object] = {
        "frames": n,
        "threads": threads,
        "detect": det,
        "mesh": lm,
        "appearance": app,
        "whole": tot,
        "detector_calls": detector_calls[0],
    }
    parity_py = REPO / ".venv-parity" / "bin" / "python"
    wheel = sorted((REPO / "build" / "mediapipe").glob("mediapipe-0.10.21-*.whl"))
    mp_py = REPO / ".venv-mp" / "bin" / "python"
    if mp_py.exists() and os.environ.get("MOODRIG_FACE_EVAL_MEDIAPIPE", "1") == "1":
        with tempfile.TemporaryDirectory() as tmp:
            np.save(Path(tmp) / "f.npy", np.stack(frames))
            subprocess.run(
                [
                    str(mp_py),
                    str(REPO / "weights_tools" / "mediapipe_facemesh_bench.py"),
                    str(Path(tmp) / "f.npy"),
                    str(Path(tmp) / "mp.json"),
                ],
                check=True,
                capture_output=True,
            )
            out["mediapipe"] = json.loads((Path(tmp) / "mp.json").read_text())
    if parity_py.exists() and wheel and os.environ.get("MOODRIG_FACE_EVAL_MEDIAPIPE", "1") == "1":
        import zipfile

        with tempfile.TemporaryDirectory() as tmp:
            t = Path(tmp)
            with zipfile.ZipFile(wheel[0]) as zf:
                (t / "m.tflite").write_bytes(zf.read(MESH.wheel_member))
            xs = []
            for k, f in enumerate(frames[:50]):
                roi = rois[k] or rois[0]
                assert roi is not None
                xs.append(
                    to_tensor(crop(f, roi, 192)[0], *MESH.input_range).permute(0, 2, 3, 1).numpy()
                )
            np.save(t / "x.npy", np.concatenate(xs))
            subprocess.run(
                [
                    str(parity_py),
                    str(REPO / "weights_tools" / "mediapipe_litert_run.py"),
                    str(t / "m.tflite"),
                    str(t / "x.npy"),
                    str(t / "o.npz"),
                    "--repeat",
                    "5",
                    "--threads",
                    str(threads),
                ],
                check=True,
                capture_output=True,
            )
            with np.load(t / "o.npz") as z:
                out["litert_mesh_s"] = float(z["seconds_per_call"])
    return out


def _fps(t: tuple[float, float, float]) -> str:
    return f"{1 / t[0]:.0f} | {1 / t[1]:.0f} | {1 / t[2]:.0f}"


def report(
    data: Path,
    speed_n: int,
    threads: int,
    cache: Path | None = None,
    video_people: int | None = None,
) -> str:
    torch.set_num_threads(threads)
    t0 = time.time()
    samples = read_labels(data)
    an = FaceAnalyzer(AnalyzerConfig())
    if cache is not None and cache.exists():
        with np.load(cache) as z:
            obs = Observed(z["landmarks"], z["lbp"], z["found"], z["scores"])
    else:
        obs = observe(data, samples, an)
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            np.savez(
                cache, landmarks=obs.landmarks, lbp=obs.lbp, found=obs.found, scores=obs.scores
            )
    ln = london_nme(data, samples, obs)
    dl = dlib_eval(data, an)
    photo = image_loader(data, samples)
    cv = cross_validate(samples, obs, an.config, photo)
    sm = smile_table(samples, cv["smile"])
    geo_sm = smile_table(samples, cv["smile_geo"])
    app_sm = smile_table(samples, cv["z_app"], thr=0.0)
    yw = yaw_table(samples, cv["yaw"])
    shipped = calib.cached()
    res_smile = np.array(
        [
            analyse_landmarks(obs.landmarks[i], shipped, photo(i)).expression[1]
            if obs.found[i]
            else np.nan
            for i in range(len(samples))
        ]
    )
    sm_res = smile_table(samples, res_smile)
    views = views_eval(data, samples)
    by_yaw = dlib_by_yaw(data, an)
    abl = resize_pair_ablation(samples, obs, an.config, photo)
    video = (
        None
        if video_people == 0
        else face_eval_video.evaluate(data, samples, obs, photo, people_per_fold=video_people)
    )
    sp = speed(data, speed_n, threads)
    sp2 = speed(data, speed_n, 2) if threads == 1 else None
    load = os.getloadavg()
    L = [
        "# Face analysis: measured figures",
        "",
        "Produced by `.venv/bin/python -m moodrig.weights_tools.face_eval "
        "--out docs/face_eval.md` "
        f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.machine()}, "
        f"torch {torch.__version__}, {threads} torch threads, "
        f"load average at the end {load[0]:.1f}/{load[1]:.1f}; total {time.time() - t0:.0f} s).",
        "",
        "## Landmarks (NME, 12 points, normalised by the outer-eye distance)",
        "",
        "| set | faces | mean NME | median | share ≤ 0.05 | notes |",
        "|---|---|---|---|---|---|",
        f"| London neutral front (full pipeline) | {ln['n']} (missed {ln['missed']}) "
        f"| {ln['mean']:.4f} | {ln['median']:.4f} | {ln['frac_le_0.05']:.0%} "
        f"| hand-placed template; max {ln['max']:.4f} |",
        f"| dlib example faces (Face Mesh from the annotated box) | {dl['n']} "
        f"| {dl['mean']:.4f} | {dl['median']:.4f} | {dl['frac_le_0.05']:.0%} "
        "| dlib-model pseudo ground truth, small faces |",
        "",
        f"Detector recall on the {dl['faces']} dlib faces (IoU > 0.3): "
        f"BlazeFace short-range {dl['recall_blazeface']:.0%}, "
        f"BlazeFace or Haar cascade {dl['recall_blazeface_or_cascade']:.0%}.",
        "",
        "## Landmarks at the paper's angles (front, 3/4 ≈ 45°, profile ≈ 90°)",
        "",
        "The dev split has hand-placed landmarks for the neutral front photos only, so away from",
        "the front there is no ground truth in it. Two figures stand in: the *mirror",
        "disagreement* (the 12-point NME between the landmarks of a photo and those of its mirror",
        "image mapped back: 0 for a reading that mirrors exactly; it is not an error against",
        "truth, since a reading can be wrong the same way both times, but a large value does show",
        "error; on the front photos it sits beside the true NME above), and dlib's pseudo ground",
        "truth binned by the yaw Face Mesh reads. A face is *accepted* when Face Mesh's own",
        "presence score reaches 0.5 (the product's rule: below it the photo has no face, whoever",
        "proposed the region).",
        "",
        "| view | photos | accepted | median presence | mirror disagreement, mean / median |",
        "|---|---|---|---|---|",
    ]
    for v in calib.VIEWS:
        w = views[v]
        L.append(
            f"| {v} | {w['n']:.0f} | {w['found']:.0%} | {w['presence_median']:.3f} | "
            f"{w['mirror_nme_mean']:.4f} / {w['mirror_nme_median']:.4f} (n={w['mirror_n']}) |"
        )
    L += [
        "",
        "| dlib faces by the yaw Face Mesh reads | faces | mean NME | median |",
        "|---|---|---|---|",
    ]
    for k, b in by_yaw.items():
        L.append(f"| {k} | {b['n']:.0f} | {b['mean']:.4f} | {b['median']:.4f} |")
    L += [
        "",
        "Near profile Face Mesh's presence falls (its landmarks there are not valid, one half of",
        "the face is hidden): the profile rows show how many profile photos the product still",
        "reads. Those it refuses have no face (a video frame is filled from its neighbours); those",
        "it accepts are read as profiles by the view classifier (yaw ±90), their expression from",
        "the visible half.",
        "",
        "## Smiling vs neutral (smile > 0.5), 5-fold cross-validation by person",
        "",
        "| views | photos | accuracy (shipped estimate: geometry + mouth LBP) "
        "| paired (smiling photo scores higher than the same person's neutral) "
        "| geometric score alone | mouth-LBP score alone (paper features) "
        "| shipped calibration, resubstitution |",
        "|---|---|---|---|---|---|---|",
    ]
    for g in ("front", "3/4", "profile"):
        L.append(
            f"| {g} | {sm[g]['n']} | {sm[g]['accuracy']:.1%} "
            f"| {sm[g]['paired']:.1%} ({sm[g]['pairs']:.0f} pairs) "
            f"| {geo_sm[g]['accuracy']:.1%} | {app_sm[g]['accuracy']:.1%} "
            f"| {sm_res[g]['accuracy']:.1%} |"
        )
    L += [
        "",
        "Single photo: the smile value of one photo against the fixed threshold 0.5, "
        "the calibration fitted",
        "without that person. Paired: the smiling photo's value above the same person's "
        "neutral photo's",
        "(same view; a tie, both clipped to 0 or 1, counts as a miss). "
        "The person's own neutral is measured",
        "on video, below.",
        "Profiles are outside Face Mesh's range (its landmarks there are not valid); "
        "they are listed for completeness.",
        "This table and the yaw table read every photo whatever Face Mesh's presence, as the",
        "calibration does (the product refuses low-presence profiles: see the acceptance table).",
        "",
        "## The LBP resize pair (nearest-neighbour ×2, then Lanczos)",
        "",
        "On crops already resampled to the working size the pair is a fixed 5-tap sharpening",
        "filter (`core/face/lbp.py`). Cross-validated with and without it (features and",
        "calibration both):",
        "",
        "| figure | with the pair (shipped) | straight resize instead |",
        "|---|---|---|",
        *ablation_rows(app_sm, sm, yw, abl),
        "",
        *(face_eval_video.report_lines(video) if video is not None else []),
        "## Head yaw per view, 5-fold cross-validation by person",
        "",
        "| view | nominal | photos | mean estimate | SD | sign correct | bin (0/±45/±90) correct |",
        "|---|---|---|---|---|---|---|",
    ]
    for v in calib.VIEWS:
        y = yw[v]
        sign = "n/a" if np.isnan(y["sign"]) else f"{y['sign']:.0%}"
        L.append(
            f"| {v} | {calib.VIEW_YAW[calib.VIEWS.index(v)]:+.0f} | {y['n']:.0f} "
            f"| {y['mean_yaw']:+.1f} | {y['sd']:.1f} | {sign} | {y['bin']:.0%} |"
        )
    L += [
        "",
        f"## Speed on 640×480 frames ({sp['frames']} frames; "
        f"moodrig with {threads} torch thread(s), the default)",
        "",
        "| stage | frames/s, median wall time | best decile of wall time "
        "| 1 / CPU time per frame |",
        "|---|---|---|---|",
        f"| detection (letterbox + BlazeFace + decode) | {_fps(sp['detect'])} |",  # type: ignore[arg-type]
        f"| landmarks (crop + Face Mesh + back-projection) | {_fps(sp['mesh'])} |",  # type: ignore[arg-type]
        "| smile appearance score alone (mouth patch + LBP; part of the whole analysis) "
        f"| {_fps(sp['appearance'])} |",  # type: ignore[arg-type]
        "| whole per-frame analysis, tracking mode "
        "(mesh + pose + expressions + view check + One Euro) "
        f"| {_fps(sp['whole'])} |",  # type: ignore[arg-type]
    ]
    if sp2 is not None:
        L.append(
            "| whole per-frame analysis with 2 torch threads "
            "(OpenMP synchronisation on a busy 2-core CPU) "
            f"| {_fps(sp2['whole'])} |"  # type: ignore[arg-type]
        )
    if "mediapipe" not in sp:
        L.append(
            "| mediapipe Face Mesh | not timed: no `.venv-mp` (`make mediapipe-bench-venv`) | | |"
        )
    if "mediapipe" in sp:
        mp = sp["mediapipe"]
        L.append(
            f"| mediapipe {mp['mediapipe']} Face Mesh, tracking mode, same frames "  # type: ignore[index]
            "(`.venv-mp`, its own threads) "
            f"| {1 / mp['wall_s']:.0f} | {1 / mp['wall_s_p10']:.0f} "  # type: ignore[index]
            f"| {1 / mp['cpu_s']:.0f} |"  # type: ignore[index]
        )
    if "litert_mesh_s" in sp:
        L.append(
            "| LiteRT interpreter alone, same face_landmark.tflite, same crops "
            f"({threads} threads, `.venv-parity`) "
            f"| {1 / float(sp['litert_mesh_s']):.0f} "  # type: ignore[arg-type]
            "(mean of the median pass) | | |"
        )
    L += [
        "",
        f"Detector calls during the {sp['frames']} tracked frames: {sp['detector_calls']} "
        "(re-detection only when tracking is lost).",
        "The machine's 2 cores are shared with other jobs, so wall times vary with the load "
        "(see the load",
        "average above); CPU time per frame is the steadier figure "
        "(with 2 threads it counts both).",
        "",
    ]
    return "\n".join(L)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "face_eval.md")
    ap.add_argument("--speed-frames", type=int, default=150)
    ap.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads for the accuracy part and the first speed table",
    )
    ap.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="reuse/save the per-photo London pipeline outputs here",
    )
    ap.add_argument(
        "--video-people",
        type=int,
        default=None,
        help="smile-on-video clips per fold (default: every person; 0 skips the video part)",
    )
    args = ap.parse_args(argv)
    text = report(args.data, args.speed_frames, args.threads, args.cache, args.video_people)
    atomic_write_text(args.out, text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
