"""Painterly, semi-realistic faces: soft shading, brush-like texture, realistic proportions.

The skin is shaded toward the head's edge and away from a light side; eye sockets, the nose's
side and nostrils are soft shadows; eyes are almond-shaped with a shaded white, a ringed iris,
a highlight, a shaded upper lid and a crease; brows are tapered and hair-textured; lips have a
darker upper and a lighter lower tone. A seeded brush texture (anisotropic value noise)
modulates the whole picture, so it is deterministic.

Expressions are subtle, as on a real face: upper lids come down over the eye to the lower lid,
or lift for a wide eye; the smile stretches the lips and lifts the corners (lower lids rise a
little, short smile folds appear beside the corners); the frown turns the corners down;
jaw_open parts the lips over a dark mouth with upper teeth; brows rise or pull down and
together, with vertical creases between them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .drawn import CanvasFamily
from .palette import (
    darker,
    darker_than,
    hsv,
    lip_color,
    random_background,
    random_hair,
    random_iris,
    random_skin,
)
from .raster import (
    Canvas,
    Color,
    Frame,
    Window,
    cover,
    mix,
    sd_between,
    sd_ellipse,
    sd_polyline,
    value_noise,
)

MIN_SIZE = 16
F64 = NDArray[np.float64]


@dataclass(frozen=True)
class PainterlyStyle:
    """One painted character. Lengths in face units, positions relative to the image centre."""

    skin: Color
    """Mid skin tone."""
    shadow: Color
    """Skin in shadow (cooler or warmer than the mid tone)."""
    light: float
    """Light direction: -1 from image left, +1 from image right."""
    shading: float
    """Strength of the form shading (0.2 – 0.6)."""
    soft: float
    """Edge softness of painted shapes (0.003 – 0.008)."""
    hair: Color
    """Hair colour."""
    hair_on: bool
    """Paint hair."""
    hairline: float
    """y of the hairline at the middle of the forehead."""
    eye_y: float
    """y of the eye corners."""
    eye_dx: float
    """Distance of each eye centre from the middle."""
    eye_w: float
    """Half width of an eye (0.048 – 0.064)."""
    eye_up: float
    """Height of the open upper lid above the corners."""
    eye_down: float
    """Depth of the lower lid below the corners."""
    iris: Color
    """Iris colour."""
    iris_r: float
    """Iris radius relative to the eye half width (0.38 – 0.5)."""
    lid: Color
    """Upper-lid glaze: a multiplier of the skin beneath (a touch of eyeshadow)."""
    lash: Color
    """Lash-line colour."""
    brow: Color
    """Brow colour."""
    brow_w: float
    """Brow thickness at the inner end (0.012 – 0.022)."""
    brow_gap: float
    """Gap between the eye corners' line and the brow."""
    brow_seed: int
    """Seed of the brow-hair texture."""
    mouth_y: float
    """y of the lips' meeting line."""
    mouth_w: float
    """Half width of the mouth (0.055 – 0.078)."""
    lip_up: Color
    """Upper-lip tone (the darker one)."""
    lip_low: Color
    """Lower-lip tone."""
    lip_h: float
    """Upper-lip height (0.010 – 0.018); the lower lip is 1.3 – 1.6 times it."""
    lower_k: float
    """Lower-lip height relative to the upper one."""
    head_w: float
    """Half width of the head."""
    head_h: float
    """Half height of the head."""
    background: str
    """``skin``, ``color`` or ``transparent``."""
    bg: Color
    """Background colour for ``color`` (painted as a gradient)."""
    noise: float
    """Brush-texture strength (0.03 – 0.09)."""
    noise_seed: int
    """Seed of the brush texture."""
    stroke_angle: float
    """Direction of the brush strokes, radians."""


