"""Labelled test clips of held smiles, made from the London photos (evaluation data, not shipped).

Each clip is a sequence of 640×480 frames at 24 fps built from one person's photos (neutral
and smiling, front and both 3/4 views), with the expression of every frame known by
construction:

* **holds**: one photo held for N frames, each frame with a small camera jitter (slow drift of
  position, scale and roll, plus a sub-pixel shake), a slow brightness change and sensor noise
  (Gaussian, SD 2 levels), so no two frames are equal;
* **faint smiles**: a *morph* halfway (``FAINT`` = 0.5) between the person's neutral and
  smiling photo of the same view: the smiling photo is aligned on the neutral one (similarity
  on the stable landmarks), the landmarks are interpolated, both photos are warped onto the
  interpolated shape (piecewise affine on a Delaunay triangulation of the 468 Face Mesh
  points plus a fixed frame) and cross-faded by the same fraction. This is shape and texture
  half-way, a proxy for a faint smile: a real faint smile uses the same muscles less, the
  morph's teeth and creases are a half-transparent blend of the full smile's;
* **onsets and offsets**: ``RAMP`` frames of the morph going from one level to the other,
  labelled ``ramp`` (the truth is ambiguous there, they are not scored);
* **view changes** while an expression is held: a ``TURN``-frame cross-dissolve from the
  person's photo of one view to the same expression's photo of another (a photo set has no
  in-between views: the frames in between are a double exposure, not a turned head, which is
  harder on the tracker and the smile reading than a real turn; they are scored);
* **cuts** to another person (a different person from the same fold, also held out).

Face Mesh landmarks of the photos (the product's own, ``face_calibrate.observe``) drive the
morph. Labels per frame: ``neutral``, ``smiling`` (the full posed smile), ``faint`` (the half
morph, counted as smiling) and ``ramp``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from scipy.spatial import Delaunay

from moodrig.core.face.geometry import STABLE
from moodrig.core.face.io import read_image
from moodrig.weights_tools.face_calibrate import Observed, Sample

FPS = 24.0
W, H = 640, 480
RAMP = 6
"""Frames of an onset or offset."""
TURN = 6
"""Frames of a view change (cross-dissolve)."""
FAINT = 0.5
"""Morph fraction of a faint smile (0 = the neutral photo, 1 = the smiling photo)."""
VIEWS = ("front", "left_3quarter", "right_3quarter")
LABELS = ("neutral", "smiling", "faint", "ramp")
LEVEL = {"neutral": 0.0, "smiling": 1.0, "faint": FAINT}


@dataclass(frozen=True)
class PersonPhotos:
    """One person's photos (HWC uint8 RGB) and Face Mesh landmarks (468, 2) per view."""

    face_id: str
    neutral: dict[str, NDArray[np.uint8]]
    smiling: dict[str, NDArray[np.uint8]]
    neutral_lm: dict[str, NDArray[np.float64]]
    smiling_lm: dict[str, NDArray[np.float64]]


@dataclass(frozen=True)
class Shot:
    """Frames of one person in one view: the morph level goes from ``start`` to ``end``."""

    who: int
    """0 = the clip's person, 1 = the person the clip cuts to."""
    view: str
    """One of ``VIEWS``."""
    label: str
    """Label of every frame of the shot (``LABELS``)."""
    frames: int
    """Number of frames."""
    start: float
    """Morph level of the first frame (0 neutral, 1 smiling)."""
    end: float
    """Morph level of the last frame."""
    view_to: str | None = None
    """A view change: the frames dissolve from ``view`` to this view (same level)."""


def _hold(who: int, view: str, label: str, frames: int) -> Shot:
    level = LEVEL[label]
    return Shot(who, view, label, frames, level, level)


def _turn(who: int, a: str, b: str, label: str) -> Shot:
    level = LEVEL[label]
    return Shot(who, a, label, TURN, level, level, view_to=b)


def _ramp(who: int, view: str, a: str, b: str) -> Shot:
    # levels strictly between the two holds, RAMP frames
    la, lb = LEVEL[a], LEVEL[b]
    step = (lb - la) / (RAMP + 1)
    return Shot(who, view, "ramp", RAMP, la + step, lb - step)


