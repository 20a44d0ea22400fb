"""Timeline → per-bone rotation curves (docs/method.md §5).

Each channel of a behavior's motion reads its angle table at the head angle (the
"expression angle", Table 2), interpolates start and end rotations, adds a uniform jitter
drawn from the seeded generator, and shapes the curve over the segment (``ease``, ``pulse``,
``oscillate``, ``track``, ``cycle``, ``sway``). Segments blend: over the behavior's ``blend``
time the pose moves with smoothstep weight from the previous motion — continued from the pose
actually rendered, so nothing ever jumps — to the new one. Joint limits are enforced last.

Output: role → (n_frames, 3) float32 Euler XYZ radians, every role of ``BONE_ROLES``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import DefinitionError
from ..rig import BONE_ROLES
from ..track import ExpressionTrack
from .limits import clamp_to_limits
from .model import Bpfa, Channel, Segment, Timeline

ROLE_INDEX = {r: i for i, r in enumerate(BONE_ROLES)}
N_CHANNELS = 3 * len(BONE_ROLES)
SOURCE_INDEX = {"yaw": 0, "pitch": 1, "roll": 2}
FOLLOW_SOFT_DEG = 2.0
"""Below this |angle| a ``follow`` channel's sign fades linearly, so crossing 0° never pops."""
SWAY_RATIOS = (1.0, (1.0 + math.sqrt(5.0)) / 2.0, 1.0 + math.sqrt(2.0))
"""Frequencies of a ``sway`` channel's three sines, as multiples of its ``hz``: pairwise
incommensurate, so the sum never repeats."""
SWAY_WEIGHTS = (0.5, 0.3, 0.2)
"""Amplitude share of each sine (they sum to 1, so |sway| never exceeds the amplitude)."""