def random_style(rng: np.random.Generator) -> PainterlyStyle:
    """A random painterly style; same generator state → same style."""
    skin = random_skin(rng, non_human=0.2)
    warm = rng.uniform() < 0.6
    shadow_tint = (0.55, 0.25, 0.3) if warm else (0.2, 0.25, 0.45)
    shadow = mix(darker(skin, float(rng.uniform(0.55, 0.72))), shadow_tint, 0.18)
    background, bg = random_background(rng, (0.35, 0.45, 0.2))
    lip = lip_color(rng, skin)
    eye_w = float(rng.uniform(0.048, 0.064))
    return PainterlyStyle(
        skin=skin,
        shadow=shadow,
        light=float(rng.choice([-1.0, 1.0])),
        shading=float(rng.uniform(0.2, 0.6)),
        soft=float(rng.uniform(0.003, 0.008)),
        hair=random_hair(rng),
        hair_on=bool(rng.uniform() < 0.85),
        hairline=float(rng.uniform(-0.36, -0.27)),
        eye_y=float(rng.uniform(-0.04, 0.02)),
        eye_dx=float(rng.uniform(0.13, 0.165)),
        eye_w=eye_w,
        eye_up=float(rng.uniform(0.45, 0.6)) * eye_w,
        eye_down=float(rng.uniform(0.25, 0.38)) * eye_w,
        iris=random_iris(rng),
        iris_r=float(rng.uniform(0.38, 0.5)),
        lid=darker(
            mix((1.0, 1.0, 1.0), hsv(rng.uniform(), 0.5, 0.8), float(rng.uniform(0.0, 0.2))), 0.95
        ),
        lash=hsv(rng.uniform(0.0, 0.1), rng.uniform(0.2, 0.6), rng.uniform(0.05, 0.2)),
        brow=darker_than(darker(random_hair(rng), float(rng.uniform(0.5, 0.85))), skin, 0.55),
        brow_w=float(rng.uniform(0.012, 0.022)),
        brow_gap=float(rng.uniform(0.055, 0.075)),
        brow_seed=int(rng.integers(0, 2**31)),
        mouth_y=float(rng.uniform(0.19, 0.25)),
        mouth_w=float(rng.uniform(0.055, 0.078)),
        lip_up=darker_than(darker(lip, 0.82), skin, 0.75),
        lip_low=mix(lip, (1.0, 0.85, 0.85), 0.12),
        lip_h=float(rng.uniform(0.010, 0.018)),
        lower_k=float(rng.uniform(1.3, 1.6)),
        head_w=float(rng.uniform(0.33, 0.39)),
        head_h=float(rng.uniform(0.42, 0.48)),
        background=background,
        bg=bg,
        noise=float(rng.uniform(0.03, 0.09)),
        noise_seed=int(rng.integers(0, 2**31)),
        stroke_angle=float(rng.uniform(0.0, math.pi)),
    )


RAISE = 0.032
"""Brow lift at brow_raise = 1 (face units)."""
FURROW = 0.022
"""Inner brow drop at brow_furrow = 1."""
SMILE = 0.022
"""Mouth-corner lift at smile = 1."""
FROWN = 0.018
"""Mouth-corner drop at frown = 1."""
OPEN = 0.06
"""Lip parting at jaw_open = 1."""
WIDE = 0.45
"""Extra upper-lid height at eye_wide = 1 (fraction of eye_up)."""


def _soft(s: PainterlyStyle, f: Frame) -> float:
    return max(1.0, f.len(s.soft))


def _head_sd(s: PainterlyStyle, f: Frame, win: Window) -> F64:
    # An oval whose lower half narrows toward the jaw.
    cy = f.y(0.0)
    k = 1.0 - 0.16 * np.clip((win.y - cy) / f.len(s.head_h), 0.0, 1.0) ** 1.5
    sub = Window(win.rows, win.cols, f.x(0.0) + (win.x - f.x(0.0)) / k, win.y)
    out: F64 = sd_ellipse(sub, f.x(0.0), cy, f.len(s.head_w), f.len(s.head_h)) * k
    return out


