"""``make demo``'s Blender 3.4 scene: made by Debian's Blender from the add-on zip, it opens in
3.4 (which cannot read files saved by 5.0) with the baked action and expression textures, and
in bpy 5.0 too."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from addon_builds import blender34_env, build_zip
from bpy_runner import run_bpy

pytestmark = [pytest.mark.gui, pytest.mark.slow]
REPO = Path(__file__).resolve().parent.parent

CHECK = r"""
import bpy, json, sys
from pathlib import Path
out = sys.argv[sys.argv.index("--") + 1]
rig = bpy.data.objects["moodrig_DemoRig"]
action = rig.animation_data.action
material = bpy.data.objects["moodrig_DemoFace"].material_slots[0].material
img = material.node_tree.nodes["moodrig_face_texture"].image
first = Path(bpy.path.abspath(img.filepath))
with open(out, "w") as fh:
    json.dump(dict(file_version=list(bpy.data.version), action=action.name,
                   keys=sum(len(fc.keyframe_points) for fc in action.fcurves),
                   curves=len(action.fcurves),
                   span=[min(k.co[0] for fc in action.fcurves for k in fc.keyframe_points),
                         max(k.co[0] for fc in action.fcurves for k in fc.keyframe_points)],
                   source=img.source, first_exists=first.is_file(),
                   camera=bpy.context.scene.camera.name), fh)
"""


def test_demo_scene_for_blender_3_4(tmp_path: Path) -> None:
    env = blender34_env(tmp_path)
    zip_path = build_zip(tmp_path / "dist")
    out = tmp_path / "out" / "blender34"
    made = subprocess.run(
        [
            "blender",
            "-b",
            "--factory-startup",
            "--python-exit-code",
            "1",
            "--python",
            str(REPO / "examples" / "demo_blender34.py"),
            "--",
            str(zip_path),
            "--out",
            str(out),
            "--seconds",
            "2",
            "--texture-size",
            "64",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=tmp_path,
    )
    assert made.returncode == 0, made.stdout[-3000:] + made.stderr[-3000:]
    blend = out / "demo.blend"
    assert blend.is_file()
    check = tmp_path / "check.py"
    check.write_text(CHECK)
    result = tmp_path / "check.json"
    opened = subprocess.run(
        [
            "blender",
            "-b",
            "--factory-startup",
            "--python-exit-code",
            "1",
            str(blend),
            "--python",
            str(check),
            "--",
            str(result),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert opened.returncode == 0 and result.is_file(), (
        opened.stdout[-3000:] + opened.stderr[-3000:]
    )
    r = json.loads(result.read_text())
    assert r["file_version"][:2] == [3, 4], "saved in Blender 3.4's format"
    # Every joint's rotation is keyed over the whole shot (2 s at 24 fps); the keys are sparse
    # (only where the motion turns), so there are more than two per curve but not one a frame.
    assert r["action"] == "moodrig_DemoRig_behavior" and r["curves"] >= 19 * 3
    assert r["span"][1] - r["span"][0] >= 47 and r["keys"] > 2 * r["curves"]
    assert r["source"] == "SEQUENCE" and r["first_exists"]
    assert r["camera"] == "moodrig_Camera"
    # A newer Blender opens it too.
    newer = run_bpy(
        f"import bpy\nbpy.ops.wm.open_mainfile(filepath={str(blend)!r})\n"
        "rig = bpy.data.objects['moodrig_DemoRig']\n"
        "report(dict(action=rig.animation_data.action.name))"
    )
    assert newer["action"] == "moodrig_DemoRig_behavior"
