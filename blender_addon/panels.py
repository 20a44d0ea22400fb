"""Sidebar tab "moodrig" in the 3D viewport."""

from __future__ import annotations

import bpy


class VIEW3D_PT_moodrig_main(bpy.types.Panel):
    bl_label = "moodrig"
    bl_idname = "VIEW3D_PT_moodrig_main"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "moodrig"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        settings = context.scene.moodrig
        col = layout.column(align=True)
        col.label(text="Demo character", icon="ARMATURE_DATA")
        col.prop(settings, "texture_size")
        col.operator("moodrig.add_demo_character", icon="ADD")


_classes = (VIEW3D_PT_moodrig_main,)
register, unregister = bpy.utils.register_classes_factory(_classes)
