"""The demo character's head: one mesh, one texture atlas, the painted face a region of it.

The head is an ellipsoid (``demo_body.HEAD_CENTER`` / ``HEAD_RADII``) with two UV maps into
one square atlas of side N:

- the face (the polygons in front of the painted face square, 0.21 m wide and 0.26 m high,
  plus a margin) is projected from the front onto the atlas's top-left area, and the painter's
  face (``core/painter.py``) fills that square at N / 2 pixels a side: the face is a
  sub-rectangle of the atlas, at the resolution the old separate face texture had at N / 2;
- the rest of the head is mapped by azimuth and polar angle (no grazing projection anywhere)
  onto a strip below.

Everything outside the face square is painted from the 3D point each texel lands on: skin, the
ears, or hair above a hairline that meets the painter's fringe at the sides of the face square,
frames the face and runs around to the nape. Colour is a function of the surface point, so the
two maps agree where they meet and no seam shows when the head turns; the hairline is
antialiased over one texel by its true distance in texels (no stair steps). The hair also lifts
the surface a little, smoothly with height, so the head has a hairdo's volume without a second
mesh whose edge could show.

Pure numpy, deterministic: the add-on (``blender_addon/demo_character.py``) builds the mesh
and the image from these arrays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .appearance.region import FaceRegion, PixelRect
from .canvas import coverage
from .demo_body import HEAD_CENTER, HEAD_RADII, ellipsoid
from .errors import InputError
from .expression import N_EXPRESSION
from .painter import FaceStyle, feature_points, paint_face

F64 = NDArray[np.float64]

FACE_WIDTH_M = 0.21
"""Width of the painted face square on the head, metres."""
FACE_HEIGHT_M = 0.26
"""Height of the painted face square on the head, metres (the painter's square face is drawn
a little taller than wide, as the old face card was)."""
FACE_MARGIN_M = 0.015
"""Skin around the face square that is mapped with it, metres (the two maps meet there)."""
MARGIN_PX = 2
"""Atlas texels kept between the two maps (so linear filtering never mixes them)."""
HAIR_LIFT_M = 0.014
"""How far the hair lifts the head's surface at its sides, metres."""
MIN_ATLAS = 64
MAX_ATLAS = 8192


@dataclass(frozen=True)
class FrontMap:
    """The face's planar projection from the front (atlas pixels, rows top-down)."""

    x0: float
    """Atlas column of the head's centre line (x = HEAD_CENTER x)."""
    y0: float
    """Atlas row of the head's centre height (z = HEAD_CENTER z)."""
    kx: float
    """Atlas pixels per metre along +x."""
    kz: float
    """Atlas pixels per metre along +z (rows grow downward)."""

    def to_pixels(self, x: F64, z: F64) -> tuple[F64, F64]:
        cx, _, cz = HEAD_CENTER
        return self.x0 + (x - cx) * self.kx, self.y0 - (z - cz) * self.kz

    def to_world(self, px: F64, py: F64) -> tuple[F64, F64]:
        cx, _, cz = HEAD_CENTER
        return cx + (px - self.x0) / self.kx, cz - (py - self.y0) / self.kz


@dataclass(frozen=True)
class AngleMap:
    """The rest of the head by azimuth (0 = the face's direction, growing toward +x) and polar
    angle (0 = the top), atlas pixels, rows top-down."""

    x0: float
    """Atlas column of azimuth 0 (the strip holds azimuths -pad … 2π + pad)."""
    y0: float
    """Atlas row of the top of the head."""
    ka: float
    """Atlas pixels per radian of azimuth."""
    kp: float
    """Atlas pixels per radian of polar angle."""

    def to_pixels(self, azimuth: F64, polar: F64) -> tuple[F64, F64]:
        return self.x0 + azimuth * self.ka, self.y0 + polar * self.kp

    def to_angles(self, px: F64, py: F64) -> tuple[F64, F64]:
        return (px - self.x0) / self.ka, (py - self.y0) / self.kp


