"""Expression parameters and head angles from one face's Face Mesh landmarks (and the image).

Definitions (q = frontalised landmarks, unit = outer-eye distance, see ``measures.py``;
n = the neutral value of the same measure: the calibrated population mean, or the person's
own neutral learnt from a video (``baseline.py``);
ramp(v) = clip(v, 0, 1)):

* jaw_open    = ramp((lip_gap − n) / (0.40 − n))           inner-lip gap; 0.40 ≈ fully open
* smile       = smile_value(z − shift, anchor): z is the calibrated linear smile score
                (``smile.py``: geometric mouth/cheek measures + mouth-region LBP appearance;
                > 0 ⇔ smiling); without a baseline shift = 0 and the anchors are the
                population's: its neutral mean score → 0, z = 0 → 0.5, the smiling mean → 1,
                linear in between, clipped; a learnt baseline moves 0 to the person's own
                neutral and 0.5 closer to it (``baseline.py``)
* frown       = ramp((n − corner_lift) / 0.06) · (1 − smile)   mouth corners pulled down
* brow_raise  = ramp((brow_height − n) / 0.15)                  brows up from the eyes
* brow_furrow = ramp(0.6 · (n − brow_gap) / 0.05 + 0.4 · (n − brow_height) / 0.06)
* eye_close_r = ramp((n − eye_open_r) / (n − 0.05))             subject's right eye (image left)
* eye_close_l = ramp((n − eye_open_l) / (n − 0.05))             subject's left eye (image right)
* eye_wide    = ramp((mean eye_open − n) / 0.15)

The full-scale constants (0.40, 0.06, 0.15, 0.05, 0.15) are anatomical spans in outer-eye units
(≈ 9 cm); London has only neutral vs smiling labels, so only the smile score is fitted to labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..expression import INDEX, N_EXPRESSION, HeadPose
from .calibration import Calibration
from .geometry import frontalise, head_pose
from .measures import measures
from .smile import appearance_features, geometry_features, smile_value

LIP_GAP, WIDTH, LIFT, BROW_H, BROW_GAP, EYE_R, EYE_L = range(7)


def _ramp(v: float) -> float:
    return float(min(1.0, max(0.0, v)))


@dataclass(frozen=True)
class SmileScore:
    """The linear smile scores of one face (> 0: smiling)."""

    z: float
    """Score the smile value is made from: combined when the image was given, else geometric."""
    z_geo: float
    """Geometric score (logit of the landmark-measure logistic regression)."""
    z_app: float | None
    """Appearance score (mouth-region LBP ridge), None without an image."""


def smile_score(
    landmarks: NDArray[np.floating[Any]],
    q: NDArray[np.float64],
    cal: Calibration,
    image: NDArray[np.uint8] | None,
) -> SmileScore:
    """Smile scores of one face: ``q`` its frontalised landmarks, ``image`` the HWC RGB (or HW
    gray) picture the raw ``landmarks`` are in, or None for the geometric score alone."""
    z_geo = float(cal.geo(geometry_features(q)[None])[0])
    if image is None:
        return SmileScore(z=z_geo / cal.smile_scale[0], z_geo=z_geo, z_app=None)
    z_app = float(cal.app(appearance_features(image, landmarks, cal.canonical)[None])[0])
    return SmileScore(
        z=z_geo / cal.smile_scale[0] + z_app / cal.smile_scale[1], z_geo=z_geo, z_app=z_app
    )


@dataclass(frozen=True)
class FaceExpression:
    expression: NDArray[np.float32]
    """(8,) in [0, 1], order of ``EXPRESSION_NAMES``."""
    head: HeadPose
    """Head angles in degrees (yaw from Face Mesh, times the calibrated gain)."""
    measures: NDArray[np.float64]
    """Raw measures (``measures.MEASURE_NAMES``)."""
    smile: SmileScore
    """Raw smile scores (before any personal baseline)."""


def expression_vector(
    m: NDArray[np.float64], smile: float, n: NDArray[np.float64]
) -> NDArray[np.float32]:
    """The 8 parameters from raw measures ``m``, the smile value and the neutral measures ``n``."""
    e = np.zeros(N_EXPRESSION, dtype=np.float32)
    e[INDEX["jaw_open"]] = _ramp((m[LIP_GAP] - n[LIP_GAP]) / (0.40 - n[LIP_GAP]))
    e[INDEX["smile"]] = smile
    e[INDEX["frown"]] = _ramp((n[LIFT] - m[LIFT]) / 0.06) * (1.0 - smile)
    e[INDEX["brow_raise"]] = _ramp((m[BROW_H] - n[BROW_H]) / 0.15)
    e[INDEX["brow_furrow"]] = _ramp(
        0.6 * (n[BROW_GAP] - m[BROW_GAP]) / 0.05 + 0.4 * (n[BROW_H] - m[BROW_H]) / 0.06
    )
    e[INDEX["eye_close_r"]] = _ramp((n[EYE_R] - m[EYE_R]) / (n[EYE_R] - 0.05))
    e[INDEX["eye_close_l"]] = _ramp((n[EYE_L] - m[EYE_L]) / (n[EYE_L] - 0.05))
    e[INDEX["eye_wide"]] = _ramp((0.5 * (m[EYE_R] + m[EYE_L]) - 0.5 * (n[EYE_R] + n[EYE_L])) / 0.15)
    return e


def analyse_landmarks(
    landmarks: NDArray[np.floating[Any]],
    cal: Calibration,
    image: NDArray[np.uint8] | None = None,
) -> FaceExpression:
    """Expression and head angles of one face against the population's neutral. ``image``: the
    picture the landmarks are in (enables the appearance half of the smile score)."""
    pose, rot = head_pose(landmarks, cal.canonical)
    q = frontalise(landmarks, rot)
    m = measures(q)
    s = smile_score(landmarks, q, cal, image)
    anchor = cal.smile_anchor if s.z_app is not None else cal.smile_anchor_geo
    e = expression_vector(m, smile_value(s.z, anchor), cal.neutral)
    head = HeadPose(yaw=pose.yaw * cal.yaw_gain, pitch=pose.pitch, roll=pose.roll)
    return FaceExpression(expression=e, head=head, measures=m, smile=s)
