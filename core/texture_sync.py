"""Does the written face texture show the expressions the track asked for, where and when?

The appearance half of sync, measured from the textures themselves (pure numpy): per frame,
the *texture change* of each face area is the mean absolute difference from the base texture
in square windows around that area's feature points, and the *asked change* is the largest
departure of the area's expression entries from what the base shows:

========  ==========================  ==========================================
area      feature points              expression entries
========  ==========================  ==========================================
eyes      eye_r, eye_l                eye_close_r, eye_close_l, eye_wide
brows     brow_r, brow_l              brow_raise, brow_furrow
mouth     mouth_r, mouth_l, mouth_c   smile, frown, jaw_open
========  ==========================  ==========================================

The feature points and the face region are those a region-based editor works from (image
pixels of the texture); :func:`painted_face_points` gives them for a painter-made toon face.

Per area, over the frames: the Pearson correlation of asked and shown change at the best lag
within ±``max_lag`` frames (texture after the track for a positive lag), and the *agreement*:
the balanced accuracy (mean of the hit rate on asked frames and the correct-rejection rate on
the others; 0.5 = chance, 1 = perfect) of "shown" (change above the midpoint between the mean
change of the asked and of the other frames, and at least ``min_effect`` apart) against
"asked" (asked change ≥ ``asked_on``). Per entry, the same agreement over the frames where that
entry is asked or nothing in its area is (with the midpoint of those frames). An area whose
entries never change is not judged. The bake passes when every judged area correlates
(≥ ``min_correlation``), within ``max_ok_lag`` frames, and agrees (≥ ``min_agreement``), and
every asked entry agrees too; otherwise the sentence says "face texture does not show the
asked expressions" and names the areas or entries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .expression import EXPRESSION_NAMES, INDEX, N_EXPRESSION

POINT_NAMES: tuple[str, ...] = (
    "eye_r",
    "eye_l",
    "brow_r",
    "brow_l",
    "mouth_r",
    "mouth_l",
    "mouth_c",
)
"""Feature points of a face region (the subject's right/left; ``mouth_c`` the mouth centre)."""
AREAS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "eyes": (("eye_r", "eye_l"), ("eye_close_r", "eye_close_l", "eye_wide")),
    "brows": (("brow_r", "brow_l"), ("brow_raise", "brow_furrow")),
    "mouth": (("mouth_r", "mouth_l", "mouth_c"), ("smile", "frown", "jaw_open")),
}
"""Area → (its feature points, the expression entries that should change it)."""


@dataclass(frozen=True)
class FacePoints:
    """Where the face is on the texture: a region and the feature points, in pixels."""

    region: tuple[float, float, float, float]
    """x0, y0, x1, y1 of the face region."""
    points: Mapping[str, tuple[float, float]]
    """Name (``POINT_NAMES``) → (x, y)."""


@dataclass(frozen=True)
class TextureSyncConfig:
    """Settings of :func:`texture_sync`."""

    window: float = 0.06
    """Half side of each point's window, as a fraction of the face region's width."""
    asked_on: float = 0.3
    """Asked change (expression units) from which a frame counts as asking for the area."""
    min_effect: float = 0.004
    """Smallest difference (mean absolute, 0–1 intensity) between the area's mean change on
    asked and on other frames that counts as a visible change."""
    max_lag: int = 12
    """Largest lag (frames) searched for the correlation."""
    max_ok_lag: int = 1
    """Largest |lag| (frames) that still counts as in sync."""
    min_correlation: float = 0.5
    """Correlation an area needs to pass."""
    min_agreement: float = 0.7
    """Agreement (balanced accuracy) an area needs to pass."""
    min_asked_frames: int = 2
    """Frames that must ask for an area (and frames that must not) to judge it."""


@dataclass(frozen=True)
class AreaSync:
    """One face area's figures."""

    area: str
    judged: bool
    """False when the track never (or always) asks for this area."""
    correlation: float | None
    """Pearson r of asked and shown change at ``lag`` (None when not judged)."""
    lag: int | None
    """Frames the texture change trails the track by at the best correlation."""
    agreement: float | None
    """Balanced accuracy of shown vs asked frames (0.5 chance, 1 perfect)."""
    effect: float | None
    """Mean change on asked frames minus mean change on the others (0–1 intensity)."""
    ok: bool | None
    """Passes the thresholds (None when not judged)."""


@dataclass(frozen=True)
class TextureSyncReport:
    """The appearance side of sync."""

    ok: bool | None
    """Every judged area shows its asked changes in time; None: no area was asked anything."""
    sentence: str
    """A plain sentence for the artist."""
    areas: tuple[AreaSync, ...]
    entries: dict[str, float | None] = field(default_factory=dict)
    """Expression entry → agreement of its area's change with it (None when never asked)."""
    change: NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 0)))
    """(frames, areas) texture change per area, for plots."""
    asked: NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 0)))
    """(frames, areas) asked change per area."""