def _static(s: PainterlyStyle, f: Frame) -> Canvas:
    mode = s.background
    cv = Canvas(f.width, f.height, s.skin, 0.0 if mode == "transparent" else 1.0)
    full = cv.full()
    sw = _soft(s, f)
    u = (full.x - f.x(0.0)) / f.unit
    v = (full.y - f.y(0.0)) / f.unit
    if mode == "color":
        g = np.clip(v + 0.5, 0.0, 1.0)
        cv.over(
            full,
            np.broadcast_to(np.asarray(s.bg), (f.height, f.width, 3)) * (1.0 - 0.35 * g)[..., None],
            np.ones((1, 1)),
        )
    if mode == "skin":
        head = np.broadcast_to((np.abs(u) - 0.42) * f.unit, (f.height, f.width))
        face = np.ones((1, 1))
    else:
        head = _head_sd(s, f, full)
        # Neck under the jaw, in shadow.
        neck = np.maximum(np.abs(full.x - f.x(0.0)) - f.len(s.head_w * 0.55), f.y(0.1) - full.y)
        cv.over(full, mix(s.skin, s.shadow, 0.6), cover(neck, sw))
        face = cover(head, sw * 2.0)
        cv.over(full, s.skin, face)
    # Form shading: darker toward the edge of the head and on the side away from the light.
    edge = np.clip(1.0 + head / f.len(0.12), 0.0, 1.0) ** 2
    side = np.clip(0.5 - 0.9 * s.light * u, 0.0, 1.0)
    cv.over(full, s.shadow, face * np.clip(edge * 0.8 + side * 0.5, 0.0, 1.0), s.shading)
    # Eye sockets and the shadow under the brow ridge.
    for sx in (-1.0, 1.0):
        cx, cy = f.x(sx * s.eye_dx), f.y(s.eye_y - 0.01)
        win = cv.window(cx - f.len(0.1), cy - f.len(0.07), cx + f.len(0.1), cy + f.len(0.06))
        if win is not None:
            d = sd_ellipse(win, cx, cy, f.len(s.eye_w * 1.45), f.len(0.045))
            cv.over(win, s.shadow, cover(d, f.len(0.05)), 0.22 * s.shading + 0.08)
    # Nose: soft shade on the side away from the light, nostrils, a highlight on the tip.
    nx = f.x(0.0)
    ny = f.y(0.5 * (s.eye_y + s.mouth_y) + 0.045)
    side_x = nx - s.light * f.len(0.022)
    win = cv.window(nx - f.len(0.06), f.y(s.eye_y), nx + f.len(0.06), ny + f.len(0.03))
    if win is not None:
        ridge = np.maximum(np.abs(win.x - side_x) - f.len(0.006), f.y(s.eye_y + 0.03) - win.y)
        ridge = np.maximum(ridge, win.y - ny)
        cv.over(win, s.shadow, cover(ridge, f.len(0.014)), 0.35)
        cv.over(
            win,
            s.shadow,
            cover(sd_ellipse(win, nx, ny + f.len(0.012), f.len(0.04), f.len(0.014)), f.len(0.01)),
            0.35,
        )
        for k in (-1.0, 1.0):
            cv.over(
                win,
                darker(s.shadow, 0.6),
                cover(
                    sd_ellipse(
                        win, nx + k * f.len(0.016), ny + f.len(0.008), f.len(0.009), f.len(0.005)
                    ),
                    sw * 1.5,
                ),
                0.8,
            )
        cv.over(
            win,
            mix(s.skin, (1.0, 1.0, 1.0), 0.3),
            cover(
                sd_ellipse(
                    win, nx + s.light * f.len(0.006), ny - f.len(0.012), f.len(0.01), f.len(0.008)
                ),
                f.len(0.008),
            ),
            0.5,
        )
    # Cheeks: a warm glow.
    for sx in (-1.0, 1.0):
        cx, cy = f.x(sx * (s.eye_dx + 0.03)), f.y(s.eye_y + 0.12)
        win = cv.window(cx - f.len(0.1), cy - f.len(0.07), cx + f.len(0.1), cy + f.len(0.07))
        if win is not None:
            cv.over(
                win,
                mix(s.skin, (0.9, 0.35, 0.35), 0.5),
                cover(sd_ellipse(win, cx, cy, f.len(0.07), f.len(0.045)), f.len(0.06)),
                0.25,
            )
    if s.hair_on:
        # Hair: a mass above the hairline, wider than the head, with strands.
        line = f.y(s.hairline) + f.len(0.09) * (u / 0.4) ** 2 - f.len(0.012) * np.cos(u * 9.0)
        d = full.y - line
        if mode != "skin":
            crown = sd_ellipse(
                full, f.x(0.0), f.y(-0.05), f.len(s.head_w + 0.04), f.len(s.head_h + 0.02)
            )
            d = np.maximum(d, crown)
            inward = np.clip(
                (f.len(s.head_w + 0.04) - np.abs(full.x - f.x(0.0))) / f.len(0.06), 0.0, 1.0
            )
            sides = np.maximum(
                crown,
                np.maximum(
                    f.len(s.head_w - 0.02) - np.abs(full.x - f.x(0.0)),
                    full.y - f.y(s.eye_y + 0.04) + f.len(0.12) * inward**2,
                ),
            )
            d = np.minimum(d, sides)
        hair = cover(d, sw * 2.0)
        rot = s.stroke_angle + 0.8
        gx = (u * math.cos(rot) + v * math.sin(rot)) * 90.0
        gy = (-u * math.sin(rot) + v * math.cos(rot)) * 6.0
        strands = value_noise(s.noise_seed + 1, gx, gy)
        shade = 0.75 + 0.25 * strands + 0.25 * np.clip(-d / f.len(0.1), 0.0, 1.0)
        col = np.asarray(s.hair)[None, None, :] * shade[..., None]
        cv.over(full, np.clip(col, 0.0, 1.0), hair)
    return cv


