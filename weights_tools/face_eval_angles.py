"""Parts of the face evaluation (``face_eval.py``): landmarks away from the front, and the
ablation of the LBP resize pair.

* :func:`views_eval`: per London view, the share of photos the product accepts (Face Mesh
  presence ≥ its threshold), the median presence, and the *mirror disagreement* of the
  accepted faces: the 12-point NME between the landmarks of a photo and those of its mirror
  image mapped back (no ground truth exists for 3/4 and profile photos in the dev split).
* :func:`dlib_by_yaw`: dlib's pseudo-ground-truth NME binned by the yaw Face Mesh reads.
* :func:`resize_pair_ablation`: cross-validated smile and view figures with the LBP pipeline's
  nearest ×2 + Lanczos pair replaced by a straight resize.
"""

from __future__ import annotations

import contextlib
import functools
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from moodrig.core.face import calibration as calib
from moodrig.core.face import lbp
from moodrig.core.face.analyzer import AnalyzerConfig, FaceAnalyzer, face_lbp
from moodrig.core.face.expressions import analyse_landmarks
from moodrig.core.face.io import read_image
from moodrig.core.face.roi import roi_from_box, roi_from_landmarks
from moodrig.weights_tools.face_calibrate import ImageLoader, Observed, Sample


def mirror_map(points: list[int]) -> dict[int, int]:
    """Face Mesh index → its mirror partner (left ↔ right), for ``points``: nearest point of
    the x-mirrored canonical face; checked to be a pairing on these points."""
    can = calib.cached().canonical
    flipped = can[:, :2] * np.array([-1.0, 1.0])
    out = {}
    for i in points:
        out[i] = int(np.argmin(((can[:, :2] - flipped[i]) ** 2).sum(axis=1)))
    if any(out.get(out[i], -1) != i for i in points):
        raise RuntimeError("the mirror map is not a pairing on the NME points")
    return out


def mirror_disagreement(
    an: FaceAnalyzer, img: NDArray[np.uint8], pts: list[int], pair: dict[int, int]
) -> tuple[float | None, float | None]:
    """(NME between the landmarks of the photo and those of its mirror image mapped back,
    presence of the photo's face); (None, None) when the product finds no face in either.
    A self-consistency figure: 0 for a perfectly equivariant reading, no ground truth."""
    a, b = an.analyze(img), an.analyze(np.ascontiguousarray(img[:, ::-1]))
    if a is None or b is None:
        return None, (a.score if a is not None else None)
    w = img.shape[1]
    back = b.landmarks[[pair[i] for i in pts], :2].astype(np.float64)
    back[:, 0] = w - 1 - back[:, 0]
    mine = a.landmarks[pts, :2].astype(np.float64)
    eye = float(np.linalg.norm(a.landmarks[33, :2] - a.landmarks[263, :2]))
    if eye < 1e-6:
        return None, a.score
    return float(np.linalg.norm(mine - back, axis=1).mean() / eye), a.score


def views_eval(data: Path, samples: list[Sample]) -> dict[str, dict[str, float]]:
    """Per London view: share of photos the product accepts (Face Mesh presence ≥ its
    threshold), median presence, and the mirror disagreement (12-point NME) of the accepted."""
    from moodrig.weights_tools.face_eval import LONDON_TO_MESH

    an = FaceAnalyzer(AnalyzerConfig())
    pts = list(LONDON_TO_MESH.values())
    pair = mirror_map(pts)
    rows: dict[str, dict[str, list[float]]] = defaultdict(
        lambda: {"nme": [], "presence": [], "found": []}
    )
    for s in samples:
        img = read_image(data / "london_faces_dev" / s.file)
        nme_m, presence = mirror_disagreement(an, img, pts, pair)
        r = rows[s.view]
        r["found"].append(float(presence is not None))
        r["presence"].append(float(presence) if presence is not None else 0.0)
        if nme_m is not None:
            r["nme"].append(nme_m)
    out = {}
    for view, r in rows.items():
        v = np.array(r["nme"])
        out[view] = {
            "n": len(r["found"]),
            "found": float(np.mean(r["found"])),
            "presence_median": float(np.median(r["presence"])),
            "mirror_nme_mean": float(v.mean()) if v.size else float("nan"),
            "mirror_nme_median": float(np.median(v)) if v.size else float("nan"),
            "mirror_n": int(v.size),
        }
    return out


