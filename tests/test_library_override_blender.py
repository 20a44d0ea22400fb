"""A character linked from a library and overridden, as studios build shots: the face mesh's
data stays linked, so the bake shows its material copy through an object-linked slot, which
survives saving and *Remove Bake* gives back, and the face region settings made in the shot
stay in it; shape keys linked from the library would lose a
bake's keys on saving, so they are refused until the mesh is an editable override, after which
they bake and are still keyed when the shot is reopened."""

from __future__ import annotations

from pathlib import Path

import pytest
from bpy_runner import run_bpy

pytestmark = pytest.mark.blender

SHOT = """
import bpy, moodrig
from pathlib import Path
folder = Path({folder!r})
demo_scene(128)
head = bpy.data.objects["moodrig_DemoFace"]
head.shape_key_add(name="Basis")
for name in ("jawOpen", "mouthSmileLeft", "mouthSmileRight", "eyeBlinkLeft", "eyeBlinkRight"):
    head.shape_key_add(name=name, from_mix=False).data[0].co.z += 0.01
bpy.ops.wm.save_as_mainfile(filepath=str(folder / "character.blend"))
# The shot: the character's collection linked and overridden (objects and rig editable, the
# meshes' data still linked).
bpy.ops.wm.read_factory_settings(use_empty=True)
with bpy.data.libraries.load(str(folder / "character.blend"), link=True) as (_, into):
    into.collections = ["moodrig Demo Character"]
into.collections[0].override_hierarchy_create(bpy.context.scene, bpy.context.view_layer)
face = next(o for o in bpy.data.objects if o.name == "moodrig_DemoFace" and o.library is None)
rig = next(o for o in bpy.data.objects if o.name == "moodrig_DemoRig" and o.library is None)
from moodrig import api
from moodrig.core.demo_timeline import scripted_track

def bake(output):
    request = api.BakeRequest(device="cpu", texture_folder=folder / output, face_output=output,
                              shape_key_map="arkit")
    return api.bake(None, face.name, rig.name, request, track=scripted_track(seconds=1.0))

def slots(obj):
    return [[s.link, s.material.name] for s in obj.material_slots]

res = {{"linked_data": face.data.library is not None, "before": slots(face)}}
try:
    bake("shapekeys")
    res["linked_keys"] = "baked"
except Exception as exc:
    res["linked_keys"] = str(exc)
res["texture_frames"] = bake("texture").n_frames
res["baked"] = slots(face)
# Face settings set in the shot stay in the shot.
face.moodrig_face.region = (0.05, 0.45, 0.55, 0.95)
face.moodrig_face.head_up = "UP"
face.moodrig_face.points_confirmed = False
bpy.ops.wm.save_as_mainfile(filepath=str(folder / "shot.blend"))
bpy.ops.wm.open_mainfile(filepath=str(folder / "shot.blend"))
face = bpy.data.objects["moodrig_DemoFace"]
rig = bpy.data.objects["moodrig_DemoRig"]
res["reopened"] = slots(face)
fr = face.moodrig_face
res["settings"] = [[round(v, 4) for v in fr.region], fr.head_up, fr.points_confirmed]
res["rig_action"] = rig.animation_data.action.name if rig.animation_data.action else None
bpy.context.scene.moodrig.face = face
bpy.context.scene.moodrig.armature = rig
res["remove"] = list(bpy.ops.moodrig.remove_bake())
res["removed"] = slots(face)
res["copies_left"] = [m.name for m in bpy.data.materials if m.get("moodrig_target")]
# Made an editable override, the mesh's shape keys take the bake and keep it.
face.data.override_create(remap_local_usages=True)
res["override_keys"] = bake("shapekeys").n_frames
bpy.ops.wm.save_as_mainfile(filepath=str(folder / "shot.blend"))
bpy.ops.wm.open_mainfile(filepath=str(folder / "shot.blend"))
key = bpy.data.objects["moodrig_DemoFace"].data.shape_keys
res["keys_reopened"] = key.animation_data.action.name if key.animation_data else None
report(res)
"""


def test_a_library_overridden_character_bakes_keeps_and_gives_back(tmp_path: Path) -> None:
    r = run_bpy(SHOT.format(folder=str(tmp_path)))
    assert r["linked_data"] and r["before"] == [["DATA", "moodrig_DemoFace"]]
    assert "linked from the library 'character.blend'" in r["linked_keys"]
    assert "library override" in r["linked_keys"]
    assert r["texture_frames"] == 24
    assert r["baked"] == [["OBJECT", "moodrig_DemoFace_face"]]
    assert r["reopened"] == r["baked"]
    assert r["settings"] == [[0.05, 0.45, 0.55, 0.95], "UP", False]
    assert r["rig_action"] == "moodrig_DemoRig_behavior"
    assert r["remove"] == ["FINISHED"]
    assert r["removed"] == [["DATA", "moodrig_DemoFace"]] and r["copies_left"] == []
    assert r["override_keys"] == 24
    assert r["keys_reopened"] == "moodrig_DemoFace_shape_keys"