def _eye_curves(
    s: PainterlyStyle, f: Frame, side: float, x: F64, close: float, wide: float, smile: float
) -> tuple[F64, F64, F64]:
    """(top, bottom, open top) lid curves at pixel columns ``x``."""
    cx = f.x(side * s.eye_dx)
    hw = f.len(s.eye_w)
    t = np.clip((x - cx) / hw, -1.0, 1.0)
    # The upper lid peaks a little toward the inner corner, as real lids do.
    shape = (1.0 - t * t) * (1.0 - 0.18 * side * t)
    base = f.y(s.eye_y) - f.len(0.004) * (1.0 + side * t)
    open_top = base - f.len(s.eye_up * (1.0 + WIDE * wide)) * shape**0.85
    bottom = base + f.len(s.eye_down * (1.0 - 0.35 * smile + 0.1 * wide)) * (1.0 - t * t)
    top = open_top + (bottom - open_top) * close
    return top, bottom, open_top


def _eye(
    cv: Canvas, s: PainterlyStyle, f: Frame, side: float, close: float, wide: float, smile: float
) -> None:
    cx, ey = f.x(side * s.eye_dx), f.y(s.eye_y)
    hw = f.len(s.eye_w)
    up = f.len(s.eye_up * (1.0 + WIDE))
    win = cv.window(
        cx - hw * 1.25,
        ey - up - f.len(0.035),
        cx + hw * 1.25,
        ey + f.len(s.eye_down * 1.1) + f.len(0.02),
    )
    if win is None:
        return
    sw = _soft(s, f)
    top, bottom, _open_top = _eye_curves(s, f, side, win.x, close, wide, smile)
    _, _, neutral_top = _eye_curves(s, f, side, win.x, 0.0, 0.0, 0.0)
    # Crease above the lid, fixed to the neutral lid and lifted by a wide eye.
    t = np.clip((win.x - cx) / hw, -1.0, 1.0)
    crease = neutral_top - f.len(0.014 + 0.006 * wide) - f.len(s.eye_up * WIDE * wide) * (1 - t * t)
    cd = np.maximum(np.abs(win.y - crease) - f.len(0.0025), np.abs(win.x - cx) - hw * 1.02)
    cv.over(win, s.shadow, cover(cd, sw * 1.5), 0.45)
    # Lid: between the crease and the lid edge, shaded darker toward the lashes.
    g = np.clip((win.y - crease) / np.maximum(top - crease, 1.0), 0.0, 1.0)
    lid = (
        cover(sd_between(win, cx, hw * 1.05, crease, top), sw * 3.0)
        * (1.0 - t**4)
        * (0.2 + 0.8 * g)
    )
    cv.multiply(win, s.lid, lid)
    eye = cover(sd_between(win, cx, hw, top, bottom), sw * 0.8)
    if close < 1.0:
        shade = 0.78 + 0.2 * (1.0 - t * t)
        white = np.asarray((0.95, 0.93, 0.9))[None, None, :] * shade[..., None]
        cv.over(win, np.broadcast_to(white, (*eye.shape, 3)), eye)
        ir = f.len(s.eye_w * s.iris_r) * (1.0 - 0.12 * wide)
        icy = ey - f.len(s.eye_up) * 0.25
        rr = np.sqrt((win.x - cx) ** 2 + (win.y - icy) ** 2) / ir
        iris_col = (
            np.asarray(s.iris)[None, None, :]
            * (0.55 + 0.55 * np.clip(1.0 - rr, 0.0, 1.0) ** 0.5)[..., None]
        )
        iris = cover((rr - 1.0) * ir, sw * 0.8) * eye
        cv.over(win, np.clip(iris_col, 0.0, 1.0), iris)
        cv.over(win, (0.03, 0.02, 0.02), cover((rr - 0.42) * ir, sw * 0.8) * eye)
        # Shadow cast by the upper lid; a highlight.
        cast = np.clip(1.0 - (win.y - top) / f.len(s.eye_up * 0.6), 0.0, 1.0) * eye
        cv.over(win, s.shadow, cast, 0.45)
        hx = cx - s.light * -0.3 * ir
        cv.over(
            win,
            (1.0, 1.0, 1.0),
            cover(sd_ellipse(win, hx, icy - 0.35 * ir, 0.2 * ir, 0.18 * ir), sw * 0.7) * eye,
            0.9,
        )
    # Lash line along the lid edge, heavier toward the outer corner; a faint lower line.
    xs = cx + np.linspace(-1.0, 1.0, 18) * hw
    ptop, pbot, _ = _eye_curves(s, f, side, xs, close, wide, smile)
    outer = 0.5 * (1.0 + side * np.linspace(-1.0, 1.0, 18))
    rad = f.len(0.0035) * (0.6 + 0.8 * outer) + 0.3
    cv.over(win, s.lash, cover(sd_polyline(win, np.stack([xs, ptop], axis=1), rad), sw * 0.6))
    cv.over(
        win, s.shadow, cover(sd_polyline(win, np.stack([xs, pbot], axis=1), rad * 0.5), sw), 0.5
    )