def schedule(kind: int) -> list[Shot]:
    """One of two schedules, about 15 s each. 0 starts neutral and rests in every view it
    smiles in; 1 starts smiling, and its right 3/4 view only ever shows a smile."""
    f, left, right = VIEWS
    if kind == 0:
        return [
            _hold(0, f, "neutral", 40),
            _ramp(0, f, "neutral", "smiling"),
            _hold(0, f, "smiling", 30),
            _ramp(0, f, "smiling", "neutral"),
            _hold(0, f, "neutral", 20),
            _turn(0, f, left, "neutral"),
            _hold(0, left, "neutral", 24),
            _ramp(0, left, "neutral", "faint"),
            _hold(0, left, "faint", 40),
            _ramp(0, left, "faint", "neutral"),
            _hold(0, left, "neutral", 20),
            _turn(0, left, right, "neutral"),
            _hold(0, right, "neutral", 14),
            _ramp(0, right, "neutral", "smiling"),
            _hold(0, right, "smiling", 30),
            _turn(0, right, f, "smiling"),
            _hold(0, f, "smiling", 14),
            _ramp(0, f, "smiling", "neutral"),
            _hold(0, f, "neutral", 20),
            _hold(1, f, "smiling", 30),
            _ramp(1, f, "smiling", "neutral"),
            _hold(1, f, "neutral", 24),
        ]
    return [
        _hold(0, f, "smiling", 40),
        _ramp(0, f, "smiling", "neutral"),
        _hold(0, f, "neutral", 30),
        _turn(0, f, left, "neutral"),
        _hold(0, left, "neutral", 18),
        _ramp(0, left, "neutral", "faint"),
        _hold(0, left, "faint", 40),
        _ramp(0, left, "faint", "smiling"),
        _hold(0, left, "smiling", 18),
        _turn(0, left, right, "smiling"),
        _hold(0, right, "smiling", 30),
        _turn(0, right, f, "smiling"),
        _hold(0, f, "smiling", 14),
        _ramp(0, f, "smiling", "neutral"),
        _hold(0, f, "neutral", 20),
        _ramp(0, f, "neutral", "faint"),
        _hold(0, f, "faint", 40),
        _ramp(0, f, "faint", "neutral"),
        _hold(0, f, "neutral", 20),
        _hold(1, left, "neutral", 30),
        _ramp(1, left, "neutral", "smiling"),
        _hold(1, left, "smiling", 24),
    ]


def similarity_2d(src: NDArray[np.float64], dst: NDArray[np.float64]) -> NDArray[np.float64]:
    """2×3 similarity (rotation, scale, shift) with dst ≈ A · (src, 1), least squares."""
    sc, dc = src.mean(axis=0), dst.mean(axis=0)
    s0, d0 = src - sc, dst - dc
    a = float((s0 * d0).sum())
    b = float((s0[:, 0] * d0[:, 1] - s0[:, 1] * d0[:, 0]).sum())
    n = float((s0**2).sum())
    c, s = a / n, b / n
    rot = np.array([[c, -s], [s, c]])
    return np.hstack([rot, (dc - rot @ sc)[:, None]])


def _frame_points(h: int, w: int) -> NDArray[np.float64]:
    xs = np.linspace(0, w - 1, 5)
    ys = np.linspace(0, h - 1, 5)
    pts = [(x, y) for x in xs for y in (ys[0], ys[-1])] + [
        (x, y) for x in (xs[0], xs[-1]) for y in ys[1:-1]
    ]
    return np.array(pts, dtype=np.float64)


