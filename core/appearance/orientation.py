"""Which way a face lies in its region, read from the mesh the texture is wrapped on.

A face island in a UV atlas may be turned (packers turn islands to fit them) and may be
mirrored (its UVs wound the other way round, so the mesh shows the texture flipped). The
picture alone tells the turn only where the face does not look alike upside down
(``turns.py``), and can never tell a mirror: a mirrored face is still a face, and an edit made
by the picture alone closes the eye on the wrong side of the character. The mesh knows both.
Per triangle, the map from UV to the mesh's 3D positions gives the UV direction in which the
head goes up, and the sign of the triangle's UV area tells whether the island is mirrored.

:class:`Orientation` is what the editor needs: how to look at the region (``np.rot90`` of the
region, then a left-right flip when mirrored) so that the face shows as the mesh shows it,
upright. Points are always kept in the region's own pixels, labelled as the character's own
eyes, brows and mouth; a mirrored face's canonical frame then carries the flip.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from ..errors import InputError
from .align import FEATURE_INDEX
from .turns import turn_points, unturn_points

HEAD_UP = ("up", "right", "down", "left")
"""Where the top of the head points in the texture, by quarter turns (``Orientation.turns``)."""
MIN_AGREEMENT = 0.8
"""Share (by area) of the triangles that must agree on the mirror and on where up is."""
LEVEL_TOLERANCE = 5.0
"""Degrees of roll left as they are: the locator learnt faces within a few degrees of level."""
MIN_STEEPNESS = 0.25
"""A triangle tells where up is when its height changes at least this fast across it (about
15° from lying flat); at least half the area must."""


@dataclass(frozen=True)
class Orientation:
    """How the face lies in its region, as the mesh shows it."""

    turns: int = 0
    """Quarter turns counter-clockwise (as ``np.rot90``) that bring the head upright: 1 when
    the top of the head points right in the texture, 2 down, 3 left."""
    mirrored: bool = False
    """The texture shows the face flipped (the mesh flips it back): once the head is upright,
    the character's right eye is on the image's right."""
    roll: float = 0.0
    """Degrees the face still leans clockwise once turned (and flipped), as an island packed
    at any angle or a face painted askew; the view turns it level."""

    def __post_init__(self) -> None:
        if self.turns not in (0, 1, 2, 3):
            raise InputError(None, f"quarter turns must be 0, 1, 2 or 3, got {self.turns!r}")
        if not (math.isfinite(self.roll) and abs(self.roll) <= 90.0):
            raise InputError(None, f"roll must be between -90 and 90 degrees, got {self.roll!r}")

    @classmethod
    def parse(cls, head_up: str, mirrored: bool = False) -> Orientation:
        """``head_up``: where the top of the head points in the texture (:data:`HEAD_UP`)."""
        key = head_up.strip().lower()
        if key not in HEAD_UP:
            raise InputError(
                None, f"head up '{head_up}' must be one of {', '.join(HEAD_UP)} (in the texture)"
            )
        return cls(HEAD_UP.index(key), mirrored)

    @property
    def head_up(self) -> str:
        return HEAD_UP[self.turns]

    def describe(self) -> str:
        lean = ""
        if abs(self.roll) >= 10.0:
            way = "clockwise" if self.roll > 0 else "counter-clockwise"
            lean = f", tilted {abs(self.roll):.0f}° {way}"
        return f"head {self.head_up}" + (", mirrored" if self.mirrored else "") + lean

    def view(self, image: NDArray[Any]) -> NDArray[Any]:
        """``image`` (rows top-down) as the face shows upright, unmirrored and level (a level
        view keeps the size of the turned one; its corners repeat the edge pixels)."""
        upright = np.rot90(image, self.turns) if self.turns else image
        seen = upright[:, ::-1] if self.mirrored else upright
        if self.roll == 0.0:
            return seen
        h, w = seen.shape[:2]
        return np.asarray(
            cv2.warpAffine(
                np.ascontiguousarray(seen),
                self._level(w, h),
                (w, h),
                flags=cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_REPLICATE,
            ),
            dtype=seen.dtype,
        )

    def _level(self, w: int, h: int) -> NDArray[np.float64]:
        """(2, 3) turned view → level view, in OpenCV's pixel coordinates (centres at i)."""
        return np.asarray(cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), self.roll, 1.0))

    def _sides(self, width: int, height: int) -> tuple[int, int]:
        """Width and height of the view of a ``width`` × ``height`` image."""
        return (height, width) if self.turns % 2 else (width, height)

    def to_view(self, points: NDArray[np.float64], width: int, height: int) -> NDArray[np.float64]:
        """(N, 2) pixel points of a ``width`` × ``height`` image → the same points in
        :meth:`view` (continuous coordinates, pixel centres at i + 0.5)."""
        p = turn_points(points, self.turns, width, height)
        w, h = self._sides(width, height)
        if self.mirrored:
            p[:, 0] = w - p[:, 0]
        if self.roll != 0.0:
            m = self._level(w, h)
            p = (p - 0.5) @ m[:, :2].T + m[:, 2] + 0.5
        return p

    def from_view(
        self, points: NDArray[np.float64], width: int, height: int
    ) -> NDArray[np.float64]:
        """(N, 2) pixel points in :meth:`view` of a ``width`` × ``height`` image → the same
        points in the image itself."""
        p = np.asarray(points, dtype=np.float64).copy()
        w, h = self._sides(width, height)
        if self.roll != 0.0:
            m = self._level(w, h)
            p = (p - 0.5 - m[:, 2]) @ np.linalg.inv(m[:, :2]).T + 0.5
        if self.mirrored:
            p[:, 0] = w - p[:, 0]
        return unturn_points(p, self.turns, width, height)

    def leaning(self, roll: float) -> Orientation:
        """This orientation with the face leaning ``roll`` degrees more (clockwise)."""
        total = (self.roll + roll + 180.0) % 360.0 - 180.0
        return Orientation(self.turns, self.mirrored, float(np.clip(total, -90.0, 90.0)))


