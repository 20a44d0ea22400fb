"""Head rotation from Face Mesh landmarks and the head-aligned ("frontalised") landmarks.

Face Mesh z is in pixels at the x/y scale with smaller = nearer the camera, so (x right,
y down, z away from the camera) is a right-handed frame. A similarity fit (Kabsch, scale
free) of a canonical neutral frontal face onto the stable landmarks (forehead, eye corners,
nose, cheeks — nothing that moves with expression) gives the rotation R. Angles in degrees:

* yaw: about the vertical axis; negative = face turned toward image left
  (``../shared/data`` labels' convention; ``HeadPose`` docs: yaw > 0 toward image right);
* pitch: about the horizontal axis; positive = chin down (looking down);
* roll: in the image plane; positive = head tilted clockwise in the image.

The canonical face is the mean of the Face Mesh output on the 41 neutral frontal photos of
``london_faces_dev`` (centred, roll levelled, scaled to unit outer-eye distance), written
by ``python -m moodrig.weights_tools.face_calibrate`` into ``weights/face/face_calibration``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..expression import HeadPose

# Stable points: forehead/glabella, nose bridge and tip, outer/inner eye corners, cheekbones,
# temples, upper face outline. Mouth, jaw, lids and brows are left out (they move).
# fmt: off
STABLE = np.array(
    [10, 151, 9, 8, 168, 6, 197, 195, 5, 4, 1, 33, 133, 263, 362, 130, 359, 127, 356, 234, 454,
     93, 323, 116, 345, 117, 346, 50, 280, 36, 266, 205, 425, 21, 251, 54, 284, 103, 332, 67, 297,
     109, 338, 98, 327, 129, 358, 48, 278, 115, 344],
    dtype=np.int64,
)
# fmt: on
R_EYE_OUT, L_EYE_OUT = 33, 263  # subject's right eye outer corner (image left), left eye outer


def normalise(points: NDArray[np.floating[Any]]) -> NDArray[np.float64]:
    """Centre on the stable points' mean and scale to unit outer-eye distance."""
    p = np.asarray(points, dtype=np.float64)
    c = p[STABLE].mean(axis=0)
    d = float(np.linalg.norm(p[L_EYE_OUT, :2] - p[R_EYE_OUT, :2]))
    d3 = float(np.linalg.norm(p[L_EYE_OUT] - p[R_EYE_OUT]))
    out: NDArray[np.float64] = (p - c) / max(d3, d, 1e-6)
    return out


def fit_rotation(
    points: NDArray[np.floating[Any]], canonical: NDArray[np.floating[Any]]
) -> tuple[NDArray[np.float64], float]:
    """Rotation R (3×3, det +1) and scale s with s·R·canonical ≈ points on the stable set."""
    p = np.asarray(points, dtype=np.float64)[STABLE]
    q = np.asarray(canonical, dtype=np.float64)[STABLE]
    p = p - p.mean(axis=0)
    q = q - q.mean(axis=0)
    h = q.T @ p
    u, s, vt = np.linalg.svd(h)
    d = np.sign(np.linalg.det(vt.T @ u.T)) or 1.0
    corr = np.diag([1.0, 1.0, d])
    r = vt.T @ corr @ u.T
    scale = float((s * np.diag(corr)).sum() / max((q**2).sum(), 1e-12))
    return r, scale


def euler_from_rotation(r: NDArray[np.float64]) -> HeadPose:
    """R = Rz(roll)·Ry(b)·Rx(a) in the (x right, y down, z away) frame → HeadPose in degrees."""
    b = math.asin(max(-1.0, min(1.0, -float(r[2, 0]))))
    a = math.atan2(float(r[2, 1]), float(r[2, 2]))
    c = math.atan2(float(r[1, 0]), float(r[0, 0]))
    # Rotation about y by +b moves the nose (z < 0) toward -x (image left): yaw = -b.
    # Rotation about x by +a moves the nose toward +y (down): chin down, pitch = +a.
    return HeadPose(yaw=-math.degrees(b), pitch=math.degrees(a), roll=math.degrees(c))


def head_pose(
    points: NDArray[np.floating[Any]], canonical: NDArray[np.floating[Any]]
) -> tuple[HeadPose, NDArray[np.float64]]:
    """HeadPose and the rotation matrix for one face's (468, 3) landmarks."""
    r, _ = fit_rotation(points, canonical)
    return euler_from_rotation(r), r


def frontalise(
    points: NDArray[np.floating[Any]], rotation: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Undo the head rotation: landmarks in the head's own frame, unit outer-eye distance."""
    p = np.asarray(points, dtype=np.float64)
    c = p[STABLE].mean(axis=0)
    q = (p - c) @ rotation  # R^T applied to each row
    d = float(np.linalg.norm(q[L_EYE_OUT] - q[R_EYE_OUT]))
    out: NDArray[np.float64] = q / max(d, 1e-6)
    return out
