"""Calibration data fitted on ``london_faces_dev`` and shipped as verified safetensors.

Written by ``python -m moodrig.weights_tools.face_calibrate`` to ``weights/face/face_calibration``:

* ``canonical`` (468, 3): neutral frontal face (mean Face Mesh output, head frame, unit
  outer-eye distance) — the reference for head rotation (``geometry.py``) and for the mouth
  crop of the appearance score (``smile.py``);
* ``neutral`` (7,), ``neutral_sd`` (7,): mean and between-person SD of the raw measures
  (``measures.MEASURE_NAMES``) of neutral frontal faces;
* ``geo_mu``, ``geo_sd``, ``geo_w`` (38,), ``geo_b``: logistic smile score on the geometric
  measures (``smile.GEOMETRY_NAMES``);
* ``app_mu``, ``app_sd``, ``app_w`` (944,), ``app_b``: ridge smile score on the mouth-region
  LBP histograms (``smile.appearance_features``);
* ``smile_scale`` (2,): spread of the held-out geometric and appearance scores (the combined
  score is z = z_geo / s_geo + z_app / s_app);
* ``smile_anchor`` (2,), ``smile_anchor_geo`` (2,): mean held-out combined (geometric-only)
  score of the neutral and of the smiling photos — the 0 and 1 of ``smile_value``;
* ``smile_neutral_sd`` (1,): between-photo SD of the held-out combined score of neutral
  photos (bounds the per-person baseline shift, ``baseline.py``);
* ``yaw_gain`` (1,): multiplies the fitted yaw (Face Mesh's depth is flattened, it reads 3/4
  views at about 39° instead of 45°);
* ``view_mu``, ``view_w`` (2124, 5), ``view_b`` (5,): ridge classifier of the view (left
  profile, left 3/4, front, right 3/4, right profile) on LBP block histograms (``lbp.py``) of
  the face crop; used to recognise profiles, where Face Mesh is not valid.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..manifest import load_weights_numpy
from ..paths import weights_dir
from .smile import LinearScore

MODEL = "moodrig_face_calibration"
VERSION = 2
NAME = "face_calibration"

VIEWS: tuple[str, ...] = (
    "left_profile",
    "left_3quarter",
    "front",
    "right_3quarter",
    "right_profile",
)
VIEW_YAW: tuple[float, ...] = (-90.0, -45.0, 0.0, 45.0, 90.0)


@dataclass(frozen=True)
class Calibration:
    canonical: NDArray[np.float64]
    neutral: NDArray[np.float64]
    neutral_sd: NDArray[np.float64]
    geo: LinearScore
    app: LinearScore
    smile_scale: tuple[float, float]
    smile_anchor: tuple[float, float]
    smile_anchor_geo: tuple[float, float]
    smile_neutral_sd: float
    yaw_gain: float
    view_mu: NDArray[np.float64]
    view_w: NDArray[np.float64]
    view_b: NDArray[np.float64]

    def tensors(self) -> dict[str, NDArray[np.float32]]:
        f = np.float32
        out: dict[str, NDArray[np.float32]] = {}
        for fld in fields(self):
            v = getattr(self, fld.name)
            if isinstance(v, LinearScore):
                for part in ("mu", "sd", "w"):
                    out[f"{fld.name}_{part}"] = np.asarray(getattr(v, part), f)
                out[f"{fld.name}_b"] = np.array([v.b], f)
            else:
                out[fld.name] = np.atleast_1d(np.asarray(v, f))
        return out


def manifest_path(folder: Path | None = None) -> Path:
    return (folder or weights_dir() / "face") / f"{NAME}.manifest.json"


def load(folder: Path | None = None) -> Calibration:
    tensors, _ = load_weights_numpy(manifest_path(folder), model=MODEL, model_version=VERSION)
    t = {k: np.asarray(v, dtype=np.float64) for k, v in tensors.items()}

    def lin(name: str) -> LinearScore:
        return LinearScore(
            t[f"{name}_mu"], t[f"{name}_sd"], t[f"{name}_w"], float(t[f"{name}_b"][0])
        )

    def pair(name: str) -> tuple[float, float]:
        return float(t[name][0]), float(t[name][1])

    return Calibration(
        canonical=t["canonical"],
        neutral=t["neutral"],
        neutral_sd=t["neutral_sd"],
        geo=lin("geo"),
        app=lin("app"),
        smile_scale=pair("smile_scale"),
        smile_anchor=pair("smile_anchor"),
        smile_anchor_geo=pair("smile_anchor_geo"),
        smile_neutral_sd=float(t["smile_neutral_sd"][0]),
        yaw_gain=float(t["yaw_gain"][0]),
        view_mu=t["view_mu"],
        view_w=t["view_w"],
        view_b=t["view_b"],
    )


@functools.lru_cache(maxsize=1)
def cached() -> Calibration:
    return load()