def _brow_pts(s: PainterlyStyle, f: Frame, side: float, raise_: float, furrow: float) -> F64:
    cx = side * s.eye_dx
    y = s.eye_y - s.eye_up - s.brow_gap
    inner = (
        cx - side * s.eye_w * (1.0 - 0.25 * furrow),
        y + 0.012 + FURROW * furrow - RAISE * raise_,
    )
    mid = (cx + side * s.eye_w * 0.2, y - 0.014 - RAISE * raise_ * 1.15 + 0.006 * furrow)
    outer = (cx + side * s.eye_w * 1.3, y + 0.008 - RAISE * raise_ * 0.6)
    t = np.linspace(0.0, 1.0, 16)[:, None]
    p = (
        (1 - t) ** 2 * np.asarray(inner)
        + 2 * (1 - t) * t * np.asarray(mid)
        + t * t * np.asarray(outer)
    )
    return np.stack([f.x(0.0) + p[:, 0] * f.unit, f.y(0.0) + p[:, 1] * f.unit], axis=1)


def _brow(
    cv: Canvas, s: PainterlyStyle, f: Frame, side: float, raise_: float, furrow: float
) -> None:
    pts = _brow_pts(s, f, side, raise_, furrow)
    r = f.len(s.brow_w) * 0.5 * np.linspace(1.0, 0.3, pts.shape[0]) + 0.3
    pad = float(r.max()) + 3.0
    win = cv.window(
        pts[:, 0].min() - pad, pts[:, 1].min() - pad, pts[:, 0].max() + pad, pts[:, 1].max() + pad
    )
    if win is None:
        return
    sw = _soft(s, f)
    body = cover(sd_polyline(win, pts, r), sw * 1.2)
    # Hair texture: fine streaks slanting outward.
    u = (win.x - f.x(0.0)) / f.unit
    v = (win.y - f.y(0.0)) / f.unit
    hairs = value_noise(s.brow_seed, (u * side * 0.8 + v) * 260.0, (v - u * side * 0.3) * 30.0)
    cv.over(win, s.brow, body * np.clip(0.7 + 0.45 * hairs, 0.0, 1.0))
    # Vertical creases between the brows when they pull together.
    if furrow > 0.0 and side > 0:
        top = f.y(s.eye_y - s.eye_up - s.brow_gap - 0.01)
        for k in (-1.0, 1.0):
            x0 = f.x(k * 0.012)
            crease = np.array([[x0, top], [x0 + k * f.len(0.003), top + f.len(0.035)]])
            cwin = cv.window(x0 - f.len(0.01), top - 2, x0 + f.len(0.01), top + f.len(0.04))
            if cwin is not None:
                cv.over(
                    cwin,
                    s.shadow,
                    cover(sd_polyline(cwin, crease, f.len(0.002) + 0.3), sw),
                    0.7 * furrow,
                )