def piecewise_affine(
    image: NDArray[np.uint8],
    src: NDArray[np.float64],
    dst: NDArray[np.float64],
    triangles: NDArray[np.int64],
) -> NDArray[np.uint8]:
    """``image`` warped so that its points ``src`` land on ``dst`` (both (P, 2), same
    triangulation): per output pixel, the affine map of the ``dst`` triangle it lies in."""
    h, w = image.shape[:2]
    ids = np.full((h, w), -1, dtype=np.int32)
    for t, tri in enumerate(triangles):
        cv2.fillConvexPoly(ids, np.round(dst[tri]).astype(np.int32), int(t))
    mats = np.zeros((len(triangles), 2, 3))
    for t, tri in enumerate(triangles):
        mats[t] = cv2.getAffineTransform(dst[tri].astype(np.float32), src[tri].astype(np.float32))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    m = mats[np.maximum(ids, 0)]
    map_x = (m[..., 0, 0] * xx + m[..., 0, 1] * yy + m[..., 0, 2]).astype(np.float32)
    map_y = (m[..., 1, 0] * xx + m[..., 1, 1] * yy + m[..., 1, 2]).astype(np.float32)
    outside = ids < 0
    map_x[outside] = xx[outside]
    map_y[outside] = yy[outside]
    out = cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return np.asarray(out, dtype=np.uint8)


class Morpher:
    """Levels between one person's neutral and smiling photo of one view (cached per level)."""

    def __init__(
        self,
        neutral: NDArray[np.uint8],
        neutral_lm: NDArray[np.float64],
        smiling: NDArray[np.uint8],
        smiling_lm: NDArray[np.float64],
    ) -> None:
        h, w = neutral.shape[:2]
        a = similarity_2d(smiling_lm[STABLE, :2], neutral_lm[STABLE, :2])
        self.smiling = np.asarray(
            cv2.warpAffine(
                smiling, a, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
            ),
            np.uint8,
        )
        frame = _frame_points(h, w)
        self.p0 = np.vstack([neutral_lm[:, :2], frame])
        self.p1 = np.vstack([smiling_lm[:, :2] @ a[:, :2].T + a[:, 2], frame])
        self.neutral = neutral
        self.triangles = np.asarray(Delaunay(self.p0).simplices, dtype=np.int64)

    @functools.lru_cache(maxsize=32)  # noqa: B019 (one Morpher per person and view, short-lived)
    def level(self, alpha: float) -> NDArray[np.uint8]:
        if alpha <= 0.0:
            return self.neutral
        if alpha >= 1.0:
            return self.smiling
        target = (1 - alpha) * self.p0 + alpha * self.p1
        a = piecewise_affine(self.neutral, self.p0, target, self.triangles).astype(np.float32)
        b = piecewise_affine(self.smiling, self.p1, target, self.triangles).astype(np.float32)
        return np.asarray(np.clip(np.rint((1 - alpha) * a + alpha * b), 0, 255), np.uint8)


@dataclass(frozen=True)
class Jitter:
    """Camera motion of one clip (sums of sines with per-clip phases, plus a shake)."""

    seed: int

    def matrix(self, i: int, shape: tuple[int, int]) -> NDArray[np.float64]:
        rng = np.random.default_rng([self.seed, i])
        ph = np.random.default_rng(self.seed).uniform(0, 2 * math.pi, 5)
        t = i / FPS
        dx = 14 * math.sin(2 * math.pi * t / 5.1 + ph[0]) + rng.normal(0, 0.4)
        dy = 8 * math.sin(2 * math.pi * t / 3.7 + ph[1]) + rng.normal(0, 0.4)
        ang = 3.0 * math.sin(2 * math.pi * t / 4.3 + ph[2]) + rng.normal(0, 0.15)
        zoom = 1.0 + 0.04 * math.sin(2 * math.pi * t / 6.1 + ph[3])
        h, w = shape
        s = 430 / h * zoom
        m = cv2.getRotationMatrix2D((w / 2, h / 2), ang, s)
        m[:, 2] += (W / 2 - w / 2 + dx, H / 2 - h / 2 + dy)
        return np.asarray(m, dtype=np.float64)

    def gain(self, i: int) -> float:
        ph = np.random.default_rng(self.seed).uniform(0, 2 * math.pi, 5)
        return 1.0 + 0.06 * math.sin(2 * math.pi * i / FPS / 7.3 + ph[4])


def render(photo: NDArray[np.uint8], i: int, jitter: Jitter) -> NDArray[np.uint8]:
    """Frame ``i`` of a clip showing ``photo``: jittered placement, brightness, sensor noise."""
    m = jitter.matrix(i, photo.shape[:2])
    f = cv2.warpAffine(photo, m, (W, H), flags=cv2.INTER_LINEAR, borderValue=(96, 96, 96))
    noise = 2.0 * np.random.default_rng([jitter.seed, i, 7]).standard_normal(
        f.shape, dtype=np.float32
    )
    out = f.astype(np.float32) * jitter.gain(i) + noise
    return np.asarray(np.clip(np.rint(out), 0, 255), dtype=np.uint8)


