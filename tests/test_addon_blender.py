"""The add-on against the real bpy: registration round trip, demo character (one head mesh
with its painted face a region of the texture atlas), save and reload."""

from __future__ import annotations

from pathlib import Path

import pytest
from bpy_runner import run_bpy

pytestmark = pytest.mark.blender

ROUND_TRIP = """
import bpy, moodrig
def ours():
    return sorted(n for n in dir(bpy.types) if n.startswith(('MOODRIG_', 'VIEW3D_PT_moodrig')))
before = ours()
moodrig.register()
registered = ours()
has_prop = hasattr(bpy.types.Scene, 'moodrig')
moodrig.unregister()
after = ours()
prop_after = hasattr(bpy.types.Scene, 'moodrig')
moodrig.register()
again = ours()
op_ok = hasattr(bpy.ops.moodrig, 'add_demo_character')
moodrig.unregister()
report(dict(before=before, registered=registered, has_prop=has_prop, after=after,
            prop_after=prop_after, again=again, op_ok=op_ok))
"""


def test_register_unregister_register_leaves_nothing_behind() -> None:
    r = run_bpy(ROUND_TRIP)
    assert r["before"] == [] and r["after"] == []
    assert "MOODRIG_OT_add_demo_character" in r["registered"]
    assert "VIEW3D_PT_moodrig_main" in r["registered"]
    assert r["registered"] == r["again"]
    assert r["has_prop"] and not r["prop_after"]
    assert r["op_ok"]


BUILD_SAVE = """
import bpy, moodrig, sys
path = sys.argv[-1] if False else {path!r}
bpy.ops.wm.read_factory_settings(use_empty=True)
moodrig.register()
user_mat = bpy.data.materials.new('UserMaterial'); user_mat.use_fake_user = True
user_img = bpy.data.images.new('UserImage', 8, 8); user_img.use_fake_user = True
res = bpy.ops.moodrig.add_demo_character(texture_size=128)
res2 = bpy.ops.moodrig.add_demo_character(texture_size=64)
bpy.ops.wm.save_as_mainfile(filepath=path)
report(dict(res=list(res), res2=list(res2)))
"""

RELOAD = """
import bpy, numpy as np, moodrig
moodrig.register()
bpy.ops.wm.open_mainfile(filepath={path!r})
rig = bpy.data.objects['moodrig_DemoRig']
face = bpy.data.objects['moodrig_DemoFace']
body = bpy.data.objects['moodrig_DemoBody']
mat = face.active_material
tex = mat.node_tree.nodes['moodrig_face_texture']
img = tex.image
px = np.empty(img.size[0] * img.size[1] * 4, dtype=np.float32)
img.pixels.foreach_get(px)
uv = face.data.uv_layers['moodrig_face_uv']
uvs = np.empty(len(uv.data) * 2, dtype=np.float32)
uv.data.foreach_get('uv', uvs)
fr = face.moodrig_face
report(dict(
    materials=[s.material.name for s in face.material_slots],
    region=list(fr.region), points=list(fr.points), points_size=list(fr.points_size),
    confirmed=fr.points_confirmed, points_region=list(fr.points_region),
    bones=sorted(b.name for b in rig.data.bones),
    parent_head=rig.data.bones['head'].parent.name,
    mods=[(m.type, m.object.name) for m in body.modifiers],
    groups=sorted(g.name for g in body.vertex_groups),
    face_groups=[g.name for g in face.vertex_groups],
    uv_range=[float(uvs.min()), float(uvs.max())],
    n_uv=len(uv.data), n_loops=len(face.data.loops),
    image=[img.name, list(img.size), img.packed_file is not None, float(px.std())],
    tag=img.get('moodrig_generated'), rig_tag=rig.get('moodrig_generated'),
    user=[bpy.data.materials.get('UserMaterial') is not None,
          bpy.data.images.get('UserImage') is not None,
          bpy.data.materials['UserMaterial'].get('moodrig_generated')],
    rigs=sorted(o.name for o in bpy.data.objects if o.type == 'ARMATURE'),
))
"""


