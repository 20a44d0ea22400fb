"""Fit the face calibration on ``london_faces_dev`` and write ``weights/face/face_calibration``.

    python -m moodrig.weights_tools.face_calibrate [--data ../shared/data] [--out weights/face]

Fitted quantities (see ``core/face/calibration.py``): the canonical neutral face, neutral
measure means and between-person SDs, the smile scores on front and 3/4 views
(``core/face/smile.py``: logistic regression on the geometric measures, ridge regression on the
mouth-region LBP histograms; their relative scale, the anchors of the smile value and the
neutral spread come from held-out scores of a 5-fold split by person *inside* the training
people, so they describe unseen faces, not the fitted ones), the yaw gain (least squares, front
and 3/4 views), and the LBP view classifier (one-vs-rest ridge on sqrt LBP block histograms,
all views).
The London photos are research data: only these fitted numbers are shipped, never images.
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from moodrig.core.face import calibration as calib
from moodrig.core.face.analyzer import VIEW_LBP, AnalyzerConfig, FaceAnalyzer, face_lbp
from moodrig.core.face.geometry import (
    L_EYE_OUT,
    R_EYE_OUT,
    euler_from_rotation,
    fit_rotation,
    frontalise,
    normalise,
)
from moodrig.core.face.io import read_image
from moodrig.core.face.measures import measures
from moodrig.core.face.smile import (
    GEOMETRY_NAMES,
    MOUTH_LBP,
    MOUTH_REGION,
    LinearScore,
    appearance_features,
    geometry_features,
)
from moodrig.core.paths import weights_dir
from moodrig.core.weights import export_weights

GEO_PENALTY = 10.0
"""L2 penalty of the geometric logistic regression (standardised measures, ~200 photos)."""
APP_RIDGE = 1000.0
"""Ridge penalty of the appearance score (944 standardised LBP values)."""
INNER_FOLDS = 5
VIEW_RIDGE = 1.0

ImageLoader = Callable[[int], NDArray[np.uint8]]
"""Sample index → its photo (HWC uint8 RGB)."""


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
        # every view is read, profiles included, whatever Face Mesh's presence (the view
        # classifier learns what profiles look like; the product refuses low-presence regions)
        hit = analyzer.locate(img, min_presence=0.0)
        if hit is None:
            continue
        lm = hit[0].landmarks
        lms[i], found[i], scores[i] = lm, True, hit[0].score
        lbp[i] = face_lbp(img, lm)
    return Observed(lms, lbp, found, scores)


def fit_logistic(x: NDArray[np.float64], y: NDArray[np.float64], lam: float) -> LinearScore:
    """L2-penalised logistic regression on standardised x (Newton steps); score = logit."""
    mu = x.mean(axis=0)
    sd = x.std(axis=0) + 1e-9
    a = np.hstack([(x - mu) / sd, np.ones((len(x), 1))])
    theta = np.zeros(a.shape[1])
    pen = np.full(a.shape[1], lam)
    pen[-1] = 0.0
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-np.clip(a @ theta, -30.0, 30.0)))
        grad = a.T @ (p - y) + pen * theta
        hess = (a * (p * (1 - p))[:, None]).T @ a + np.diag(pen) + 1e-9 * np.eye(a.shape[1])
        step = np.linalg.solve(hess, grad)
        theta -= step
        if float(np.abs(step).max()) < 1e-9:
            break
    return LinearScore(mu, sd, theta[:-1], float(theta[-1]))


def fit_ridge(x: NDArray[np.float64], y: NDArray[np.float64], lam: float) -> LinearScore:
    """Ridge regression of y ∈ {0, 1} on standardised x; score = prediction − 0.5."""
    mu = x.mean(axis=0)
    sd = x.std(axis=0) + 1e-9
    a = (x - mu) / sd
    ym = float(y.mean())
    w = np.linalg.solve(a.T @ a + lam * np.eye(a.shape[1]), a.T @ (y - ym))
    return LinearScore(mu, sd, w, ym - 0.5)


def _ridge(
    x: NDArray[np.float64], y: NDArray[np.float64], lam: float, standardise: bool
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
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
        can = normalise(
            np.mean([frontalise(lm, fit_rotation(lm, can)[0]) for lm in landmarks], axis=0)
        )
    return np.asarray(can, dtype=np.float64)


def image_loader(data: Path, samples: Sequence[Sample]) -> ImageLoader:
    def load(i: int) -> NDArray[np.uint8]:
        return read_image(data / "london_faces_dev" / samples[i].file)

    return load


def person_folds(face_ids: Sequence[str], k: int) -> NDArray[np.int64]:
    """Fold of each sample, by person (people in sorted order, dealt round-robin)."""
    pid = np.array([int(f) for f in face_ids])
    return np.asarray(np.searchsorted(np.unique(pid), pid) % k, dtype=np.int64)


def fit(
    samples: Sequence[Sample], obs: Observed, train: NDArray[np.bool_], load_image: ImageLoader
) -> calib.Calibration:
    """Fit every calibrated quantity on the ``train`` subset of found faces."""
    ok = train & obs.found
    front_neutral = [
        i
        for i, s in enumerate(samples)
        if ok[i] and s.view == "front" and s.expression == "neutral"
    ]
    if len(front_neutral) < 3:
        raise ValueError("calibration needs at least 3 neutral frontal faces")
    can = canonical_face([obs.landmarks[i] for i in front_neutral])
    rots = {i: fit_rotation(obs.landmarks[i], can)[0] for i in range(len(samples)) if ok[i]}
    qs = {i: frontalise(obs.landmarks[i], r) for i, r in rots.items()}
    nm = np.array([measures(qs[i]) for i in front_neutral])
    neutral, neutral_sd = nm.mean(axis=0), nm.std(axis=0)
    # smile: front and 3/4 views; held-out scores from an inner split by person
    sm = [i for i in qs if not samples[i].view.endswith("profile")]
    xg = np.array([geometry_features(qs[i]) for i in sm])
    xa = np.array([appearance_features(load_image(i), obs.landmarks[i], can) for i in sm])
    y = np.array([1.0 if samples[i].expression == "smiling" else 0.0 for i in sm])
    inner = person_folds([samples[i].face_id for i in sm], INNER_FOLDS)
    held = np.zeros((len(sm), 2))
    for k in range(INNER_FOLDS):
        a, t = inner != k, inner == k
        held[t, 0] = fit_logistic(xg[a], y[a], GEO_PENALTY)(xg[t])
        held[t, 1] = fit_ridge(xa[a], y[a], APP_RIDGE)(xa[t])
    scale = held.std(axis=0)
    z = held[:, 0] / scale[0] + held[:, 1] / scale[1]
    zg = held[:, 0] / scale[0]
    anchor = (float(z[y == 0].mean()), float(z[y == 1].mean()))
    anchor_geo = (float(zg[y == 0].mean()), float(zg[y == 1].mean()))
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
        canonical=can,
        neutral=neutral,
        neutral_sd=neutral_sd,
        geo=fit_logistic(xg, y, GEO_PENALTY),
        app=fit_ridge(xa, y, APP_RIDGE),
        smile_scale=(float(scale[0]), float(scale[1])),
        smile_anchor=anchor,
        smile_anchor_geo=anchor_geo,
        smile_neutral_sd=float(z[y == 0].std()),
        yaw_gain=gain,
        view_mu=vmu,
        view_w=vw,
        view_b=vb,
    )


def save(cal: calib.Calibration, folder: Path, n_photos: int) -> Path:
    return export_weights(
        folder / f"{calib.NAME}.safetensors",
        {k: torch.from_numpy(v) for k, v in cal.tensors().items()},
        model=calib.MODEL,
        model_version=calib.VERSION,
        architecture={
            "landmarks": 468,
            "geometry_features": list(GEOMETRY_NAMES),
            "mouth_region": list(MOUTH_REGION),
            "mouth_lbp": {"size": MOUTH_LBP.size, "grid": MOUTH_LBP.grid},
            "views": list(calib.VIEWS),
            "view_lbp": {"size": VIEW_LBP.size, "grid": VIEW_LBP.grid},
        },
        training={
            "data": "london_faces_dev (Face Research Lab London Set, CC BY 4.0)",
            "photos": n_photos,
            "geo_penalty": GEO_PENALTY,
            "app_ridge": APP_RIDGE,
            "inner_folds": INNER_FOLDS,
            "view_ridge": VIEW_RIDGE,
        },
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    shared = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    ap.add_argument("--data", type=Path, default=shared)
    ap.add_argument("--out", type=Path, default=weights_dir() / "face")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    samples = read_labels(args.data)
    analyzer = FaceAnalyzer(AnalyzerConfig())
    obs = observe(args.data, samples, analyzer)
    cal = fit(samples, obs, np.ones(len(samples), dtype=bool), image_loader(args.data, samples))
    print(
        f"wrote {save(cal, args.out, int(obs.found.sum()))} "
        f"(faces found {int(obs.found.sum())}/{len(samples)})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
