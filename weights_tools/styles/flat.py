"""Flat vector cartoons: thick uniform outlines, flat fills, geometric shapes.

The head is a circle, an ellipse, a rounded square or an egg; eyes are either solid ovals or
outlined white discs with a pupil; brows are thick rounded bars; the mouth is a thick arc that
opens into an outlined D shape with a tongue.

Expressions: a closing white eye gets a skin lid whose edge sweeps down to a curved line (the
disc's outline fades as it closes); a closing solid eye flattens into a bar; wide eyes grow and
their pupils shrink; the mouth arc bends up (smile) or down (frown); brows rise or tilt inward.
"""

from __future__ import annotations

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
    mix,
    sd_between,
    sd_box,
    sd_ellipse,
    sd_polyline,
)

MIN_SIZE = 16
F64 = NDArray[np.float64]
HEADS = ("circle", "ellipse", "square", "egg")


@dataclass(frozen=True)
class FlatStyle:
    """One flat cartoon character. Lengths in face units, positions relative to the centre."""

    skin: Color
    """Skin fill."""
    ink: Color
    """Outline colour."""
    line: float
    """Outline thickness (0.010 – 0.026), the same for every shape."""
    head: str
    """Head shape, one of HEADS."""
    head_w: float
    """Head half width."""
    head_h: float
    """Head half height."""
    ears: bool
    """Round ears at the sides."""
    hair: Color
    """Hair fill."""
    hair_kind: int
    """0 none, 1 cap over the top of the head, 2 cap with a side parting bump."""
    hair_line: float
    """y where the hair cap ends over the forehead."""
    eye_kind: int
    """0 solid ovals, 1 white discs with a pupil."""
    eye_y: float
    """y of the eye centres."""
    eye_dx: float
    """Distance of each eye centre from the middle."""
    eye_r: float
    """Eye radius (white discs) or half width (solid ovals)."""
    eye_aspect: float
    """Solid ovals: height / width (1.0 – 1.8)."""
    pupil: Color
    """Pupil or solid-eye colour."""
    pupil_r: float
    """Pupil radius relative to the eye radius (0.35 – 0.6)."""
    brow_len: float
    """Brow half length."""
    brow_gap: float
    """Gap between the eye top and the brow."""
    brow: Color
    """Brow colour."""
    mouth_y: float
    """y of the mouth corners."""
    mouth_w: float
    """Mouth half width."""
    inside: Color
    """Open-mouth interior."""
    tongue: Color
    """Tongue."""
    nose: int
    """0 none, 1 circle, 2 triangle."""
    nose_color: Color
    """Nose fill."""
    cheeks: float
    """Cheek-circle opacity (0 = none)."""
    background: str
    """``skin``, ``color`` or ``transparent``."""
    bg: Color
    """Background colour for ``color``."""


def random_style(rng: np.random.Generator) -> FlatStyle:
    """A random flat-cartoon style; same generator state → same style."""
    skin = random_skin(rng, non_human=0.4)
    background, bg = random_background(rng, (0.3, 0.45, 0.25))
    head = HEADS[int(rng.integers(0, len(HEADS)))]
    eye_kind = int(rng.integers(0, 2))
    ink = random_ink(rng)
    return FlatStyle(
        skin=skin,
        ink=ink,
        line=float(rng.uniform(0.010, 0.026)),
        head=head,
        head_w=float(rng.uniform(0.37, 0.45)),
        head_h=float(rng.uniform(0.40, 0.47)),
        ears=bool(rng.uniform() < 0.4),
        hair=random_hair(rng),
        hair_kind=int(rng.integers(0, 3)),
        hair_line=float(rng.uniform(-0.30, -0.22)),
        eye_kind=eye_kind,
        eye_y=float(rng.uniform(-0.06, 0.02)),
        eye_dx=float(rng.uniform(0.12, 0.19)),
        eye_r=float(rng.uniform(0.045, 0.075)) if eye_kind else float(rng.uniform(0.025, 0.045)),
        eye_aspect=float(rng.uniform(1.0, 1.8)),
        pupil=random_iris(rng) if rng.uniform() < 0.3 else ink,
        pupil_r=float(rng.uniform(0.35, 0.6)),
        brow_len=float(rng.uniform(0.045, 0.07)),
        brow_gap=float(rng.uniform(0.03, 0.06)),
        brow=ink if rng.uniform() < 0.6 else darker(random_hair(rng), 0.7),
        mouth_y=float(rng.uniform(0.17, 0.26)),
        mouth_w=float(rng.uniform(0.06, 0.12)),
        inside=hsv(rng.uniform(-0.03, 0.03), rng.uniform(0.4, 0.8), rng.uniform(0.15, 0.4)),
        tongue=mix(lip_color(rng, skin), (0.95, 0.45, 0.5), 0.5),
        nose=int(rng.integers(0, 3)),
        nose_color=darker(skin, float(rng.uniform(0.75, 0.9))),
        cheeks=float(rng.uniform(0.4, 1.0)) if rng.uniform() < 0.5 else 0.0,
        background=background,
        bg=bg,
    )