def _mouth_curves(
    s: PainterlyStyle, f: Frame, x: F64, jaw: float, smile: float, frown: float
) -> tuple[F64, F64, F64, F64, float]:
    """(upper lip top, upper lip bottom, lower lip top, lower lip bottom) at columns x, and the
    mouth's half width in pixels."""
    hw = f.len(s.mouth_w * (1.0 + 0.22 * smile - 0.05 * frown + 0.08 * jaw))
    t = np.clip((x - f.x(0.0)) / hw, -1.0, 1.0)
    bump = 1.0 - t * t
    corner = f.len(-SMILE * smile + FROWN * frown)
    seam = f.y(s.mouth_y) + corner * t * t - 0.25 * corner * bump
    opening = f.len(OPEN * jaw) * bump**0.7
    bow = 1.0 - 0.35 * np.exp(-((t / 0.18) ** 2))  # Cupid's bow
    up_h = f.len(s.lip_h * (1.0 - 0.25 * smile)) * np.sqrt(bump) * bow
    low_h = f.len(s.lip_h * s.lower_k * (1.0 - 0.2 * smile + 0.15 * frown)) * bump**0.6
    lower_top = seam + opening
    return seam - up_h, seam, lower_top, lower_top + low_h, hw


def _mouth(cv: Canvas, s: PainterlyStyle, f: Frame, jaw: float, smile: float, frown: float) -> None:
    mx, my = f.x(0.0), f.y(s.mouth_y)
    ext = f.len(s.mouth_w * 1.35) + f.len(0.03)
    win = cv.window(
        mx - ext,
        my - f.len(SMILE + s.lip_h + 0.02),
        mx + ext,
        my + f.len(OPEN + FROWN + s.lip_h * 1.7 + 0.02),
    )
    if win is None:
        return
    sw = _soft(s, f)
    up_t, up_b, low_t, low_b, hw = _mouth_curves(s, f, win.x, jaw, smile, frown)
    if jaw > 0.0:
        inside = cover(sd_between(win, mx, hw * 0.97, up_b, low_t), sw * 0.7)
        depth = np.clip((win.y - up_b) / np.maximum(low_t - up_b, 1.0), 0.0, 1.0)
        col = np.asarray((0.25, 0.07, 0.08))[None, None, :] * (1.0 - 0.5 * depth[..., None])
        cv.over(win, col, inside)
        tt = np.clip((win.x - mx) / (0.62 * hw), -1.0, 1.0)
        teeth_b = up_b + f.len(0.016) * min(jaw * 3.0, 1.0) * np.sqrt(1.0 - tt * tt)
        teeth = cover(sd_between(win, mx, hw * 0.62, up_b - 1.0, teeth_b), sw * 0.7) * inside
        cv.over(win, (0.93, 0.91, 0.86), teeth)
    # Lips: darker upper, lighter lower with a soft highlight; corners shaded.
    cv.over(win, s.lip_up, cover(sd_between(win, mx, hw, up_t, up_b + 0.5), sw))
    low = cover(sd_between(win, mx, hw * 0.96, low_t - 0.5, low_b), sw)
    cv.over(win, s.lip_low, low)
    hl_y = 0.5 * (low_t + low_b) - 0.15 * (low_b - low_t)
    hl = (
        cover(
            np.maximum(
                np.abs(win.y - hl_y) - 0.18 * (low_b - low_t),
                np.abs(win.x - mx - 0.15 * hw) - 0.35 * hw,
            ),
            sw * 2.0,
        )
        * low
    )
    cv.over(win, mix(s.lip_low, (1.0, 1.0, 1.0), 0.35), hl, 0.6)
    seam_pts_x = mx + np.linspace(-1.0, 1.0, 18) * hw
    _, seam_y, _, _, _ = _mouth_curves(s, f, seam_pts_x, jaw, smile, frown)
    seam = np.stack([seam_pts_x, seam_y], axis=1)
    cv.over(
        win, darker(s.lip_up, 0.45), cover(sd_polyline(win, seam, f.len(0.002) + 0.3), sw), 0.85
    )
    for k in (-1.0, 1.0):
        cx, cy = mx + k * hw, float(seam_y[0 if k < 0 else -1])
        cv.over(
            win, s.shadow, cover(sd_ellipse(win, cx, cy, f.len(0.008), f.len(0.006)), sw * 2), 0.6
        )
        # Smile folds beside the corners.
        if smile > 0.0:
            fold = np.array(
                [
                    [cx + k * f.len(0.012), cy - f.len(0.025)],
                    [cx + k * f.len(0.02), cy - f.len(0.005)],
                    [cx + k * f.len(0.014), cy + f.len(0.015)],
                ]
            )
            cv.over(
                win, s.shadow, cover(sd_polyline(win, fold, f.len(0.003)), sw * 2.5), 0.55 * smile
            )


