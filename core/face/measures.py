"""Raw geometric measures of a face, from head-aligned (frontalised) Face Mesh landmarks.

All lengths are in units of the outer-eye-corner distance (landmarks 33–263), measured in
the head's own frame (head rotation removed, see ``geometry.frontalise``), y pointing down.
"Right"/"left" are the subject's. These are the inputs of ``expressions.py``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

MEASURE_NAMES: tuple[str, ...] = (
    "lip_gap",  # inner lip opening: y(14) - y(13)
    "mouth_width",  # corner to corner: |61 - 291|
    "corner_lift",  # lip-centre y minus mean corner y (> 0: corners above the centre)
    "brow_height",  # mean of eye-centre y minus brow y (both sides, 3 brow points each)
    "brow_gap",  # distance between the inner brow heads 55 and 285
    "eye_open_r",  # right eye lid gap / eye width
    "eye_open_l",  # left eye lid gap / eye width
)
N_MEASURES = len(MEASURE_NAMES)

_R_BROW = (105, 66, 107)
_L_BROW = (334, 296, 336)
_R_LID = ((159, 145), (158, 153), (160, 144))
_L_LID = ((386, 374), (385, 380), (387, 373))


def _eye_open(
    q: NDArray[np.float64], lids: tuple[tuple[int, int], ...], corners: tuple[int, int]
) -> float:
    width = float(np.linalg.norm(q[corners[0], :2] - q[corners[1], :2]))
    gap = float(np.mean([q[lo, 1] - q[up, 1] for up, lo in lids]))
    return gap / max(width, 1e-6)


def measures(q: NDArray[np.float64]) -> NDArray[np.float64]:
    """(7,) raw measures from frontalised landmarks ``q`` (468, 3)."""
    lip_gap = float(q[14, 1] - q[13, 1])
    mouth_width = float(np.linalg.norm(q[291, :2] - q[61, :2]))
    centre_y = float(q[13, 1] + q[14, 1]) / 2
    corner_lift = centre_y - float(q[61, 1] + q[291, 1]) / 2
    r_eye_y = float(q[159, 1] + q[145, 1]) / 2
    l_eye_y = float(q[386, 1] + q[374, 1]) / 2
    brow_height = float(
        np.mean([r_eye_y - q[i, 1] for i in _R_BROW] + [l_eye_y - q[i, 1] for i in _L_BROW])
    )
    brow_gap = float(np.linalg.norm(q[285, :2] - q[55, :2]))
    eye_r = _eye_open(q, _R_LID, (33, 133))
    eye_l = _eye_open(q, _L_LID, (263, 362))
    return np.array(
        [lip_gap, mouth_width, corner_lift, brow_height, brow_gap, eye_r, eye_l], dtype=np.float64
    )
