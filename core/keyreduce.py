"""Sparse keys: the few Bézier keyframes that reproduce dense per-frame curves within a tolerance.

A dense curve (one value per frame) is reduced to keys whose Bézier segments, evaluated the way
Blender evaluates an F-curve, stay within ``tolerance`` of every frame. Blender evaluates a
segment between keys a and b as the 2-D cubic Bézier with control points (a.co, a.handle_right,
b.handle_left, b.co), all absolute (frame, value) coordinates: it solves x(t) = frame for the
curve parameter t, then returns y(t). With the handles at 1/3 and 2/3 of the segment, as here,
x is linear in t and y is the cubic Hermite interpolant of the two keys and their slopes.

Fitting: keys at the first and last frame; each key's slope is the curve's own (central
difference of the dense samples); while a segment misses a frame by more than the tolerance, a
key is added at its worst frame. The slope is the same on both sides of a key, so the handles
are aligned (Blender handle type ``ALIGNED`` keeps them, ``FREE`` keeps them exactly; ``AUTO``
types would be recomputed by Blender and must not be used). A curve within the tolerance of
its first value is one key.

Rotations: :func:`reduce_rotation` fits the channels of a bone in its rotation mode and then
adds keys until the *rotation* (geodesic angle between the dense and the keyed rotation, every
frame) is within the tolerance, so the guarantee holds for quaternions and axis-angle too.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .bpfa.model import Timeline
from .rotation import EULER_ORDERS, MODE_CHANNELS, angle_between, check_mode, from_mode

F64 = NDArray[np.float64]

DEFAULT_TOLERANCE = math.radians(0.5)
"""Largest rotation error (radians) a reduced curve may show at any frame."""


@dataclass(frozen=True)
class FCurveKeys:
    """One F-curve's Bézier keyframes in Blender's absolute coordinates.

    Attributes:
        frames: (k,) key frames (``keyframe.co.x``), increasing.
        values: (k,) key values (``keyframe.co.y``).
        left: (k, 2) ``handle_left`` (frame, value).
        right: (k, 2) ``handle_right`` (frame, value).
    """

    frames: F64
    values: F64
    left: F64
    right: F64

    def __len__(self) -> int:
        return len(self.frames)


def _correct(p0: F64, p1: F64, p2: F64, p3: F64) -> tuple[F64, F64]:
    """Blender's ``BKE_fcurve_correct_bezpart``: a handle reaching past the segment's length in
    time is shortened (keeping its direction) to that length."""
    span = (p3[:, 0] - p0[:, 0])[:, None]
    h1, h2 = p0 - p1, p3 - p2
    f1 = np.where(np.abs(h1[:, :1]) > span, span / np.maximum(np.abs(h1[:, :1]), 1e-300), 1.0)
    f2 = np.where(np.abs(h2[:, :1]) > span, span / np.maximum(np.abs(h2[:, :1]), 1e-300), 1.0)
    return p0 - f1 * h1, p3 - f2 * h2


def _bezier(a: Any, b: Any, c: Any, d: Any, t: F64) -> F64:
    u = 1.0 - t
    return np.asarray(u**3 * a + 3 * u * u * t * b + 3 * u * t * t * c + t**3 * d, dtype=np.float64)


def evaluate(keys: FCurveKeys, frames: Any) -> F64:
    """Values of the F-curve at ``frames`` as Blender computes them (Bézier interpolation,
    constant extrapolation before the first and after the last key)."""
    f = np.atleast_1d(np.asarray(frames, dtype=np.float64))
    k = len(keys)
    if k == 0:
        raise ValueError("an F-curve needs at least one key")
    if k == 1:
        return np.full(f.shape, float(keys.values[0]))
    seg = np.clip(np.searchsorted(keys.frames, f, side="right") - 1, 0, k - 2)
    p0 = np.stack([keys.frames[seg], keys.values[seg]], 1)
    p3 = np.stack([keys.frames[seg + 1], keys.values[seg + 1]], 1)
    p1, p2 = _correct(p0, keys.right[seg], keys.left[seg + 1], p3)
    # Bisection finds t for the frame to machine precision where x(t) rises monotonically (always
    # so for handles inside their segment, as every fit here makes; crossing handles of a
    # hand-edited curve may make Blender pick another root).
    lo, hi = np.zeros(len(f)), np.ones(len(f))
    x = np.clip(f, p0[:, 0], p3[:, 0])
    for _ in range(60):
        mid = (lo + hi) / 2
        below = _bezier(p0[:, 0], p1[:, 0], p2[:, 0], p3[:, 0], mid) < x
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    y = _bezier(p0[:, 1], p1[:, 1], p2[:, 1], p3[:, 1], (lo + hi) / 2)
    y = np.where(f <= keys.frames[0], keys.values[0], y)
    return np.where(f >= keys.frames[-1], keys.values[-1], y)


def _slopes(y: F64) -> F64:
    """Per-frame slope (value per frame): central differences, second-order one-sided at the
    ends."""
    n = len(y)
    s = np.zeros(n)
    if n >= 3:
        s[1:-1] = (y[2:] - y[:-2]) / 2.0
        s[0] = (-3 * y[0] + 4 * y[1] - y[2]) / 2.0
        s[-1] = (3 * y[-1] - 4 * y[-2] + y[-3]) / 2.0
    elif n == 2:
        s[:] = y[1] - y[0]
    return s


def _hermite(y: F64, s: F64, a: int, b: int) -> F64:
    """The segment a..b at the frames a..b (handles at 1/3 and 2/3: a cubic Hermite)."""
    h = b - a
    t = np.arange(h + 1) / h
    return _bezier(y[a], y[a] + s[a] * h / 3, y[b] - s[b] * h / 3, y[b], t)


def _keys_at(y: F64, s: F64, idx: Sequence[int], first_frame: float) -> FCurveKeys:
    i = np.asarray(sorted(idx), dtype=np.int64)
    frames = first_frame + i.astype(np.float64)
    if len(i) == 1:
        flat = np.array([[frames[0] - 1.0, y[i[0]]]])
        return FCurveKeys(frames, y[i].copy(), flat, flat + np.array([[2.0, 0.0]]))
    gaps = np.diff(frames)
    before = np.concatenate(([gaps[0]], gaps)) / 3.0
    after = np.concatenate((gaps, [gaps[-1]])) / 3.0
    left = np.stack([frames - before, y[i] - s[i] * before], 1)
    right = np.stack([frames + after, y[i] + s[i] * after], 1)
    return FCurveKeys(frames, y[i].copy(), left, right)


def _greedy(y: F64, s: F64, tol: float, keys: set[int]) -> set[int]:
    todo = sorted(keys)
    stack = list(itertools.pairwise(todo))
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        err = np.abs(_hermite(y, s, a, b) - y[a : b + 1])
        worst = int(np.argmax(err))
        if err[worst] > tol:
            m = a + worst
            keys.add(m)
            stack += [(a, m), (m, b)]
    return keys


def fit_curve(
    values: Any, tolerance: float, first_frame: float = 0.0, extra: Sequence[int] = ()
) -> FCurveKeys:
    """Sparse keys for dense ``values`` (one per frame from ``first_frame``) that stay within
    ``tolerance`` at every frame; ``extra``: frame indices that must be keys."""
    y = np.asarray(values, dtype=np.float64)
    if y.ndim != 1 or len(y) == 0:
        raise ValueError(f"need a 1-D curve with at least one frame, got shape {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ValueError("the curve has non-finite values")
    s = _slopes(y)
    if not extra and float(np.abs(y - y[0]).max()) <= tolerance:
        return _keys_at(y, np.zeros_like(y), [0], first_frame)
    keys = _greedy(y, s, tolerance, {0, len(y) - 1, *(int(e) for e in extra)})
    return _keys_at(y, s, sorted(keys), first_frame)


def _key_index(keys: FCurveKeys, first_frame: float) -> list[int]:
    return [round(float(f) - first_frame) for f in keys.frames]


def channel_tolerances(values: Any, mode: str, tolerance: float) -> F64:
    """Per-channel starting tolerance for a rotation of ``mode``: the angle itself for Euler
    and the axis-angle angle; half of it per quaternion component (an error δ in the unit
    quaternion turns the rotation by about 2|δ|); for the axis, the angle divided by the
    largest rotation the bone makes (an axis error δ turns it by about |angle|·|δ|)."""
    v = np.asarray(values, dtype=np.float64)
    c = MODE_CHANNELS[check_mode(mode)]
    if mode in EULER_ORDERS:
        return np.full(c, tolerance)
    if mode == "QUATERNION":
        return np.full(c, tolerance / 2.0)
    big = max(float(np.abs(v[:, 0]).max()), tolerance)
    return np.array([tolerance / 2.0, *([tolerance / (2.0 * big)] * 3)])


def reduce_rotation(
    values: Any, mode: str, tolerance: float = DEFAULT_TOLERANCE, first_frame: float = 0.0
) -> list[FCurveKeys]:
    """Keys per channel of one bone's rotation (values (n, 3|4) in ``mode``) such that the keyed
    rotation is within ``tolerance`` radians (geodesic) of the dense one at every frame."""
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 2 or v.shape[1] != MODE_CHANNELS[check_mode(mode)]:
        raise ValueError(f"{mode} values need shape (n, {MODE_CHANNELS[mode]}), got {v.shape}")
    tols = channel_tolerances(v, mode, tolerance)
    extra: list[set[int]] = [set() for _ in range(v.shape[1])]
    dense = from_mode(v, mode)
    frames = first_frame + np.arange(len(v), dtype=np.float64)
    for _ in range(4 * len(v)):
        fits = [
            fit_curve(v[:, c], float(tols[c]), first_frame, sorted(extra[c]))
            for c in range(v.shape[1])
        ]
        keyed = np.stack([evaluate(k, frames) for k in fits], 1)
        err = angle_between(from_mode(keyed, mode), dense)
        worst = int(np.argmax(err))
        if err[worst] <= tolerance:
            return fits
        # Key the channel that misses most at the worst frame there.
        miss = np.abs(keyed[worst] - v[worst]) / tols
        for c in np.argsort(-miss):
            if worst not in _key_index(fits[int(c)], first_frame):
                extra[int(c)].add(worst)
                break
        else:  # every channel already keyed there: tighten them all
            tols = tols / 2.0
    raise RuntimeError("key reduction did not converge")  # pragma: no cover - every frame keyed


@dataclass(frozen=True)
class SparseSummary:
    """Key reduction of a set of bone rotation curves.

    Attributes:
        dense_keys: keys when every channel is keyed on every frame.
        sparse_keys: keys after reduction.
        reduction: 1 − sparse / dense.
        max_rotation_error: largest geodesic error (radians) of any bone at any frame.
        max_channel_error: largest error of any channel value at any frame (radians for
            Euler angles and the axis-angle angle, unit-less for quaternion components).
        tolerance: the tolerance used (radians).
        moving_channels: channels that are not one key (they change beyond the tolerance).
        moving_dense_keys: dense keys of those channels.
        moving_sparse_keys: their keys after reduction.
    """

    dense_keys: int
    sparse_keys: int
    reduction: float
    max_rotation_error: float
    max_channel_error: float
    tolerance: float
    moving_channels: int = 0
    moving_dense_keys: int = 0
    moving_sparse_keys: int = 0

    def line(self) -> str:
        """One line for a summary."""
        moving = 1.0 - self.moving_sparse_keys / max(self.moving_dense_keys, 1)
        return (
            f"keys: {self.sparse_keys} of {self.dense_keys} dense "
            f"(-{100 * self.reduction:.1f} %; the {self.moving_channels} moving channels "
            f"{self.moving_sparse_keys} of {self.moving_dense_keys}, -{100 * moving:.1f} %), "
            f"max deviation {math.degrees(self.max_rotation_error):.3f}° "
            f"(tolerance {math.degrees(self.tolerance):.2f}°)"
        )


def reduce_curves(
    curves: Mapping[str, Any],
    modes: Mapping[str, str] | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    first_frame: float = 0.0,
) -> dict[str, list[FCurveKeys]]:
    """Bone (or role) → keys per channel; ``modes``: each curve's rotation mode (XYZ if None)."""
    return {
        name: reduce_rotation(v, (modes or {}).get(name, "XYZ"), tolerance, first_frame)
        for name, v in curves.items()
    }