RAISE = 0.05
"""Brow lift at brow_raise = 1 (face units)."""
FURROW = 0.035
"""Inner brow drop at brow_furrow = 1."""
SMILE = 0.055
"""Mouth-corner lift at smile = 1."""
FROWN = 0.045
"""Mouth-corner drop at frown = 1."""
OPEN = 0.12
"""Mouth opening at jaw_open = 1."""
WIDE = 0.25
"""Eye growth at eye_wide = 1 (fraction of the radius)."""


def _head_sd(s: FlatStyle, f: Frame, win: Window) -> F64:
    cx, cy = f.x(0.0), f.y(0.0)
    hw, hh = f.len(s.head_w), f.len(s.head_h)
    if s.head == "circle":
        r = min(hw, hh)
        return sd_ellipse(win, cx, cy, r, r)
    if s.head == "ellipse":
        return sd_ellipse(win, cx, cy, hw, hh)
    if s.head == "square":
        return sd_box(win, cx, cy, hw, hh, 0.35 * min(hw, hh))
    # Egg: wider at the cheeks than at the crown... narrower at the chin.
    k = 1.0 - 0.18 * np.clip((win.y - cy) / hh, -1.0, 1.0)
    sub = Window(win.rows, win.cols, cx + (win.x - cx) / k, win.y)
    out: F64 = sd_ellipse(sub, cx, cy, hw, hh) * k
    return out


def _static(s: FlatStyle, f: Frame) -> Canvas:
    mode = s.background
    cv = Canvas(
        f.width,
        f.height,
        s.bg if mode == "color" else s.skin,
        0.0 if mode == "transparent" else 1.0,
    )
    full = cv.full()
    lw = f.len(s.line)
    if mode != "skin":
        if s.ears:
            for side in (-1.0, 1.0):
                ex, ey, er = f.x(side * s.head_w * 0.98), f.y(s.eye_y + 0.04), f.len(0.075)
                win = cv.window(ex - er - lw, ey - er - lw, ex + er + lw, ey + er + lw)
                if win is not None:
                    d = sd_ellipse(win, ex, ey, er, er)
                    cv.over(win, s.skin, cover(d))
                    cv.over(win, s.ink, cover(np.abs(d) - lw / 2))
        head = _head_sd(s, f, full)
        inside = cover(head)
        cv.over(full, s.skin, inside)
    else:
        head = np.full((1, 1), -1e9)
        inside = np.ones((1, 1))
    if s.hair_kind:
        u = (full.x - f.x(0.0)) / f.unit
        line = f.y(s.hair_line) + f.len(0.06) * (u / 0.45) ** 2
        if s.hair_kind == 2:
            line = line - f.len(0.05) * np.exp(-(((u + 0.12) / 0.08) ** 2))
        d = full.y - line
        if mode != "skin":
            d = np.maximum(d, head)
        cv.over(full, s.hair, cover(d))
        cv.over(full, s.ink, cover(np.abs(full.y - line) - lw / 2) * inside)
    if mode != "skin":
        cv.over(full, s.ink, cover(np.abs(head) - lw / 2))
    if s.cheeks > 0.0:
        for side in (-1.0, 1.0):
            cx, cy, r = f.x(side * (s.eye_dx + 0.06)), f.y(s.mouth_y - 0.05), f.len(0.04)
            win = cv.window(cx - r, cy - r, cx + r, cy + r)
            if win is not None:
                cv.over(
                    win,
                    mix(s.skin, (0.98, 0.45, 0.5), 0.6),
                    cover(sd_ellipse(win, cx, cy, r, r)),
                    s.cheeks,
                )
    ny = f.y(0.5 * (s.eye_y + s.mouth_y) + 0.01)
    nx = f.x(0.0)
    r = f.len(0.028)
    win = cv.window(nx - r - lw, ny - r - lw, nx + r + lw, ny + r + lw)
    if win is not None and s.nose:
        if s.nose == 1:
            d = sd_ellipse(win, nx, ny, r, r * 0.8)
        else:
            d = (
                np.maximum(
                    np.maximum(win.y - (ny + 0.6 * r), (ny - win.y) * 0.5 - (win.x - nx)),
                    (ny - win.y) * 0.5 + (win.x - nx),
                )
                - r * 0.35
            )
        cv.over(win, s.nose_color, cover(d))
        cv.over(win, s.ink, cover(np.abs(d) - lw * 0.35))
    return cv