def smoothstep(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """3x² − 2x³ on x clipped to [0, 1]: zero slope at both ends."""
    c = np.clip(x, 0.0, 1.0)
    return c * c * (3.0 - 2.0 * c)


def channel_values(
    ch: Channel,
    frames: NDArray[np.int64],
    start_frame: int,
    planned_frames: int,
    angles: NDArray[np.float64],
    fps: float,
    scale: float,
    table_index: int,
    jitter: tuple[float, float],
    phases: tuple[float, ...] = (0.0, 0.0, 0.0),
) -> NDArray[np.float64]:
    """Rotation (radians) of one channel at ``frames`` for a segment starting at ``start_frame``.

    ``angles`` are the source head angles (degrees) at ``frames``; non-``track`` shapes use
    the angle at the segment start (the first entry whose frame is the start, else the
    first entry). ``phases``: the phase (radians) of each sine of a ``sway`` channel.
    """
    table = ch.tables[table_index]
    u = np.clip((frames - start_frame) / float(max(planned_frames, 1)), 0.0, 1.0)
    if ch.source == "none":
        ang = np.zeros(len(frames))
    elif ch.shape == "track":
        ang = angles
    else:
        at = np.flatnonzero(frames == start_frame)
        ang = np.full(len(frames), angles[at[0]] if at.size else angles[0])
    mag = np.abs(ang)
    s = np.interp(mag, table.angles, table.starts) + jitter[0]
    e = np.interp(mag, table.angles, table.ends) + jitter[1]
    k = ch.gain * scale
    if ch.shape in ("ease", "track"):
        v = s + (e - s) * smoothstep(u)
    else:
        amp = s + (e - s) * u
        if ch.shape == "pulse":
            v = amp * (1.0 - np.cos(2.0 * math.pi * ch.cycles * u)) / 2.0
        elif ch.shape == "oscillate":
            v = amp * np.sin(2.0 * math.pi * ch.cycles * u)
        elif ch.shape == "cycle":  # absolute time, phase continuous across segments
            v = amp * np.sin(2.0 * math.pi * ch.hz * frames / fps)
        else:  # sway: three incommensurate sines at absolute time, seeded phases
            t = 2.0 * math.pi * ch.hz * frames / fps
            v = amp * sum(
                w * np.sin(r * t + p)
                for w, r, p in zip(SWAY_WEIGHTS, SWAY_RATIOS, phases, strict=True)
            )
    if ch.follow:
        v = v * np.clip(ang / FOLLOW_SOFT_DEG, -1.0, 1.0)
    return np.asarray(k * v, dtype=np.float64)


class _SegmentCurve:
    """A segment's motion with its variation drawn once, evaluable at any frames.

    ``sway`` phases are drawn once per (motion, channel) for the whole timeline and kept in
    ``phases``, so consecutive segments of one motion sway on without a seam.
    """

    def __init__(
        self,
        bpfa: Bpfa,
        seg: Segment,
        head: NDArray[np.float64],
        fps: float,
        rng: np.random.Generator,
        phases: dict[tuple[str, int], tuple[float, ...]] | None = None,
    ) -> None:
        self.seg = seg
        self.head = head
        self.fps = fps
        motion = bpfa.actions[seg.action].motion
        self.channels = bpfa.motions[motion].channels
        self.draws: list[tuple[int, tuple[float, float]]] = []
        self.phases: list[tuple[float, ...]] = []
        shared = {} if phases is None else phases
        for k, ch in enumerate(self.channels):
            ti = int(rng.integers(len(ch.tables))) if len(ch.tables) > 1 else 0
            v = ch.variation
            j = (float(rng.uniform(-v, v)), float(rng.uniform(-v, v))) if v > 0 else (0.0, 0.0)
            self.draws.append((ti, j))
            if ch.shape == "sway" and (motion, k) not in shared:
                shared[(motion, k)] = tuple(float(x) for x in rng.uniform(0.0, 2.0 * math.pi, 3))
            self.phases.append(shared.get((motion, k), (0.0, 0.0, 0.0)))

    def __call__(self, frames: NDArray[np.int64]) -> NDArray[np.float64]:
        out = np.zeros((len(frames), N_CHANNELS))
        idx = np.clip(frames, 0, len(self.head) - 1)
        for ch, (ti, j), ph in zip(self.channels, self.draws, self.phases, strict=True):
            src = SOURCE_INDEX.get(ch.source)
            ang = self.head[idx, src] if src is not None else np.zeros(len(frames))
            col = 3 * ROLE_INDEX[ch.role] + ch.axis
            out[:, col] += channel_values(
                ch,
                frames,
                self.seg.start_frame,
                self.seg.planned_frames,
                ang,
                self.fps,
                self.seg.scale,
                ti,
                j,
                ph,
            )
        return out


def _blend_frames(seconds: float, fps: float, n_frames: int) -> int:
    """A blend time in frames, 1 to ``n_frames`` (a huge or NaN blend never overflows)."""
    x = seconds * fps
    return max(1, round(x)) if x < n_frames else max(1, n_frames)


def _head_angles(track: ExpressionTrack | None, n_frames: int) -> NDArray[np.float64]:
    if track is None:
        return np.zeros((n_frames, 3))
    if len(track) != n_frames:
        raise ValueError(f"track has {len(track)} frames but the timeline {n_frames}")
    return track.head.astype(np.float64)


def joint_curves(
    timeline: Timeline,
    track: ExpressionTrack | None,
    bpfa: Bpfa,
    seed: int | np.random.Generator,
) -> dict[str, NDArray[np.float32]]:
    """Per bone role, (n_frames, 3) float32 Euler XYZ radians; rest (0) where nothing moves."""
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    n = timeline.n_frames
    fps = timeline.fps
    head = _head_angles(track, n)
    behaviors = {b.id: b for b in bpfa.automaton.behaviors}
    pose = np.zeros((n, N_CHANNELS))
    prev: _SegmentCurve | None = None
    phases: dict[tuple[str, int], tuple[float, ...]] = {}
    for seg in timeline.segments:
        cur = _SegmentCurve(bpfa, seg, head, fps, rng, phases)
        a, e = seg.start_frame, seg.end_frame
        frames = np.arange(a, e, dtype=np.int64)
        target = cur(frames)
        if not np.isfinite(target).all():
            raise _not_finite(bpfa, seg, target, frames)
        blend = _blend_frames(behaviors[seg.behavior].blend, fps, n)
        w = smoothstep((frames - a) / blend)[:, None]
        if prev is None:
            base = np.zeros_like(target)  # the rest pose precedes the first segment
        else:
            anchor = np.array([a - 1], dtype=np.int64)
            base = pose[a - 1] + (prev(frames) - prev(anchor))
        pose[a:e] = (1.0 - w) * base + w * target
        prev = cur
    out: dict[str, NDArray[np.float32]] = {}
    for role, i in ROLE_INDEX.items():
        out[role] = clamp_to_limits(role, pose[:, 3 * i : 3 * i + 3])
    check_curves(out, bpfa.source)
    return out


MAX_ROTATION = 2.0 * math.pi
"""Largest |rotation| (radians) a joint curve may hold; the joint limits are far tighter."""


def _not_finite(
    bpfa: Bpfa, seg: Segment, target: NDArray[np.float64], frames: NDArray[np.int64]
) -> DefinitionError:
    """Which motion, bone and frame produced a NaN or infinite rotation, as a DefinitionError."""
    row, col = (int(v[0]) for v in np.nonzero(~np.isfinite(target)))
    motion = bpfa.actions[seg.action].motion
    return DefinitionError(
        bpfa.source,
        f"$.motions.{motion}",
        f"motion {motion!r} gives {channel_name(col)} a non-finite rotation "
        f"({target[row, col]}) at frame {int(frames[row])} (behavior {seg.behavior!r}, "
        f"action {seg.action!r}, outcome {seg.outcome!r})",
        "check its channels' cycles, hz, gain and variation and the outcome's scale",
    )


def check_curves(
    curves: Mapping[str, NDArray[np.floating[Any]]], source: str | Path | None = None
) -> None:
    """Refuse joint curves that are not safe to key: every value finite, |value| ≤
    :data:`MAX_ROTATION`, every role of ``BONE_ROLES`` known. Raises a DefinitionError naming
    ``source`` (the definition file), the bone, axis and first bad frame."""
    for role, values in curves.items():
        arr = np.asarray(values)
        if role not in ROLE_INDEX or arr.ndim != 2 or arr.shape[1] != 3:
            raise DefinitionError(
                source,
                f"curves[{role!r}]",
                f"not an (n, 3) curve of a known bone role (shape {arr.shape})",
                "this is a bug in the caller: report it",
            )
        bad = ~(np.abs(arr) <= MAX_ROTATION)  # NaN compares False: bad too
        if bad.any():
            frame, axis = (int(v[0]) for v in np.nonzero(bad))
            raise DefinitionError(
                source,
                f"curves[{role!r}]",
                f"rotation of {role}.{'xyz'[axis]} at frame {frame} is "
                f"{float(arr[frame, axis])}, not a finite angle within "
                f"±{MAX_ROTATION:.4g} rad; refusing to key it",
                "check the definition's cycles, hz, gain, variation and scale values",
            )


def stack_curves(curves: Mapping[str, NDArray[np.floating[Any]]]) -> NDArray[np.float64]:
    """(n_frames, 57) matrix of all channels in ``BONE_ROLES`` order (role-major, X Y Z).

    A role missing from ``curves`` (e.g. a rig without that bone, read back from keyframes)
    is at rest; roles outside ``BONE_ROLES`` are an error.
    """
    unknown = set(curves) - set(BONE_ROLES)
    if unknown:
        raise ValueError(f"unknown bone role(s) {sorted(unknown)}; known: {list(BONE_ROLES)}")
    if not curves:
        raise ValueError("no curves given")
    n = len(next(iter(curves.values())))
    out = np.zeros((n, N_CHANNELS))
    for role, i in ROLE_INDEX.items():
        if role in curves:
            c = np.asarray(curves[role], dtype=np.float64)
            if c.shape != (n, 3):
                raise ValueError(f"curve of {role!r} has shape {c.shape}, expected ({n}, 3)")
            out[:, 3 * i : 3 * i + 3] = c
    return out


def channel_name(col: int) -> str:
    """``head.y`` style name of a stacked column."""
    return f"{BONE_ROLES[col // 3]}.{'xyz'[col % 3]}"
