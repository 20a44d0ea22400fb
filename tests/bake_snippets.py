"""Code shared by the bpy snippets of the bake tests (run in a fresh process by bpy_runner).

``BAKE_PRELUDE`` imports moodrig (and ``BakeRequest``), defines ``PainterEditor`` (a test
double for AMEE-GAN that returns the painter's exact ground truth) and ``fresh(folder)``
(factory scene, demo character, a user action with a fake user, saved as
``folder/scene.blend``).
"""

BAKE_PRELUDE = """
import bpy, moodrig, numpy as np, json, hashlib
from pathlib import Path
from moodrig import api, bake as scene_bake
from moodrig.api import BakeRequest
from moodrig.core.painter import paint_face, DEFAULT_STYLE
from moodrig.core.demo_timeline import scripted_track
from moodrig.core.rig import BONE_ROLES

class PainterEditor:
    model_id = "painter-ground-truth"
    takes_source = False
    resolution = 64  # the painter draws at any size; the demo face texture is 64 px here
    def edit(self, textures, vectors):
        return np.stack([paint_face(DEFAULT_STYLE, v, textures.shape[1]) for v in vectors])

def fresh(folder):
    if hasattr(bpy.types, "MOODRIG_OT_bake"):
        moodrig.unregister()
    bpy.ops.wm.read_factory_settings(use_empty=True)
    moodrig.register()
    bpy.ops.moodrig.add_demo_character(texture_size=64)
    user_action = bpy.data.actions.new("UserAction"); user_action.use_fake_user = True
    bpy.ops.wm.save_as_mainfile(filepath=str(Path(folder) / "scene.blend"))
"""
