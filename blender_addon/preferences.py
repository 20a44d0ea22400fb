"""Add-on preferences (``bl_idname = __package__`` so it works as extension and legacy add-on)."""

from __future__ import annotations

import bpy


class MOODRIG_AP_preferences(bpy.types.AddonPreferences):
    bl_idname = __package__ or "moodrig"

    device: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Device",
        description="Where the neural networks run",
        items=[
            ("auto", "Automatic", "CUDA, then Apple MPS, then CPU"),
            ("cpu", "CPU", "Always the CPU (deterministic)"),
            ("cuda", "CUDA", "An NVIDIA GPU"),
            ("mps", "Apple MPS", "Apple silicon GPU"),
        ],
        default="auto",
    )

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        layout.prop(self, "device")


_classes = (MOODRIG_AP_preferences,)
register, unregister = bpy.utils.register_classes_factory(_classes)
