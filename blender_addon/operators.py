"""Operators: thin adapters from properties to one call, errors reported, never raised at the user."""

from __future__ import annotations

import traceback

import bpy

from .core.errors import MoodrigError


class MOODRIG_OT_add_demo_character(bpy.types.Operator):
    """Add the stylised demo character: rigged body, face mesh with a painted face texture"""

    bl_idname = "moodrig.add_demo_character"
    bl_label = "Add Demo Character"
    bl_options = {"REGISTER", "UNDO"}

    texture_size: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="Texture size", default=0, min=0, max=4096,
        description="Face texture resolution in pixels (0: the scene's moodrig setting)",
    )

    def execute(self, context: bpy.types.Context) -> set[str]:
        from . import demo_character

        size = self.texture_size or context.scene.moodrig.texture_size
        try:
            character = demo_character.build(context.scene, texture_size=size, location=tuple(context.scene.cursor.location))
        except MoodrigError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        except Exception as exc:  # a bug: keep the traceback for the report
            traceback.print_exc()
            self.report({"ERROR"}, f"moodrig: unexpected error: {exc}")
            return {"CANCELLED"}
        for obj in context.view_layer.objects:
            obj.select_set(False)
        character.armature.select_set(True)
        context.view_layer.objects.active = character.armature
        self.report({"INFO"}, f"Added {character.armature.name}")
        return {"FINISHED"}


_classes = (MOODRIG_OT_add_demo_character,)
register, unregister = bpy.utils.register_classes_factory(_classes)