def painted_face_points(style: Any, size: int) -> FacePoints:
    """Region and feature points of a face painted by ``painter.paint_face`` with ``style``
    (a ``FaceStyle``) at ``size`` px: the whole texture, eyes and mouth where they are drawn,
    brows above the eyes. The subject's right is the image's left."""
    s = float(size)
    brow_v = style.eye_y - style.eye_height - style.brow_gap
    uv = {
        "eye_r": (0.5 - style.eye_spacing, style.eye_y),
        "eye_l": (0.5 + style.eye_spacing, style.eye_y),
        "brow_r": (0.5 - style.eye_spacing, brow_v),
        "brow_l": (0.5 + style.eye_spacing, brow_v),
        "mouth_r": (0.5 - style.mouth_width, style.mouth_y),
        "mouth_l": (0.5 + style.mouth_width, style.mouth_y),
        "mouth_c": (0.5, style.mouth_y + 0.02),
    }
    return FacePoints((0.0, 0.0, s, s), {k: (u * s, v * s) for k, (u, v) in uv.items()})


def _windows(
    points: FacePoints, shape: tuple[int, int], window: float
) -> dict[str, list[tuple[slice, slice]]]:
    h, w = shape
    x0, _, x1, _ = points.region
    r = max(1, round(window * (x1 - x0)))
    missing = [n for names, _ in AREAS.values() for n in names if n not in points.points]
    if missing:
        raise ValueError(f"feature points missing: {missing}")
    out: dict[str, list[tuple[slice, slice]]] = {}
    for area, (names, _) in AREAS.items():
        wins = []
        for n in names:
            x, y = points.points[n]
            cx, cy = round(x), round(y)
            ys = slice(max(0, cy - r), min(h, cy + r + 1))
            xs = slice(max(0, cx - r), min(w, cx + r + 1))
            if ys.stop > ys.start and xs.stop > xs.start:
                wins.append((ys, xs))
        if not wins:
            raise ValueError(f"the {area} windows fall outside the {w}×{h} texture")
        out[area] = wins
    return out


def _rgb(img: NDArray[Any]) -> NDArray[np.float64]:
    a = np.asarray(img)
    scale = 255.0 if a.dtype == np.uint8 else 65535.0 if a.dtype == np.uint16 else 1.0
    if a.ndim == 2:
        a = a[..., None]
    return np.asarray(a[..., :3], dtype=np.float64) / scale


def area_change(
    textures: Sequence[NDArray[Any]],
    base: NDArray[Any],
    points: FacePoints,
    window: float = TextureSyncConfig.window,
) -> NDArray[np.float64]:
    """(len(textures), areas) mean absolute difference from ``base`` in each area's windows
    (textures HxW, HxWx3 or HxWx4; uint8, uint16 or float in [0, 1]; same size as ``base``)."""
    b = _rgb(base)
    wins = _windows(points, (int(b.shape[0]), int(b.shape[1])), window)
    out = np.zeros((len(textures), len(AREAS)))
    for i, tex in enumerate(textures):
        t = _rgb(tex)
        if t.shape != b.shape:
            raise ValueError(f"texture {i} has shape {t.shape[:2]}, the base {b.shape[:2]}")
        for k, area in enumerate(AREAS):
            out[i, k] = float(
                np.mean([np.abs(t[ys, xs] - b[ys, xs]).mean() for ys, xs in wins[area]])
            )
    return out


def asked_change(
    expressions: NDArray[np.floating[Any]], base_expression: NDArray[np.floating[Any]] | None = None
) -> NDArray[np.float64]:
    """(frames, areas): per area the largest |entry − base entry| of its expression entries."""
    e = np.asarray(expressions, dtype=np.float64).reshape(-1, N_EXPRESSION)
    b = (
        np.zeros(N_EXPRESSION)
        if base_expression is None
        else np.asarray(base_expression, dtype=np.float64)
    )
    d = np.abs(e - b[None, :])
    return np.stack(
        [d[:, [INDEX[n] for n in entries]].max(axis=1) for _, entries in AREAS.values()], axis=1
    )


