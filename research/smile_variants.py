"""Smile-score variants on London, scored like ``make face-eval`` (docs/history/face.md).

    .venv/bin/python research/smile_variants.py [--data ../shared/data] [--only TEXT]

Every variant is fitted and scored with the 5-fold split by person of
``weights_tools/face_eval.py`` (the canonical face refitted per fold, the two scores' scale from
an inner 5-fold split, as in ``face_calibrate.fit``) and printed as front / 3/4 accuracy of the
combined score z > 0. Research data: nothing is written.
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np
import torch
from numpy.typing import NDArray

import moodrig.core.face.smile as smile
from moodrig.core.face.analyzer import AnalyzerConfig, FaceAnalyzer
from moodrig.core.face.detector import to_tensor
from moodrig.core.face.geometry import fit_rotation, frontalise
from moodrig.core.face.lbp import LbpConfig, features
from moodrig.core.face.models import MESH, cached_net
from moodrig.core.face.roi import crop, roi_from_landmarks
from moodrig.core.face.tflite_net import TfliteNet
from moodrig.weights_tools.face_calibrate import (
    APP_RIDGE,
    GEO_PENALTY,
    INNER_FOLDS,
    canonical_face,
    fit_logistic,
    fit_ridge,
    image_loader,
    observe,
    person_folds,
    read_labels,
)
from moodrig.weights_tools.face_eval import FOLDS

F64 = NDArray[np.float64]


def region_patch(
    image: NDArray[np.uint8],
    landmarks: F64,
    can: F64,
    region: tuple[float, float, float, float],
    width: int,
    height: int,
) -> NDArray[np.uint8]:
    """A canonical-face ``region`` (x0, x1, y0, y1) resampled to ``width`` x ``height`` gray
    pixels, the way ``smile.mouth_patch`` resamples the mouth region."""
    x0, x1, y0, y1 = region
    grid = np.array([[(x1 - x0) / width, 0.0, x0], [0.0, (y1 - y0) / height, y0], [0.0, 0.0, 1.0]])
    to_image = smile.canonical_to_image(landmarks, can) @ grid
    return smile.resample_patch(image, to_image, (width, height))


def _mouth_lbp(
    region: tuple[float, float, float, float], cfg: LbpConfig
) -> Callable[[NDArray[np.uint8], F64, F64], F64]:
    def fn(image: NDArray[np.uint8], landmarks: F64, can: F64) -> F64:
        patch = region_patch(image, landmarks, can, region, cfg.size, cfg.size)
        return np.sqrt(features(patch, cfg).astype(np.float64))

    return fn


def _mouth_hog(size: int, cell: int) -> Callable[[NDArray[np.uint8], F64, F64], F64]:
    """Histograms of oriented gradients (9 bins, 2 x 2-cell blocks) of the mouth patch."""
    hog = cv2.HOGDescriptor((size, size), (2 * cell, 2 * cell), (cell, cell), (cell, cell), 9)

    def fn(image: NDArray[np.uint8], landmarks: F64, can: F64) -> F64:
        return np.asarray(
            hog.compute(smile.mouth_patch(image, landmarks, can, size)), dtype=np.float64
        ).ravel()

    return fn


def _smile_cascade(
    region: tuple[float, float, float, float], width: int, height: int
) -> Callable[[NDArray[np.uint8], F64, F64], F64]:
    """OpenCV's own smile cascade (haarcascade_smile.xml, trained on other faces) run on the
    equalised lower face (``region_patch`` of ``region``, ``width`` × ``height``): raw
    detection count (no neighbour merging), its log, and the best and top-5 mean stage weights."""
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_smile.xml")  # type: ignore[attr-defined]

    def fn(image: NDArray[np.uint8], landmarks: F64, can: F64) -> F64:
        patch = cv2.equalizeHist(region_patch(image, landmarks, can, region, width, height))
        _, _, weights = cascade.detectMultiScale3(
            patch, scaleFactor=1.05, minNeighbors=0, minSize=(36, 18), outputRejectLevels=True
        )
        w = np.sort(np.asarray(weights, dtype=np.float64).ravel())
        n = len(w)
        return np.array([n, np.log1p(n), w[-1] if n else -5.0, w[-5:].mean() if n else -5.0])

    return fn


MESH_BACKBONE = 141
"""Face Mesh's 6 x 6 x 128 backbone output, the input of both its heads (TFLite tensor id)."""
MESH_LANDMARK_HEAD = 207
"""The landmark head's last 3 x 3 x 32 features (the 1404 landmark values are linear in them)."""


