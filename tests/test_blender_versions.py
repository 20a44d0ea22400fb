"""Every supported bpy (4.2 LTS, 4.5 LTS, 5.0): the register round trip, and the linux-x64
platform zip installed as an extension (its bundled wheels included), a small bake with the
shipped networks, save and reload, Remove Bake and disable. 4.2 takes the pre-4.4 action path,
4.5 and 5.0 the slotted-action path. Debian's Blender 3.4 has its own tests
(test_blender34.py, test_offline_install.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from addon_builds import build_platform_zip
from bpy_runner import BPY_VENVS, bpy_python, run_bpy
from test_addon_blender import ROUND_TRIP

pytestmark = pytest.mark.blender
VERSIONS = pytest.mark.parametrize("version", sorted(BPY_VENVS))


@pytest.fixture(scope="module")
def platform_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_platform_zip(tmp_path_factory.mktemp("dist"))


@VERSIONS
def test_register_round_trip(version: str) -> None:
    snippet = ROUND_TRIP.replace("report(dict(", "report(dict(version=list(bpy.app.version), ")
    r = run_bpy(snippet, python=bpy_python(version))
    assert ".".join(map(str, r["version"][:2])) == version
    assert r["before"] == [] and r["after"] == []
    assert "MOODRIG_OT_install_dependencies_from_folder" in r["registered"]
    assert r["registered"] == r["again"] and r["has_prop"] and not r["prop_after"] and r["op_ok"]


INSTALL_BAKE = """
import bpy, addon_utils, sys, importlib
from pathlib import Path
zip_path, folder = {zip!r}, Path({folder!r})
res = bpy.ops.extensions.package_install_files(filepath=zip_path, repo='user_default',
                                               enable_on_install=True)
name = 'bl_ext.user_default.moodrig'
mod = sys.modules[name]
site = (Path(bpy.utils.user_resource('EXTENSIONS')) / '.local' / 'lib' /
        'python{{}}.{{}}'.format(*sys.version_info[:2]) / 'site-packages')
bundled = sorted(p.name for p in site.iterdir()) if site.is_dir() else []
api = importlib.import_module(name + '.api')
anim_compat = importlib.import_module(name + '.anim_compat')
scripted_track = importlib.import_module(name + '.core.demo_timeline').scripted_track
for obj in list(bpy.data.objects):
    bpy.data.objects.remove(obj)
demo = list(bpy.ops.moodrig.add_demo_character(texture_size=64))
blend = str(folder / 'scene.blend')
bpy.ops.wm.save_as_mainfile(filepath=blend)
result = api.bake(None, 'moodrig_DemoFace', 'moodrig_DemoRig',
                  api.BakeRequest(seed=3, device='cpu'),
                  track=scripted_track(fps=24.0, seconds=1.0))
bpy.ops.wm.save_mainfile()
bpy.ops.wm.open_mainfile(filepath=blend)
rig = bpy.data.objects['moodrig_DemoRig']
action = rig.animation_data.action
action_name, has_slots = action.name, hasattr(action, 'slots')
bag = anim_compat.curve_container(rig, action)
keys = sum(len(fc.keyframe_points) for fc in bag.fcurves)
curves = len(bag.fcurves)
frames = len(list((Path(result.folder) / 'sequence').glob('frame_*.png')))
s = bpy.context.scene.moodrig
s.face, s.armature = bpy.data.objects['moodrig_DemoFace'], rig
removed = list(bpy.ops.moodrig.remove_bake())
left = [a.name for a in bpy.data.actions if a.get('moodrig_generated')]
addon_utils.disable(name, default_set=True)
report(dict(version=list(bpy.app.version), res=list(res), origin=mod.__file__, bundled=bundled,
            demo=demo, n_frames=result.n_frames, distinct=result.distinct_textures,
            generated=result.generated_textures, action=action_name, keys=keys, curves=curves,
            frames=frames,
            slotted=anim_compat.SLOTTED, has_slots=has_slots, removed=removed,
            rig_action_after=(rig.animation_data.action.name if rig.animation_data and
                              rig.animation_data.action else None),
            generated_actions_left=left, still=hasattr(bpy.types, 'MOODRIG_OT_bake')))
"""


@VERSIONS
def test_platform_zip_installs_as_an_extension_and_bakes(
    version: str, platform_zip: Path, tmp_path: Path
) -> None:
    r = run_bpy(
        INSTALL_BAKE.format(zip=str(platform_zip), folder=str(tmp_path)),
        env={
            "BLENDER_USER_RESOURCES": str(tmp_path / "user"),
            "PYTHONNOUSERSITE": "1",
            "OMP_NUM_THREADS": "1",
        },
        cwd=tmp_path,
        python=bpy_python(version),
        timeout=600,
    )
    assert ".".join(map(str, r["version"][:2])) == version
    assert r["res"] == ["FINISHED"] and str(tmp_path / "user") in r["origin"]
    assert {"cv2", "yaml", "safetensors"} <= set(r["bundled"]), (
        "Blender installs the bundled wheels"
    )
    assert r["demo"] == ["FINISHED"]
    assert r["n_frames"] == 24 and r["frames"] == 24 and r["generated"] == r["distinct"] >= 1
    assert r["action"] == "moodrig_DemoRig_behavior" and r["curves"] >= 19 * 3
    assert r["curves"] < r["keys"] < 19 * 3 * 24, "sparse keys: fewer than one a frame"
    assert r["slotted"] == r["has_slots"] == (r["version"][:2] >= [4, 4])
    assert r["removed"] == ["FINISHED"] and r["rig_action_after"] is None
    assert r["generated_actions_left"] == []
    assert not r["still"]
