"""Bone roles: the rig vocabulary shared by the BPFA joint mapping and the Blender side.

A role is a logical joint ("upper_arm.L"); the add-on maps roles to a rig's actual bone
names (demo rig, Rigify, Mixamo presets). Rotations are Euler XYZ in radians, in the bone's
local rest frame (Blender's pose-bone ``rotation_euler``).
"""

from __future__ import annotations

BONE_ROLES: tuple[str, ...] = (
    "hips",
    "spine",
    "chest",
    "neck",
    "head",
    "shoulder.L",
    "upper_arm.L",
    "forearm.L",
    "hand.L",
    "shoulder.R",
    "upper_arm.R",
    "forearm.R",
    "hand.R",
    "thigh.L",
    "shin.L",
    "foot.L",
    "thigh.R",
    "shin.R",
    "foot.R",
)

ROLE_PARENT: dict[str, str | None] = {
    "hips": None,
    "spine": "hips",
    "chest": "spine",
    "neck": "chest",
    "head": "neck",
    "shoulder.L": "chest",
    "upper_arm.L": "shoulder.L",
    "forearm.L": "upper_arm.L",
    "hand.L": "forearm.L",
    "shoulder.R": "chest",
    "upper_arm.R": "shoulder.R",
    "forearm.R": "upper_arm.R",
    "hand.R": "forearm.R",
    "thigh.L": "hips",
    "shin.L": "thigh.L",
    "foot.L": "shin.L",
    "thigh.R": "hips",
    "shin.R": "thigh.R",
    "foot.R": "shin.R",
}


REST_POSE_MODES: tuple[str, ...] = ("auto", "t-pose", "a-pose", "keep")
"""How motion meets a rig's rest pose (``core.retarget.RetargetConfig.rest_pose``)."""


def _sided(template: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for role, name in template.items():
        if "{S}" in role:
            for side, word in (("L", "Left"), ("R", "Right")):
                out[role.replace("{S}", side)] = name.replace("{S}", side).replace("{Side}", word)
        else:
            out[role] = name
    return out


BONE_MAP_PRESETS: dict[str, dict[str, str]] = {
    "demo": {role: role for role in BONE_ROLES},
    # Rigify's generated rig: key the FK controls (the DEF- bones follow them).
    "rigify": _sided(
        {
            "hips": "hips",
            "spine": "spine_fk.001",
            "chest": "chest",
            "neck": "neck",
            "head": "head",
            "shoulder.{S}": "shoulder.{S}",
            "upper_arm.{S}": "upper_arm_fk.{S}",
            "forearm.{S}": "forearm_fk.{S}",
            "hand.{S}": "hand_fk.{S}",
            "thigh.{S}": "thigh_fk.{S}",
            "shin.{S}": "shin_fk.{S}",
            "foot.{S}": "foot_fk.{S}",
        }
    ),
    "mixamo": _sided(
        {
            "hips": "mixamorig:Hips",
            "spine": "mixamorig:Spine",
            "chest": "mixamorig:Spine2",
            "neck": "mixamorig:Neck",
            "head": "mixamorig:Head",
            "shoulder.{S}": "mixamorig:{Side}Shoulder",
            "upper_arm.{S}": "mixamorig:{Side}Arm",
            "forearm.{S}": "mixamorig:{Side}ForeArm",
            "hand.{S}": "mixamorig:{Side}Hand",
            "thigh.{S}": "mixamorig:{Side}UpLeg",
            "shin.{S}": "mixamorig:{Side}Leg",
            "foot.{S}": "mixamorig:{Side}Foot",
        }
    ),
}
"""Bone role → bone name for common rigs. ``.L`` is the character's left (Blender convention)."""