def _boxes(s: PainterlyStyle, f: Frame) -> list[tuple[float, float, float, float]]:
    pad = 3.0
    out: list[tuple[float, float, float, float]] = []
    for side in (-1.0, 1.0):
        cx, ey = f.x(side * s.eye_dx), f.y(s.eye_y)
        hw = f.len(s.eye_w)
        up = f.len(s.eye_up * (1.0 + WIDE))
        out.append(
            (
                cx - hw * 1.1 - pad,
                ey - up - f.len(0.03) - pad,
                cx + hw * 1.1 + pad,
                ey + f.len(s.eye_down * 1.1) + pad + 2.0 * _soft(s, f),
            )
        )
        pts = np.concatenate([_brow_pts(s, f, side, r, u) for r in (0.0, 1.0) for u in (0.0, 1.0)])
        rpad = f.len(s.brow_w) * 0.5 + 0.3 + 2.0 * _soft(s, f) + pad
        out.append(
            (
                pts[:, 0].min() - rpad,
                pts[:, 1].min() - rpad,
                pts[:, 0].max() + rpad,
                pts[:, 1].max() + rpad,
            )
        )
    top = f.y(s.eye_y - s.eye_up - s.brow_gap - 0.01)
    out.append((f.x(-0.025) - pad, top - pad, f.x(0.025) + pad, top + f.len(0.04) + pad))
    mx, my = f.x(0.0), f.y(s.mouth_y)
    ext = f.len(s.mouth_w * 1.35) + f.len(0.03) + pad
    out.append(
        (
            mx - ext,
            my - f.len(SMILE + s.lip_h + 0.02) - pad,
            mx + ext,
            my + f.len(OPEN + FROWN + s.lip_h * 1.7 + 0.02) + pad,
        )
    )
    return out


