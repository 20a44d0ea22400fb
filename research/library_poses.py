"""Arm poses of the default behavior library, from where the arm should point.

The library's angles are Euler XYZ in the demo rig's bone frames (roll 0), whose arm axes are
skewed against the body (a pure X turn of an upper arm swings it back and up), so arm gestures
are designed here from world directions instead: for each arm bone, the direction it should
point at the gesture's peak (Z up, character facing −Y, left = +X), turned in by the shortest
rotation from where its parent leaves it, plus an optional twist about itself. The printed
Euler values are what ``core/data/behaviors/humanoid_default.json`` holds (rounded to 3
decimals); the hand positions let one check the pose (tests/test_bpfa_library.py checks the
gestures' effect on the demo and other rigs).

Run ``.venv/bin/python research/library_poses.py``.
"""

from __future__ import annotations

import numpy as np

from moodrig.core.retarget import (
    RetargetConfig,
    canonical_rig,
    plan_retarget,
    pose_positions,
    retarget,
    world_deltas,
)
from moodrig.core.rig import BONE_ROLES
from moodrig.core.rotation import axis_angle_matrix, matrix_to_euler, minimal_rotation, normalize

CANON = canonical_rig()

# Gesture → side → directions of (upper arm, forearm, hand) and twists {bone: radians}.
POSES: dict[str, dict[str, tuple[tuple[tuple[float, float, float], ...], dict[str, float]]]] = {
    "cross_arms": {
        "L": (((0.12, -0.45, -1.0), (-1.0, -0.35, 0.22), (-1.0, -0.1, 0.0)), {}),
        "R": (((-0.12, -0.32, -1.0), (1.0, -0.28, 0.3), (1.0, -0.05, 0.05)), {}),
    },
    "wave": {"R": (((-0.8, -0.35, 0.45), (-0.15, -0.2, 1.0), (-0.1, -0.15, 1.0)), {})},
    "flinch": {
        "L": (((0.7, -0.35, -0.65), (0.45, -0.75, -0.1), (0.4, -0.8, 0.0)), {}),
        "R": (((-0.7, -0.35, -0.65), (-0.45, -0.75, -0.1), (-0.4, -0.8, 0.0)), {}),
    },
    "open_palms": {
        "L": (((0.55, -0.1, -1.0), (0.6, -0.8, 0.05), (0.6, -0.8, 0.1)), {"forearm": -0.9}),
        "R": (((-0.55, -0.1, -1.0), (-0.6, -0.8, 0.05), (-0.6, -0.8, 0.1)), {"forearm": 0.9}),
    },
    "hand_on_belly": {"L": (((0.3, -0.3, -1.0), (-0.85, -0.45, 0.15), (-0.8, -0.55, 0.0)), {})},
}


def arm_pose(
    side: str, dirs: tuple[tuple[float, float, float], ...], twist: dict[str, float]
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Euler XYZ of upper arm, forearm and hand of ``side``; and the hand's world delta."""
    out: dict[str, np.ndarray] = {}
    parent = np.eye(3)
    for part, d in zip(("upper_arm", "forearm", "hand"), dirs, strict=True):
        role = f"{part}.{side}"
        i = CANON.index(role)
        along = parent @ (CANON.tails[i] - CANON.heads[i])
        delta = minimal_rotation(along, np.asarray(d)) @ parent
        if part in twist:
            delta = axis_angle_matrix(normalize(np.asarray(d)), twist[part]) @ delta
        rest = CANON.rest[i]
        out[role] = matrix_to_euler((rest.T @ parent.T @ delta @ rest)[None], "XYZ")[0]
        parent = delta
    return out, parent


def wrists(euler: dict[str, np.ndarray]) -> dict[str, list[float]]:
    curves = {r: np.asarray(euler.get(r, np.zeros(3)))[None] for r in BONE_ROLES}
    plan = plan_retarget(CANON, {r: r for r in BONE_ROLES}, RetargetConfig(plant_feet=False))
    heads, _ = pose_positions(CANON, world_deltas(plan, retarget(curves, plan)))
    return {r: np.round(heads[0, CANON.index(r)], 3).tolist() for r in ("hand.L", "hand.R")}


def main() -> None:
    for gesture, sides in POSES.items():
        euler: dict[str, np.ndarray] = {}
        for side, (dirs, twist) in sides.items():
            pose, hand = arm_pose(side, dirs, twist)
            euler |= pose
            if gesture == "wave":
                # The wave itself: the hand swings about the world front-back axis.
                axis = CANON.rest[CANON.index("hand.R")].T @ hand.T @ np.array([0.0, 1.0, 0.0])
                print(f"{gesture}: hand.R waves about its local axis {np.round(axis, 3).tolist()}")
        print(f"{gesture}: wrists at {wrists(euler)}")
        for role, e in euler.items():
            print(f"  {role:12s} x {e[0]:+.3f}  y {e[1]:+.3f}  z {e[2]:+.3f}")


if __name__ == "__main__":
    main()
