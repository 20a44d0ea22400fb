"""Pixel-art faces: a tiny grid of 8–32 art pixels, a small palette, no antialiasing, scaled
up to the requested size with nearest neighbour.

Expressions move or recolour whole art pixels: eyes lose rows from the top as they close and
become a line, gain rows when wide; brows shift up a row or two and tilt (inner end down) for a
furrow; the mouth line's corners rise for a smile and drop for a frown, and it opens into a dark
block (teeth and tongue on large grids) for jaw_open.

The art grid follows the image's aspect: its shorter side has ``style.grid`` pixels (never
more than the image has), its longer side proportionally more (at most 40).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .base import FaceSample, Size, boxes_mask, check_one_expression, compose, parse_size
from .base import points_array as _points_array
from .palette import (
    darker,
    hsv,
    lip_color,
    random_background,
    random_hair,
    random_ink,
    random_iris,
    random_skin,
)
from .raster import Color, mix, upscale_nearest

MIN_SIZE = 8
MAX_LONG = 40
F64 = NDArray[np.float64]


@dataclass(frozen=True)
class PixelStyle:
    """One pixel-art character. Fractions are of the art grid's shorter side."""

    grid: int
    """Art pixels on the shorter side of the image (8 – 32)."""
    skin: Color
    """Skin colour."""
    shade: Color
    """Darker skin: eyelids, nose, chin shadow."""
    ink: Color
    """Outline and closed-eye line colour."""
    hair: Color
    """Hair colour."""
    hair_rows: float
    """Hair depth from the head's top as a fraction of the grid (0 = bald)."""
    hair_seed: int
    """Seed of the fringe's ragged edge."""
    eye_w: int
    """Eye width in art pixels (1 – 3)."""
    eye_h: int
    """Open-eye height in art pixels (1 – 3)."""
    eye_white: bool
    """Eyes have a white next to the iris (needs eye_w >= 2)."""
    iris: Color
    """Iris (or whole-eye) colour."""
    eye_row: float
    """Top row of the eyes, fraction of the grid from the face's top."""
    eye_gap: float
    """Distance of each eye's inner edge from the centre line, fraction of the grid."""
    brow: Color
    """Brow colour."""
    brow_gap: int
    """Rows between a fully wide eye and its brow (1 – 2)."""
    brow_out: int
    """Columns the brow reaches past the eye's outer edge (0 – 1)."""
    brow_in: int
    """Columns the brow reaches past the eye's inner edge (0 – 1)."""
    mouth: Color
    """Mouth line colour."""
    mouth_row: float
    """Row of the mouth line, fraction of the grid from the face's top."""
    mouth_w: float
    """Mouth width, fraction of the grid."""
    inside: Color
    """Open-mouth interior."""
    tongue: Color
    """Tongue colour (large grids)."""
    nose: bool
    """Draw a shaded nose pixel."""
    blush: float
    """Opacity of a cheek blush pixel pair (0 = none)."""
    background: str
    """``skin``, ``color`` or ``transparent`` (see palette.BACKGROUNDS)."""
    bg: Color
    """Background colour for ``color``."""
    outline: bool
    """Ink outline around the head (head-shape backgrounds)."""
    margin: float
    """Space between the image edge and the head's side, fraction of the grid (0 – 0.12)."""
    noise: float
    """Per-pixel shade noise amplitude on the whole face (0 = flat), quantised to 3 levels."""
    noise_seed: int
    """Seed of that noise."""


