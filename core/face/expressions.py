"""Expression parameters and head angles from one face's Face Mesh landmarks.

Definitions (q = frontalised landmarks, unit = outer-eye distance, see ``measures.py``;
n = the calibrated neutral mean of the same measure; ramp(v) = clip(v, 0, 1)):

* jaw_open    = ramp((lip_gap − n) / (0.40 − n))           inner-lip gap; 0.40 ≈ fully open
* smile       = piecewise-linear map of the calibrated linear smile score z of the frontalised
                mouth/cheek shape: z at the neutral mean → 0, decision boundary z = 0 → 0.5,
                smiling mean → 1 (so smile > 0.5 ⇔ classified smiling)
* frown       = ramp((n − corner_lift) / 0.06) · (1 − smile)   mouth corners pulled down
* brow_raise  = ramp((brow_height − n) / 0.15)                  brows up from the eyes
* brow_furrow = ramp(0.6 · (n − brow_gap) / 0.05 + 0.4 · (n − brow_height) / 0.06)
* eye_close_r = ramp((n − eye_open_r) / (n − 0.05))             subject's right eye (image left)
* eye_close_l = ramp((n − eye_open_l) / (n − 0.05))             subject's left eye (image right)
* eye_wide    = ramp((mean eye_open − n) / 0.15)

The full-scale constants (0.40, 0.06, 0.15, 0.05, 0.15) are anatomical spans in outer-eye units
(≈ 9 cm); London has only neutral vs smiling labels, so only the smile map is fitted to labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..expression import INDEX, N_EXPRESSION, HeadPose
from .calibration import SMILE_POINTS, Calibration
from .geometry import frontalise, head_pose
from .measures import measures

LIP_GAP, WIDTH, LIFT, BROW_H, BROW_GAP, EYE_R, EYE_L = range(7)


def _ramp(v: float) -> float:
    return float(min(1.0, max(0.0, v)))


def smile_score(q: NDArray[np.float64], cal: Calibration) -> float:
    """Linear smile score z (> 0: smiling) of frontalised landmarks."""
    x = q[list(SMILE_POINTS), :2].reshape(-1)
    return float(((x - cal.smile_mu) / cal.smile_sd) @ cal.smile_w + cal.smile_b)


def smile_value(z: float, cal: Calibration) -> float:
    zn, zs = cal.smile_anchor
    if z < 0:
        return _ramp(0.5 * (z - zn) / max(-zn, 1e-6))
    return _ramp(0.5 + 0.5 * z / max(zs, 1e-6))


@dataclass(frozen=True)
class FaceExpression:
    expression: NDArray[np.float32]
    """(8,) in [0, 1], order of ``EXPRESSION_NAMES``."""
    head: HeadPose
    """Head angles in degrees (yaw from Face Mesh, times the calibrated gain)."""
    measures: NDArray[np.float64]
    """Raw measures (``measures.MEASURE_NAMES``)."""
    smile_score: float
    """Linear smile score z (> 0: smiling)."""


def analyse_landmarks(landmarks: NDArray[np.floating[Any]], cal: Calibration) -> FaceExpression:
    pose, rot = head_pose(landmarks, cal.canonical)
    q = frontalise(landmarks, rot)
    m = measures(q)
    n = cal.neutral
    z = smile_score(q, cal)
    e = np.zeros(N_EXPRESSION, dtype=np.float32)
    e[INDEX["jaw_open"]] = _ramp((m[LIP_GAP] - n[LIP_GAP]) / (0.40 - n[LIP_GAP]))
    smile = smile_value(z, cal)
    e[INDEX["smile"]] = smile
    e[INDEX["frown"]] = _ramp((n[LIFT] - m[LIFT]) / 0.06) * (1.0 - smile)
    e[INDEX["brow_raise"]] = _ramp((m[BROW_H] - n[BROW_H]) / 0.15)
    e[INDEX["brow_furrow"]] = _ramp(0.6 * (n[BROW_GAP] - m[BROW_GAP]) / 0.05 + 0.4 * (n[BROW_H] - m[BROW_H]) / 0.06)
    e[INDEX["eye_close_r"]] = _ramp((n[EYE_R] - m[EYE_R]) / (n[EYE_R] - 0.05))
    e[INDEX["eye_close_l"]] = _ramp((n[EYE_L] - m[EYE_L]) / (n[EYE_L] - 0.05))
    e[INDEX["eye_wide"]] = _ramp((0.5 * (m[EYE_R] + m[EYE_L]) - 0.5 * (n[EYE_R] + n[EYE_L])) / 0.15)
    head = HeadPose(yaw=pose.yaw * cal.yaw_gain, pitch=pose.pitch, roll=pose.roll)
    return FaceExpression(expression=e, head=head, measures=m, smile_score=z)
