"""Debian's Blender 3.4 (the oldest supported) runs the built add-on headless: install, demo
character, bulk keyframes through the pre-4.4 ``action.fcurves`` path (bones and shape keys),
save and reload, and the shape keys' own action and values back after removal."""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
from pathlib import Path

import pytest
from components import require_component

pytestmark = pytest.mark.gui

SCRIPT = r"""
import bpy, addon_utils, json, sys, numpy as np
zip_path, blend, out = sys.argv[sys.argv.index("--") + 1:]
bpy.ops.preferences.addon_install(filepath=zip_path)
addon_utils.enable("moodrig", default_set=True)
import moodrig
from moodrig import anim_compat
from moodrig.core.rig import BONE_ROLES
res = bpy.ops.moodrig.add_demo_character(texture_size=64)
rig = bpy.data.objects["moodrig_DemoRig"]
curves = {b: (np.arange(30 * 3, dtype=np.float32).reshape(30, 3) * 0.01 + i * 0.001)
          for i, b in enumerate(BONE_ROLES)}
action, bag = anim_compat.new_action(rig, "moodrig_Behavior", "behavior_action")
written = anim_compat.write_rotation_curves(bag, curves, 1)
from moodrig import shape_keys as sk
mesh = bpy.data.meshes.new("Head")
mesh.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [])
head = bpy.data.objects.new("Head", mesh)
bpy.context.scene.collection.objects.link(head)
head.shape_key_add(name="Basis")
for i, name in enumerate(("jawOpen", "eyeBlinkLeft", "tongueOut")):
    head.shape_key_add(name=name, from_mix=False).data[i].co.z += 0.1
blocks = head.data.shape_keys.key_blocks
blocks["tongueOut"].value = 0.3
blocks["tongueOut"].keyframe_insert("value", frame=1)
user_action = head.data.shape_keys.animation_data.action.name
blocks["eyeBlinkLeft"].value = 0.25
values = {k.name: k.value for k in blocks}
key_curves = {"jawOpen": np.linspace(0, 1, 30, dtype=np.float32),
              "eyeBlinkLeft": np.linspace(1, 0, 30, dtype=np.float32)}
before = sk.capture(head)
sk.write(head, key_curves, 1, "moodrig_Head_shape_keys")
sk.commit(before)
bpy.ops.wm.save_as_mainfile(filepath=blend)
bpy.ops.wm.open_mainfile(filepath=blend)
head = bpy.data.objects["Head"]
sk_back = sk.read_back(head, list(key_curves))
sk_err = max(float(np.abs(sk_back[k] - v).max()) for k, v in key_curves.items())
sk_baked = head.data.shape_keys.animation_data.action.name
sk.remove(head)
sk_restored = [head.data.shape_keys.animation_data.action.name == user_action,
               {k.name: k.value for k in head.data.shape_keys.key_blocks} == values,
               bpy.data.actions[user_action].use_fake_user,
               "moodrig_Head_shape_keys" in bpy.data.actions]
rig = bpy.data.objects["moodrig_DemoRig"]
back = anim_compat.read_rotation_curves(anim_compat.curve_container(rig, rig.animation_data.action),
                                        list(BONE_ROLES))
err = max(float(np.abs(back[b] - curves[b]).max()) for b in BONE_ROLES)
img = (bpy.data.objects["moodrig_DemoFace"].active_material.node_tree
       .nodes["moodrig_face_texture"].image)
with open(out, "w") as fh:
    json.dump(dict(version=list(bpy.app.version), res=list(res), written=written, err=err,
                   slotted=anim_compat.SLOTTED, packed=img.packed_file is not None,
                   origin=moodrig.__file__, sk_err=sk_err, sk_baked=sk_baked,
                   sk_restored=sk_restored), fh)
"""


def test_addon_in_blender_3_4(built_zip: Path, tmp_path: Path) -> None:
    require_component(shutil.which("blender") is not None, "Debian's blender (`make system-deps`)")
    script = tmp_path / "script.py"
    script.write_text(SCRIPT)
    out = tmp_path / "result.json"
    env = {
        **os.environ,
        "BLENDER_USER_SCRIPTS": str(tmp_path / "scripts"),
        "BLENDER_USER_CONFIG": str(tmp_path / "config"),
    }
    # Debian's Blender has no numpy of its own: give it moodrig's venv packages, as a user's
    # dependency install would (numpy/cv2 only; torch is never imported by this script).
    env["PYTHONPATH"] = site.getsitepackages()[0]
    proc = subprocess.run(
        [
            "blender",
            "-b",
            "--factory-startup",
            "--python-exit-code",
            "1",
            "--python",
            str(script),
            "--",
            str(built_zip),
            str(tmp_path / "t.blend"),
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 0 and out.is_file(), proc.stdout[-3000:] + proc.stderr[-3000:]
    r = json.loads(out.read_text())
    assert r["version"][:2] == [3, 4]
    assert r["res"] == ["FINISHED"] and r["packed"]
    assert r["written"] == 19 * 3 * 30 and r["err"] == 0.0 and not r["slotted"]
    assert r["sk_err"] == 0.0 and r["sk_baked"] == "moodrig_Head_shape_keys"
    assert r["sk_restored"] == [True, True, False, False], "action, values, fake flag, cleaned"
    assert str(tmp_path / "scripts") in r["origin"]