def layer_outputs(
    net: TfliteNet, x: torch.Tensor, tensor_ids: Sequence[int]
) -> dict[int, torch.Tensor]:
    """Intermediate tensors (NCHW, by TFLite tensor id) of ``net`` run on ``x``, recorded by
    forward hooks on the layers that produce them, so the network runs as ``forward`` does."""
    producers = {out: name for _, name, _, out, _ in net.plan if name in net.layers}
    missing = [t for t in tensor_ids if t not in producers]
    if missing:
        raise ValueError(f"tensor(s) {missing}: not the output of a conv, PReLU or max-pool layer")
    got: dict[int, torch.Tensor] = {}

    def keeper(tensor_id: int) -> Callable[[torch.nn.Module, object, torch.Tensor], None]:
        def keep(_module: torch.nn.Module, _inputs: object, output: torch.Tensor) -> None:
            got[tensor_id] = output

        return keep

    handles = [net.layers[producers[t]].register_forward_hook(keeper(t)) for t in tensor_ids]
    try:
        net(x)
    finally:
        for h in handles:
            h.remove()
    return got


def _mesh_features(tensor_id: int) -> Callable[[NDArray[np.uint8], F64], F64]:
    """Face Mesh's own internal features of the photo: the network run on the crop its final
    landmarks define (as the analyser's second pass does), one intermediate tensor flattened.
    Learned from far more faces than London has; sees teeth and creases as well as shape."""
    net = cached_net(MESH)

    def fn(image: NDArray[np.uint8], landmarks: F64) -> F64:
        patch, _ = crop(image, roi_from_landmarks(landmarks), MESH.input_size)
        with torch.inference_mode():
            t = layer_outputs(net, to_tensor(patch, *MESH.input_range), [tensor_id])[tensor_id]
        return t.reshape(-1).numpy().astype(np.float64)

    return fn


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data"
    )
    ap.add_argument(
        "--only",
        default="",
        help="run only the rows whose name contains this text (and the shipped row)",
    )
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    samples = read_labels(args.data)
    obs = observe(args.data, samples, FaceAnalyzer(AnalyzerConfig()))
    load = image_loader(args.data, samples)
    sm = [i for i, s in enumerate(samples) if not s.view.endswith("profile") and obs.found[i]]
    y = np.array([1.0 if samples[i].expression == "smiling" else 0.0 for i in sm])
    front = np.array([samples[i].view == "front" for i in sm])
    pid = [samples[i].face_id for i in sm]
    outer = person_folds(pid, FOLDS)
    images = {i: load(i) for i in sm}
    cans = []
    for k in range(FOLDS):
        neutral = [
            sm[j]
            for j in np.flatnonzero(outer != k)
            if samples[sm[j]].view == "front" and samples[sm[j]].expression == "neutral"
        ]
        cans.append(canonical_face([obs.landmarks[i] for i in neutral]))
    geo = [
        np.array(
            [
                smile.geometry_features(
                    frontalise(obs.landmarks[i], fit_rotation(obs.landmarks[i], c)[0])
                )
                for i in sm
            ]
        )
        for c in cans
    ]

    def appearance(fn: Callable[[NDArray[np.uint8], F64, F64], F64]) -> list[F64]:
        return [np.array([fn(images[i], obs.landmarks[i], c) for i in sm]) for c in cans]

    @functools.cache
    def mesh_features(tensor_id: int) -> list[F64]:
        """Face Mesh's intermediate tensor ``tensor_id`` of every photo, once per tensor (rows
        share it); it does not depend on the fold's canonical face, so every fold gets the same."""
        fn = _mesh_features(tensor_id)
        return [np.array([fn(images[i], obs.landmarks[i]) for i in sm])] * FOLDS

    @functools.cache
    def mirrored() -> dict[int, tuple[NDArray[np.uint8], F64]]:
        """Each photo flipped left-right with its landmarks found again (photos without a face
        left out); computed once, on the first row that asks."""
        analyzer = FaceAnalyzer(AnalyzerConfig())
        flipped = {i: np.ascontiguousarray(images[i][:, ::-1]) for i in sm}
        hits = {i: analyzer.locate(im) for i, im in flipped.items()}
        return {i: (flipped[i], h[0].landmarks) for i, h in hits.items() if h is not None}

    def mirror_rows(k: int) -> tuple[F64, F64, F64, list[str]]:
        """Geometry, appearance, labels and people of the mirrored photos of fold k's training
        people."""
        flips = mirrored()
        keep = [j for j in np.flatnonzero(outer != k) if sm[j] in flips]
        pairs = [flips[sm[j]] for j in keep]
        g = np.array(
            [
                smile.geometry_features(frontalise(lm, fit_rotation(lm, cans[k])[0]))
                for _, lm in pairs
            ]
        )
        a = np.array([smile.appearance_features(im, lm, cans[k]) for im, lm in pairs])
        return g, a, y[keep], [pid[j] for j in keep]

    def score(
        app: list[F64],
        extra: tuple[list[F64], ...] = (),
        gp: float = GEO_PENALTY,
        ar: float = APP_RIDGE,
        combine: str = "sum",
        mirror: bool = False,
    ) -> str:
        """Front / 3/4 accuracy of z = the sum of the geometric, appearance and any ``extra``
        ridge scores, each divided by its inner-fold spread (or thresholded / stacked);
        ``mirror`` adds the training people's mirrored photos to the fits (shipped appearance
        only)."""
        if mirror and extra:
            raise ValueError(
                "mirror=True adds mirrored rows to the geometric and appearance scores only"
            )

        def fit(c: int, x: F64, t: F64) -> smile.LinearScore:  # score 0 is the geometric one
            return fit_logistic(x, t, gp) if c == 0 else fit_ridge(x, t, ar)

        z = np.zeros(len(sm))
        for k in range(FOLDS):
            tr, te = outer != k, outer == k
            xs = [geo[k], app[k], *(e[k] for e in extra)]
            train_x = [x[tr] for x in xs]
            yt = y[tr]
            people = [pid[j] for j in np.flatnonzero(tr)]
            if mirror:
                mg, ma, my, mp = mirror_rows(k)
                train_x = [np.vstack([train_x[0], mg]), np.vstack([train_x[1], ma])]
                yt, people = np.concatenate([yt, my]), people + mp
            inner = person_folds(people, INNER_FOLDS)
            held = np.zeros((len(yt), len(xs)))
            for kk in range(INNER_FOLDS):
                a, t = inner != kk, inner == kk
                for c, x in enumerate(train_x):
                    held[t, c] = fit(c, x[a], yt[a])(x[t])
            s = held.std(axis=0)
            both = np.stack([fit(c, x, yt)(xs[c][te]) for c, x in enumerate(train_x)], 1) / s
            if combine == "sum":
                z[te] = both.sum(1)
            elif combine == "threshold":  # the inner folds' most accurate threshold on the sum
                zi = (held / s).sum(1)
                cands = np.sort(zi)
                z[te] = (
                    both.sum(1)
                    - cands[int(np.argmax([((zi > c) == (yt > 0)).mean() for c in cands]))]
                )
            else:  # "stack": logistic fit of the inner-fold scores
                z[te] = fit_logistic(held / s, yt, 1e-3)(both)
        acc = [100 * float(((z[m] > 0) == (y[m] > 0)).mean()) for m in (front, ~front)]
        return f"{acc[0]:.1f} / {acc[1]:.1f}"

    shipped = appearance(smile.appearance_features)
    wide = (-0.9, 0.9, 0.1, 1.0)
    rows: list[tuple[str, Callable[[], str]]] = [("shipped", lambda: score(shipped))]
    rows += [
        (f"geometric penalty {gp}", lambda gp=gp: score(shipped, gp=gp))
        for gp in (1.0, 3.0, 30.0, 100.0)
    ]
    rows += [
        (f"appearance ridge {ar}", lambda ar=ar: score(shipped, ar=ar))
        for ar in (100.0, 300.0, 3000.0, 10000.0)
    ]
    rows += [
        (
            "mouth LBP 8 x 8 cells",
            lambda: score(appearance(_mouth_lbp(smile.MOUTH_REGION, LbpConfig(size=64, grid=8)))),
        ),
        (
            "mouth LBP 96 px, 6 x 6 cells",
            lambda: score(appearance(_mouth_lbp(smile.MOUTH_REGION, LbpConfig(size=96, grid=6)))),
        ),
        (
            "wider region with the cheeks, 4 x 4",
            lambda: score(appearance(_mouth_lbp(wide, LbpConfig(size=64, grid=4)))),
        ),
        (
            "wider region with the cheeks, 96 px 6 x 6",
            lambda: score(appearance(_mouth_lbp(wide, LbpConfig(size=96, grid=6)))),
        ),
        (
            "decision threshold tuned on the inner folds",
            lambda: score(shipped, combine="threshold"),
        ),
        (
            "the two scores stacked by a logistic fit on the inner folds",
            lambda: score(shipped, combine="stack"),
        ),
        (
            "+ eye-region LBP (x ± 0.95, y -0.65-0.05: lids, crow's feet) as a third score",
            lambda: score(
                shipped,
                (appearance(_mouth_lbp((-0.95, 0.95, -0.65, 0.05), LbpConfig(size=64, grid=4))),),
            ),
        ),
        (
            "+ cheek-region LBP (x ± 0.95, y -0.05-0.6) as a third score",
            lambda: score(
                shipped,
                (appearance(_mouth_lbp((-0.95, 0.95, -0.05, 0.6), LbpConfig(size=64, grid=4))),),
            ),
        ),
        (
            "+ mouth HOG (8-px cells, 9 bins) as a third score",
            lambda: score(shipped, (appearance(_mouth_hog(64, 8)),)),
        ),
        ("mouth HOG instead of the mouth LBP", lambda: score(appearance(_mouth_hog(64, 8)))),
        (
            "+ OpenCV smile cascade (lower face 128 x 72) as a third score",
            lambda: score(shipped, (appearance(_smile_cascade((-0.8, 0.8, 0.2, 1.1), 128, 72)),)),
        ),
        (
            "+ the training people's mirrored photos in the fits",
            lambda: score(shipped, mirror=True),
        ),
        (
            "Face Mesh backbone features (6 x 6 x 128) instead of the mouth LBP",
            lambda: score(mesh_features(MESH_BACKBONE)),
        ),
        (
            "+ Face Mesh backbone features (6 x 6 x 128) as a third score",
            lambda: score(shipped, (mesh_features(MESH_BACKBONE),)),
        ),
        (
            "+ Face Mesh landmark-head features (3 x 3 x 32) as a third score",
            lambda: score(shipped, (mesh_features(MESH_LANDMARK_HEAD),)),
        ),
    ]
    print("| variant | front / 3/4 accuracy (%) |\n|---|---|")
    for name, run in rows:
        if args.only and args.only not in name and name != "shipped":
            continue
        print(f"| {name} | {run()} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
