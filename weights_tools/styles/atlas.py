"""Texture atlases with a face region: a rendered face placed at a random position and scale
inside a larger texture filled with other content.

The filler imitates what real character textures hold around a face: flat colour swatches (a
game swatch atlas), fabric- or noise-like patches, skin-coloured body-part islands, gradients
and UV-island polygons, with transparent gaps between them; tiny atlases (a 64×32 skin) are
blocky pixel art. Every expression of one atlas shares the filler and the face's placement, so
atlas pixels outside the face region are identical across expressions.

Regions: ``region_px`` = (x0, y0, x1, y1) in pixels, y down from the top, end exclusive;
``region_uv`` = (u0, v0, u1, v1) with v measured from the BOTTOM (Blender's convention):
u = x / W, v = 1 - y / H.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .base import FaceSample, check_one_expression
from .families import get_family
from .palette import hsv, random_skin
from .pixel import art_grid
from .raster import (
    Canvas,
    Color,
    cover,
    mix,
    sd_ellipse,
    sd_polyline,
    value_noise,
)

F64 = NDArray[np.float64]
Rect = tuple[int, int, int, int]
TINY = 128
"""Atlases whose shorter side is at most this many pixels are drawn as blocky pixel art."""


@dataclass(frozen=True)
class AtlasSample:
    """One atlas rendered for several expressions."""

    images: tuple[NDArray[np.float32], ...]
    """One (H, W, 4) float32 RGBA atlas per expression."""
    expressions: NDArray[np.float32]
    """(n, 8) the expression of each image."""
    region_px: Rect
    """Face region (x0, y0, x1, y1) in atlas pixels, y from the top, end exclusive."""
    region_uv: tuple[float, float, float, float]
    """Face region (u0, v0, u1, v1), v from the bottom (Blender's UV convention)."""
    face_px: Rect
    """Where the rendered face image lies (contains the region)."""
    points: NDArray[np.float32]
    """(7, 2) neutral feature points in atlas pixels (x right, y down, centres at i + 0.5)."""
    expression_mask: NDArray[np.bool_]
    """(H, W) the atlas pixels some expression can change (inside the region)."""
    family: str
    """Face-style family name."""
    style: Any
    """The family's style."""


def px_to_uv(rect: Rect, width: int, height: int) -> tuple[float, float, float, float]:
    """Pixel rectangle (y down) → UV rectangle (v up)."""
    x0, y0, x1, y1 = rect
    return (x0 / width, 1.0 - y1 / height, x1 / width, 1.0 - y0 / height)


def uv_to_px(uv: tuple[float, float, float, float], width: int, height: int) -> Rect:
    """UV rectangle (v up) → the pixel rectangle (y down) it covers, rounded to whole pixels."""
    u0, v0, u1, v1 = uv
    return (
        round(u0 * width),
        round((1.0 - v1) * height),
        round(u1 * width),
        round((1.0 - v0) * height),
    )


# ----------------------------------------------------------------------------- filler
def _color(rng: np.random.Generator) -> Color:
    return hsv(rng.uniform(), rng.uniform(0.0, 0.85), rng.uniform(0.15, 0.95))


def _overlaps(a: Rect, b: Rect, gap: int) -> bool:
    return not (
        a[2] + gap <= b[0] or b[2] + gap <= a[0] or a[3] + gap <= b[1] or b[3] + gap <= a[1]
    )


def _swatches(cv: Canvas, rng: np.random.Generator, rect: Rect) -> None:
    x0, y0, x1, y1 = rect
    nx, ny = int(rng.integers(2, 9)), int(rng.integers(2, 9))
    xs = np.linspace(x0, x1, nx + 1).round().astype(int)
    ys = np.linspace(y0, y1, ny + 1).round().astype(int)
    for i in range(ny):
        for j in range(nx):
            if ys[i + 1] > ys[i] and xs[j + 1] > xs[j]:
                cv.rgb[ys[i] : ys[i + 1], xs[j] : xs[j + 1]] = _color(rng)
                cv.a[ys[i] : ys[i + 1], xs[j] : xs[j + 1]] = 1.0


def _patch(cv: Canvas, rng: np.random.Generator, rect: Rect, base: Color) -> None:
    """A fabric- or noise-textured rectangle or ellipse."""
    x0, y0, x1, y1 = rect
    win = cv.window(x0, y0, x1, y1, pad=0.0)
    if win is None:
        return
    seed = int(rng.integers(0, 2**31))
    scale = rng.uniform(4.0, 40.0) / max(x1 - x0, 1)
    n = value_noise(seed, win.x * scale, win.y * scale)
    col = np.asarray(base)[None, None, :] * (1.0 + rng.uniform(0.05, 0.3) * n[..., None])
    if rng.uniform() < 0.5:
        period = rng.uniform(3.0, 12.0)
        weave = np.sin(win.x * (2 * math.pi / period)) * np.sin(win.y * (2 * math.pi / period))
        col = col * (1.0 + 0.12 * weave[..., None])
    if rng.uniform() < 0.5:
        shape = np.ones((1, 1))
    else:
        shape = cover(
            sd_ellipse(win, 0.5 * (x0 + x1), 0.5 * (y0 + y1), 0.5 * (x1 - x0), 0.5 * (y1 - y0))
        )
    cv.over(win, np.clip(col, 0.0, 1.0), shape)


def _limb(cv: Canvas, rng: np.random.Generator, rect: Rect, skin: Color) -> None:
    """A skin-coloured body-part island: a shaded capsule or blob with an outline."""
    x0, y0, x1, y1 = rect
    win = cv.window(x0, y0, x1, y1, pad=0.0)
    if win is None:
        return
    w, h = x1 - x0, y1 - y0
    r = 0.5 * min(w, h) * rng.uniform(0.6, 0.95)
    if w >= h:
        pts = np.array([[x0 + r, 0.5 * (y0 + y1)], [x1 - r, 0.5 * (y0 + y1)]])
    else:
        pts = np.array([[0.5 * (x0 + x1), y0 + r], [0.5 * (x0 + x1), y1 - r]])
    d = sd_polyline(win, pts, r)
    shade = np.clip(1.0 + d / r, 0.0, 1.0)
    col = np.asarray(skin)[None, None, :] * (1.0 - 0.3 * shade[..., None])
    cv.over(win, col, cover(d))
    if rng.uniform() < 0.5:
        cv.over(win, mix(skin, (0.0, 0.0, 0.0), 0.7), cover(np.abs(d) - max(1.0, 0.03 * r)))


def _gradient(cv: Canvas, rng: np.random.Generator, rect: Rect) -> None:
    x0, y0, x1, y1 = rect
    win = cv.window(x0, y0, x1, y1, pad=0.0)
    if win is None:
        return
    a, b = _color(rng), _color(rng)
    ang = rng.uniform(0.0, 2.0 * math.pi)
    t = ((win.x - x0) * math.cos(ang) + (win.y - y0) * math.sin(ang)) / max(x1 - x0, y1 - y0, 1)
    t = np.clip(0.5 + t, 0.0, 1.0)[..., None]
    col = np.asarray(a)[None, None, :] * (1 - t) + np.asarray(b)[None, None, :] * t
    cv.over(win, col, np.ones((1, 1)))


def _polygon(cv: Canvas, rng: np.random.Generator, rect: Rect) -> None:
    """A UV-island-like convex polygon with a flat or noisy fill."""
    x0, y0, x1, y1 = rect
    win = cv.window(x0, y0, x1, y1, pad=0.0)
    if win is None:
        return
    cx, cy = 0.5 * (x0 + x1), 0.5 * (y0 + y1)
    rx, ry = 0.5 * (x1 - x0), 0.5 * (y1 - y0)
    n = int(rng.integers(3, 8))
    angles = np.sort(rng.uniform(0.0, 2.0 * math.pi, size=n))
    radii = rng.uniform(0.6, 1.0, size=n)
    px = cx + np.cos(angles) * rx * radii
    py = cy + np.sin(angles) * ry * radii
    d = np.full(np.broadcast_shapes(win.x.shape, win.y.shape), -np.inf)
    for i in range(n):
        ax, ay, bx, by = px[i], py[i], px[(i + 1) % n], py[(i + 1) % n]
        ex, ey = bx - ax, by - ay
        length = math.hypot(ex, ey)
        if length < 1e-9:
            continue
        # Signed distance to the edge's line; the polygon is counter-clockwise in y-down.
        side = ((win.x - ax) * ey - (win.y - ay) * ex) / length
        d = np.maximum(d, -side)
    col = _color(rng)
    cv.over(win, col, cover(d))
    if rng.uniform() < 0.5:
        seed = int(rng.integers(0, 2**31))
        k = rng.uniform(8.0, 30.0) / max(rx, 1.0)
        nse = value_noise(seed, win.x * k, win.y * k)
        cv.over(win, mix(col, (1.0, 1.0, 1.0), 0.3), cover(d) * np.clip(nse, 0.0, 1.0))


def _tiny_content(rng: np.random.Generator, width: int, height: int) -> F64:
    """Blocky pixel-art filler: flat-coloured blocks on a 4-px grid with per-pixel shade noise
    and transparent gaps, like a game skin."""
    rgba = np.zeros((height, width, 4), dtype=np.float64)
    step = 4
    for _ in range(int(rng.integers(4, 12))):
        w = int(rng.integers(1, max(2, width // step // 2) + 1)) * step
        h = int(rng.integers(1, max(2, height // step // 2) + 1)) * step
        x = int(rng.integers(0, max(1, (width - w) // step + 1))) * step
        y = int(rng.integers(0, max(1, (height - h) // step + 1))) * step
        col = np.asarray(_color(rng) if rng.uniform() < 0.6 else random_skin(rng))
        jitter = 1.0 + rng.uniform(0.0, 0.12) * rng.integers(-1, 2, size=(h, w))
        block = rgba[y : y + h, x : x + w]
        block[..., :3] = np.clip(col * jitter[: block.shape[0], : block.shape[1], None], 0.0, 1.0)
        block[..., 3] = 1.0
    return rgba


def atlas_content(
    rng: np.random.Generator, width: int, height: int, skin: Color, keep_out: Rect | None = None
) -> NDArray[np.float32]:
    """Filler for an atlas of width × height: (H, W, 4) float32 RGBA. Islands avoid
    ``keep_out`` (the face's rectangle) with a small gap; ``skin`` colours body-part islands."""
    if min(width, height) <= TINY:
        return _tiny_content(rng, width, height).astype(np.float32)
    mode = rng.choice(["transparent", "flat", "gradient", "swatch"], p=[0.4, 0.2, 0.2, 0.2])
    cv = Canvas(width, height, _color(rng), 0.0 if mode == "transparent" else 1.0)
    if mode == "gradient":
        _gradient(cv, rng, (0, 0, width, height))
    elif mode == "swatch":
        # A whole swatch atlas: a grid of flat colour cells.
        cells = int(rng.integers(4, 33))
        step_x, step_y = max(1, width // cells), max(1, height // cells)
        for y in range(0, height, step_y):
            for x in range(0, width, step_x):
                cv.rgb[y : y + step_y, x : x + step_x] = _color(rng)
    side = min(width, height)
    gap = max(2, side // 128)
    placed: list[Rect] = []
    n_islands = int(rng.integers(6, 30))
    for _ in range(n_islands * 4):
        if len(placed) >= n_islands:
            break
        w = int(side * math.exp(rng.uniform(math.log(0.04), math.log(0.45))))
        h = int(w * math.exp(rng.uniform(-0.9, 0.9)))
        w, h = max(4, min(w, width)), max(4, min(h, height))
        x = int(rng.integers(0, width - w + 1))
        y = int(rng.integers(0, height - h + 1))
        rect = (x, y, x + w, y + h)
        if keep_out is not None and _overlaps(rect, keep_out, gap):
            continue
        if any(_overlaps(rect, p, gap) for p in placed) and rng.uniform() < 0.8:
            continue
        placed.append(rect)
        kind = int(rng.integers(0, 5))
        if kind == 0:
            _swatches(cv, rng, rect)
        elif kind == 1:
            _patch(cv, rng, rect, _color(rng) if rng.uniform() < 0.6 else skin)
        elif kind == 2:
            _limb(cv, rng, rect, skin if rng.uniform() < 0.8 else random_skin(rng))
        elif kind == 3:
            _gradient(cv, rng, rect)
        else:
            _polygon(cv, rng, rect)
    return cv.rgba().astype(np.float32)


# ----------------------------------------------------------------------------- placement
def _face_size(
    rng: np.random.Generator, family: str, style: Any, width: int, height: int
) -> tuple[int, int]:
    side = min(width, height)
    min_size = get_family(family).min_size
    if side <= TINY:
        target = int(rng.choice([8, 8, 8, 12, 16]))
    else:
        target = round(side * math.exp(rng.uniform(math.log(0.03), math.log(0.6))))
    aspect = math.exp(rng.uniform(math.log(0.75), math.log(4.0 / 3.0)))
    if side <= TINY and rng.uniform() < 0.6:
        aspect = 1.0
    fw = max(min_size, min(width, round(target * math.sqrt(aspect))))
    fh = max(min_size, min(height, round(target / math.sqrt(aspect))))
    if family == "pixel":
        # Whole art pixels: a face size that is a multiple of the art grid.
        gw, gh = art_grid(style, (fw, fh))
        k = max(1, min(fw // gw, fh // gh))
        fw, fh = gw * k, gh * k
    if fw > width or fh > height:
        raise ValueError(f"a {family} face of {fw}x{fh} px does not fit a {width}x{height} atlas")
    return fw, fh


def _region_rect(
    rng: np.random.Generator, face: Rect, mask: NDArray[np.bool_], points: NDArray[np.float32]
) -> Rect:
    """The face rectangle itself, or a random rectangle between it and the box around the
    expression region and the feature points (a region drawn by hand around the face)."""
    if rng.uniform() < 0.5:
        return face
    fx0, fy0, fx1, fy1 = face
    rows = np.nonzero(mask.any(axis=1))[0]
    cols = np.nonzero(mask.any(axis=0))[0]
    bx0 = min(int(cols[0]), math.floor(points[:, 0].min()))
    bx1 = max(int(cols[-1]) + 1, math.ceil(points[:, 0].max()) + 1)
    by0 = min(int(rows[0]), math.floor(points[:, 1].min()))
    by1 = max(int(rows[-1]) + 1, math.ceil(points[:, 1].max()) + 1)
    bx0, by0 = max(bx0 + fx0, fx0), max(by0 + fy0, fy0)
    bx1, by1 = min(bx1 + fx0, fx1), min(by1 + fy0, fy1)
    return (
        int(rng.integers(fx0, bx0 + 1)),
        int(rng.integers(fy0, by0 + 1)),
        int(rng.integers(bx1, fx1 + 1)),
        int(rng.integers(by1, fy1 + 1)),
    )


def _face_skin(face: FaceSample, mask: NDArray[np.bool_]) -> Color:
    """A colour typical of the face's skin: the median of its opaque pixels outside the
    expression region."""
    img = face.image
    opaque = (img[..., 3] > 0.5) & ~mask
    if not opaque.any():
        return (0.8, 0.6, 0.5)
    med = np.median(img[opaque][:, :3], axis=0)
    return (float(med[0]), float(med[1]), float(med[2]))


def synthesize_atlas(
    rng: np.random.Generator,
    family: str,
    style: Any,
    expressions: NDArray[np.floating[Any]] | list[list[float]],
    atlas_size: tuple[int, int],
    face_size: tuple[int, int] | None = None,
) -> AtlasSample:
    """Render ``style`` for each expression and place it, at one random position and scale,
    in an atlas of ``atlas_size`` = (width, height) filled with other content.

    ``face_size`` (width, height) fixes the rendered face's size; by default it is drawn so
    the face spans about 3 – 60 % of the atlas's shorter side (8 – 16 px on tiny atlases).
    """
    fam = get_family(family)
    width, height = int(atlas_size[0]), int(atlas_size[1])
    if not (8 <= width <= 8192 and 8 <= height <= 8192):
        raise ValueError(f"atlas size {width}x{height} is outside [8, 8192] pixels")
    exprs = np.asarray(expressions, dtype=np.float32).reshape(-1, 8)
    for e in exprs:
        check_one_expression(e)
    fw, fh = face_size if face_size is not None else _face_size(rng, family, style, width, height)
    if fw > width or fh > height:
        raise ValueError(f"face {fw}x{fh} px does not fit a {width}x{height} atlas")
    x0 = int(rng.integers(0, width - fw + 1))
    y0 = int(rng.integers(0, height - fh + 1))
    if min(width, height) <= TINY:
        # Game skins put faces on a coarse grid.
        x0 -= x0 % 4
        y0 -= y0 % 4
    face_rect = (x0, y0, x0 + fw, y0 + fh)
    faces = [fam.render(style, e, (fw, fh)) for e in exprs]
    mask_face = fam.region(style, (fw, fh))
    points = faces[0].points
    region = _region_rect(rng, face_rect, mask_face, points)
    content = atlas_content(rng, width, height, _face_skin(faces[0], mask_face), face_rect)
    images = []
    for face in faces:
        img = content.copy()
        img[y0 : y0 + fh, x0 : x0 + fw] = face.image
        images.append(img)
    mask = np.zeros((height, width), dtype=bool)
    mask[y0 : y0 + fh, x0 : x0 + fw] = mask_face
    shifted = (points + np.array([x0, y0], dtype=np.float32)).astype(np.float32)
    return AtlasSample(
        images=tuple(images),
        expressions=exprs,
        region_px=region,
        region_uv=px_to_uv(region, width, height),
        face_px=face_rect,
        points=shifted,
        expression_mask=mask,
        family=family,
        style=style,
    )