@dataclass(frozen=True)
class HeadAtlas:
    """Where everything lies in an atlas of side ``size``."""

    size: int
    face: PixelRect
    """The painted face square (the face region)."""
    front_rect: PixelRect
    front: FrontMap
    rest_rect: PixelRect
    rest: AngleMap

    @property
    def region(self) -> FaceRegion:
        return FaceRegion.from_pixels(self.face, self.size, self.size)

    def in_front(self, x: F64, z: F64) -> NDArray[np.bool_]:
        """Whether head points (x, z) lie in the front-mapped area: the face square plus
        :data:`FACE_MARGIN_M` (on the front half)."""
        cx, _, cz = HEAD_CENTER
        out: NDArray[np.bool_] = (np.abs(x - cx) <= FACE_WIDTH_M / 2 + FACE_MARGIN_M) & (
            np.abs(z - cz) <= FACE_HEIGHT_M / 2 + FACE_MARGIN_M
        )
        return out


def head_atlas(size: int) -> HeadAtlas:
    """The layout of an N × N atlas, N in [64, 8192]."""
    if not isinstance(size, int) or not MIN_ATLAS <= size <= MAX_ATLAS:
        raise InputError(
            None,
            f"the demo character's texture size must be a whole number of pixels "
            f"in [{MIN_ATLAS}, {MAX_ATLAS}], got {size!r}",
        )
    rx, _ry, rz = HEAD_RADII
    side = size // 2
    kx, kz = side / FACE_WIDTH_M, side / FACE_HEIGHT_M
    fx0 = math.ceil(FACE_MARGIN_M * kx) + MARGIN_PX
    fy0 = math.ceil(FACE_MARGIN_M * kz) + MARGIN_PX
    face = PixelRect(fx0, fy0, fx0 + side, fy0 + side)
    front_rect = PixelRect(0, 0, 2 * fx0 + side, 2 * fy0 + side)
    front = FrontMap(fx0 + side / 2, fy0 + side / 2, kx, kz)
    # The strip below: azimuth -pad … 2π + pad across, polar angle 0 … π down, with about as
    # many texels per metre along the equator as along a meridian.
    top = front_rect.y1 + MARGIN_PX
    kp = (size - top - MARGIN_PX) / math.pi
    ka = min(kp * rx / (0.5 * (rx + rz)), (size - 2 * MARGIN_PX) / (2 * math.pi + 0.2))
    pad = 0.1
    rest = AngleMap(MARGIN_PX + pad * ka, top, ka, kp)
    rest_rect = PixelRect(0, top - MARGIN_PX, size, size)
    return HeadAtlas(size, face, front_rect, front, rest_rect, rest)


# ----------------------------------------------------------------------------- hair


def _smoothstep(t: F64) -> F64:
    t = np.clip(t, 0.0, 1.0)
    out: F64 = t * t * (3.0 - 2.0 * t)
    return out


def _side_hairline(style: FaceStyle) -> float:
    """Height above the head's centre where the painter's fringe meets the face square's sides
    (its wave crest and the (2u - 1)² droop at u = 0 and 1)."""
    edge_v = style.fringe - 0.045 - 0.06
    return FACE_HEIGHT_M / 2 - edge_v * FACE_HEIGHT_M


def hairline(style: FaceStyle, azimuth: F64) -> F64:
    """Hairline height above the head's centre (metres) at |azimuth| (radians, 0 = the face's
    direction, π = the back): level with the fringe's ends beside the face, down the temples to
    the ears, and to the nape behind."""
    rx, ry, rz = HEAD_RADII
    top = _side_hairline(style)
    # Where the face square's side edge meets that height: up to there the fringe frames it.
    y = ry * math.sqrt(max(1.0 - (FACE_WIDTH_M / 2 / rx) ** 2 - (top / rz) ** 2, 0.0))
    start = math.atan2(FACE_WIDTH_M / 2, y)
    ear, nape = 0.035, -0.10
    a = np.abs(azimuth)
    temple = top + (ear - top) * _smoothstep((a - start) / (math.pi / 2 - start))
    behind = ear + (nape - ear) * _smoothstep((a - math.pi / 2) / (math.pi / 2))
    out: F64 = np.where(a <= math.pi / 2, temple, behind)
    return out