def _eye(
    cv: Canvas, s: FlatStyle, f: Frame, side: float, close: float, wide: float, smile: float
) -> None:
    cx, cy = f.x(side * s.eye_dx), f.y(s.eye_y)
    lw = f.len(s.line)
    r = f.len(s.eye_r) * (1.0 + WIDE * wide)
    ext = f.len(s.eye_r) * (1.0 + WIDE) * max(1.0, s.eye_aspect) + lw * 2
    win = cv.window(cx - ext, cy - ext, cx + ext, cy + ext)
    if win is None:
        return
    if s.eye_kind == 1:
        disc = sd_ellipse(win, cx, cy, r, r)
        inside = cover(disc)
        cv.over(win, (0.98, 0.98, 0.97), inside)
        pr = r * s.pupil_r * (1.0 - 0.3 * wide)
        cv.over(win, s.pupil, cover(sd_ellipse(win, cx, cy + 0.15 * r, pr, pr)) * inside)
        # Lids (skin over the whole antialiased disc): the upper one sweeps down and bends
        # into a "U" as the eye closes; a smile pushes a lower one up.
        covered = cover(disc - 1.0)
        t = np.clip((win.x - cx) / r, -1.0, 1.0)
        lid_y = cy - r - lw + close * (1.4 * r + lw) + close * 0.35 * r * (1.0 - t * t)
        cv.over(win, s.skin, cover(win.y - lid_y) * covered)
        low_y = cy + r + lw - smile * (0.6 * r + lw) * (1.0 - 0.4 * t * t)
        cv.over(win, s.skin, cover(low_y - win.y) * covered)
        cv.over(
            win, s.ink, cover(np.abs(disc) - lw / 2), float(np.clip((1.0 - close) * 4.0, 0.0, 1.0))
        )
        if close > 0.0:
            edge = np.maximum(np.abs(win.y - lid_y) - lw / 2, disc - lw / 2)
            cv.over(win, s.ink, cover(edge))
        if smile > 0.0:
            edge = np.maximum(np.abs(win.y - low_y) - lw / 2, disc - lw / 2)
            cv.over(win, s.ink, cover(edge), min(1.0, 3.0 * smile))
    else:
        rx = r * (1.0 + 0.1 * wide)
        ry_open = r * s.eye_aspect * (1.0 - 0.3 * smile)
        ry = ry_open * (1.0 - close) + (lw * 0.5) * close
        cv.over(win, s.pupil, cover(sd_ellipse(win, cx, cy, rx, max(ry, lw * 0.5))))
        if close < 0.5:
            hr = 0.28 * rx
            cv.over(
                win,
                (1.0, 1.0, 1.0),
                cover(sd_ellipse(win, cx - 0.3 * rx, cy - 0.35 * ry, hr, hr * min(1.0, ry / rx))),
                1.0 - 2.0 * close,
            )


def _brow_pts(s: FlatStyle, f: Frame, side: float, raise_: float, furrow: float) -> F64:
    cx = side * s.eye_dx
    eye_top = s.eye_y - s.eye_r * (1.0 + WIDE) * (1.0 if s.eye_kind else s.eye_aspect)
    y = eye_top - s.brow_gap - RAISE * raise_
    inner = (cx - side * s.brow_len * (1.0 - 0.2 * furrow), y + FURROW * furrow)
    outer = (cx + side * s.brow_len, y - 0.01 * furrow)
    mid = (cx, y - 0.012 - 0.01 * raise_)
    t = np.linspace(0.0, 1.0, 10)[:, None]
    p = (
        (1 - t) ** 2 * np.asarray(inner)
        + 2 * (1 - t) * t * np.asarray(mid)
        + t * t * np.asarray(outer)
    )
    return np.stack([f.x(0.0) + p[:, 0] * f.unit, f.y(0.0) + p[:, 1] * f.unit], axis=1)


def _brow(cv: Canvas, s: FlatStyle, f: Frame, side: float, raise_: float, furrow: float) -> None:
    pts = _brow_pts(s, f, side, raise_, furrow)
    r = f.len(s.line) * 0.75 + 0.5
    win = cv.window(
        pts[:, 0].min() - r, pts[:, 1].min() - r, pts[:, 0].max() + r, pts[:, 1].max() + r
    )
    if win is not None:
        cv.over(win, s.brow, cover(sd_polyline(win, pts, r)))