def random_style(rng: np.random.Generator) -> PixelStyle:
    """A random pixel-art style; same generator state → same style."""
    grid = int(rng.choice([8, 8, 10, 12, 12, 16, 16, 20, 24, 32]))
    skin = random_skin(rng)
    eye_w = int(rng.integers(1, 4 if grid >= 12 else 3))
    eye_h = int(rng.integers(1, 4 if grid >= 16 else 3))
    ink = random_ink(rng)
    background, bg = random_background(rng)
    return PixelStyle(
        grid=grid,
        skin=skin,
        shade=darker(skin, float(rng.uniform(0.72, 0.86))),
        ink=ink,
        hair=random_hair(rng),
        hair_rows=float(rng.uniform(0.0, 0.3)) if rng.uniform() < 0.85 else 0.0,
        hair_seed=int(rng.integers(0, 2**31)),
        eye_w=eye_w,
        eye_h=eye_h,
        eye_white=bool(eye_w >= 2 and rng.uniform() < 0.7),
        iris=random_iris(rng) if rng.uniform() < 0.7 else ink,
        eye_row=float(rng.uniform(0.42, 0.52)),
        eye_gap=float(rng.uniform(0.06, 0.14)),
        brow=darker(random_hair(rng), 0.6) if rng.uniform() < 0.5 else ink,
        brow_gap=int(rng.integers(1, 3)) if grid >= 12 else 1,
        brow_out=int(rng.integers(0, 2)),
        brow_in=int(rng.integers(0, 2)),
        mouth=mix(ink, lip_color(rng, skin), float(rng.uniform(0.0, 0.6))),
        mouth_row=float(rng.uniform(0.72, 0.8)),
        mouth_w=float(rng.uniform(0.2, 0.4)),
        inside=hsv(rng.uniform(-0.03, 0.03), rng.uniform(0.5, 0.9), rng.uniform(0.12, 0.35)),
        tongue=hsv(rng.uniform(-0.02, 0.03), rng.uniform(0.4, 0.7), rng.uniform(0.7, 0.9)),
        nose=bool(rng.uniform() < 0.6),
        blush=float(rng.uniform(0.3, 0.8)) if rng.uniform() < 0.4 else 0.0,
        background=background,
        bg=bg,
        outline=bool(rng.uniform() < 0.6),
        margin=float(rng.uniform(0.0, 0.12)),
        noise=float(rng.uniform(0.02, 0.07)) if rng.uniform() < 0.4 else 0.0,
        noise_seed=int(rng.integers(0, 2**31)),
    )


def _q(x: float) -> int:
    """Round half up (Python's round() rounds half to even)."""
    return math.floor(x + 0.5)


@dataclass(frozen=True)
class _Layout:
    """Integer art-pixel geometry of one style on one grid."""

    gw: int
    gh: int
    eye_w: int
    eye_h: int
    eye_top: int
    eye_c0: int
    """First column of the image-left eye; the other eye mirrors it."""
    brow_row: int
    brow_c0: int
    brow_c1: int
    """Columns [brow_c0, brow_c1) of the image-left brow."""
    mouth_row: int
    mouth_c0: int
    mouth_c1: int
    wide_max: int
    raise_max: int
    furrow_max: int
    smile_max: int
    jaw_max: int
    head: tuple[int, int, int, int]
    """Head box (c0, r0, c1, r1) for head-shape backgrounds."""


def _grid(style: PixelStyle, width: int, height: int) -> tuple[int, int]:
    g = min(style.grid, width, height)
    if width >= height:
        gw, gh = _q(g * width / height), g
        if gw > MAX_LONG:
            gw, gh = MAX_LONG, max(MIN_SIZE, _q(MAX_LONG * height / width))
    else:
        gw, gh = g, _q(g * height / width)
        if gh > MAX_LONG:
            gw, gh = max(MIN_SIZE, _q(MAX_LONG * width / height)), MAX_LONG
    return min(gw, width), min(gh, height)


