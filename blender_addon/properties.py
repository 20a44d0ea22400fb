"""Scene-level settings, one PropertyGroup removed again in ``unregister``."""

from __future__ import annotations

import bpy


class MoodrigSceneSettings(bpy.types.PropertyGroup):
    texture_size: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="Texture size",
        description="Resolution of the demo face texture, in pixels",
        default=512,
        min=64,
        max=4096,
    )


_classes = (MoodrigSceneSettings,)
_register, _unregister = bpy.utils.register_classes_factory(_classes)


def register() -> None:
    _register()
    bpy.types.Scene.moodrig = bpy.props.PointerProperty(type=MoodrigSceneSettings)


def unregister() -> None:
    del bpy.types.Scene.moodrig
    _unregister()