def test_demo_character_survives_save_and_reload(tmp_path: Path) -> None:
    blend = str(tmp_path / "demo.blend")
    r = run_bpy(BUILD_SAVE.format(path=blend))
    assert r["res"] == ["FINISHED"] and r["res2"] == ["FINISHED"]
    r = run_bpy(RELOAD.format(path=blend))
    from moodrig.core.rig import BONE_ROLES

    assert r["bones"] == sorted(BONE_ROLES)
    assert r["parent_head"] == "neck"
    assert r["mods"] == [["ARMATURE", "moodrig_DemoRig"]]
    assert set(r["groups"]) == set(BONE_ROLES) - {"head"}, "the head is its own mesh"
    assert r["face_groups"] == ["head"]
    assert r["n_uv"] == r["n_loops"] > 0 and r["uv_range"][0] >= 0.0 and r["uv_range"][1] <= 1.0
    name, size, packed, std = r["image"]
    assert name == "moodrig_DemoFace_neutral"
    assert size == [128, 128] and packed and std > 0.05
    # One material; the face is a stored sub-rectangle of the atlas, its points confirmed.
    assert r["materials"] == ["moodrig_DemoFace"]
    from moodrig.core.demo_head import face_points, head_atlas
    from moodrig.core.painter import DEFAULT_STYLE

    atlas = head_atlas(128)
    assert r["region"] == pytest.approx(atlas.region.as_tuple())
    u0, v0, u1, v1 = r["region"]
    assert 0.0 < u0 < u1 < 1.0 and 0.0 < v0 < v1 < 1.0
    assert r["points_region"] == pytest.approx(r["region"])
    assert r["points_size"] == [64, 64] and r["confirmed"]
    assert r["points"] == pytest.approx(
        face_points(atlas, DEFAULT_STYLE).ravel().tolist(), abs=1e-4
    )
    assert r["tag"] == "demo_face_texture" and r["rig_tag"] == "demo_armature"
    # The user's own datablocks are untouched and untagged; a second character is a new one.
    assert r["user"] == [True, True, None]
    assert r["rigs"] == ["moodrig_DemoRig", "moodrig_DemoRig.001"]


PIXELS = """
import bpy, moodrig, numpy as np
from moodrig.core.painter import paint_face, DEFAULT_STYLE
from moodrig.core.demo_head import head_atlas, paint_atlas
bpy.ops.wm.read_factory_settings(use_empty=True)
moodrig.register()
bpy.ops.moodrig.add_demo_character(texture_size=128)
img = (bpy.data.objects['moodrig_DemoFace'].active_material.node_tree
       .nodes['moodrig_face_texture'].image)
px = np.empty(128 * 128 * 4, dtype=np.float32)
img.pixels.foreach_get(px)
px = px.reshape(128, 128, 4)[::-1]
atlas = head_atlas(128)
f = atlas.face
face = paint_face(DEFAULT_STYLE, np.zeros(8), 64)
report(dict(size=list(img.size), atlas=float(np.abs(px - paint_atlas(atlas, DEFAULT_STYLE)).max()),
            face=float(np.abs(px[f.y0:f.y1, f.x0:f.x1] - face).max())))
"""


def test_face_region_of_the_atlas_is_the_painters_neutral_face() -> None:
    r = run_bpy(PIXELS)
    assert r["size"] == [128, 128]
    # Byte image: exact up to 8-bit quantisation.
    assert r["atlas"] <= 1.0 / 255 + 1e-6 and r["face"] <= 1.0 / 255 + 1e-6


DEPS = """
import bpy, sys, moodrig
from pathlib import Path
from moodrig import deps
moodrig.register()
errors = []
for folder in (None, Path({missing!r})):
    try:
        deps.start_install('cpu', folder)
    except (PermissionError, RuntimeError, OSError) as exc:
        errors.append(str(exc))
bpy.ops.wm.read_factory_settings(use_empty=True)
try:
    op = list(bpy.ops.moodrig.install_dependencies_from_folder(directory={missing!r}))
except RuntimeError as exc:
    op = str(exc)
report(dict(folder=str(deps.deps_folder()), python=str(deps.blender_python()), exe=sys.executable,
            requirements=list(deps.REQUIREMENTS), modules=deps.MODULES, status=deps.status(),
            errors=errors, op=op, running=deps.running(), online=deps.online_access_allowed()))
"""


