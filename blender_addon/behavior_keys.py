"""Behavior keys on the user's rig, and the way back.

:func:`prepare` carries the canonical role curves (``core.bpfa``) onto the rig: the plan is
built from the armature's rest data (``core.retarget.plan_retarget``), every mapped bone gets
its values in its *own* rotation mode (never switched), and the values are reduced to sparse
Bézier keys within the request's tolerance (``core.keyreduce``), for the whole clip or per
behavior episode. All of that is computed before anything is written. :func:`write` then keys
them in bulk (``keyframe_points.add`` + ``foreach_set`` of co, handles, handle types and
interpolation): one tagged action, or one tagged action and NLA strip per episode on a moodrig
NLA track. :func:`read_back` evaluates the written F-curves in Blender and turns them back into
canonical curves (``canonical_curves``), for the synchronization figures.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import bpy
import numpy as np
from numpy.typing import NDArray

from . import anim_compat
from .bone_maps import rest_of
from .core.bpfa import check_curves
from .core.errors import InputError
from .core.keyreduce import FCurveKeys, episode_ranges, fit_curve, reduce_rotation
from .core.retarget import (
    RetargetConfig,
    RetargetPlan,
    canonical_curves,
    plan_retarget,
    retarget_values,
)
from .core.rig import BONE_ROLES
from .core.rotation import MODE_CHANNELS, MODE_DATA_PATH, angle_between, from_mode
from .tags import role_of, tag

F64 = NDArray[np.float64]

ACTION_ROLE = "behavior_action"
EPISODE_ROLE = "behavior_episode"
TRACK = "moodrig behavior"
"""Name of the NLA track that holds one strip per episode."""
PLAN = "moodrig_plan"
"""On every behavior action: JSON of the bone map, rest pose and clip frames (read_back)."""
TARGET = "moodrig_target"
PLANTED_ROLES = frozenset({"hips"} | {f"{x}.{s}" for x in ("thigh", "shin", "foot") for s in "LR"})
PLANTED_TOLERANCE = 0.25
"""The hips and legs are keyed within this share of the tolerance: the legs are solved to
cancel the hips' motion, so an error of 0.5° in either swings a planted foot by up to 8 mm
(about a leg's length times the angle), of 0.125° by 2 mm."""


@dataclass(frozen=True)
class Piece:
    """Keys of one stretch of the clip: the whole clip, or one behavior episode."""

    behavior: str
    """The episode's behavior ('' for the whole clip)."""
    first: int
    """Index of its first frame in the clip."""
    last: int
    """Index of its last frame (inclusive: neighbouring episodes share a key)."""
    keys: dict[str, list[FCurveKeys]]
    """Bone → keys per channel of its rotation property."""


@dataclass(frozen=True)
class PreparedKeys:
    """Everything :func:`write` keys, computed before any write."""

    plan: RetargetPlan
    modes: dict[str, str]
    """Mapped bone → its rotation mode (as the user set it)."""
    values: dict[str, F64]
    """Mapped bone → dense (n, 3|4) values in its rotation mode."""
    frame_start: int
    rest_pose: str
    tolerance: float
    """Radians; 0: a key on every frame."""
    pieces: tuple[Piece, ...]

    @property
    def n_frames(self) -> int:
        return len(next(iter(self.values.values())))

    @property
    def key_count(self) -> int:
        return sum(len(k) for p in self.pieces for ch in p.keys.values() for k in ch)

    @property
    def dense_count(self) -> int:
        return sum(v.size for v in self.values.values())


def channel_keys(values: F64, mode: str, tolerance: float, first_frame: float) -> list[FCurveKeys]:
    """Keys per channel of one bone: within ``tolerance`` (geodesic, radians) at every frame;
    0 keys every frame (the curve's own slope at each key)."""
    if tolerance > 0.0:
        return reduce_rotation(values, mode, tolerance, first_frame)
    every = list(range(len(values)))
    return [fit_curve(values[:, c], 0.0, first_frame, every) for c in range(values.shape[1])]


def prepare(
    armature: Any,
    curves: Mapping[str, Any],
    bone_map: Mapping[str, str],
    frame_start: int,
    *,
    rest_pose: str = "auto",
    tolerance_deg: float = 0.5,
    timeline: Any = None,
) -> PreparedKeys:
    """Plan, retarget and reduce (see the module docstring); ``timeline`` (a
    ``core.bpfa.Timeline``) splits the keys into one piece per behavior episode."""
    check_curves(curves)
    plan = plan_retarget(rest_of(armature), dict(bone_map), RetargetConfig(rest_pose=rest_pose))
    modes = {b: armature.pose.bones[b].rotation_mode for b in plan.bone_map.values()}
    values = retarget_values(curves, plan, modes)
    for bone, v in values.items():
        if not np.all(np.isfinite(v)):
            raise InputError(None, f"the motion of bone '{bone}' is not finite; refusing to key it")
    n = len(next(iter(values.values())))
    tol = math.radians(tolerance_deg)
    if timeline is None:
        spans = [("", 0, n - 1)]
    else:
        spans = [
            (e.behavior, e.start_frame, min(e.end_frame, n - 1))
            for e in episode_ranges(timeline)
            if e.start_frame < n
        ]
    role_of = {b: r for r, b in plan.bone_map.items()}
    tols = {b: tol * (PLANTED_TOLERANCE if role_of[b] in PLANTED_ROLES else 1.0) for b in values}
    pieces = tuple(
        Piece(
            name,
            a,
            b,
            {
                bone: channel_keys(v[a : b + 1], modes[bone], tols[bone], frame_start + a)
                for bone, v in values.items()
            },
        )
        for name, a, b in spans
    )
    return PreparedKeys(plan, modes, values, frame_start, rest_pose, tol, pieces)


def data_path(bone: str, mode: str) -> str:
    return f'pose.bones["{bpy.utils.escape_identifier(bone)}"].{MODE_DATA_PATH[mode]}'


def _fill(container: Any, piece: Piece, modes: Mapping[str, str]) -> None:
    for bone, channels in piece.keys.items():
        group = anim_compat.ensure_group(container, bone)
        path = data_path(bone, modes[bone])
        for index, keys in enumerate(channels):
            anim_compat.write_keys(container, path, index, keys, group)


def _plan_json(prepared: PreparedKeys) -> str:
    return json.dumps(
        {
            "bones": prepared.plan.bone_map,
            "rest_pose": prepared.rest_pose,
            "frame_start": prepared.frame_start,
            "n_frames": prepared.n_frames,
        }
    )


def _episode_action(armature: Any, name: str) -> tuple[Any, Any]:
    """A new tagged action keyed for ``armature`` but assigned to nothing (an NLA strip plays
    it); returns (action, curve container)."""
    action = tag(bpy.data.actions.new(name), EPISODE_ROLE)
    if not anim_compat.SLOTTED:
        return action, action
    slot = action.slots.new(id_type="OBJECT", name=armature.name)
    strip = action.layers.new("moodrig").strips.new(type="KEYFRAME")
    return action, strip.channelbag(slot, ensure=True)


@dataclass
class Written:
    """What :func:`write` made: the action (one for the clip; the first episode's with NLA
    strips), every action, and the NLA track (or None)."""

    action: Any
    actions: list[Any]
    track: Any


def write(armature: Any, prepared: PreparedKeys, name: str, origin_json: str, nla: bool) -> Written:
    """Key ``prepared`` onto ``armature`` (see the module docstring); ``origin_json`` (the
    user's rig state, ``rig_state.Origin``) is stored on every action made."""
    plan = _plan_json(prepared)
    if not nla:
        action, container = anim_compat.new_action(armature, name, ACTION_ROLE)
        _mark(action, armature, plan, origin_json)
        _fill(container, prepared.pieces[0], prepared.modes)
        return Written(action, [action], None)
    if armature.animation_data is None:
        armature.animation_data_create()
    armature.animation_data.action = None
    track = armature.animation_data.nla_tracks.new()
    track.name = TRACK
    actions = []
    names = episode_names(name, prepared)
    for i, piece in enumerate(prepared.pieces):
        action, container = _episode_action(armature, names[i])
        actions.append(action)
        _mark(action, armature, plan, origin_json)
        _fill(container, piece, prepared.modes)
        strip = track.strips.new(
            f"{piece.behavior} {i + 1}", prepared.frame_start + piece.first, action
        )
        strip.blend_type = "REPLACE"
    return Written(actions[0], actions, track)


def episode_names(base: str, prepared: PreparedKeys) -> list[str]:
    """The episode actions' names: ``<base>_<number>_<behavior>``."""
    return [f"{base}_{i + 1:03d}_{p.behavior}" for i, p in enumerate(prepared.pieces)]


def _mark(action: Any, armature: Any, plan: str, origin_json: str) -> None:
    from .rig_state import ORIGIN

    action[TARGET] = armature.name
    action[PLAN] = plan
    action[ORIGIN] = origin_json


# ----------------------------------------------------------------------------- found again


def moodrig_tracks(armature: Any) -> list[Any]:
    """moodrig's NLA tracks on the armature (their strips play moodrig's episode actions)."""
    anim = armature.animation_data
    if anim is None:
        return []
    return [
        t
        for t in anim.nla_tracks
        if t.name.startswith(TRACK)
        and t.strips
        and all(s.action is not None and role_of(s.action) == EPISODE_ROLE for s in t.strips)
    ]


def baked_actions(armature: Any) -> list[Any]:
    """moodrig's behavior actions playing on the armature: its active action, or the episode
    actions of its NLA track (first strip first)."""
    anim = armature.animation_data
    if anim is not None and anim.action is not None and role_of(anim.action) == ACTION_ROLE:
        return [anim.action]
    return [s.action for t in moodrig_tracks(armature) for s in t.strips]


def _container(action: Any) -> Any:
    """The F-curves of one of moodrig's behavior actions (each has one slot on 4.4+)."""
    if not anim_compat.SLOTTED:
        return action
    slot = action.slots[0] if len(action.slots) else None
    for layer in action.layers:
        for strip in layer.strips:
            bag = strip.channelbag(slot) if slot is not None else None
            if bag is not None:
                return bag
    return None


def _plan_of(armature: Any, action: Any) -> tuple[RetargetPlan, dict[str, str], int, int]:
    info = json.loads(action[PLAN])
    plan = plan_retarget(
        rest_of(armature), info["bones"], RetargetConfig(rest_pose=info["rest_pose"])
    )
    modes = {b: armature.pose.bones[b].rotation_mode for b in plan.bone_map.values()}
    return plan, modes, int(info["frame_start"]), int(info["n_frames"])


def evaluated(armature: Any, actions: Sequence[Any]) -> tuple[dict[str, F64], dict[str, str]]:
    """Bone → (n, 3|4) values of the written keys, evaluated by Blender at every frame of the
    clip, in each bone's rotation mode; and the modes."""
    _, modes, start, n = _plan_of(armature, actions[0])
    out = {b: np.zeros((n, MODE_CHANNELS[m])) for b, m in modes.items()}
    for action in actions:
        container = _container(action)
        first, last = (int(v) for v in action.frame_range)
        frames = np.arange(max(first, start), min(last, start + n - 1) + 1)
        for bone, mode in modes.items():
            path = data_path(bone, mode)
            for c in range(MODE_CHANNELS[mode]):
                got = anim_compat.evaluate(container, path, c, frames)
                if got is not None:
                    out[bone][frames - start, c] = got
    return out, modes


def read_back(
    armature: Any, actions: Sequence[Any] | None = None, prepared: PreparedKeys | None = None
) -> tuple[dict[str, NDArray[np.float32]], float]:
    """The keys as written, evaluated by Blender: role → (n, 3) canonical curves (roles
    without a bone: zeros), and with ``prepared`` (what was keyed) the largest rotation
    (radians) between them and the dense motion over every keyed bone and frame (else 0)."""
    actions = list(actions) if actions is not None else baked_actions(armature)
    if not actions:
        raise InputError(None, f"'{armature.name}' holds no moodrig behavior keys")
    plan, _, _, n = _plan_of(armature, actions[0])
    values, modes = evaluated(armature, actions)
    back = canonical_curves(values, plan, modes)
    worst = 0.0
    for bone, dense in (prepared.values if prepared is not None else {}).items():
        got = from_mode(values[bone], modes[bone])
        worst = max(worst, float(angle_between(got, from_mode(dense, modes[bone])).max()))
    return {r: back.get(r, np.zeros((n, 3), np.float32)) for r in BONE_ROLES}, worst
