"""Geometry of the demo character, as plain numpy data (Blender-free, testable anywhere).

World is Z-up, metres; the character stands at the origin facing -Y, so its left side is +X
(Blender's ``.L`` convention). Every body part is rigidly bound to one bone role. The head (with
its painted face and hair) is its own mesh on a texture atlas: ``core/demo_head.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .rig import BONE_ROLES

Vec3 = tuple[float, float, float]
F32 = NDArray[np.float32]


def _along(p: Vec3, direction: Vec3, length: float) -> Vec3:
    return (
        p[0] + direction[0] * length,
        p[1] + direction[1] * length,
        p[2] + direction[2] * length,
    )


_ARM_DOWN = math.radians(50.0)  # A-pose: arms hang 50° below horizontal


def _demo_bones() -> dict[str, tuple[Vec3, Vec3]]:
    bones: dict[str, tuple[Vec3, Vec3]] = {
        "hips": ((0.0, 0.0, 0.98), (0.0, 0.0, 1.10)),
        "spine": ((0.0, 0.0, 1.10), (0.0, 0.0, 1.26)),
        "chest": ((0.0, 0.0, 1.26), (0.0, 0.0, 1.46)),
        "neck": ((0.0, 0.0, 1.46), (0.0, 0.0, 1.56)),
        "head": ((0.0, 0.0, 1.56), (0.0, 0.0, 1.94)),
    }
    for side, sx in (("L", 1.0), ("R", -1.0)):
        d = (sx * math.cos(_ARM_DOWN), 0.0, -math.sin(_ARM_DOWN))
        sh0 = (sx * 0.04, 0.0, 1.43)
        sh1 = (sx * 0.17, 0.0, 1.43)
        ua1 = _along(sh1, d, 0.28)
        fa1 = _along(ua1, d, 0.25)
        bones[f"shoulder.{side}"] = (sh0, sh1)
        bones[f"upper_arm.{side}"] = (sh1, ua1)
        bones[f"forearm.{side}"] = (ua1, fa1)
        bones[f"hand.{side}"] = (fa1, _along(fa1, d, 0.10))
        bones[f"thigh.{side}"] = ((sx * 0.10, 0.0, 0.98), (sx * 0.10, 0.0, 0.54))
        bones[f"shin.{side}"] = ((sx * 0.10, 0.0, 0.54), (sx * 0.10, 0.0, 0.10))
        bones[f"foot.{side}"] = ((sx * 0.10, 0.0, 0.10), (sx * 0.10, -0.16, 0.03))
    return {role: bones[role] for role in BONE_ROLES}


DEMO_BONES: dict[str, tuple[Vec3, Vec3]] = _demo_bones()
"""Bone role → (head, tail) rest positions; the demo rig names its bones after the roles."""

HEAD_CENTER: Vec3 = (0.0, 0.0, 1.75)
HEAD_RADII: Vec3 = (0.15, 0.16, 0.185)
MATERIALS: tuple[str, ...] = ("skin", "shirt", "trousers", "shoes")
"""Material slot names of the body mesh, in slot order."""


@dataclass(frozen=True)
class MeshPart:
    """One rigid piece of the body: triangles/quads and the bone role that moves it."""

    name: str
    role: str
    verts: F32
    faces: tuple[tuple[int, ...], ...]
    material: str = "skin"


def ellipsoid(
    center: Vec3, radii: Vec3, segments: int = 20, rings: int = 10
) -> tuple[F32, list[tuple[int, ...]]]:
    """UV-sphere topology: a pole vertex at each end, quads between rings."""
    verts = [(center[0], center[1], center[2] + radii[2])]
    for i in range(1, rings):
        theta = math.pi * i / rings
        for j in range(segments):
            phi = 2.0 * math.pi * j / segments
            verts.append(
                (
                    center[0] + radii[0] * math.sin(theta) * math.cos(phi),
                    center[1] + radii[1] * math.sin(theta) * math.sin(phi),
                    center[2] + radii[2] * math.cos(theta),
                )
            )
    verts.append((center[0], center[1], center[2] - radii[2]))
    # Counter-clockwise seen from outside: the normals point out of the body.
    faces: list[tuple[int, ...]] = []
    last = len(verts) - 1
    for j in range(segments):
        faces.append((0, 1 + j, 1 + (j + 1) % segments))
    for i in range(rings - 2):
        a, b = 1 + i * segments, 1 + (i + 1) * segments
        for j in range(segments):
            k = (j + 1) % segments
            faces.append((a + j, b + j, b + k, a + k))
    base = 1 + (rings - 2) * segments
    for j in range(segments):
        faces.append((base + (j + 1) % segments, base + j, last))
    return np.asarray(verts, dtype=np.float32), faces


def tube(
    p0: Vec3, p1: Vec3, r0: float, r1: float, sides: int = 12
) -> tuple[F32, list[tuple[int, ...]]]:
    """Closed tapered cylinder from p0 to p1."""
    a, b = np.asarray(p0, dtype=np.float64), np.asarray(p1, dtype=np.float64)
    axis = b - a
    axis /= np.linalg.norm(axis)
    helper = np.array([0.0, 0.0, 1.0]) if abs(axis[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    u = np.cross(axis, helper)
    u /= np.linalg.norm(u)
    v = np.cross(axis, u)
    rings = []
    for centre, r in ((a, r0), (b, r1)):
        for j in range(sides):
            phi = 2.0 * math.pi * j / sides
            rings.append(centre + r * (math.cos(phi) * u + math.sin(phi) * v))
    verts = [*rings, a, b]
    faces: list[tuple[int, ...]] = []
    for j in range(sides):
        k = (j + 1) % sides
        faces.append((j, k, sides + k, sides + j))
        faces.append((2 * sides, k, j))
        faces.append((2 * sides + 1, sides + j, sides + k))
    return np.asarray(verts, dtype=np.float32), faces


def body_parts() -> list[MeshPart]:
    """The stylised body below the head: ellipsoids and tubes, each bound to one role."""
    b = DEMO_BONES

    def part(
        name: str, role: str, mesh: tuple[F32, list[tuple[int, ...]]], material: str = "skin"
    ) -> MeshPart:
        return MeshPart(name, role, mesh[0], tuple(mesh[1]), material)

    parts = [
        part("pelvis", "hips", ellipsoid((0.0, 0.0, 1.02), (0.165, 0.115, 0.11)), "trousers"),
        part("belly", "spine", tube((0.0, 0.0, 1.06), (0.0, 0.0, 1.28), 0.13, 0.145, 16), "shirt"),
        part("torso", "chest", ellipsoid((0.0, 0.0, 1.36), (0.19, 0.12, 0.14)), "shirt"),
        # The neck reaches into the head, so no gap opens under the jaw when the head turns.
        part(
            "neck",
            "neck",
            tube(b["neck"][0], _along(b["neck"][1], (0.0, 0.0, 1.0), 0.07), 0.05, 0.045),
        ),
    ]
    for s in ("L", "R"):
        parts += [
            part(
                f"shoulder.{s}",
                f"shoulder.{s}",
                ellipsoid(b[f"shoulder.{s}"][1], (0.065, 0.065, 0.06)),
                "shirt",
            ),
            part(
                f"upper_arm.{s}",
                f"upper_arm.{s}",
                tube(*b[f"upper_arm.{s}"], 0.055, 0.045),
                "shirt",
            ),
            part(f"forearm.{s}", f"forearm.{s}", tube(*b[f"forearm.{s}"], 0.04, 0.032)),
            part(f"hand.{s}", f"hand.{s}", ellipsoid(_mid(*b[f"hand.{s}"]), (0.045, 0.03, 0.055))),
            part(f"thigh.{s}", f"thigh.{s}", tube(*b[f"thigh.{s}"], 0.08, 0.06), "trousers"),
            part(f"shin.{s}", f"shin.{s}", tube(*b[f"shin.{s}"], 0.058, 0.045), "trousers"),
            part(
                f"foot.{s}",
                f"foot.{s}",
                ellipsoid(_mid(*b[f"foot.{s}"]), (0.055, 0.115, 0.045)),
                "shoes",
            ),
        ]
    return parts


def _mid(p: Vec3, q: Vec3) -> Vec3:
    return ((p[0] + q[0]) / 2, (p[1] + q[1]) / 2, (p[2] + q[2]) / 2)