def dlib_by_yaw(data: Path, analyzer: FaceAnalyzer) -> dict[str, dict[str, float]]:
    """dlib pseudo-ground-truth NME (12 points) binned by the head yaw Face Mesh reads."""
    from moodrig.weights_tools.face_eval import IBUG_TO_MESH, dlib_faces, nme

    bins = {
        "|yaw| < 20°": (0.0, 20.0),
        "20–50° (3/4)": (20.0, 50.0),
        "≥ 50° (near profile)": (50.0, 181.0),
    }
    vals: dict[str, list[float]] = {k: [] for k in bins}
    for file, (x, y, w, h), pts in dlib_faces(data):
        img = read_image(data / "dlib_faces" / file)
        res = analyzer.mesh.run(img, roi_from_box(x + w / 2, y + h / 2, w, h, 0.0, scale=1.6))
        res = analyzer.mesh.run(img, roi_from_landmarks(res.landmarks))
        fe = analyse_landmarks(res.landmarks, analyzer.calibration)
        yaw = abs(fe.head.yaw)
        e = nme(
            res.landmarks[list(IBUG_TO_MESH.values())],
            pts[list(IBUG_TO_MESH)],
            float(np.linalg.norm(pts[36] - pts[45])),
        )
        for k, (lo, hi) in bins.items():
            if lo <= yaw < hi:
                vals[k].append(e)
    return {
        k: {
            "n": len(v),
            "mean": float(np.mean(v)) if v else float("nan"),
            "median": float(np.median(v)) if v else float("nan"),
        }
        for k, v in vals.items()
    }


@contextlib.contextmanager
def _lbp_without_resize_pair() -> Iterator[None]:
    """Run the LBP features with the nearest ×2 + Lanczos pair replaced by a straight resize."""
    real = lbp.preprocess
    lbp.preprocess = functools.partial(real, pair=False)  # type: ignore[assignment]
    try:
        yield
    finally:
        lbp.preprocess = real  # type: ignore[assignment]


def resize_pair_ablation(
    samples: list[Sample], obs: Observed, config: AnalyzerConfig, photo: ImageLoader
) -> dict[str, Any]:
    """Cross-validated mouth-LBP smile accuracy and view-bin accuracy without the resize pair
    (the calibration refitted per fold on features made the same way)."""
    from moodrig.weights_tools.face_eval import cross_validate, smile_table, yaw_table

    with _lbp_without_resize_pair():
        feats = np.stack(
            [
                face_lbp(photo(i), obs.landmarks[i]) if obs.found[i] else obs.lbp[i]
                for i in range(len(samples))
            ]
        )
        cv = cross_validate(
            samples, Observed(obs.landmarks, feats, obs.found, obs.scores), config, photo
        )
    return {
        "app": smile_table(samples, cv["z_app"], thr=0.0),
        "yaw": yaw_table(samples, cv["yaw"]),
        "smile": smile_table(samples, cv["smile"]),
    }


def ablation_rows(
    app_sm: dict[str, Any], sm: dict[str, Any], yw: dict[str, Any], abl: dict[str, Any]
) -> list[str]:
    """Markdown rows: the shipped figures beside those without the resize pair."""
    app, smile = abl["app"], abl["smile"]
    bins = np.mean([yw[v]["bin"] for v in calib.VIEWS])
    bins_abl = np.mean([abl["yaw"][v]["bin"] for v in calib.VIEWS])
    return [
        f"| mouth-LBP score alone, front | {app_sm['front']['accuracy']:.1%} | "
        f"{app['front']['accuracy']:.1%} |",
        f"| mouth-LBP score alone, 3/4 | {app_sm['3/4']['accuracy']:.1%} | "
        f"{app['3/4']['accuracy']:.1%} |",
        f"| combined smile estimate, front / 3/4 | {sm['front']['accuracy']:.1%} / "
        f"{sm['3/4']['accuracy']:.1%} | {smile['front']['accuracy']:.1%} / "
        f"{smile['3/4']['accuracy']:.1%} |",
        f"| view bin correct, mean over the five views | {bins:.1%} | {bins_abl:.1%} |",
    ]
