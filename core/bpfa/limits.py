"""Joint limits per bone role, Euler XYZ radians in the bone's local rest frame.

Conventions of the demo armature (Z up, character facing −Y, Blender bones): spine, neck and
head point up, so X = pitch (positive nods forward), Y = twist (positive turns the face to
the character's left, as a positive head yaw) and Z = side bend. Arms point sideways,
legs down. Limits are deliberately modest: the behaviors are upper-body gestures, the hips
only shift the weight.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..rig import BONE_ROLES

_D = math.pi / 180.0


def _deg(
    x: tuple[float, float], y: tuple[float, float], z: tuple[float, float]
) -> NDArray[np.float64]:
    return np.array([x, y, z], dtype=np.float64) * _D


JOINT_LIMITS: dict[str, NDArray[np.float64]] = {
    "hips": _deg((-15, 15), (-20, 20), (-10, 10)),
    "spine": _deg((-25, 30), (-30, 30), (-20, 20)),
    "chest": _deg((-20, 25), (-30, 30), (-15, 15)),
    "neck": _deg((-30, 40), (-45, 45), (-25, 25)),
    "head": _deg((-35, 40), (-80, 80), (-30, 30)),
    "shoulder.L": _deg((-10, 25), (-15, 15), (-15, 15)),
    "upper_arm.L": _deg((-60, 60), (-60, 60), (-90, 90)),
    "forearm.L": _deg((-130, 10), (-70, 70), (-60, 30)),
    "hand.L": _deg((-60, 60), (-30, 30), (-60, 60)),
    "shoulder.R": _deg((-10, 25), (-15, 15), (-15, 15)),
    "upper_arm.R": _deg((-60, 60), (-60, 60), (-90, 90)),
    "forearm.R": _deg((-130, 10), (-70, 70), (-30, 60)),
    "hand.R": _deg((-60, 60), (-30, 30), (-60, 60)),
    "thigh.L": _deg((-20, 20), (-10, 10), (-10, 10)),
    "shin.L": _deg((0, 30), (-5, 5), (-5, 5)),
    "foot.L": _deg((-20, 20), (-10, 10), (-10, 10)),
    "thigh.R": _deg((-20, 20), (-10, 10), (-10, 10)),
    "shin.R": _deg((0, 30), (-5, 5), (-5, 5)),
    "foot.R": _deg((-20, 20), (-10, 10), (-10, 10)),
}
"""role → (3, 2) array: per Euler axis X, Y, Z the (low, high) limit in radians; low ≤ 0 ≤ high
so the rest pose (zeros) is always inside. The arm bones' axes are skewed against the body (roll
0 on a bone pointing down and out), so arm gestures mix the three channels (see
``research/library_poses.py``); the elbow bends mostly through forearm X < 0 (both sides)."""

assert set(JOINT_LIMITS) == set(BONE_ROLES)


def clamp_to_limits(role: str, angles: NDArray[np.floating[Any]]) -> NDArray[np.float32]:
    """Clip (n, 3) Euler angles of ``role`` into its limits; returns float32."""
    lim = JOINT_LIMITS[role]
    return np.clip(angles, lim[:, 0], lim[:, 1]).astype(np.float32)