def _mouth(cv: Canvas, s: FlatStyle, f: Frame, jaw: float, smile: float, frown: float) -> None:
    lw = f.len(s.line)
    cx, my = f.x(0.0), f.y(s.mouth_y)
    hw = f.len(s.mouth_w * (1.0 + 0.25 * smile - 0.1 * frown))
    ext = f.len(s.mouth_w * 1.3) + lw
    win = cv.window(
        cx - ext, my - f.len(SMILE) - lw, cx + ext, my + f.len(OPEN + FROWN + 0.03) + lw
    )
    if win is None:
        return
    n = 20
    ts = np.linspace(-1.0, 1.0, n)
    # Corners move; the middle dips a little so even the neutral mouth is a gentle arc.
    lift = f.len(SMILE * smile - FROWN * frown)
    ys = my - lift * ts * ts + f.len(0.012) * (1.0 - ts * ts) + lift * 0.3 * (1.0 - ts * ts)
    xs = cx + ts * hw
    line = np.stack([xs, ys], axis=1)
    if jaw > 0.0:
        t = np.clip((win.x - cx) / hw, -1.0, 1.0)
        upper = my - lift * t * t + f.len(0.012) * (1 - t * t) + lift * 0.3 * (1 - t * t)
        lower = upper + f.len(OPEN * jaw) * (1.0 - t * t) ** 0.6
        shape = sd_between(win, cx, hw, upper, lower)
        inside = cover(shape)
        cv.over(win, s.inside, inside)
        depth = f.len(OPEN * jaw)
        tongue = sd_ellipse(win, cx, my + depth * 1.05, hw * 0.55, depth * 0.45)
        cv.over(win, s.tongue, cover(tongue) * inside)
        cv.over(win, s.ink, cover(np.abs(tongue) - lw * 0.25) * inside)
        cv.over(win, s.ink, cover(np.minimum(np.abs(shape), sd_polyline(win, line, 0.0)) - lw / 2))
    else:
        cv.over(win, s.ink, cover(sd_polyline(win, line, lw / 2)))


def _boxes(s: FlatStyle, f: Frame) -> list[tuple[float, float, float, float]]:
    pad = 3.0
    lw = f.len(s.line)
    out: list[tuple[float, float, float, float]] = []
    for side in (-1.0, 1.0):
        cx, cy = f.x(side * s.eye_dx), f.y(s.eye_y)
        ext = f.len(s.eye_r) * (1.0 + WIDE) * max(1.0, s.eye_aspect) * 1.1 + lw + pad
        out.append((cx - ext, cy - ext, cx + ext, cy + ext))
        pts = np.concatenate([_brow_pts(s, f, side, r, u) for r in (0.0, 1.0) for u in (0.0, 1.0)])
        r = lw * 0.75 + 0.5 + pad
        out.append(
            (pts[:, 0].min() - r, pts[:, 1].min() - r, pts[:, 0].max() + r, pts[:, 1].max() + r)
        )
    cx, my = f.x(0.0), f.y(s.mouth_y)
    ext = f.len(s.mouth_w * 1.3) + lw + pad
    out.append(
        (
            cx - ext,
            my - f.len(SMILE) - lw - pad,
            cx + ext,
            my + f.len(OPEN + FROWN + 0.03) + lw + pad,
        )
    )
    return out


def _points(style: FlatStyle, f: Frame) -> dict[str, tuple[float, float]]:
    """The neutral feature points in pixels."""
    s = style
    pts: dict[str, tuple[float, float]] = {}
    for name, side in (("r", -1.0), ("l", 1.0)):
        pts[f"eye_{name}"] = f.pt(side * s.eye_dx, s.eye_y)
        b = _brow_pts(s, f, side, 0.0, 0.0)
        mid = b[b.shape[0] // 2]
        pts[f"brow_{name}"] = (float(mid[0]), float(mid[1]))
        pts[f"mouth_{name}"] = f.pt(side * s.mouth_w, s.mouth_y)
    pts["mouth_c"] = f.pt(0.0, s.mouth_y + 0.012)
    return pts


FAMILY: CanvasFamily[FlatStyle] = CanvasFamily(
    _static, _eye, _brow, _mouth, _boxes, _points, MIN_SIZE
)
"""This family's render / region / layers / feature points."""
render = FAMILY.render
region = FAMILY.region
layers = FAMILY.layers
feature_points = FAMILY.feature_points
