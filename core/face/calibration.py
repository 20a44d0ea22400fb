"""Calibration data fitted on ``london_faces_dev`` and shipped as verified safetensors.

Written by ``python -m moodrig.core.face.calibrate`` to ``weights/face/face_calibration``:

* ``canonical`` (468, 3): neutral frontal face (mean Face Mesh output, head frame, unit
  outer-eye distance) — the reference for head rotation (``geometry.py``);
* ``neutral`` (7,): mean raw measures (``measures.MEASURE_NAMES``) of neutral frontal faces;
* ``smile_mu``, ``smile_sd``, ``smile_w`` (130,), ``smile_b``, ``smile_anchor`` (2,): the linear
  smile score on the frontalised mouth/cheek shape and its neutral/smiling mean scores;
* ``yaw_gain`` (1,): multiplies the fitted yaw (Face Mesh's depth is flattened, it reads 3/4
  views at about 39° instead of 45°);
* ``view_mu``, ``view_w`` (2124, 5), ``view_b`` (5,): ridge classifier of the view (left
  profile, left 3/4, front, right 3/4, right profile) on LBP block histograms (``lbp.py``) of
  the face crop; used to recognise profiles, where Face Mesh is not valid.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..paths import weights_dir
from ..weights import load_weights

MODEL = "moodrig_face_calibration"
VERSION = 1
NAME = "face_calibration"

# Frontalised mouth and lower-cheek landmarks the smile score reads (x, y of each).
SMILE_POINTS: tuple[int, ...] = (
    61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 185, 40, 39, 37, 0, 267, 269, 270, 409,
    78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 191, 80, 81, 82, 13, 312, 311, 310, 415,
    205, 425, 50, 280, 187, 411, 216, 436, 212, 432, 57, 287, 43, 273, 106, 335, 182, 406, 83,
    313, 18, 200, 199, 175, 152,
)
VIEWS: tuple[str, ...] = ("left_profile", "left_3quarter", "front", "right_3quarter", "right_profile")
VIEW_YAW: tuple[float, ...] = (-90.0, -45.0, 0.0, 45.0, 90.0)


@dataclass(frozen=True)
class Calibration:
    canonical: NDArray[np.float64]
    neutral: NDArray[np.float64]
    smile_mu: NDArray[np.float64]
    smile_sd: NDArray[np.float64]
    smile_w: NDArray[np.float64]
    smile_b: float
    smile_anchor: tuple[float, float]
    yaw_gain: float
    view_mu: NDArray[np.float64]
    view_w: NDArray[np.float64]
    view_b: NDArray[np.float64]

    def tensors(self) -> dict[str, NDArray[np.float32]]:
        f = np.float32
        return {
            "canonical": self.canonical.astype(f), "neutral": self.neutral.astype(f),
            "smile_mu": self.smile_mu.astype(f), "smile_sd": self.smile_sd.astype(f),
            "smile_w": self.smile_w.astype(f), "smile_b": np.array([self.smile_b], f),
            "smile_anchor": np.array(self.smile_anchor, f), "yaw_gain": np.array([self.yaw_gain], f),
            "view_mu": self.view_mu.astype(f), "view_w": self.view_w.astype(f), "view_b": self.view_b.astype(f),
        }


def manifest_path(folder: Path | None = None) -> Path:
    return (folder or weights_dir() / "face") / f"{NAME}.manifest.json"


def load(folder: Path | None = None) -> Calibration:
    tensors, _ = load_weights(manifest_path(folder), model=MODEL, model_version=VERSION)
    t = {k: v.double().numpy() for k, v in tensors.items()}
    return Calibration(
        canonical=t["canonical"], neutral=t["neutral"], smile_mu=t["smile_mu"], smile_sd=t["smile_sd"],
        smile_w=t["smile_w"], smile_b=float(t["smile_b"][0]),
        smile_anchor=(float(t["smile_anchor"][0]), float(t["smile_anchor"][1])),
        yaw_gain=float(t["yaw_gain"][0]), view_mu=t["view_mu"], view_w=t["view_w"], view_b=t["view_b"],
    )


@functools.lru_cache(maxsize=1)
def cached() -> Calibration:
    return load()
