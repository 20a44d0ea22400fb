"""The Bone Map panel's operators in the real bpy: Auto-map stores one row per role on the
armature (saved with the .blend), a bone picked by hand marks its row manual, Save and Load
write and read bone map files, Clear removes the rows; the sidebar's bake uses the rows, skips
an unmapped role with a warning naming it, and refuses a map with fewer than the head plus one
other role before anything is made. The Python API takes a dict and a file too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bake_snippets import BAKE_PRELUDE
from bpy_runner import run_bpy

pytestmark = pytest.mark.blender

PANEL = (
    BAKE_PRELUDE
    + """
folder = Path({folder!r})
fresh(folder)
import moodrig.core.amee.infer as infer
infer.AmeeEditor.load = classmethod(lambda cls, **k: PainterEditor())
from moodrig.operators import store_track
store_track(scripted_track(fps=24.0, seconds=2.0), "//clip.mp4")
s = bpy.context.scene.moodrig
s.source_path = "//clip.mp4"
rig = s.armature
rows = rig.moodrig_bone_map.rows
row = lambda role: next(r for r in rows if r.role == role)
out = {{}}
out["no_rows"] = list(bpy.ops.moodrig.save_bone_map.poll() and ["poll"] or [])
out["automap"] = list(bpy.ops.moodrig.auto_map_bones())
out["statuses"] = sorted({{r.status for r in rows}})
row("neck").bone = ""                 # cleared by hand: skipped with a warning
row("spine").bone = "chest"           # picked by hand...
row("spine").bone = "spine"           # ...and back: manual either way
out["hand"] = [row("neck").status, row("spine").status]
out["save"] = list(bpy.ops.moodrig.save_bone_map(filepath=str(folder / "map")))
out["file"] = json.loads((folder / "map.json").read_text())
out["bake"] = list(bpy.ops.moodrig.bake())
out["report"] = s.bake_report.splitlines()
action = rig.animation_data.action
from moodrig import behavior_keys
bag = behavior_keys._container(action)
out["keyed"] = sorted({{fc.data_path.split('"')[1] for fc in bag.fcurves}})
out["clear"] = list(bpy.ops.moodrig.clear_bone_map())
out["cleared"] = len(rows)
out["load"] = list(bpy.ops.moodrig.load_bone_map(filepath=str(folder / "map.json")))
out["loaded"] = sorted({{(r.status, bool(r.bone)) for r in rows}})
bpy.ops.wm.save_mainfile()
(folder / "bad.json").write_text('{{"format": "moodrig.bonemap/9", "bones": {{}}}}')
try:
    bpy.ops.moodrig.load_bone_map(filepath=str(folder / "bad.json"))
    out["bad"] = "no error"
except RuntimeError as exc:
    out["bad"] = str(exc)
# Too little mapped: refused with the message, nothing made.
for r in rows:
    if r.role != "head":
        r.bone = ""
before = sorted(b.name for b in bpy.data.actions), sorted(m.name for m in bpy.data.materials)
try:
    bpy.ops.moodrig.bake()
    out["tiny"] = "no error"
except RuntimeError as exc:
    out["tiny"] = str(exc)
out["tiny_same"] = before == (sorted(b.name for b in bpy.data.actions),
                              sorted(m.name for m in bpy.data.materials))
# The API: a dict, and the saved file.
TRACK = scripted_track(fps=24.0, seconds=2.0)
res = api.bake(None, "moodrig_DemoFace", rig,
               BakeRequest(bone_map={{"head": "head", "chest": "chest"}}),
               track=TRACK, editor=PainterEditor())
out["dict"] = [res.bone_map_summary, [m.status for m in res.bone_map.matches if m.bone]]
res = api.bake(None, "moodrig_DemoFace", rig, BakeRequest(bone_map=str(folder / "map.json")),
               track=TRACK, editor=PainterEditor())
out["file_bake"] = [res.bone_map_summary, res.warnings]
try:
    api.bake(None, "moodrig_DemoFace", rig, BakeRequest(bone_map={{"head": "Head"}}), track=TRACK,
             editor=PainterEditor())
    out["missing_bone"] = "no error"
except Exception as exc:
    out["missing_bone"] = [type(exc).__name__, str(exc)]
report(out)
"""
)

RELOAD = """
import bpy, moodrig
bpy.ops.wm.open_mainfile(filepath={path!r})
if not hasattr(bpy.types, "MOODRIG_OT_bake"):
    moodrig.register()
rows = bpy.data.objects["moodrig_DemoRig"].moodrig_bone_map.rows
report([[r.role, r.bone, r.status] for r in rows])
"""


def test_bone_map_panel_operators_and_the_bakes_they_drive(tmp_path: Path) -> None:
    r = run_bpy(PANEL.format(folder=str(tmp_path)), timeout=600)
    assert r["no_rows"] == [], "nothing to save before a map is stored"
    assert r["automap"] == ["FINISHED"] and r["statuses"] == ["auto"]
    assert r["hand"] == ["unmapped", "manual"]
    assert r["save"] == ["FINISHED"]
    assert r["file"]["format"] == "moodrig.bonemap/1" and r["file"]["rig"] == "moodrig_DemoRig"
    assert "neck" not in r["file"]["bones"] and len(r["file"]["bones"]) == 18
    assert r["bake"] == ["FINISHED"]
    assert r["report"][0] == "bone map (demo): 18 of 19 roles mapped, 1 unmapped, 0 doubtful"
    assert "unmapped role(s) skipped: neck" in r["report"]
    assert r["report"][-1].endswith("°") and "keys on the rig" in r["report"][-1]
    assert "neck" not in r["keyed"] and len(r["keyed"]) == 18
    assert r["clear"] == ["FINISHED"] and r["cleared"] == 0
    assert r["load"] == ["FINISHED"] and r["loaded"] == [["manual", True], ["unmapped", False]]
    assert "bad.json" in r["bad"] and "moodrig.bonemap/9" in r["bad"]
    assert "head plus at least one other role" in r["tiny"] and r["tiny_same"]
    assert r["dict"] == [
        "bone map (user): 2 of 19 roles mapped, 17 unmapped, 0 doubtful",
        ["manual", "manual"],
    ]
    assert r["file_bake"][0].startswith("bone map (user): 18 of 19 roles mapped")
    assert r["file_bake"][1] == ["unmapped role(s) skipped: neck"]
    assert r["missing_bone"][0] == "BoneMapError" and "'Head'" in r["missing_bone"][1]
    rows = run_bpy(RELOAD.format(path=str(tmp_path / "scene.blend")))
    assert len(rows) == 19 and ["head", "head", "manual"] in rows, (
        "the map is saved with the .blend"
    )
    assert json.dumps(rows).count('"unmapped"') == 1