def _front_surface(x: F64, z: F64) -> tuple[F64, F64, F64]:
    """The head point seen at (x, z) from the front; outside the silhouette, the silhouette
    point in that direction."""
    cx, cy, cz = HEAD_CENTER
    rx, ry, rz = HEAD_RADII
    dx, dz = (x - cx) / rx, (z - cz) / rz
    r2 = dx * dx + dz * dz
    shrink = np.where(r2 > 1.0, 1.0 / np.sqrt(np.maximum(r2, 1e-12)), 1.0)
    dx, dz = dx * shrink, dz * shrink
    dy = -np.sqrt(np.clip(1.0 - dx * dx - dz * dz, 0.0, 1.0))
    return cx + dx * rx, cy + dy * ry, cz + dz * rz


def _angle_surface(azimuth: F64, polar: F64) -> tuple[F64, F64, F64]:
    cx, cy, cz = HEAD_CENTER
    rx, ry, rz = HEAD_RADII
    p = np.clip(polar, 0.0, math.pi)
    return (
        cx + rx * np.sin(p) * np.sin(azimuth),
        cy - ry * np.sin(p) * np.cos(azimuth),
        cz + rz * np.cos(p),
    )


def hair_amount(style: FaceStyle, x: F64, y: F64, z: F64) -> F64:
    """Signed height of head points above the hairline, metres (> 0: hair)."""
    cx, cy, cz = HEAD_CENTER
    azimuth = np.arctan2(x - cx, -(y - cy))
    out: F64 = (z - cz) - hairline(style, azimuth)
    return out


EAR_CENTER_M = (0.012, -0.02)
"""Ear centre behind and below the head's centre (y, z), metres; on both sides."""
EAR_RADII_M = (0.026, 0.042)
"""Ear half width (along y) and half height, metres."""


def ear_amount(x: F64, y: F64, z: F64) -> tuple[F64, F64]:
    """(outer, inner) > 0 inside each ear's outline and its darker hollow (head points); both
    smooth functions of the point (an ellipsoid around each ear), so their edges antialias."""
    cx, cy, cz = HEAD_CENTER
    rx, ry, rz = HEAD_RADII
    ey, ez = EAR_CENTER_M
    ex = rx * math.sqrt(1.0 - (ey / ry) ** 2 - (ez / rz) ** 2)  # where the ear sits on the head
    dx = (np.abs(x - cx) - ex) / 0.03
    dy = (y - cy - ey) / EAR_RADII_M[0]
    dz = (z - cz - ez) / EAR_RADII_M[1]
    outer = np.maximum(1.0 - dx * dx - dy * dy - dz * dz, -1.0)
    hy, hz = (dy + 0.15) / 0.55, (dz + 0.1) / 0.6
    inner = np.maximum(1.0 - dx * dx - hy * hy - hz * hz, -1.0)
    return outer, inner


def _cover(f: F64) -> F64:
    """Antialiased coverage of ``f > 0`` on the texel grid: one texel wide at any scale."""
    gy, gx = np.gradient(f)
    return coverage(-f / np.maximum(np.hypot(gx, gy), 1e-12))


def _paint_hair(out: F64, rect: PixelRect, point: Any, style: FaceStyle) -> None:
    """Skin, ears and hair on ``rect`` of the atlas; ``point(px, py)`` → the head point a
    texel shows."""
    ys, xs = np.mgrid[rect.y0 : rect.y1, rect.x0 : rect.x1].astype(np.float64) + 0.5
    x, y, z = point(xs, ys)
    skin, hair = np.asarray(style.skin), np.asarray(style.hair)
    colour = np.broadcast_to(skin, (*xs.shape, 3)).copy()
    outer, inner = ear_amount(x, y, z)
    colour += _cover(outer)[..., None] * (skin * 0.93 - colour)
    colour += _cover(inner)[..., None] * (skin * 0.8 - colour)
    colour += _cover(hair_amount(style, x, y, z))[..., None] * (hair - colour)
    out[rect.y0 : rect.y1, rect.x0 : rect.x1, :3] = colour


