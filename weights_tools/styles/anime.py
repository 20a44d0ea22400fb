"""Anime faces: large tall eyes (iris with gradient, pupil, highlights, a thick upper lash
line with a flick), thin high brows, a small mouth, a pointed chin and a fringe of locks.

Expressions: a closing eye's upper lid comes down to the lower lid's curve and leaves a curved
lash line; wide eyes open taller with a smaller iris; the smile curves the small mouth up and
raises the lower lids; the frown curves it down; jaw_open opens it into a dark shape with a
tongue; brows rise and arch, or slant inward for a furrow.

Layout is in face units (the image's shorter side) around the image centre; see raster.Frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .drawn import CanvasFamily
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
from .raster import (
    Canvas,
    Color,
    Frame,
    Window,
    cover,
    ellipse,
    mix,
    sd_between,
    sd_ellipse,
    stroke,
)

MIN_SIZE = 16
F64 = NDArray[np.float64]
WHITE: Color = (0.98, 0.98, 0.99)


@dataclass(frozen=True)
class AnimeStyle:
    """One anime character. Lengths are face units (fractions of the image's shorter side),
    positions are relative to the image centre (y down)."""

    skin: Color
    """Skin colour."""
    ink: Color
    """Outline colour of head, nose and mouth."""
    line: float
    """Outline thickness (0.004 – 0.010)."""
    hair: Color
    """Hair colour."""
    hair_on: bool
    """Draw hair (fringe and, around a head shape, the back hair)."""
    locks: int
    """Locks across the fringe (3 – 8)."""
    fringe: float
    """y of the fringe's upper edge between the locks."""
    side_hair: bool
    """Locks hanging down beside the face."""
    lash: Color
    """Lash-line colour."""
    lash_w: float
    """Lash-line thickness at its thickest (0.010 – 0.022)."""
    eye_y: float
    """y of the eye corners."""
    eye_dx: float
    """Distance of each eye centre from the middle."""
    eye_w: float
    """Half width of an eye."""
    eye_up: float
    """Height of the open upper lid above the corners."""
    eye_down: float
    """Depth of the lower lid below the corners."""
    tilt: float
    """Outer corner height relative to the inner one (negative: outer corner up)."""
    iris: Color
    """Iris colour (top); its bottom is a lighter version."""
    iris_w: float
    """Iris half width relative to the eye half width (0.5 – 0.75)."""
    white: Color
    """Eye white."""
    brow: Color
    """Brow colour."""
    brow_w: float
    """Brow thickness (0.004 – 0.010)."""
    brow_gap: float
    """Gap between the open eye's top and the brow."""
    mouth_y: float
    """y of the mouth."""
    mouth_w: float
    """Half width of the closed mouth (0.025 – 0.05)."""
    inside: Color
    """Open-mouth interior."""
    tongue: Color
    """Tongue colour."""
    head_w: float
    """Half width of the head at the cheeks."""
    chin: float
    """y of the chin tip."""
    blush: float
    """Cheek blush opacity (0 = none)."""
    nose: int
    """Nose mark: 0 dot, 1 short stroke, 2 shadow wedge."""
    background: str
    """``skin``, ``color`` or ``transparent`` (palette.BACKGROUNDS)."""
    bg: Color
    """Background colour for ``color``."""


def random_style(rng: np.random.Generator) -> AnimeStyle:
    """A random anime style; same generator state → same style."""
    skin = random_skin(rng, non_human=0.25)
    ink = mix(random_ink(rng), darker(skin, 0.35), float(rng.uniform(0.0, 0.6)))
    hair = random_hair(rng)
    background, bg = random_background(rng)
    eye_w = float(rng.uniform(0.075, 0.102))
    return AnimeStyle(
        skin=skin,
        ink=ink,
        line=float(rng.uniform(0.004, 0.010)),
        hair=hair,
        hair_on=bool(rng.uniform() < 0.9),
        locks=int(rng.integers(3, 9)),
        fringe=float(rng.uniform(-0.42, -0.30)),
        side_hair=bool(rng.uniform() < 0.6),
        lash=mix(random_ink(rng), darker(hair, 0.4), float(rng.uniform(0.0, 0.5))),
        lash_w=float(rng.uniform(0.010, 0.020)),
        eye_y=float(rng.uniform(0.02, 0.09)),
        eye_dx=float(rng.uniform(0.155, 0.205)),
        eye_w=eye_w,
        eye_up=float(rng.uniform(1.25, 1.75)) * eye_w,
        eye_down=float(rng.uniform(0.35, 0.6)) * eye_w,
        tilt=float(rng.uniform(-0.25, 0.05)) * eye_w,
        iris=random_iris(rng),
        iris_w=float(rng.uniform(0.5, 0.75)),
        white=mix(WHITE, hsv(rng.uniform(), 0.3, 0.9), float(rng.uniform(0.0, 0.15))),
        brow=mix(darker(hair, 0.7), ink, float(rng.uniform(0.0, 1.0))),
        brow_w=float(rng.uniform(0.004, 0.009)),
        brow_gap=float(rng.uniform(0.025, 0.06)),
        mouth_y=float(rng.uniform(0.27, 0.33)),
        mouth_w=float(rng.uniform(0.025, 0.05)),
        inside=hsv(rng.uniform(-0.03, 0.02), rng.uniform(0.5, 0.8), rng.uniform(0.25, 0.45)),
        tongue=mix(lip_color(rng, skin), (0.95, 0.5, 0.55), 0.6),
        head_w=float(rng.uniform(0.36, 0.44)),
        chin=float(rng.uniform(0.42, 0.48)),
        blush=float(rng.uniform(0.15, 0.45)) if rng.uniform() < 0.5 else 0.0,
        nose=int(rng.integers(0, 3)),
        background=background,
        bg=bg,
    )


# ----------------------------------------------------------------------------- geometry
RAISE = 0.045
"""Brow lift at brow_raise = 1 (face units)."""
FURROW = 0.04
"""Inner brow drop at brow_furrow = 1."""
WIDE = 0.35
"""Extra upper-lid height at eye_wide = 1 (fraction of eye_up)."""
OPEN = 0.085
"""Mouth opening at jaw_open = 1 (face units)."""
SMILE = 0.028
"""Mouth-corner lift at smile = 1 (face units)."""
FROWN = 0.022
"""Mouth-corner drop at frown = 1."""


def _eye_curves(
    s: AnimeStyle, f: Frame, side: float, win: Window, close: float, wide: float, smile: float
) -> tuple[F64, F64, F64, float, float]:
    """(top, bottom, open_top) lid curves on the window's columns, the eye's centre x and half
    width in pixels. side = -1: image-left eye (character's right)."""
    cx = f.x(side * s.eye_dx)
    hw = f.len(s.eye_w)
    t = np.clip((win.x - cx) / hw, -1.0, 1.0)
    bump = 1.0 - t * t
    # Straight line between the corners; the outer corner sits ``tilt`` lower.
    base = f.y(s.eye_y) + f.len(s.tilt) * 0.5 * (1.0 + side * t)
    open_top = base - f.len(s.eye_up * (1.0 + WIDE * wide)) * np.sqrt(bump)
    bottom = base + f.len(s.eye_down * (1.0 + 0.15 * wide) * (1.0 - 0.55 * smile)) * bump
    top = open_top + (bottom - open_top) * close
    return top, bottom, open_top, cx, hw


def _eye(
    cv: Canvas, s: AnimeStyle, f: Frame, side: float, close: float, wide: float, smile: float
) -> None:
    cx = f.x(side * s.eye_dx)
    hw = f.len(s.eye_w)
    ey = f.y(s.eye_y)
    up = f.len(s.eye_up * (1.0 + WIDE))
    lw = f.len(s.lash_w)
    win = cv.window(
        cx - hw - 2 * lw,
        ey - up - 2 * lw,
        cx + hw + 2 * lw,
        ey + f.len(s.eye_down * 1.15 + abs(s.tilt)) + 2 * lw,
    )
    if win is None:
        return
    top, bottom, _, _, _ = _eye_curves(s, f, side, win, close, wide, smile)
    soft = 1.0
    white = cover(sd_between(win, cx, hw, top, bottom), soft)
    if close < 1.0:
        cv.over(win, s.white, white)
        # Iris: tall ellipse under the lid, darker at the top; pupil and two highlights.
        irx = s.iris_w * hw * (1.0 - 0.18 * wide)
        iry = irx * 1.3
        icy = ey - f.len(s.eye_up) * 0.38
        gy = np.clip((win.y - (icy - iry)) / (2 * iry), 0.0, 1.0)
        light = mix(s.iris, (1.0, 1.0, 1.0), 0.45)
        col = (
            np.asarray(darker(s.iris, 0.55))[None, None, :] * (1 - gy[..., None])
            + np.asarray(light)[None, None, :] * gy[..., None]
        )
        iris = cover(sd_ellipse(win, cx, icy, irx, iry), soft) * white
        cv.over(win, np.broadcast_to(col, (*iris.shape, 3)), iris)
        pupil = cover(sd_ellipse(win, cx, icy - 0.1 * iry, irx * 0.45, iry * 0.5), soft) * white
        cv.over(win, darker(s.iris, 0.2), pupil)
        # Shadow of the lash on the eye white and iris.
        shadow = cover(win.y - (top + 0.18 * f.len(s.eye_up)), 0.35 * f.len(s.eye_up)) * white
        cv.over(win, darker(s.iris, 0.35), shadow, 0.35)
        hl = (
            cover(sd_ellipse(win, cx - 0.35 * irx, icy - 0.35 * iry, 0.33 * irx, 0.25 * iry), soft)
            * white
        )
        cv.over(win, WHITE, hl)
        hl2 = (
            cover(sd_ellipse(win, cx + 0.35 * irx, icy + 0.5 * iry, 0.14 * irx, 0.12 * irx), soft)
            * white
        )
        cv.over(win, WHITE, hl2, 0.9)
    # Lash line along the lid, thick at the outer end; a flick past the outer corner.
    n = 22
    ts = np.linspace(-1.0, 1.0, n)
    xs = cx + ts * hw
    pts_win = Window(win.rows, win.cols, xs[None, :], win.y)
    ptop, pbot, _, _, _ = _eye_curves(s, f, side, pts_win, close, wide, smile)
    ptop = ptop[0]
    outer = 0.5 * (1.0 + side * ts)  # 0 at the inner corner, 1 at the outer one
    rad = lw * 0.5 * (0.35 + 0.65 * outer) * (1.0 - 0.25 * close)
    stroke(cv, np.stack([xs, ptop], axis=1), rad, s.lash)
    base_out = ey + f.len(s.tilt)
    flick = np.array(
        [
            [cx + side * hw * 0.92, base_out - lw * 0.2],
            [cx + side * (hw + lw * 1.1), base_out - lw * 1.1],
        ]
    )
    stroke(cv, flick, np.array([lw * 0.42, lw * 0.12]), s.lash)
    # Lower lash: a thin line on the outer half of the lower lid.
    low = outer > 0.45
    lower = np.stack([xs[low], pbot[0][low]], axis=1)
    if lower.shape[0] >= 2:
        stroke(cv, lower, lw * 0.16, s.lash, opacity=0.75)


def _brow_points(s: AnimeStyle, f: Frame, side: float, raise_: float, furrow: float) -> F64:
    cx = s.eye_dx * side
    top = s.eye_y - s.eye_up - s.brow_gap
    inner = (cx - side * s.eye_w * (0.75 - 0.25 * furrow), top + FURROW * furrow - RAISE * raise_)
    outer = (cx + side * s.eye_w * 1.1, top + 0.012 - 0.015 * furrow - 0.6 * RAISE * raise_)
    mid = (cx + side * 0.1 * s.eye_w, top - 0.022 - 0.012 * raise_ - RAISE * raise_ + 0.01 * furrow)
    t = np.linspace(0.0, 1.0, 16)[:, None]
    pts = (
        (1 - t) ** 2 * np.asarray(inner)
        + 2 * (1 - t) * t * np.asarray(mid)
        + t * t * np.asarray(outer)
    )
    return np.stack([f.x(0.0) + pts[:, 0] * f.unit, f.y(0.0) + pts[:, 1] * f.unit], axis=1)


def _brow(cv: Canvas, s: AnimeStyle, f: Frame, side: float, raise_: float, furrow: float) -> None:
    pts = _brow_points(s, f, side, raise_, furrow)
    taper = np.sin(np.linspace(0.35, math.pi - 0.2, pts.shape[0]))
    stroke(cv, pts, f.len(s.brow_w) * 0.5 * (0.4 + 0.6 * taper) + 0.3, s.brow)


def _mouth_curves(
    s: AnimeStyle, f: Frame, win: Window, jaw: float, smile: float, frown: float
) -> tuple[F64, F64, float, float]:
    hw = f.len(s.mouth_w * (1.0 + 0.45 * smile - 0.1 * frown + 0.35 * jaw))
    cx = f.x(0.0)
    t = np.clip((win.x - cx) / hw, -1.0, 1.0)
    dy = f.len(-SMILE * smile + FROWN * frown)
    upper = f.y(s.mouth_y) + dy * t * t
    lower = upper + f.len(OPEN * jaw) * (1.0 - t * t) ** 0.7
    return upper, lower, cx, hw


def _mouth(cv: Canvas, s: AnimeStyle, f: Frame, jaw: float, smile: float, frown: float) -> None:
    hw_max = f.len(s.mouth_w * 1.8)
    my = f.y(s.mouth_y)
    lw = f.len(s.line)
    win = cv.window(
        f.x(0.0) - hw_max - lw,
        my - f.len(SMILE) - lw,
        f.x(0.0) + hw_max + lw,
        my + f.len(OPEN + FROWN) + lw,
    )
    if win is None:
        return
    upper, lower, cx, hw = _mouth_curves(s, f, win, jaw, smile, frown)
    if jaw > 0.0:
        inside = cover(sd_between(win, cx, hw, upper, lower))
        cv.over(win, s.inside, inside)
        depth = f.len(OPEN * jaw)
        tongue = (
            cover(
                sd_ellipse(
                    win,
                    cx + 0.1 * hw,
                    f.y(s.mouth_y) + depth * 0.95 + 0.1 * depth,
                    hw * 0.6,
                    depth * 0.45,
                )
            )
            * inside
        )
        cv.over(win, s.tongue, tongue)
    n = 16
    xs = cx + np.linspace(-1.0, 1.0, n) * hw
    pw = Window(win.rows, win.cols, xs[None, :], win.y)
    pu, pl, _, _ = _mouth_curves(s, f, pw, jaw, smile, frown)
    stroke(cv, np.stack([xs, pu[0]], axis=1), lw * 0.5 * 0.9 + 0.25, s.ink)
    if jaw > 0.0:
        stroke(
            cv,
            np.stack([xs, pl[0]], axis=1),
            lw * 0.5 * 0.6 + 0.2,
            s.ink,
            opacity=min(1.0, 4 * jaw),
        )


# ----------------------------------------------------------------------------- static parts
def _head_rx(s: AnimeStyle, f: Frame, y: F64) -> F64:
    """Head half width (pixels) on each row: a dome, straight cheeks, a tapering pointed chin."""
    v = (y - f.height / 2.0) / f.unit
    top = -0.5 * f.height / f.unit + 0.02
    cheek = s.mouth_y - 0.12
    dome = np.sqrt(np.clip(1.0 - ((v - cheek) / (cheek - top)) ** 2, 0.0, 1.0))
    below = np.clip((v - cheek) / (s.chin - cheek), 0.0, 1.0)
    jaw = (1.0 - below**1.6) ** 0.9 * (1.0 - 0.12 * below)
    rx = np.where(v < cheek, dome, jaw) * s.head_w
    out: F64 = rx * f.unit
    return out


def _head_sd(s: AnimeStyle, f: Frame, win: Window) -> F64:
    rx = _head_rx(s, f, win.y)
    drx = np.gradient(rx[:, 0]) if rx.shape[0] > 1 else np.zeros(rx.shape[0])
    d = (np.abs(win.x - f.width / 2.0) - rx) / np.sqrt(1.0 + drx[:, None] ** 2)
    out: F64 = np.maximum(d, win.y - f.y(s.chin))
    return out


def _fringe_edge(s: AnimeStyle, f: Frame, win: Window) -> F64:
    """y (pixels) of the fringe's lower edge on each column: pointed locks."""
    u = (win.x - f.width / 2.0) / f.unit
    span = 2.0 * (s.head_w + 0.04)
    phase = (u / span + 0.5) * s.locks
    tooth = 1.0 - np.abs(2.0 * (phase - np.floor(phase)) - 1.0)
    tip = s.eye_y - s.eye_up * (1.0 + WIDE) - s.brow_gap - RAISE - 0.05
    depth = max(tip - s.fringe, 0.02)
    edge = s.fringe + depth * tooth**0.7 + 0.08 * (2.0 * u / span) ** 2
    out: F64 = f.y(0.0) + edge * f.unit
    return out


def _static(s: AnimeStyle, f: Frame) -> Canvas:
    mode = s.background
    cv = Canvas(
        f.width,
        f.height,
        s.bg if mode == "color" else s.skin,
        0.0 if mode == "transparent" else 1.0,
    )
    full = cv.full()
    lw = f.len(s.line)
    hair = np.zeros((1, 1))
    if mode != "skin":
        if s.hair_on:
            # Back hair: a wider dome behind the head, longer with side hair.
            top = f.y(-0.5 * f.height / f.unit + 0.01)
            ry = f.y(s.mouth_y) - top
            back = sd_ellipse(full, f.width / 2.0, f.y(s.mouth_y), f.len(s.head_w + 0.05), ry)
            back = np.maximum(back, full.y - f.y(s.mouth_y + (0.15 if s.side_hair else 0.0)))
            hair = cover(back)
            cv.over(full, s.hair, hair)
        head = _head_sd(s, f, full)
        cv.over(full, s.skin, cover(head))
        cv.over(full, s.ink, cover(np.abs(head) - lw * 0.5))
        inside = cover(head - lw)
    else:
        inside = np.ones((1, 1))
    if s.hair_on:
        edge = _fringe_edge(s, f, full)
        # Cel shadow under the fringe.
        cv.over(full, darker(s.skin, 0.85), cover(full.y - (edge + f.len(0.025))) * inside)
        fringe = cover(full.y - edge) * inside
        cv.over(full, s.hair, fringe)
        cv.over(full, darker(s.hair, 0.6), cover(np.abs(full.y - edge) - lw * 0.35) * inside)
        hair = np.maximum(hair, fringe)
        if s.side_hair:
            for side in (-1.0, 1.0):
                x_in = f.x(side * (s.eye_dx + s.eye_w + 0.05))
                x_out = f.x(side * (s.head_w + 0.06))
                lo, hi = min(x_in, x_out), max(x_in, x_out)
                t = np.clip((full.x - lo) / max(hi - lo, 1.0), 0.0, 1.0)
                t = t if side > 0 else 1.0 - t  # 0 at the inner edge
                bottom = f.y(s.mouth_y + 0.05) - (1.0 - t) ** 2 * f.len(0.2)
                lock = cover(np.maximum(np.maximum(lo - full.x, full.x - hi), full.y - bottom))
                cv.over(full, s.hair, lock)
                hair = np.maximum(hair, lock)
        # A wavy highlight band across the hair.
        band = f.y(s.fringe - 0.03) + f.len(0.012) * np.sin(full.x / f.unit * 40.0)
        cv.over(
            full,
            mix(s.hair, (1.0, 1.0, 1.0), 0.35),
            cover(np.abs(full.y - band) - f.len(0.008)) * hair,
        )
    # Nose.
    ny = f.y(0.5 * (s.eye_y + s.mouth_y) + 0.03)
    nx = f.x(0.0)
    if s.nose == 0:
        ellipse(cv, nx, ny, lw * 0.6 + 0.5, lw * 0.6 + 0.5, s.ink)
    elif s.nose == 1:
        stroke(
            cv,
            np.array([[nx - f.len(0.005), ny - f.len(0.02)], [nx + f.len(0.004), ny]]),
            lw * 0.35 + 0.3,
            s.ink,
            opacity=0.8,
        )
    else:
        win = cv.window(nx - f.len(0.03), ny - f.len(0.05), nx + f.len(0.01), ny + f.len(0.01))
        if win is not None:
            wedge = np.maximum(
                np.maximum(win.x - nx, (ny - win.y) * 0.35 - (win.x - nx) - f.len(0.012)),
                win.y - ny,
            )
            cv.over(win, darker(s.skin, 0.8), cover(wedge), 0.8)
    if s.blush > 0.0:
        for side in (-1.0, 1.0):
            bx = f.x(side * (s.eye_dx + 0.01))
            by = f.y(s.eye_y + s.eye_down + 0.075)
            ellipse(
                cv,
                bx,
                by,
                f.len(0.06),
                f.len(0.025),
                (0.96, 0.45, 0.5),
                soft=f.len(0.02),
                opacity=s.blush,
            )
            for k in (-1, 0, 1):
                x0 = bx + k * f.len(0.022)
                stroke(
                    cv,
                    np.array(
                        [
                            [x0 + f.len(0.006), by - f.len(0.01)],
                            [x0 - f.len(0.006), by + f.len(0.01)],
                        ]
                    ),
                    lw * 0.25 + 0.3,
                    darker((0.96, 0.45, 0.5), 0.8),
                    opacity=s.blush,
                )
    return cv


# ----------------------------------------------------------------------------- public API
def _boxes(s: AnimeStyle, f: Frame) -> list[tuple[float, float, float, float]]:
    pad = 3.0
    lw = f.len(s.lash_w)
    out: list[tuple[float, float, float, float]] = []
    for side in (-1.0, 1.0):
        cx = f.x(side * s.eye_dx)
        hw = f.len(s.eye_w)
        ey = f.y(s.eye_y)
        out.append(
            (
                cx - hw - 2 * lw - pad,
                ey - f.len(s.eye_up * (1 + WIDE)) - lw - pad,
                cx + hw + 2 * lw + pad,
                ey + f.len(s.eye_down * 1.15 + max(s.tilt, 0.0)) + lw + pad,
            )
        )
        pts = np.concatenate(
            [_brow_points(s, f, side, r, u) for r in (0.0, 1.0) for u in (0.0, 1.0)]
        )
        bw = f.len(s.brow_w)
        out.append(
            (
                pts[:, 0].min() - bw - pad,
                pts[:, 1].min() - bw - pad,
                pts[:, 0].max() + bw + pad,
                pts[:, 1].max() + bw + pad,
            )
        )
    hw = f.len(s.mouth_w * 1.8)
    lwm = f.len(s.line)
    my = f.y(s.mouth_y)
    out.append(
        (
            f.x(0.0) - hw - lwm - pad,
            my - f.len(SMILE) - lwm - pad,
            f.x(0.0) + hw + lwm + pad,
            my + f.len(OPEN + FROWN) + lwm + pad,
        )
    )
    return out


def _points(style: AnimeStyle, f: Frame) -> dict[str, tuple[float, float]]:
    """The neutral feature points in pixels."""
    s = style
    eye_cy = s.eye_y + 0.5 * s.tilt + 0.5 * (s.eye_down - s.eye_up)
    pts: dict[str, tuple[float, float]] = {}
    for name, side in (("r", -1.0), ("l", 1.0)):
        pts[f"eye_{name}"] = f.pt(side * s.eye_dx, eye_cy)
        b = _brow_points(s, f, side, 0.0, 0.0)
        mid = b[b.shape[0] // 2]
        pts[f"brow_{name}"] = (float(mid[0]), float(mid[1]))
        pts[f"mouth_{name}"] = f.pt(side * s.mouth_w, s.mouth_y)
    pts["mouth_c"] = f.pt(0.0, s.mouth_y)
    return pts


FAMILY: CanvasFamily[AnimeStyle] = CanvasFamily(
    _static, _eye, _brow, _mouth, _boxes, _points, MIN_SIZE
)
"""This family's render / region / layers / feature points."""
render = FAMILY.render
region = FAMILY.region
layers = FAMILY.layers
feature_points = FAMILY.feature_points