def _brush(s: PainterlyStyle, f: Frame, rgba: F64) -> F64:
    """Multiply a seeded, direction-streaked brush texture into every pixel (pixelwise, so the
    outside of the region stays identical across expressions)."""
    h, w = rgba.shape[:2]
    u = ((np.arange(w, dtype=np.float64) + 0.5) / f.unit)[None, :]
    v = ((np.arange(h, dtype=np.float64) + 0.5) / f.unit)[:, None]
    c, sn = math.cos(s.stroke_angle), math.sin(s.stroke_angle)
    along = u * c + v * sn
    across = -u * sn + v * c
    streak = value_noise(s.noise_seed, along * 14.0, across * 70.0)
    blotch = value_noise(s.noise_seed + 7, u * 9.0, v * 9.0)
    grain = value_noise(s.noise_seed + 3, u * 160.0, v * 160.0)
    m = 1.0 + s.noise * (0.6 * streak + 0.5 * blotch + 0.25 * grain)
    out = rgba.copy()
    out[..., :3] = np.clip(rgba[..., :3] * m[..., None], 0.0, 1.0)
    warm = value_noise(s.noise_seed + 11, u * 5.0, v * 5.0) * s.noise * 0.4
    out[..., 0] = np.clip(out[..., 0] + warm, 0.0, 1.0)
    out[..., 2] = np.clip(out[..., 2] - warm, 0.0, 1.0)
    out[..., :3] *= rgba[..., 3:] > 0.0
    return out


def _points(style: PainterlyStyle, f: Frame) -> dict[str, tuple[float, float]]:
    """The neutral feature points in pixels."""
    s = style
    pts: dict[str, tuple[float, float]] = {}
    for name, side in (("r", -1.0), ("l", 1.0)):
        pts[f"eye_{name}"] = f.pt(side * s.eye_dx, s.eye_y - 0.004 + 0.5 * (s.eye_down - s.eye_up))
        b = _brow_pts(s, f, side, 0.0, 0.0)
        mid = b[b.shape[0] // 2]
        pts[f"brow_{name}"] = (float(mid[0]), float(mid[1]))
        pts[f"mouth_{name}"] = f.pt(side * s.mouth_w, s.mouth_y)
    pts["mouth_c"] = f.pt(0.0, s.mouth_y)
    return pts


FAMILY: CanvasFamily[PainterlyStyle] = CanvasFamily(
    _static, _eye, _brow, _mouth, _boxes, _points, MIN_SIZE, post=_brush
)
"""This family's render / region / layers / feature points."""
render = FAMILY.render
region = FAMILY.region
layers = FAMILY.layers
feature_points = FAMILY.feature_points