@dataclass(frozen=True)
class Clip:
    """A clip's plan and per-frame truth (the frames are made on demand by :func:`frames`)."""

    people: tuple[str, str]
    """(the clip's person, the person it cuts to)."""
    shots: tuple[Shot, ...]
    labels: tuple[str, ...]
    """Per-frame label (``LABELS``)."""
    who: tuple[int, ...]
    """Per-frame person (0 or 1)."""
    view: tuple[str, ...]
    """Per-frame view ("turn" during a view change)."""
    seed: int


def make_clip(people: tuple[str, str], kind: int, seed: int) -> Clip:
    shots = tuple(schedule(kind))
    labels, who, view = [], [], []
    for s in shots:
        labels += [s.label] * s.frames
        who += [s.who] * s.frames
        view += [s.view if s.view_to is None else "turn"] * s.frames
    return Clip(people, shots, tuple(labels), tuple(who), tuple(view), seed)


def frames(clip: Clip, photos: Sequence[PersonPhotos]) -> Iterator[NDArray[np.uint8]]:
    """The clip's frames (HWC uint8 RGB); ``photos``: the two people of ``clip.people``."""
    morphers: dict[tuple[int, str], Morpher] = {}

    def morpher(who: int, view: str) -> Morpher:
        if (who, view) not in morphers:
            p = photos[who]
            morphers[(who, view)] = Morpher(
                p.neutral[view], p.neutral_lm[view], p.smiling[view], p.smiling_lm[view]
            )
        return morphers[(who, view)]

    jitter = Jitter(clip.seed)
    i = 0
    for s in clip.shots:
        for k in range(s.frames):
            a = s.start if s.frames == 1 else s.start + (s.end - s.start) * k / (s.frames - 1)
            photo = morpher(s.who, s.view).level(round(a, 4))
            if s.view_to is not None:
                t = (k + 1) / (s.frames + 1)
                other = morpher(s.who, s.view_to).level(round(a, 4))
                photo = np.asarray(
                    np.rint((1 - t) * photo.astype(np.float32) + t * other), np.uint8
                )
            yield render(photo, i, jitter)
            i += 1


def held_runs(labels: Sequence[str], who: Sequence[int]) -> list[tuple[int, int, str]]:
    """[start, end) and expression of every run of one held expression of one person
    (faint and full smiles both count as smiling; view changes do not end a run; ramps and
    cuts do)."""
    expr = ["smiling" if lab in ("smiling", "faint") else lab for lab in labels]
    runs: list[tuple[int, int, str]] = []
    a = 0
    for i in range(1, len(expr) + 1):
        if i == len(expr) or expr[i] != expr[a] or who[i] != who[a]:
            if expr[a] != "ramp":
                runs.append((a, i, expr[a]))
            a = i
    return runs


def load_people(
    data_dir: Path, samples: Sequence[Sample], obs: Observed
) -> dict[str, PersonPhotos]:
    """Photos and landmarks of every person with both expressions found in all of ``VIEWS``."""
    by: dict[str, dict[tuple[str, str], int]] = {}
    for i, s in enumerate(samples):
        if s.view in VIEWS and obs.found[i]:
            by.setdefault(s.face_id, {})[(s.view, s.expression)] = i
    out: dict[str, PersonPhotos] = {}
    for pid, idx in sorted(by.items()):
        if len(idx) != 2 * len(VIEWS):
            continue
        img = {
            k: read_image(data_dir / "london_faces_dev" / samples[i].file) for k, i in idx.items()
        }
        lm = {k: obs.landmarks[i][:, :2].astype(np.float64) for k, i in idx.items()}
        out[pid] = PersonPhotos(
            pid,
            {v: img[(v, "neutral")] for v in VIEWS},
            {v: img[(v, "smiling")] for v in VIEWS},
            {v: lm[(v, "neutral")] for v in VIEWS},
            {v: lm[(v, "smiling")] for v in VIEWS},
        )
    return out