def paint_atlas(
    atlas: HeadAtlas, style: FaceStyle, expression: NDArray[np.floating[Any]] | None = None
) -> NDArray[np.float32]:
    """The head's (N, N, 4) float32 RGBA atlas, rows top-down: skin, hair and, in the face
    square, the painter's face (neutral unless ``expression`` is given)."""
    n = atlas.size
    out = np.ones((n, n, 4), dtype=np.float64)
    out[..., :3] = np.asarray(style.skin)
    _paint_hair(
        out, atlas.rest_rect, lambda px, py: _angle_surface(*atlas.rest.to_angles(px, py)), style
    )
    _paint_hair(
        out, atlas.front_rect, lambda px, py: _front_surface(*atlas.front.to_world(px, py)), style
    )
    e = np.zeros(N_EXPRESSION, np.float32) if expression is None else expression
    f = atlas.face
    out[f.y0 : f.y1, f.x0 : f.x1] = paint_face(style, e, f.width)
    result: NDArray[np.float32] = out.astype(np.float32)
    return result


def face_points(atlas: HeadAtlas, style: FaceStyle) -> NDArray[np.float64]:
    """The face's 7 feature points in pixels of the face region, from the painter's geometry
    (in the order of the face editor's feature names)."""
    from .appearance.align import FEATURE_NAMES

    pts = feature_points(style, atlas.face.width)
    return np.array([pts[n] for n in FEATURE_NAMES], dtype=np.float64)


# ----------------------------------------------------------------------------- the mesh


@dataclass(frozen=True)
class HeadMesh:
    """The head: vertices, polygons (outward normals) and per face-corner atlas UVs."""

    verts: NDArray[np.float32]
    faces: tuple[tuple[int, ...], ...]
    uvs: NDArray[np.float32]
    """(total corners, 2) in polygon order, Blender's convention (v = 0 at the bottom)."""


def head_mesh(atlas: HeadAtlas, style: FaceStyle, segments: int = 96, rings: int = 64) -> HeadMesh:
    """A UV-sphere head of ``segments`` × ``rings``; the hair lifts the surface a little."""
    cx, cy, cz = HEAD_CENTER
    rz = HEAD_RADII[2]
    sphere, faces = ellipsoid(HEAD_CENTER, HEAD_RADII, segments, rings)
    base = sphere.astype(np.float64)
    # Hair volume: along the ellipsoid's normal, rising smoothly with height above the fringe
    # (a function of height only, so the bump has no edge of its own).
    # Mostly outward at the sides and the back, so the crown stays round rather than peaked.
    top = _side_hairline(style)
    normal = (base - np.asarray(HEAD_CENTER)) / np.square(np.asarray(HEAD_RADII))
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    spread = 0.3 + 0.7 * np.hypot(normal[:, 0], normal[:, 1]) + 0.4 * np.maximum(normal[:, 1], 0.0)
    lift = HAIR_LIFT_M * spread * _smoothstep((base[:, 2] - cz - top) / 0.08)
    verts = base + lift[:, None] * normal
    last = len(base) - 1  # the bottom pole (the top one is vertex 0)
    azimuth = np.arctan2(base[:, 0] - cx, -(base[:, 1] - cy))
    polar = np.arccos(np.clip((base[:, 2] - cz) / rz, -1.0, 1.0))
    uvs: list[F64] = []
    n = atlas.size
    for f in faces:
        idx = list(f)
        corners = base[idx]
        if corners[:, 1].mean() < cy and bool(np.all(atlas.in_front(corners[:, 0], corners[:, 2]))):
            px, py = atlas.front.to_pixels(corners[:, 0], corners[:, 2])
        else:
            # Azimuths unwrapped around the polygon's own (a pole takes its neighbours' mean).
            ring = [i for i in idx if 0 < i < last]
            ref = float(azimuth[ring[0]])
            a = ref + (azimuth[idx] - ref + math.pi) % (2 * math.pi) - math.pi
            pole = np.array([i in (0, last) for i in idx])
            a[pole] = a[~pole].mean()
            a = a + 2 * math.pi * (a.mean() < 0.0)  # the strip runs 0 … 2π
            px, py = atlas.rest.to_pixels(a, polar[idx])
        uvs.append(np.stack([px / n, 1.0 - py / n], axis=1))
    return HeadMesh(verts.astype(np.float32), tuple(faces), np.concatenate(uvs).astype(np.float32))
