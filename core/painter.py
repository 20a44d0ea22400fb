"""Parametric 2D toon-face painter: (style, expression) → RGBA face texture.

This is moodrig's ground truth: AMEE-GAN trains on it and is evaluated against it, and the demo
character wears it. Output is exact and deterministic for a given (style, expression, size):
pure float64 numpy arithmetic, no randomness, no platform-dependent resampling.

Coordinates are normalised: u in [0, 1] left → right, v in [0, 1] top → bottom of the image,
pixel centres at (i + 0.5) / size. The face looks at the viewer, so the character's *left*
eye (``eye_close_l``) is drawn on the image's right half. Everything outside the expression
region (eyes, brows, mouth, cheeks, furrow) is independent of the expression vector: pixels
there are bit-identical for any expression, which is what AMEE-GAN's mask must learn.

Per-side detail: :func:`paint_detail` paints from an 11-entry detail vector (``core/detail.py``)
whose smile, frown and brow raise have a left and a right value (a lopsided smile lifts one
mouth corner, one brow can rise alone). :func:`paint_face` paints the symmetric detail vector of
an 8-entry expression and runs exactly the arithmetic it always did: every per-side quantity is
built so that equal sides reproduce the old value bit for bit (``0.5 * (a + a) == a``,
``c + 0.5 * (a - a) == c``).

Drawing: the antialiased primitives of canvas.py (edges one pixel wide at any resolution); the
eyelid, brow and mouth geometry of face_shapes.py, which the transfer model's content drawing
traces too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import face_shapes
from .canvas import Canvas, Color, bezier, coverage, ellipse, lens, stroke
from .detail import DETAIL_INDEX, check_detail, detail_from_expression
from .expression import check_expression


@dataclass(frozen=True)
class FaceStyle:
    """Everything that makes one character look like itself. Lengths are fractions of the image."""

    skin: Color = (0.96, 0.80, 0.68)
    """Skin RGB in [0, 1]."""
    line: Color = (0.18, 0.11, 0.09)
    """Ink colour of outlines and brows."""
    line_weight: float = 0.010
    """Outline thickness, fraction of the image width (0.004 – 0.018)."""
    hair: Color = (0.30, 0.18, 0.10)
    """Hair RGB."""
    fringe: float = 0.22
    """How far the fringe reaches down from the top (0.10 – 0.30)."""
    fringe_waves: int = 3
    """Number of locks along the fringe edge (1 – 6)."""
    eye_y: float = 0.47
    """Vertical centre of the eyes."""
    eye_spacing: float = 0.17
    """Horizontal distance of each eye centre from the middle."""
    eye_width: float = 0.085
    """Half width of an eye."""
    eye_height: float = 0.050
    """Half height of an open eye (above the centre line)."""
    iris: Color = (0.25, 0.45, 0.70)
    """Iris RGB."""
    iris_size: float = 0.60
    """Iris radius relative to the eye's half height (0.45 – 0.8)."""
    brow_gap: float = 0.060
    """Height of the brows above the eyes."""
    brow_weight: float = 0.018
    """Brow thickness at its thickest."""
    brow: Color = (0.25, 0.15, 0.08)
    """Brow RGB."""
    mouth_y: float = 0.74
    """Vertical position of the mouth line."""
    mouth_width: float = 0.11
    """Half width of the mouth."""
    lip: Color = (0.78, 0.38, 0.38)
    """Lip RGB."""
    blush: float = 0.35
    """Strength of the cheek blush (0 – 0.6); rises with the smile."""
    nose_size: float = 0.035
    """Length of the nose stroke."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            items = value if isinstance(value, tuple) else (value,)
            for item in items:
                if not math.isfinite(float(item)):
                    raise ValueError(f"FaceStyle.{f.name} must be finite")
            if isinstance(value, tuple) and (
                len(value) != 3 or not all(0.0 <= c <= 1.0 for c in value)
            ):
                raise ValueError(f"FaceStyle.{f.name} must be an RGB triple in [0, 1]")
        if self.fringe_waves < 1:
            raise ValueError("FaceStyle.fringe_waves must be at least 1")


def random_style(rng: np.random.Generator) -> FaceStyle:
    """Draw a plausible random style; same generator state → same style."""

    def rgb(lo: float, hi: float) -> Color:
        c = rng.uniform(lo, hi, size=3)
        return (float(c[0]), float(c[1]), float(c[2]))

    skin_base = rng.uniform(0.35, 0.98)
    skin = (
        float(min(1.0, skin_base + rng.uniform(0.0, 0.05))),
        float(skin_base * rng.uniform(0.72, 0.86)),
        float(skin_base * rng.uniform(0.55, 0.75)),
    )
    return FaceStyle(
        skin=skin,
        line=rgb(0.0, 0.25),
        line_weight=float(rng.uniform(0.005, 0.016)),
        hair=rgb(0.02, 0.85),
        fringe=float(rng.uniform(0.12, 0.28)),
        fringe_waves=int(rng.integers(1, 7)),
        eye_y=float(rng.uniform(0.44, 0.50)),
        eye_spacing=float(rng.uniform(0.15, 0.19)),
        eye_width=float(rng.uniform(0.065, 0.095)),
        eye_height=float(rng.uniform(0.035, 0.060)),
        iris=rgb(0.05, 0.8),
        iris_size=float(rng.uniform(0.45, 0.8)),
        brow_gap=float(rng.uniform(0.050, 0.075)),
        brow_weight=float(rng.uniform(0.010, 0.024)),
        brow=rgb(0.0, 0.6),
        mouth_y=float(rng.uniform(0.71, 0.77)),
        mouth_width=float(rng.uniform(0.08, 0.13)),
        lip=rgb(0.45, 0.9),
        blush=float(rng.uniform(0.0, 0.6)),
        nose_size=float(rng.uniform(0.025, 0.045)),
    )


DEFAULT_STYLE = FaceStyle()


# --------------------------------------------------------------------------- the face


def _hair(cv: Canvas, s: FaceStyle) -> None:
    win = cv.window(0.0, 0.0, 1.0, s.fringe + 0.05)
    if win is None:
        return
    rows, cols, xs, ys = win
    n = cv.size
    u = xs / n
    waves = 0.5 + 0.5 * np.cos(u * 2.0 * math.pi * s.fringe_waves)
    edge = s.fringe - 0.045 * waves - 0.06 * (2.0 * u - 1.0) ** 2
    cv.over(rows, cols, s.hair, coverage((ys / n - edge) * n))


def _eye(cv: Canvas, s: FaceStyle, cx: float, close: float, wide: float, smile: float) -> None:
    lw = s.line_weight / 2
    lid = face_shapes.lids(s, cx, close, wide, smile)
    cy, up = lid.cy, lid.up
    region = lens(cv, cx, cy, s.eye_width, up, lid.down, (0.97, 0.97, 0.96))
    if region is not None:
        cover, win = region
        iris_r = s.eye_height * s.iris_size * (1.0 - 0.2 * wide)
        iris_cy = cy - 0.15 * up
        ellipse(cv, cx, iris_cy, iris_r, iris_r, s.iris, clip=cover, clip_win=win)
        pupil = iris_r * 0.45
        ellipse(cv, cx, iris_cy, pupil, pupil, (0.03, 0.03, 0.04), clip=cover, clip_win=win)
        glint = iris_r * 0.2
        ellipse(
            cv,
            cx + iris_r * 0.35,
            iris_cy - iris_r * 0.35,
            glint,
            glint,
            (1.0, 1.0, 1.0),
            opacity=0.9,
            clip=cover,
            clip_win=win,
        )
    taper = np.sin(np.linspace(0.15, math.pi - 0.15, lid.upper.shape[0]))
    stroke(cv, lid.upper, lw * (0.6 + 0.9 * taper), s.line)
    stroke(cv, lid.lower, lw * 0.45 * taper + 1e-4, s.line, opacity=0.8)


def _brow(cv: Canvas, s: FaceStyle, side: float, raise_: float, furrow: float) -> None:
    """side = -1 for the image-left brow, +1 for the image-right one."""
    pts = face_shapes.brow(s, side, raise_, furrow)
    thick = s.brow_weight / 2 * (0.55 + 0.6 * np.sin(np.linspace(0.3, math.pi - 0.5, pts.shape[0])))
    stroke(cv, pts, thick, s.brow)


def _mouth(
    cv: Canvas, s: FaceStyle, jaw: float, smile: tuple[float, float], frown: tuple[float, float]
) -> None:
    """smile, frown: (character's right = image left, character's left = image right)."""
    lw = s.line_weight / 2
    m = face_shapes.mouth(s, jaw, smile, frown)
    hole = face_shapes.opening(cv, m)
    if hole is not None:
        rows, cols, tx, y = hole.rows, hole.cols, hole.tx, hole.y
        n = cv.size
        inside = coverage(hole.dist)
        cv.over(rows, cols, (0.35, 0.08, 0.10), inside)
        teeth = inside * coverage((y - (hole.line + 0.22 * m.open_h * (1 - tx * tx) + 0.004)) * n)
        cv.over(rows, cols, (0.98, 0.97, 0.93), teeth)
        tongue_r = 0.45 * m.open_h
        ellipse(
            cv,
            m.cx,
            m.my + m.open_h * 0.95,
            m.half_w * 0.55,
            tongue_r,
            (0.85, 0.40, 0.42),
            clip=inside,
            clip_win=(rows, cols),
        )
    stroke(cv, m.lower_lip, 0.010, s.lip, opacity=0.8)
    if m.open_h > 0.0:
        stroke(cv, m.lower, lw * 0.8, s.line)
    taper = np.sin(np.linspace(0.2, math.pi - 0.2, m.upper.shape[0]))
    stroke(cv, m.upper, lw * (0.7 + 0.5 * taper), s.line)


def _check_size(size: int) -> None:
    if not isinstance(size, int) or size < 16 or size > 8192:
        raise ValueError(f"size must be an int in [16, 8192], got {size!r}")


def paint_face(
    style: FaceStyle, expression: NDArray[np.floating[Any]] | list[float], size: int
) -> NDArray[np.float32]:
    """Paint one face texture: float32 RGBA (size, size, 4) in [0, 1], alpha = 1."""
    _check_size(size)
    e = check_expression(expression)
    if e.shape != (8,):
        raise ValueError(f"paint_face takes one expression vector of 8 values, got shape {e.shape}")
    return _paint(style, detail_from_expression(e), size)


def paint_detail(
    style: FaceStyle, detail: NDArray[np.floating[Any]] | list[float], size: int
) -> NDArray[np.float32]:
    """Paint from a per-side detail vector (11 values, ``core/detail.py``): float32 RGBA,
    alpha = 1."""
    _check_size(size)
    d = check_detail(detail)
    if d.shape != (len(DETAIL_INDEX),):
        raise ValueError(
            f"paint_detail takes one detail vector of {len(DETAIL_INDEX)} values, "
            f"got shape {d.shape}"
        )
    return _paint(style, d, size)


def _paint(style: FaceStyle, d: NDArray[np.float32], size: int) -> NDArray[np.float32]:
    dv = {name: float(d[i]) for name, i in DETAIL_INDEX.items()}
    s = style
    cv = Canvas(size, s.skin)
    _hair(cv, s)
    # Nose: static.
    nose = bezier(
        (0.5 - 0.004, 0.58),
        (0.5 + 0.012, 0.58 + s.nose_size * 0.8),
        (0.5 - 0.012, 0.58 + s.nose_size),
    )
    stroke(cv, nose, s.line_weight * 0.3, s.line, opacity=0.7)
    # Cheeks: blush rises and grows with that side's smile (side -1: image left = character's
    # right).
    for side, smile in ((-1.0, dv["smile_r"]), (1.0, dv["smile_l"])):
        ellipse(
            cv,
            0.5 + side * (s.eye_spacing + 0.02),
            s.eye_y + 0.13 - 0.025 * smile,
            0.055 * (1 + 0.2 * smile),
            0.03 * (1 + 0.2 * smile),
            (0.95, 0.45, 0.45),
            opacity=s.blush * (0.35 + 0.65 * smile),
        )
    # Furrow between the brows.
    if dv["brow_furrow"] > 0.0:
        top = s.eye_y - s.eye_height - s.brow_gap - 0.005
        for dx in (-0.012, 0.012):
            line = bezier((0.5 + dx, top), (0.5 + 1.6 * dx, top + 0.02), (0.5 + dx, top + 0.04), 8)
            stroke(cv, line, s.line_weight * 0.22, s.line, opacity=0.8 * dv["brow_furrow"])
    _eye(cv, s, 0.5 - s.eye_spacing, dv["eye_close_r"], dv["eye_wide"], dv["smile_r"])
    _eye(cv, s, 0.5 + s.eye_spacing, dv["eye_close_l"], dv["eye_wide"], dv["smile_l"])
    _brow(cv, s, -1.0, dv["brow_raise_r"], dv["brow_furrow"])
    _brow(cv, s, 1.0, dv["brow_raise_l"], dv["brow_furrow"])
    _mouth(cv, s, dv["jaw_open"], (dv["smile_r"], dv["smile_l"]), (dv["frown_r"], dv["frown_l"]))
    out = np.ones((size, size, 4), dtype=np.float32)
    out[..., :3] = np.clip(cv.rgb, 0.0, 1.0)
    return out


def expression_region(style: FaceStyle, size: int) -> NDArray[np.bool_]:
    """Pixels that some expression can change: boxes bounding every expression-driven shape.

    It bounds detail vectors too: each side's shapes (eye, brow, cheek, mouth corner) depend on
    that side's values only, and each box below covers its side's whole range independently.

    Each box bounds its shapes over the whole parameter range (control points are multilinear in
    the parameters, so their extremes lie at the corners used below), padded by the stroke
    radius and the 2-pixel drawing margin. Everything outside is bit-identical for any expression.
    """
    s = style
    n = size
    pad = 3.0 / n
    lw = s.line_weight
    boxes: list[tuple[float, float, float, float]] = []
    up_max = s.eye_height * 1.45
    down_max = s.eye_height * 0.55 * 1.25
    for side in (-1.0, 1.0):
        cx = 0.5 + side * s.eye_spacing
        boxes.append(
            (
                cx - s.eye_width - lw,
                s.eye_y - up_max - lw,
                cx + s.eye_width + lw,
                s.eye_y + down_max + lw,
            )
        )
        base = s.eye_y - s.eye_height - s.brow_gap
        xs = [
            cx - side * s.eye_width * 0.95,
            cx - side * s.eye_width * 0.70,
            cx + side * s.eye_width * 1.05,
            cx + side * 0.01,
        ]
        ys = [
            base - 0.045 - 0.02 - 0.025,
            base + 0.030 + 0.012,
            base + 0.012,
            base - 0.02 - 0.045 - 0.025,
        ]
        boxes.append(
            (
                min(xs) - s.brow_weight,
                min(ys) - s.brow_weight,
                max(xs) + s.brow_weight,
                max(ys) + s.brow_weight,
            )
        )
        ccx = 0.5 + side * (s.eye_spacing + 0.02)
        boxes.append(
            (ccx - 0.066, s.eye_y + 0.13 - 0.025 - 0.036, ccx + 0.066, s.eye_y + 0.13 + 0.036)
        )
    top = s.eye_y - s.eye_height - s.brow_gap - 0.005
    boxes.append((0.5 - 0.03, top - lw, 0.5 + 0.03, top + 0.04 + lw))
    half_w = s.mouth_width * 1.25
    boxes.append(
        (
            0.5 - half_w - lw,
            s.mouth_y - 0.035 - lw,
            0.5 + half_w + lw,
            s.mouth_y + 0.075 * 2.0 + 0.035 + 0.032 + 0.01 + lw,
        )
    )
    region = np.zeros((n, n), dtype=bool)
    for u0, v0, u1, v1 in boxes:
        c0 = max(0, math.floor((u0 - pad) * n))
        c1 = min(n, math.ceil((u1 + pad) * n))
        r0 = max(0, math.floor((v0 - pad) * n))
        r1 = min(n, math.ceil((v1 + pad) * n))
        region[r0:r1, c0:c1] = True
    return region


def feature_points(style: FaceStyle, size: int) -> dict[str, tuple[float, float]]:
    """The neutral face's 7 feature points in pixels of a ``size`` × ``size`` painting (x right,
    y down, pixel centres at i + 0.5), from the painter's own geometry: eye centres (of the
    open eye's visible shape), brow middles, the mouth corners and the mouth's middle. Keys are
    the face editor's feature names (``_r``: the character's right, the image's left)."""
    s = style

    def px(u: float, v: float) -> tuple[float, float]:
        return u * size, v * size

    pts: dict[str, tuple[float, float]] = {}
    # The open eye spans eye_height above the corners' line and 0.55 of it below.
    eye_v = s.eye_y - 0.5 * (s.eye_height - 0.55 * s.eye_height)
    base = s.eye_y - s.eye_height - s.brow_gap
    for name, sgn in (("r", -1.0), ("l", 1.0)):
        cx = 0.5 + sgn * s.eye_spacing
        pts[f"eye_{name}"] = px(cx, eye_v)
        # The neutral brow is a quadratic Bézier; its point at t = 0.5.
        inner = (cx - sgn * s.eye_width * 0.95, base)
        mid = (cx + sgn * 0.01, base - 0.02)
        outer = (cx + sgn * s.eye_width * 1.05, base + 0.012)
        pts[f"brow_{name}"] = px(
            0.25 * inner[0] + 0.5 * mid[0] + 0.25 * outer[0],
            0.25 * inner[1] + 0.5 * mid[1] + 0.25 * outer[1],
        )
        pts[f"mouth_{name}"] = px(0.5 + sgn * s.mouth_width, s.mouth_y)
    pts["mouth_c"] = px(0.5, s.mouth_y)
    return pts
