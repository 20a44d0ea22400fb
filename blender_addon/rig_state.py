"""What a bake takes from the user's rig and scene, remembered so *Remove Bake* gives it back.

A bake assigns moodrig's action to the armature (or, with NLA strips, leaves no active action):
the user's own action is unassigned (and kept with a fake user meanwhile, so saving never drops
it), the keyed bones' rotation values are overwritten by evaluation, and the scene's frame
range may be set to the clip. :class:`Origin` records all of it before the first bake, as JSON
on moodrig's behavior action(s), so it survives saving; a re-bake carries it over. Rotation
modes are never changed.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import bpy

from . import anim_compat
from .core.rotation import MODE_DATA_PATH

ORIGIN = "moodrig_origin"
"""On moodrig's behavior actions: the :class:`Origin` as JSON."""


@dataclass
class Origin:
    """The user's rig and scene state before the first bake."""

    action: str = ""
    """The user's action on the armature ('' for none)."""
    slot: str = ""
    """Its slot identifier (4.4+)."""
    fake_user: bool = False
    """Its fake-user flag."""
    created_animation_data: bool = False
    """The armature had no animation data before."""
    pose: dict[str, list[float]] = field(default_factory=dict)
    """Keyed bone → its rotation values (in its own rotation mode) before the bake."""
    scene: str = ""
    frame_range: list[int] | None = None
    """The scene's frame range before the bake."""
    frame_range_set: list[int] | None = None
    """The range the bake set (None: it left the range alone); restored only if still set."""

    def dumps(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def loads(cls, text: str) -> Origin:
        data = json.loads(text)
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def _rotation(pbone: Any) -> list[float]:
    return [float(v) for v in getattr(pbone, MODE_DATA_PATH[pbone.rotation_mode])]


def capture(armature: Any, scene: Any, bones: list[str]) -> Origin:
    """The state of a rig that holds no moodrig bake."""
    anim = armature.animation_data
    action = anim.action if anim is not None else None
    return Origin(
        action=action.name if action is not None else "",
        slot=anim_compat.slot_identifier(anim),
        fake_user=bool(action.use_fake_user) if action is not None else False,
        created_animation_data=anim is None,
        pose={b: _rotation(armature.pose.bones[b]) for b in bones},
        scene=scene.name,
        frame_range=[scene.frame_start, scene.frame_end],
    )


def carried(previous: Origin, armature: Any, bones: list[str]) -> Origin:
    """A re-bake's origin: the first bake's, plus the values of bones it did not key (they
    still hold the user's)."""
    pose = dict(previous.pose)
    for b in bones:
        if b not in pose:
            pose[b] = _rotation(armature.pose.bones[b])
    return Origin(**{**asdict(previous), "pose": pose})


def user_action(origin: Origin) -> Any | None:
    return bpy.data.actions.get(origin.action) if origin.action else None


def take(armature: Any, origin: Origin) -> None:
    """The bake takes the rig: the user's action keeps a fake user while unassigned."""
    action = user_action(origin)
    if action is not None:
        action.use_fake_user = True


def give_back(armature: Any, origin: Origin) -> None:
    """Remove Bake: the user's action (in its slot, with its fake-user flag), the keyed
    bones' values and the frame range (if the bake's range is still set) come back."""
    action = user_action(origin)
    anim_compat.assign(armature, action, origin.slot)
    if action is not None:
        action.use_fake_user = origin.fake_user
    for bone, values in origin.pose.items():
        pbone = armature.pose.bones.get(bone)
        if pbone is not None and len(values) == len(_rotation(pbone)):
            setattr(pbone, MODE_DATA_PATH[pbone.rotation_mode], values)
    anim = armature.animation_data
    if (
        origin.created_animation_data
        and anim is not None
        and anim.action is None
        and not anim.drivers
        and not anim.nla_tracks
    ):
        armature.animation_data_clear()
    scene = bpy.data.scenes.get(origin.scene)
    if (
        scene is not None
        and origin.frame_range
        and origin.frame_range_set
        and [scene.frame_start, scene.frame_end] == origin.frame_range_set
    ):
        set_frame_range(scene, origin.frame_range)


def set_frame_range(scene: Any, frame_range: list[int] | tuple[int, int]) -> None:
    """Set start and end in an order Blender accepts (end is clamped to ≥ start)."""
    start, end = int(frame_range[0]), int(frame_range[1])
    if start > scene.frame_end:
        scene.frame_end = end
        scene.frame_start = start
    else:
        scene.frame_start = start
        scene.frame_end = end
