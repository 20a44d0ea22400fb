"""moodrig: synchronized expression textures and body behavior for cinematic characters.

This module must stay importable without Blender: ``import moodrig.core`` runs it first.
Everything that needs ``bpy`` is imported inside :func:`register`.
"""

bl_info = {
    "name": "moodrig",
    "author": "moodrig developers",
    "version": (0, 1, 0),
    "blender": (3, 4, 0),
    "location": "3D Viewport > Sidebar > moodrig",
    "description": "Animate a character's face texture and body from a real face (AMEE-GAN + BPFA)",
    "category": "Animation",
    "doc_url": "",
}


def register() -> None:
    from . import registration

    registration.register()


def unregister() -> None:
    from . import registration

    registration.unregister()