UPRIGHT = Orientation()


def roll_of(points: NDArray[np.float64]) -> float:
    """Degrees a face's 7 points (pixels, y down) lean clockwise: the mean of its eye line's
    and of its eyes-to-mouth line's lean, so one misplaced eye counts half."""
    p = np.asarray(points, dtype=np.float64)
    eye_r, eye_l = p[FEATURE_INDEX["eye_r"]], p[FEATURE_INDEX["eye_l"]]
    across = eye_l - eye_r
    down = p[FEATURE_INDEX["mouth_c"]] - 0.5 * (eye_r + eye_l)
    a = math.atan2(across[1], across[0])
    b = math.atan2(-down[0], down[1])
    return math.degrees(math.atan2(math.sin(a) + math.sin(b), math.cos(a) + math.cos(b)))


@dataclass(frozen=True)
class MeshOrientation:
    """:func:`orientation_from_mesh`'s answer."""

    orientation: Orientation
    """Its ``roll`` is the island's tilt off the quarter turn taken (−45° to 45°)."""
    agreement: float
    """Share (by area) of the triangles that agree with the answer, on mirror and on up."""


def orientation_from_mesh(
    positions: Any, uvs: Any, up: Any = (0.0, 0.0, 1.0), flipped: bool = False
) -> MeshOrientation | None:
    """How the face lies in the texture, from the triangles that show it.

    positions: (T, 3, 3) corners in world space (the mesh at rest, head up along ``up``);
    uvs: (T, 3, 2) their UVs (v from the bottom); ``flipped``: the object's transform has a
    negative determinant (a mirrored object shows its texture mirrored once more). The winding
    of each triangle is its front, as Blender's normals are. Returns None where the triangles
    show no area, mostly lie flat (a face card lying on the floor), or disagree (fewer than
    :data:`MIN_AGREEMENT` of them by area agree on the mirror, or their up directions
    scatter): a region spanning islands laid out differently.
    """
    p = np.asarray(positions, dtype=np.float64).reshape(-1, 3, 3)
    t = np.asarray(uvs, dtype=np.float64).reshape(-1, 3, 2)
    if len(p) != len(t):
        raise ValueError(f"{len(p)} triangles' positions but {len(t)} triangles' UVs")
    finite = np.isfinite(p).all(axis=(1, 2)) & np.isfinite(t).all(axis=(1, 2))
    p, t = p[finite], t[finite]  # a triangle with broken coordinates is left out
    e = np.stack([p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]], axis=2)  # (T, 3, 2)
    d = np.stack([t[:, 1] - t[:, 0], t[:, 2] - t[:, 0]], axis=2)  # (T, 2, 2)
    uv_area = d[:, 0, 0] * d[:, 1, 1] - d[:, 0, 1] * d[:, 1, 0]  # signed: < 0 mirrored
    area = 0.5 * np.linalg.norm(np.cross(e[:, :, 0], e[:, :, 1]), axis=1)
    ok = (np.abs(uv_area) > 1e-12) & (area > 0)
    if not ok.any():
        return None
    e, d, uv_area, area = e[ok], d[ok], uv_area[ok], area[ok]
    total = float(area.sum())
    mirrored_share = float(area[uv_area < 0].sum()) / total
    uv_mirrored = mirrored_share > 0.5
    mirror_agreement = mirrored_share if uv_mirrored else 1.0 - mirrored_share
    # The UV direction in which the head goes up: the gradient of height over UV, J^T up,
    # with J = E D^-1 the UV → 3D map of each triangle.
    jac = e @ np.linalg.inv(d)  # (T, 3, 2)
    u = np.asarray(up, dtype=np.float64)
    grad = np.einsum("tij,i->tj", jac, u / np.linalg.norm(u))
    length = np.linalg.norm(grad, axis=1)
    scale = np.linalg.norm(jac, axis=(1, 2)) / math.sqrt(2.0)  # 3D length per UV unit
    steep = length >= MIN_STEEPNESS * scale
    if area[steep].sum() < 0.5 * total:  # the face mostly lies flat: no up to read
        return None
    unit = grad[steep] / length[steep, None]
    resultant = (unit * area[steep, None]).sum(axis=0)
    up_agreement = float(np.linalg.norm(resultant)) / float(area[steep].sum())
    agreement = min(mirror_agreement, up_agreement)
    if agreement < MIN_AGREEMENT:
        return None
    angle = math.degrees(math.atan2(resultant[1], resultant[0]))  # 90: up in the texture
    turns = round((90.0 - angle) / 90.0) % 4
    # The head's up once turned (and flipped), v up: leaning right is a clockwise roll.
    head = resultant.copy()
    for _ in range(turns):
        head = np.array([-head[1], head[0]])  # a counter-clockwise quarter turn
    mirror = uv_mirrored != flipped
    if mirror:
        head[0] = -head[0]
    roll = math.degrees(math.atan2(head[0], head[1]))
    roll = roll if abs(roll) >= LEVEL_TOLERANCE else 0.0
    return MeshOrientation(Orientation(int(turns), mirror, roll), agreement)
