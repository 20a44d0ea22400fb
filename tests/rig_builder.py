"""Blender code (as text, for bpy snippets and the GUI scripts) that builds an armature from a
spec: ``build_armature(spec)`` with ``spec`` a dict of name, bone names, parents, heads, tails,
rolls (radians) and the pose bones' rotation mode (e.g. from ``humanoid_rigs.TestRig``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the GUI scripts import this module in Blender, without moodrig
    from humanoid_rigs import TestRig

BUILD_ARMATURE = """
def build_armature(spec):
    data = bpy.data.armatures.new(spec["name"])
    obj = bpy.data.objects.new(spec["name"], data)
    bpy.context.scene.collection.objects.link(obj)
    bpy.context.view_layer.objects.active = obj
    bpy.ops.object.mode_set(mode="EDIT")
    for n, h, t, r in zip(spec["names"], spec["heads"], spec["tails"], spec["rolls"]):
        eb = data.edit_bones.new(n)
        eb.head, eb.tail, eb.roll = h, t, r
    for n, p in zip(spec["names"], spec["parents"]):
        if p is not None:
            data.edit_bones[n].parent = data.edit_bones[p]
    bpy.ops.object.mode_set(mode="OBJECT")
    for pb in obj.pose.bones:
        pb.rotation_mode = spec["mode"]
    return obj

"""


def spec_of(rig: TestRig, name: str, mode: str = "QUATERNION") -> dict[str, object]:
    """A ``humanoid_rigs.TestRig`` as the spec ``build_armature`` takes."""
    return dict(
        name=name,
        names=rig.names,
        parents=rig.parents,
        heads=rig.heads,
        tails=rig.tails,
        rolls=rig.rolls,
        mode=mode,
    )
