"""Nothing of the user's is lost, in the real bpy: bake → Remove Bake, and bake → save → reopen
→ Remove Bake, give back every pose channel of the artist's own action at every frame (max
difference ≤ 1e-6), the rotation modes, the frame range and the materials, images and actions
(names, users, fake-user flags, pixel and key digests) exactly as they were; a scene that holds
a bake bakes again from the original texture, also after save and reopen; the same with one
NLA strip per episode.

The appearance model is the painter test double (tests/bake_snippets.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from bake_snippets import BAKE_PRELUDE
from bpy_runner import run_bpy
from user_state import USER_STATE

pytestmark = pytest.mark.blender

SETUP = (
    BAKE_PRELUDE
    + USER_STATE
    + """
FRAMES = list(range(1, 121))
TRACK = scripted_track(fps=24.0, seconds=4.0)

def scene_objects():
    return bpy.data.objects["moodrig_DemoRig"], bpy.data.objects["moodrig_DemoFace"]

def prepare(folder):
    fresh(folder)
    rig, face = scene_objects()
    animate_user(rig, ["head", "neck", "upper_arm.L", "forearm.R", "thigh.L", "spine"],
                 range(1, 61, 6))
    rig.pose.bones["hand.L"].rotation_euler = (0.2, 0.1, -0.3)   # posed by hand, not keyed
    rig.pose.bones["chest"].rotation_mode = "ZXY"
    bpy.context.scene.frame_start, bpy.context.scene.frame_end = 1, 60
    bpy.ops.wm.save_mainfile()
    return dict(track=pose_track(rig, FRAMES), state=state(rig, face))

def bake(**options):
    s = bpy.context.scene.moodrig
    rig, face = scene_objects()
    s.face, s.armature = face, rig
    return api.bake(None, face, rig, BakeRequest(seed=3, **options), track=TRACK,
                    editor=PainterEditor())

def after_remove():
    rig, face = scene_objects()
    s = bpy.context.scene.moodrig
    s.face, s.armature = face, rig
    removed = list(bpy.ops.moodrig.remove_bake())
    return dict(removed=removed, track=pose_track(rig, FRAMES), state=state(rig, face))
"""
)

ROUND_TRIPS = """
out = {}
before = prepare(folder)
out["before"] = before
res = bake(**options)
rig, face = scene_objects()
out["during"] = dict(modes=state(rig, face)["modes"], frame_range=state(rig, face)["frame_range"],
                     keys=res.behavior_keys, dense=res.dense_keys,
                     deviation=res.max_key_deviation_deg, rest=res.rest_pose,
                     nla=[t.name for t in rig.animation_data.nla_tracks])
out["removed"] = after_remove()

# bake → save → reopen → Remove Bake
bpy.ops.wm.open_mainfile(filepath=str(Path(folder) / "scene.blend"))
bake(**options)
bpy.ops.wm.save_mainfile()
bpy.ops.wm.open_mainfile(filepath=str(Path(folder) / "scene.blend"))
rig, face = scene_objects()
original = bpy.data.materials.get("moodrig_DemoFace")
out["reopened"] = dict(original=original is not None and original.use_fake_user,
                       user_action="UserAction_moodrig_DemoRig" in bpy.data.actions,
                       slots=[s.material.name for s in face.material_slots])
# bake again over the reopened bake: from the original texture
res = bake(**options)
from moodrig.core import demo_head
from moodrig.core.painter import DEFAULT_STYLE
base = scene_bake.base_texture(face)
atlas = demo_head.paint_atlas(demo_head.head_atlas(base.shape[0]), DEFAULT_STYLE)
out["rebake"] = dict(n_frames=res.n_frames, base_err=float(np.abs(base - atlas).max()))
bpy.ops.wm.save_mainfile()
bpy.ops.wm.open_mainfile(filepath=str(Path(folder) / "scene.blend"))
out["reopened_removed"] = after_remove()
report(out)
"""


def _same(before: dict, after: dict) -> None:
    assert after["removed"] == ["FINISHED"]
    track_before, track_after = np.asarray(before["track"]), np.asarray(after["track"])
    assert track_after.shape == track_before.shape
    assert float(np.abs(track_after - track_before).max()) <= 1e-6, "pose channels differ"
    for key, value in before["state"].items():
        assert after["state"][key] == value, key


@pytest.mark.parametrize("options", [{}, {"nla_strips": True}], ids=["action", "nla"])
def test_remove_bake_gives_everything_back(tmp_path: Path, options: dict) -> None:
    given = f"folder = {str(tmp_path)!r}\noptions = {options!r}\n"
    r = run_bpy(SETUP + given + ROUND_TRIPS, timeout=600)
    before = r["before"]
    during = r["during"]
    assert during["modes"] == before["state"]["modes"], "the bake never switches rotation modes"
    assert during["frame_range"] == [1, 96] and during["rest"] == "a-pose"
    assert during["keys"] < 0.3 * during["dense"] and during["deviation"] <= 0.5 + 1e-3
    assert bool(during["nla"]) == bool(options)
    _same(before, r["removed"])
    assert r["reopened"] == dict(
        original=True, user_action=True, slots=["moodrig_DemoFace_face"]
    ), r["reopened"]
    assert r["rebake"]["n_frames"] == 96
    assert r["rebake"]["base_err"] < 1e-2, "re-baked from the original face texture"
    _same(before, r["reopened_removed"])