def test_dependency_installer_targets_moodrigs_own_folder(tmp_path: Path) -> None:
    import tomllib

    missing = str(tmp_path / "no-such-wheelhouse")
    r = run_bpy(
        DEPS.format(missing=missing),
        env={"BLENDER_USER_RESOURCES": str(tmp_path / "user")},
        cwd=tmp_path,
    )
    assert r["folder"].startswith(str(tmp_path / "user")), "never Blender's own installation"
    assert r["python"] == r["exe"], "the venv's python is this bpy's own interpreter"
    pyproject = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
    assert r["requirements"] == pyproject["project"]["dependencies"]
    assert r["modules"] == {
        "numpy": "numpy",
        "cv2": "opencv-python-headless",
        "torch": "torch",
        "safetensors": "safetensors",
        "yaml": "pyyaml",
        "tqdm": "tqdm",
    }
    assert r["status"] == {
        "numpy": True,
        "cv2": True,
        "torch": True,
        "safetensors": True,
        "yaml": True,
        "tqdm": True,
    }
    online_refusal = (
        "All dependencies are installed already"
        if r["online"]
        else "Online access is disabled in Blender's preferences (System → Network); "
        "allow it, or Install from Folder"
    )
    assert r["errors"] == [online_refusal, f"{missing}: not a folder of wheels"]
    assert "not a folder of wheels" in str(r["op"]) and not r["running"]


INSTALL_FROM_FOLDER = """
import bpy, sys, time, moodrig
from pathlib import Path
from moodrig import deps
moodrig.register()
wheelhouse = {wheelhouse!r}
deps.missing_requirements = lambda: ("moodrig-probe-a>=1",)  # as if it were a dependency
# Cancel right after the start: nothing is kept.
first = list(bpy.ops.moodrig.install_dependencies_from_folder(directory=wheelhouse))
cancel = list(bpy.ops.moodrig.cancel_dependency_install())
job = deps.current()
cancelled = [job.state, job.message, Path(str(deps.deps_folder()) + ".partial").exists(),
             deps.deps_folder().exists()]
# Again, to the end; the timer callback is what Blender's event loop would call.
second = list(bpy.ops.moodrig.install_dependencies_from_folder(directory=wheelhouse))
end = time.monotonic() + 120
while deps._tick() is not None and time.monotonic() < end:
    time.sleep(0.05)
job = deps.current()
import moodrig_probe_a, moodrig_probe_b
report(dict(first=first, cancel=cancel, cancelled=cancelled, second=second,
            done=[job.state, job.message], fraction=job.fraction,
            probe=[moodrig_probe_a.__file__, moodrig_probe_b.VERSION],
            folder=str(deps.deps_folder()), log=job.log_path.read_text()))
"""


def test_install_from_folder_and_cancel_through_the_operators(tmp_path: Path) -> None:
    from wheel_factory import make_wheel

    wheelhouse = tmp_path / "wheelhouse"
    make_wheel(wheelhouse, "moodrig-probe-a", "1.0", requires=("moodrig-probe-b>=2",))
    make_wheel(wheelhouse, "moodrig-probe-b", "2.1")
    r = run_bpy(
        INSTALL_FROM_FOLDER.format(wheelhouse=str(wheelhouse)),
        env={"BLENDER_USER_RESOURCES": str(tmp_path / "user")},
        cwd=tmp_path,
    )
    assert r["first"] == ["FINISHED"] and r["cancel"] == ["FINISHED"]
    assert r["cancelled"] == ["cancelled", "Cancelled; nothing was installed", False, False]
    assert r["second"] == ["FINISHED"]
    assert r["done"] == ["done", "Dependencies installed"] and r["fraction"] == 1.0
    assert r["probe"][0].startswith(r["folder"]) and r["probe"][1] == "2.1"
    assert f"--find-links {wheelhouse}" in r["log"]


VERIFY = """
import bpy, addon_utils
addon_utils.enable("moodrig", default_set=True)
addon = bpy.context.preferences.addons["moodrig"]
before = [addon.preferences.weights_status, addon.preferences.weights_state]
result = list(bpy.ops.moodrig.verify_weights())
after = [addon.preferences.weights_status, addon.preferences.weights_state]
addon_utils.disable("moodrig", default_set=True)
report(dict(before=before, result=result, after=after))
"""


def test_verify_weights_leaves_a_visible_result() -> None:
    """The preferences line changes (with the time it was checked), and its state drives the
    icon; the popup and the report are shown where there is a window."""
    r = run_bpy(VERIFY)
    assert r["before"] == ["not checked yet", "unchecked"]
    assert r["result"] == ["FINISHED"]
    status, state = r["after"]
    assert state == "ok" and status.startswith("all ") and "weight files are intact" in status
    assert "(checked " in status
