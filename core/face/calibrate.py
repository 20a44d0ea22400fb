"""Fit the face calibration on ``london_faces_dev`` and write ``weights/face/face_calibration``.

    python -m moodrig.core.face.calibrate [--data ../shared/data] [--out weights/face]

Fitted quantities (see ``calibration.py``): the canonical neutral face, neutral measure means,
the smile score (ridge regression of smiling=1 / neutral=0 on the frontalised mouth/cheek
shape of front and 3/4 views), the yaw gain (least squares, front and 3/4 views), and the
LBP view classifier (one-vs-rest ridge on sqrt LBP block histograms, all views).
The London photos are research data: only these fitted numbers are shipped, never images.
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from ..paths import weights_dir
from ..weights import export_weights
from . import calibration as calib
from .analyzer import VIEW_LBP, AnalyzerConfig, FaceAnalyzer, face_lbp
from .geometry import L_EYE_OUT, R_EYE_OUT, euler_from_rotation, fit_rotation, frontalise, normalise
from .io import read_image
from .measures import measures

SMILE_RIDGE = 10.0
VIEW_RIDGE = 1.0


@dataclass(frozen=True)
class Sample:
    file: str
    face_id: str
    expression: str
    view: str
    yaw: float


@dataclass(frozen=True)
class Observed:
    """Per-photo pipeline outputs the fit needs (NaN landmarks where no face was found)."""

    landmarks: NDArray[np.float32]  # (N, 468, 3)
    lbp: NDArray[np.float32]  # (N, F)
    found: NDArray[np.bool_]  # (N,)
    scores: NDArray[np.float64]  # (N,) Face Mesh presence


def read_labels(data: Path) -> list[Sample]:
    with (data / "london_faces_dev" / "labels.csv").open(newline="", encoding="utf-8") as fh:
        return [
            Sample(r["file"], r["face_id"], r["expression"], r["view"], float(r["nominal_yaw_deg"]))
            for r in csv.DictReader(fh)
        ]


def observe(data: Path, samples: Sequence[Sample], analyzer: FaceAnalyzer) -> Observed:
    n = len(samples)
    lms = np.full((n, 468, 3), np.nan, dtype=np.float32)
    lbp = np.zeros((n, VIEW_LBP.length), dtype=np.float32)
    found = np.zeros(n, dtype=bool)
    scores = np.zeros(n, dtype=np.float64)
    for i, s in enumerate(samples):
        img = read_image(data / "london_faces_dev" / s.file)
        hit = analyzer.locate(img)
        if hit is None:
            continue
        lm = hit[0].landmarks
        lms[i], found[i], scores[i] = lm, True, hit[0].score
        lbp[i] = face_lbp(img, lm)
    return Observed(lms, lbp, found, scores)


def _ridge(x: NDArray[np.float64], y: NDArray[np.float64], lam: float, standardise: bool) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    mu = x.mean(axis=0)
    sd = x.std(axis=0) + 1e-6 if standardise else np.ones(x.shape[1])
    a = (x - mu) / sd
    w = np.linalg.solve(a.T @ a + lam * np.eye(a.shape[1]), a.T @ (y - y.mean(axis=0)))
    return mu, sd, w, np.atleast_1d(y.mean(axis=0))


def canonical_face(landmarks: Sequence[NDArray[np.floating[Any]]]) -> NDArray[np.float64]:
    """Mean neutral frontal face, refined by three rounds of rotation fitting."""
    levelled = []
    for lm in landmarks:
        p = normalise(lm)
        v = p[L_EYE_OUT, :2] - p[R_EYE_OUT, :2]
        a = -float(np.arctan2(v[1], v[0]))
        rz = np.array([[np.cos(a), -np.sin(a), 0.0], [np.sin(a), np.cos(a), 0.0], [0.0, 0.0, 1.0]])
        levelled.append(p @ rz.T)
    can = np.mean(levelled, axis=0)
    for _ in range(3):
        can = normalise(np.mean([frontalise(lm, fit_rotation(lm, can)[0]) for lm in landmarks], axis=0))
    return np.asarray(can, dtype=np.float64)


def fit(samples: Sequence[Sample], obs: Observed, train: NDArray[np.bool_]) -> calib.Calibration:
    """Fit every calibrated quantity on the ``train`` subset of found faces."""
    ok = train & obs.found
    front_neutral = [i for i, s in enumerate(samples) if ok[i] and s.view == "front" and s.expression == "neutral"]
    if len(front_neutral) < 3:
        raise ValueError("calibration needs at least 3 neutral frontal faces")
    can = canonical_face([obs.landmarks[i] for i in front_neutral])
    rots = {i: fit_rotation(obs.landmarks[i], can)[0] for i in range(len(samples)) if ok[i]}
    qs = {i: frontalise(obs.landmarks[i], r) for i, r in rots.items()}
    neutral = np.mean([measures(qs[i]) for i in front_neutral], axis=0)
    # smile: front and 3/4 views
    sm = [i for i in qs if not samples[i].view.endswith("profile")]
    x = np.array([qs[i][list(calib.SMILE_POINTS), :2].reshape(-1) for i in sm])
    y = np.array([1.0 if samples[i].expression == "smiling" else 0.0 for i in sm])
    mu, sd, w, ym = _ridge(x, y, SMILE_RIDGE, standardise=True)
    b = float(ym[0]) - 0.5  # score z = (x-mu)/sd·w + ym − 0.5 : z > 0 ⇔ regression > 0.5
    z = ((x - mu) / sd) @ w + b
    anchor = (float(z[y == 0].mean()), float(z[y == 1].mean()))
    # yaw gain: front + 3/4
    est = np.array([euler_from_rotation(rots[i]).yaw for i in sm])
    nom = np.array([samples[i].yaw for i in sm])
    gain = float((est * nom).sum() / max((est * est).sum(), 1e-9))
    # view classifier on LBP (sqrt = Hellinger)
    vi = [i for i in range(len(samples)) if ok[i]]
    xv = np.sqrt(obs.lbp[vi].astype(np.float64))
    yv = np.eye(len(calib.VIEWS))[[calib.VIEWS.index(samples[i].view) for i in vi]]
    vmu, _, vw, vb = _ridge(xv, yv, VIEW_RIDGE, standardise=False)
    return calib.Calibration(
        canonical=can, neutral=neutral, smile_mu=mu, smile_sd=sd, smile_w=w,
        smile_b=b, smile_anchor=anchor, yaw_gain=gain, view_mu=vmu, view_w=vw, view_b=vb,
    )


def save(cal: calib.Calibration, folder: Path, n_photos: int) -> Path:
    return export_weights(
        folder / f"{calib.NAME}.safetensors",
        {k: torch.from_numpy(v) for k, v in cal.tensors().items()},
        model=calib.MODEL,
        model_version=calib.VERSION,
        architecture={"landmarks": 468, "smile_points": list(calib.SMILE_POINTS), "views": list(calib.VIEWS), "view_lbp": {"size": VIEW_LBP.size, "grid": VIEW_LBP.grid}},
        training={"data": "london_faces_dev (Face Research Lab London Set, CC BY 4.0)", "photos": n_photos, "smile_ridge": SMILE_RIDGE, "view_ridge": VIEW_RIDGE},
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2].parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=weights_dir() / "face")
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    samples = read_labels(args.data)
    analyzer = FaceAnalyzer(AnalyzerConfig())
    obs = observe(args.data, samples, analyzer)
    cal = fit(samples, obs, np.ones(len(samples), dtype=bool))
    print(f"wrote {save(cal, args.out, int(obs.found.sum()))} (faces found {int(obs.found.sum())}/{len(samples)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