def _pearson(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    if len(a) < 3 or a.std() < 1e-12 or b.std() < 1e-12:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def best_lag(
    asked: NDArray[np.float64], shown: NDArray[np.float64], max_lag: int
) -> tuple[float, int]:
    """(correlation, lag) maximising Pearson r of asked[t] and shown[t + lag], |lag| ≤ max_lag."""
    n = len(asked)
    best, best_lag_ = -2.0, 0
    for lag in range(-min(max_lag, n - 3), min(max_lag, n - 3) + 1):
        a, s = (asked[: n - lag], shown[lag:]) if lag >= 0 else (asked[-lag:], shown[: n + lag])
        r = _pearson(a, s)
        if r > best or (r == best and abs(lag) < abs(best_lag_)):
            best, best_lag_ = r, lag
    return max(best, 0.0), best_lag_


def _agreement(asked: NDArray[np.bool_], shown: NDArray[np.bool_]) -> float:
    hit = float(shown[asked].mean()) if asked.any() else 1.0
    rej = float((~shown[~asked]).mean()) if (~asked).any() else 1.0
    return 0.5 * (hit + rej)


def _shown(
    change: NDArray[np.float64], asked: NDArray[np.bool_], min_effect: float
) -> tuple[NDArray[np.bool_], float]:
    """Frames whose change is above the midpoint of the asked and the other frames' means
    (none when the two means are less than ``min_effect`` apart), and that difference."""
    on, off = float(change[asked].mean()), float(change[~asked].mean())
    effect = on - off
    if effect < min_effect:
        return np.zeros_like(asked), effect
    return change > 0.5 * (on + off), effect


def _failure(a: AreaSync, c: TextureSyncConfig) -> str:
    if (a.effect or 0.0) < c.min_effect:
        return "no visible change"
    if (a.correlation or 0.0) >= c.min_correlation and abs(a.lag or 0) > c.max_ok_lag:
        lag = a.lag or 0
        return f"{abs(lag)} frames {'late' if lag > 0 else 'early'}"
    return "change not where asked"


def texture_sync(
    textures: Sequence[NDArray[Any]],
    frame_texture: NDArray[np.integer[Any]] | Sequence[int],
    base: NDArray[Any],
    points: FacePoints,
    expressions: NDArray[np.floating[Any]],
    base_expression: NDArray[np.floating[Any]] | None = None,
    config: TextureSyncConfig | None = None,
) -> TextureSyncReport:
    """Whether ``textures`` (the distinct textures written; ``frame_texture[t]`` the one shown
    on frame t) show ``expressions`` (frames, 8) where and when asked. ``base``: the texture the
    edits start from, showing ``base_expression`` (None: neutral)."""
    c = config or TextureSyncConfig()
    idx = np.asarray(frame_texture, dtype=np.int64)
    e = np.asarray(expressions, dtype=np.float64).reshape(-1, N_EXPRESSION)
    if len(idx) != len(e):
        raise ValueError(f"{len(idx)} frames in the texture map but {len(e)} expression rows")
    if len(idx) and (idx.min() < 0 or idx.max() >= len(textures)):
        raise ValueError(f"the texture map refers to textures outside 0…{len(textures) - 1}")
    shown_all = area_change(textures, base, points, c.window)[idx]
    asked_all = asked_change(e, base_expression)
    areas: list[AreaSync] = []
    entries: dict[str, float | None] = {n: None for n in EXPRESSION_NAMES}
    d = np.abs(
        e - (np.zeros(N_EXPRESSION) if base_expression is None else np.asarray(base_expression))
    )
    for k, (area, (_, names)) in enumerate(AREAS.items()):
        a, s = asked_all[:, k], shown_all[:, k]
        on = a >= c.asked_on
        if on.sum() < c.min_asked_frames or (~on).sum() < c.min_asked_frames:
            areas.append(AreaSync(area, False, None, None, None, None, None))
            continue
        r, lag = best_lag(a, s, c.max_lag)
        shown, effect = _shown(s, on, c.min_effect)
        agree = _agreement(on, shown)
        ok = r >= c.min_correlation and abs(lag) <= c.max_ok_lag and agree >= c.min_agreement
        areas.append(AreaSync(area, True, r, lag, agree, effect, ok))
        for name in names:
            mine = d[:, INDEX[name]] >= c.asked_on
            keep = mine | ~on
            if mine.sum() >= c.min_asked_frames and (keep & ~mine).sum() >= c.min_asked_frames:
                own, _ = _shown(s[keep], mine[keep], c.min_effect)
                entries[name] = _agreement(mine[keep], own)
    judged = [a for a in areas if a.judged]
    if not judged:
        return TextureSyncReport(
            None,
            "no expression change was asked of the face texture",
            tuple(areas),
            entries,
            shown_all,
            asked_all,
        )
    bad = [a for a in judged if not a.ok]
    unseen = [n for n, v in entries.items() if v is not None and v < c.min_agreement]
    if bad or unseen:
        parts = [f"{a.area}: {_failure(a, c)}" for a in bad]
        parts += [f"{n} not shown" for n in unseen if not any(n in AREAS[a.area][1] for a in bad)]
        why = "; ".join(parts)
        return TextureSyncReport(
            False,
            f"face texture does not show the asked expressions ({why})",
            tuple(areas),
            entries,
            shown_all,
            asked_all,
        )
    lags = sorted(a.lag for a in judged if a.lag is not None)
    lag = lags[len(lags) // 2]
    shown_areas = ", ".join(a.area for a in judged)
    return TextureSyncReport(
        True,
        f"face texture shows the asked expressions ({shown_areas}; lag {lag:+d} frames)",
        tuple(areas),
        entries,
        shown_all,
        asked_all,
    )
