"""Hand-made displacement fields, one per expression entry: how a face's parts move.

A raised brow moves up, a smile lifts the mouth corners, an open jaw drops the lower lip, a
closing lid slides down over the eye. Each entry gets a smooth displacement field in the
canonical face frame, placed by the face's own feature points (so it fits big anime eyes and
a small pixel mouth alike) and scaled by how far that entry changes (target − source). The
editor network predicts a gain per entry and a residual flow on top: it starts from moves in
the right direction and size, which a flow learnt from pixels alone finds only slowly.

Fields are backward flows (``fields.py``): the output pixel at p takes its colour from
p + flow(p), so content that moves by D has flow −D where it lands.
"""

from __future__ import annotations

import torch
from torch import Tensor

from moodrig.core.appearance.align import FEATURE_INDEX
from moodrig.core.expression import INDEX

EYE_R, EYE_L = FEATURE_INDEX["eye_r"], FEATURE_INDEX["eye_l"]
BROW_R, BROW_L = FEATURE_INDEX["brow_r"], FEATURE_INDEX["brow_l"]
MOUTH_R, MOUTH_L, MOUTH_C = (
    FEATURE_INDEX["mouth_r"],
    FEATURE_INDEX["mouth_l"],
    FEATURE_INDEX["mouth_c"],
)


def _gauss(
    x: Tensor, y: Tensor, cx: Tensor, cy: Tensor, sx: Tensor | float, sy: Tensor | float
) -> Tensor:
    """exp(−½((x − cx)/sx)² − ½((y − cy)/sy)²), broadcasting (N, 1, 1) centres over (R, R) grids."""
    return torch.exp(-0.5 * ((x - cx) / sx) ** 2 - 0.5 * ((y - cy) / sy) ** 2)


def canonical_grid(size: int, device: torch.device | None = None) -> tuple[Tensor, Tensor]:
    """(x, y) of the canonical square's pixel centres, each (1, R, R)."""
    t = (torch.arange(size, device=device, dtype=torch.float32) + 0.5) / size
    y, x = torch.meshgrid(t, t, indexing="ij")
    return x[None], y[None]


def basis_flows(points: Tensor, delta: Tensor, size: int) -> Tensor:
    """(N, 8, 2, R, R) backward flows in canonical units, one per expression entry.

    points: (N, 7, 2) canonical feature points; delta: (N, 8) target − source expression.
    """
    n = points.shape[0]
    x, y = canonical_grid(size, points.device)
    out = points.new_zeros(n, 8, 2, size, size)

    def p(i: int, k: int) -> Tensor:
        return points[:, i, k][:, None, None]

    eye_dist = (p(EYE_L, 0) - p(EYE_R, 0)).abs().clamp_min(0.05)
    eye_h = 0.18 * eye_dist  # a typical open eye's height
    d = {name: delta[:, i][:, None, None] for name, i in INDEX.items()}
    # Brows: up when raised; inner ends down and in when furrowed.
    for brow, eye, side in ((BROW_R, EYE_R, -1.0), (BROW_L, EYE_L, 1.0)):
        bx, by = p(brow, 0), p(brow, 1)
        gap = (p(eye, 1) - by).clamp_min(0.02)
        w = _gauss(x, y, bx, by, 0.45 * eye_dist, 0.6 * gap)
        out[:, INDEX["brow_raise"], 1] += 0.5 * gap * d["brow_raise"] * w
        inner = bx - side * 0.25 * eye_dist
        wi = _gauss(x, y, inner, by, 0.3 * eye_dist, 0.6 * gap)
        out[:, INDEX["brow_furrow"], 1] -= 0.3 * gap * d["brow_furrow"] * wi
        out[:, INDEX["brow_furrow"], 0] += side * 0.08 * eye_dist * d["brow_furrow"] * wi
    # Eyes: the upper lid slides down over the eye; wide eyes lift it.
    for eye, name in ((EYE_R, "eye_close_r"), (EYE_L, "eye_close_l")):
        ex, ey = p(eye, 0), p(eye, 1)
        below = torch.sigmoid((ey + 0.6 * eye_h - y) / (0.12 * eye_h))  # nothing under the eye
        w = _gauss(x, y, ex, ey - 0.3 * eye_h, 0.3 * eye_dist, 1.1 * eye_h) * below
        out[:, INDEX[name], 1] -= 1.1 * eye_h * d[name] * w
        out[:, INDEX["eye_wide"], 1] += (
            0.35
            * eye_h
            * d["eye_wide"]
            * _gauss(x, y, ex, ey - 0.5 * eye_h, 0.3 * eye_dist, 0.8 * eye_h)
        )
    # Mouth: corners up and out with a smile, down with a frown; the jaw drops the lower lip.
    mx, my = p(MOUTH_C, 0), p(MOUTH_C, 1)
    half = ((p(MOUTH_L, 0) - p(MOUTH_R, 0)).abs() / 2).clamp_min(0.02)
    for corner, side in ((MOUTH_R, -1.0), (MOUTH_L, 1.0)):
        cx, cy = p(corner, 0), p(corner, 1)
        w = _gauss(x, y, cx, cy, 0.6 * half, 0.08 * eye_dist + 0.3 * half)
        out[:, INDEX["smile"], 1] += 0.16 * eye_dist * d["smile"] * w
        out[:, INDEX["smile"], 0] -= side * 0.1 * half * d["smile"] * w
        out[:, INDEX["frown"], 1] -= 0.14 * eye_dist * d["frown"] * w
    drop = 0.35 * eye_dist
    under = torch.sigmoid((y - my) / (0.03 * eye_dist))  # only below the mouth line
    w = _gauss(x, y, mx, my + 0.5 * drop, 1.3 * half, 1.2 * drop) * under
    out[:, INDEX["jaw_open"], 1] -= drop * d["jaw_open"] * w
    return out