def sparse_summary(
    curves: Mapping[str, Any],
    modes: Mapping[str, str] | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
) -> SparseSummary:
    """Reduce every curve and measure it: key counts and the largest deviation, evaluated as
    Blender evaluates the keys."""
    dense = sparse = moving = moving_dense = moving_sparse = 0
    worst_rot = worst_ch = 0.0
    for name, keys in reduce_curves(curves, modes, tolerance).items():
        v = np.asarray(curves[name], dtype=np.float64)
        mode = (modes or {}).get(name, "XYZ")
        frames = np.arange(len(v), dtype=np.float64)
        keyed = np.stack([evaluate(k, frames) for k in keys], 1)
        dense += v.size
        sparse += sum(len(k) for k in keys)
        for k in keys:
            if len(k) > 1:
                moving, moving_dense, moving_sparse = (
                    moving + 1,
                    moving_dense + len(v),
                    moving_sparse + len(k),
                )
        worst_ch = max(worst_ch, float(np.abs(keyed - v).max()))
        worst_rot = max(
            worst_rot, float(angle_between(from_mode(keyed, mode), from_mode(v, mode)).max())
        )
    return SparseSummary(
        dense,
        sparse,
        1.0 - sparse / max(dense, 1),
        worst_rot,
        worst_ch,
        tolerance,
        moving,
        moving_dense,
        moving_sparse,
    )


@dataclass(frozen=True)
class Episode:
    """A stretch of frames [start_frame, end_frame) playing one behavior (one NLA strip)."""

    behavior: str
    start_frame: int
    end_frame: int


def episode_ranges(timeline: Timeline) -> tuple[Episode, ...]:
    """The timeline's behavior episodes: consecutive segments of the same behavior merged.

    To key one strip per episode, reduce each episode's slice of the dense curves including
    its end frame (``values[start : end + 1]``), so neighbouring strips meet on a shared key.
    """
    out: list[Episode] = []
    for seg in timeline.segments:
        if out and out[-1].behavior == seg.behavior and out[-1].end_frame == seg.start_frame:
            out[-1] = Episode(seg.behavior, out[-1].start_frame, seg.end_frame)
        else:
            out.append(Episode(seg.behavior, seg.start_frame, seg.end_frame))
    return tuple(out)
