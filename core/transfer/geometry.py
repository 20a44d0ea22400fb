"""Real faces → detail vectors: the symmetric part from moodrig's analysis, the sides from
landmarks.

The face analysis (``core.face``) already turns the Face Mesh landmarks into the 8 shared
expression values (``FaceResult.expression``); those stay the symmetric part, so the detailed
mode agrees with the parameter mode wherever a face is symmetric. The left/right *difference*
of the three sided entries comes from per-side measures of the frontalised landmarks (head
rotation removed with the same pose fit the analysis uses, ``core.face.geometry``; lengths in
outer-eye-corner units, y down, "left"/"right" the subject's):

* corner lift, per side: lip-centre y − that mouth corner's y (61 = right corner, 291 = left);
* brow height, per side: that eye's centre y − the mean y of that brow's three points.

With Δ = (left − right) − the neutral-face mean of the same difference (faces are not perfectly
symmetric at rest), the sides are the shared value ± half the difference in parameter units:

* smile_l/r = clip(smile ± ½·Δlift / SMILE_SPAN) when smile ≥ frown, else
  frown_l/r = clip(frown ∓ ½·Δlift / FROWN_SPAN) (a lower corner frowns more);
* brow_raise_l/r = clip(brow_raise ± ½·Δbrow / BROW_SPAN).

The spans are the ones moodrig's analysis uses for the same measures: FROWN_SPAN and BROW_SPAN
are ``core/face/expressions.py``'s full-scale constants; SMILE_SPAN is the mean per-side corner
lift from neutral to smiling on the London front photos (smiling mean ↦ smile 1 there, as in
the analysis' smile map), measured by ``python -m moodrig.weights_tools.transfer_geometry_fit``
together with the neutral offsets below (41 people: SMILE_SPAN 0.0327 ± 0.022 sd; left − right
lift at rest 0.0033 ± 0.0057, brow height 0.0005 ± 0.0026).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..detail import DETAIL_INDEX, detail_from_expression
from ..expression import INDEX, check_expression

R_CORNER, L_CORNER = 61, 291
UPPER_LIP, LOWER_LIP = 13, 14
R_BROW = (105, 66, 107)
L_BROW = (334, 296, 336)
R_EYE_LIDS = (159, 145)
L_EYE_LIDS = (386, 374)

SMILE_SPAN = 0.0327
"""Per-side corner lift (outer-eye units) that counts as a full smile."""
FROWN_SPAN = 0.06
"""Corner drop that counts as a full frown (``core/face/expressions.py``)."""
BROW_SPAN = 0.15
"""Brow lift that counts as a full raise (``core/face/expressions.py``)."""
NEUTRAL_LIFT_DIFF = 0.0033
"""Mean left − right corner lift of the London neutral front photos."""
NEUTRAL_BROW_DIFF = 0.0005
"""Mean left − right brow height of the London neutral front photos."""


@dataclass(frozen=True)
class SideMeasures:
    """Per-side measures of one face (frontalised, outer-eye units)."""

    lift_l: float
    lift_r: float
    brow_l: float
    brow_r: float

    @property
    def lift_diff(self) -> float:
        return self.lift_l - self.lift_r

    @property
    def brow_diff(self) -> float:
        return self.brow_l - self.brow_r


def frontalised(landmarks: NDArray[np.floating[Any]]) -> NDArray[np.float64]:
    """(468, 3) Face Mesh points → head frame, unit outer-eye distance (core.face's pose fit)."""
    from ..face import calibration as calib
    from ..face.geometry import frontalise, head_pose

    lm = np.asarray(landmarks, dtype=np.float64)
    if lm.shape != (468, 3) or not np.all(np.isfinite(lm)):
        raise ValueError(
            f"landmarks must be finite (468, 3) Face Mesh points, got shape {lm.shape}"
        )
    _, rot = head_pose(lm, calib.cached().canonical)
    return frontalise(lm, rot)


def side_measures(q: NDArray[np.float64]) -> SideMeasures:
    """Per-side corner lift and brow height of frontalised landmarks ``q``."""
    centre_y = 0.5 * float(q[UPPER_LIP, 1] + q[LOWER_LIP, 1])
    r_eye_y = 0.5 * float(q[R_EYE_LIDS[0], 1] + q[R_EYE_LIDS[1], 1])
    l_eye_y = 0.5 * float(q[L_EYE_LIDS[0], 1] + q[L_EYE_LIDS[1], 1])
    return SideMeasures(
        lift_l=centre_y - float(q[L_CORNER, 1]),
        lift_r=centre_y - float(q[R_CORNER, 1]),
        brow_l=l_eye_y - float(np.mean([q[i, 1] for i in L_BROW])),
        brow_r=r_eye_y - float(np.mean([q[i, 1] for i in R_BROW])),
    )


def _split(shared: float, half_diff: float) -> tuple[float, float]:
    """(left, right) = clip(shared ± half_diff)."""
    return float(np.clip(shared + half_diff, 0.0, 1.0)), float(
        np.clip(shared - half_diff, 0.0, 1.0)
    )


def asymmetry_units(sides: SideMeasures) -> NDArray[np.float64]:
    """(2,) left − right corner lift in smile units and brow height in brow-raise units,
    neutral-face offsets removed (0, 0 for a face as symmetric as an average one at rest)."""
    return np.array(
        [
            (sides.lift_diff - NEUTRAL_LIFT_DIFF) / SMILE_SPAN,
            (sides.brow_diff - NEUTRAL_BROW_DIFF) / BROW_SPAN,
        ]
    )


def detail_from_asymmetry(
    expression: NDArray[np.floating[Any]], asym: NDArray[np.floating[Any]]
) -> NDArray[np.float32]:
    """Symmetric part from the 8 analysed values, left/right differences from ``asym``
    (:func:`asymmetry_units`)."""
    e = check_expression(expression)
    if e.shape != (8,):
        raise ValueError(f"expected one expression vector of 8 values, got shape {e.shape}")
    a = np.asarray(asym, dtype=np.float64)
    if a.shape != (2,) or not np.all(np.isfinite(a)):
        raise ValueError(f"asymmetry must be 2 finite numbers, got {a!r}")
    d = detail_from_expression(e).copy()
    smile, frown = float(e[INDEX["smile"]]), float(e[INDEX["frown"]])
    if smile >= frown:
        d[DETAIL_INDEX["smile_l"]], d[DETAIL_INDEX["smile_r"]] = _split(smile, 0.5 * float(a[0]))
    else:
        # A lower corner frowns more; convert the lift from smile units to frown units.
        d[DETAIL_INDEX["frown_l"]], d[DETAIL_INDEX["frown_r"]] = _split(
            frown, -0.5 * float(a[0]) * SMILE_SPAN / FROWN_SPAN
        )
    d[DETAIL_INDEX["brow_raise_l"]], d[DETAIL_INDEX["brow_raise_r"]] = _split(
        float(e[INDEX["brow_raise"]]), 0.5 * float(a[1])
    )
    return d


def face_asymmetry(landmarks: NDArray[np.floating[Any]]) -> NDArray[np.float64]:
    """:func:`asymmetry_units` of one face's (468, 3) Face Mesh landmarks."""
    return asymmetry_units(side_measures(frontalised(landmarks)))


def detail_from_face(
    expression: NDArray[np.floating[Any]], landmarks: NDArray[np.floating[Any]]
) -> NDArray[np.float32]:
    """Detail vector of one analysed face (``FaceResult.expression``, ``FaceResult.landmarks``)."""
    return detail_from_asymmetry(expression, face_asymmetry(landmarks))