def _layout(s: PixelStyle, gw: int, gh: int) -> _Layout:
    lg = min(gw, gh)
    oy = (gh - lg) // 2
    eye_w = min(s.eye_w, max(1, lg // 6))
    eye_h = min(s.eye_h, max(1, lg // 6))
    big = lg >= 16
    wide_max = 2 if (big and eye_h >= 2) else 1
    raise_max = 2 if big else 1
    furrow_max = 2 if lg >= 20 else 1
    eye_top = oy + _q(s.eye_row * lg)
    brow_gap = s.brow_gap if lg >= 12 else 1
    brow_row = eye_top - wide_max - brow_gap
    # Keep the raised brow inside the grid: move the eyes down when needed.
    shift = max(0, raise_max - brow_row)
    eye_top += shift
    brow_row += shift
    inner = max(1, _q(s.eye_gap * lg))
    eye_c0 = _q(gw / 2 - inner - eye_w)
    eye_c0 = max(1, min(eye_c0, gw // 2 - 1 - eye_w))
    # Brows never meet: at least one free column between them.
    brow_c0 = max(0, eye_c0 - s.brow_out)
    brow_c1 = min((gw - 1) // 2, eye_c0 + eye_w + s.brow_in)
    if brow_c1 - brow_c0 < 2:
        brow_c0 = max(0, brow_c1 - 2)
    mouth_w = max(2, _q(s.mouth_w * lg))
    if (mouth_w - gw) % 2:
        mouth_w += 1
    mouth_w = min(mouth_w, gw - 2 * (eye_c0 + 1) + 2)
    mouth_c0 = (gw - mouth_w) // 2
    smile_max = 2 if (mouth_w >= 6 and big) else 1
    mouth_row = oy + _q(s.mouth_row * lg)
    mouth_row = max(mouth_row, eye_top + eye_h + 1 + smile_max)
    jaw_max = max(1, min(4, lg // 5, gh - 1 - mouth_row))
    mouth_row = min(mouth_row, gh - 1 - max(jaw_max, smile_max))
    m = _q(s.margin * lg)
    head = (m, max(0, oy - (gh - lg) // 2), gw - m, gh)
    return _Layout(
        gw,
        gh,
        eye_w,
        eye_h,
        eye_top,
        eye_c0,
        brow_row,
        brow_c0,
        brow_c1,
        mouth_row,
        mouth_c0,
        mouth_c0 + mouth_w,
        wide_max,
        raise_max,
        furrow_max,
        smile_max,
        jaw_max,
        head,
    )


def _mirror(c0: int, c1: int, gw: int) -> tuple[int, int]:
    return gw - c1, gw - c0


def _static(s: PixelStyle, lay: _Layout) -> tuple[F64, F64]:
    """(rgb (gh, gw, 3), alpha (gh, gw)) of everything that no expression changes."""
    gw, gh = lay.gw, lay.gh
    rgb = np.empty((gh, gw, 3), dtype=np.float64)
    alpha = np.ones((gh, gw), dtype=np.float64)
    rgb[:] = s.skin
    lg = min(gw, gh)
    head = np.ones((gh, gw), dtype=bool)
    if s.background != "skin":
        c0, r0, c1, r1 = lay.head
        rows = np.arange(gh)[:, None]
        cols = np.arange(gw)[None, :]
        head = (cols >= c0) & (cols < c1) & (rows >= r0) & (rows < r1)
        # Rounded corners: cut a staircase at the chin and the crown.
        cut = 2 if lg >= 16 else 1
        for k in range(cut):
            for r in (r0 + k, r1 - 1 - k):
                for c in range(cut - k):
                    head[r, c0 + c] = False
                    head[r, c1 - 1 - c] = False
        if s.background == "color":
            rgb[~head] = s.bg
        else:
            rgb[~head] = 0.0
            alpha[~head] = 0.0
    hair_depth = _q(s.hair_rows * lg)
    if hair_depth > 0:
        rag = np.random.default_rng(s.hair_seed).integers(0, 2, size=gw)
        rag = np.minimum(rag, rag[::-1])  # symmetric fringe
        top = lay.head[1] if s.background != "skin" else 0
        limit = lay.brow_row - lay.raise_max  # never reaches the brows
        for c in range(gw):
            depth = min(top + hair_depth + int(rag[c]), limit)
            sel = head[:depth, c]
            rgb[:depth, c][sel] = s.hair
        if s.background != "skin":
            # Hair down the sides of the head, above the eyes.
            side = lay.eye_top
            for c in (lay.head[0], lay.head[2] - 1):
                rgb[top:side, c][head[top:side, c]] = s.hair
    if s.nose:
        r = (lay.eye_top + lay.eye_h + lay.mouth_row) // 2
        r = min(max(r, lay.eye_top + lay.eye_h), lay.mouth_row - lay.smile_max - 1)
        c0 = (gw - 1) // 2
        rgb[r, c0 : gw - c0] = s.shade
    if s.blush > 0.0:
        r = lay.eye_top + lay.eye_h + 1
        if r < lay.mouth_row - lay.smile_max - 1:
            pink = mix(s.skin, (0.95, 0.45, 0.5), s.blush)
            for a, b in (
                (lay.eye_c0 - 1, lay.eye_c0 + 1),
                _mirror(lay.eye_c0 - 1, lay.eye_c0 + 1, gw),
            ):
                rgb[r, max(a, 0) : min(b, gw)] = pink
    if s.outline and s.background != "skin":
        inside = head.copy()
        edge = inside & ~(
            np.pad(inside, 1)[2:, 1:-1]
            & np.pad(inside, 1)[:-2, 1:-1]
            & np.pad(inside, 1)[1:-1, 2:]
            & np.pad(inside, 1)[1:-1, :-2]
        )
        rgb[edge] = s.ink
    return rgb, alpha


def _eye(
    rgb: F64,
    s: PixelStyle,
    lay: _Layout,
    c0: int,
    c1: int,
    close: float,
    wide: float,
    iris_first: bool,
) -> None:
    ew = c1 - c0
    eh = lay.eye_h
    extra = _q(wide * lay.wide_max)
    top = lay.eye_top - extra
    bottom = lay.eye_top + eh
    rows = bottom - top
    hidden = _q(close * rows)
    white = s.eye_white and ew >= 2
    pattern: list[Color] = []
    for k in range(ew):
        if not white:
            pattern.append(s.iris)
        elif ew == 2:
            pattern.append(s.iris if (k == 0) == iris_first else (0.96, 0.96, 0.94))
        else:
            pattern.append(s.iris if k == ew // 2 else (0.96, 0.96, 0.94))
    if hidden >= rows:
        # Closed: a lid line along the bottom row, wider than a tiny eye so it reads as a line.
        a, b = (c0 - 1, c1 + 1) if ew * eh <= 2 else (c0, c1)
        rgb[bottom - 1, max(a, 0) : b] = s.ink
        return
    for r in range(top, bottom):
        if r < top + hidden:
            rgb[r, c0:c1] = s.shade
        else:
            for k in range(ew):
                rgb[r, c0 + k] = pattern[k]
    if extra > 0 and white and hidden == 0:
        # A wide eye shows white above the iris.
        rgb[top, c0:c1] = (0.96, 0.96, 0.94)


def _brow(
    rgb: F64,
    s: PixelStyle,
    lay: _Layout,
    c0: int,
    c1: int,
    raise_: float,
    furrow: float,
    inner_right: bool,
) -> None:
    up = _q(raise_ * lay.raise_max)
    n = c1 - c0
    for k in range(n):
        # Position from the outer end (0) to the inner end (n - 1).
        pos = k if inner_right else n - 1 - k
        drop = _q(furrow * lay.furrow_max * (pos + 1) / n)
        rgb[lay.brow_row - up + drop, c0 + k] = s.brow


def _mouth(rgb: F64, s: PixelStyle, lay: _Layout, jaw: float, smile: float, frown: float) -> None:
    r = lay.mouth_row
    c0, c1 = lay.mouth_c0, lay.mouth_c1
    n = c1 - c0
    h = _q(jaw * lay.jaw_max)
    if h > 0:
        a, b = (c0 + 1, c1 - 1) if n >= 4 else (c0, c1)
        rgb[r : r + h + 1, a:b] = s.inside
        if h >= 2 and lay.jaw_max >= 3:
            rgb[r, a:b] = (0.97, 0.96, 0.92)
        if h >= 2:
            rgb[r + h, a + (1 if b - a > 2 else 0) : b - (1 if b - a > 2 else 0)] = s.tongue
    lift = smile - frown
    for k in range(n):
        edge = min(k, n - 1 - k)  # 0 at the corners
        # The outermost pixel moves most, the next one (on wide mouths) half as much.
        step = abs(lift) * (lay.smile_max - edge)
        dy = 0 if edge >= lay.smile_max else int(math.copysign(_q(step), lift))
        if h > 0 and dy == 0 and ((k > 0 and k < n - 1) or n < 4):
            continue  # the open block replaces the line
        rgb[r - dy, c0 + k] = s.mouth


def _draw(
    style: PixelStyle, expression: F64, width: int, height: int
) -> tuple[_Layout, F64, F64, F64]:
    gw, gh = _grid(style, width, height)
    lay = _layout(style, gw, gh)
    rgb, alpha = _static(style, lay)
    static = rgb.copy()
    jaw, smile, frown, raise_, furrow, close_l, close_r, wide = (float(v) for v in expression)
    ec0, ec1 = lay.eye_c0, lay.eye_c0 + lay.eye_w
    _eye(rgb, style, lay, ec0, ec1, close_r, wide, iris_first=False)
    m0, m1 = _mirror(ec0, ec1, gw)
    _eye(rgb, style, lay, m0, m1, close_l, wide, iris_first=True)
    _brow(rgb, style, lay, lay.brow_c0, lay.brow_c1, raise_, furrow, inner_right=True)
    b0, b1 = _mirror(lay.brow_c0, lay.brow_c1, gw)
    _brow(rgb, style, lay, b0, b1, raise_, furrow, inner_right=False)
    _mouth(rgb, style, lay, jaw, smile, frown)
    return lay, static, rgb, alpha


def _art_region(style: PixelStyle, lay: _Layout) -> NDArray[np.bool_]:
    ew, eh = lay.eye_w, lay.eye_h
    boxes: list[tuple[float, float, float, float]] = []
    for c0, c1 in ((lay.eye_c0, lay.eye_c0 + ew), _mirror(lay.eye_c0, lay.eye_c0 + ew, lay.gw)):
        boxes.append((c0 - 2, lay.eye_top - lay.wide_max - 1, c1 + 2, lay.eye_top + eh + 1))
    for c0, c1 in ((lay.brow_c0, lay.brow_c1), _mirror(lay.brow_c0, lay.brow_c1, lay.gw)):
        boxes.append(
            (c0 - 1, lay.brow_row - lay.raise_max - 1, c1 + 1, lay.brow_row + lay.furrow_max + 2)
        )
    down = max(lay.jaw_max, lay.smile_max)
    boxes.append(
        (
            lay.mouth_c0 - 1,
            lay.mouth_row - lay.smile_max - 1,
            lay.mouth_c1 + 1,
            lay.mouth_row + down + 2,
        )
    )
    return boxes_mask(boxes, lay.gw, lay.gh)


def _postprocess(style: PixelStyle, rgb: F64, alpha: F64) -> F64:
    if style.noise > 0.0:
        levels = np.random.default_rng(style.noise_seed).integers(-1, 2, size=rgb.shape[:2])
        rgb = np.clip(rgb * (1.0 + style.noise * levels)[..., None], 0.0, 1.0)
    rgb = np.where(alpha[..., None] > 0.0, rgb, 0.0)
    return np.concatenate([rgb, alpha[..., None]], axis=-1)


def render_art(style: PixelStyle, expression: Any, size: Size) -> F64:
    """The art grid itself, (gh, gw, 4) float64, before scaling up."""
    width, height = parse_size(size, MIN_SIZE)
    e = check_one_expression(expression)
    lay, static, rgb, alpha = _draw(style, e, width, height)
    return _postprocess(style, compose(static, rgb, _art_region(style, lay)), alpha)


def render(style: PixelStyle, expression: Any, size: Size) -> FaceSample:
    """Render one face: (H, W, 4) float32 RGBA and its neutral feature points."""
    width, height = parse_size(size, MIN_SIZE)
    art = render_art(style, expression, (width, height))
    image = upscale_nearest(art, width, height).astype(np.float32)
    return FaceSample(image=image, points=feature_points(style, (width, height)))


def layers(style: PixelStyle, expression: Any, size: Size) -> tuple[F64, F64]:
    """(static, drawn) art grids scaled up, before the region is applied."""
    width, height = parse_size(size, MIN_SIZE)
    _, static, rgb, _ = _draw(style, check_one_expression(expression), width, height)
    return upscale_nearest(static, width, height), upscale_nearest(rgb, width, height)


def region(style: PixelStyle, size: Size) -> NDArray[np.bool_]:
    """(H, W) bool: the pixels some expression can change."""
    width, height = parse_size(size, MIN_SIZE)
    lay = _layout(style, *_grid(style, width, height))
    out: NDArray[np.bool_] = upscale_nearest(_art_region(style, lay), width, height)
    return out


def art_grid(style: PixelStyle, size: Size) -> tuple[int, int]:
    """(columns, rows) of the art grid used at this size."""
    width, height = parse_size(size, MIN_SIZE)
    return _grid(style, width, height)


def feature_points(style: PixelStyle, size: Size) -> NDArray[np.float32]:
    """(7, 2) neutral feature points in image pixels."""
    width, height = parse_size(size, MIN_SIZE)
    gw, gh = _grid(style, width, height)
    lay = _layout(style, gw, gh)
    ew, eh = lay.eye_w, lay.eye_h
    sx, sy = width / gw, height / gh
    eye_y = (lay.eye_top + eh / 2) * sy
    brow_y = (lay.brow_row + 0.5) * sy
    mouth_y = (lay.mouth_row + 0.5) * sy
    el = lay.eye_c0 + ew / 2
    bl = (lay.brow_c0 + lay.brow_c1) / 2
    return _points_array(
        {
            "eye_r": (el * sx, eye_y),
            "eye_l": ((gw - el) * sx, eye_y),
            "brow_r": (bl * sx, brow_y),
            "brow_l": ((gw - bl) * sx, brow_y),
            "mouth_r": (lay.mouth_c0 * sx, mouth_y),
            "mouth_l": (lay.mouth_c1 * sx, mouth_y),
            "mouth_c": ((lay.mouth_c0 + lay.mouth_c1) / 2 * sx, mouth_y),
        }
    )
