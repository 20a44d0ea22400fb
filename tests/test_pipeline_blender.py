"""The shipped pipeline end to end with the real weights: headless CLI (bpy module and Blender
binary), a real video source, and the README's scripting example."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest
from bpy_runner import bpy_available, run_bpy
from components import require_component

pytestmark = pytest.mark.blender
REPO = Path(__file__).resolve().parent.parent


def _require_bpy() -> None:
    require_component(bpy_available(), "the bpy module (bpy==5.0.1)")


def _demo_scene(folder: Path) -> Path:
    path = folder / "scene.blend"
    run_bpy(f"""
import bpy, moodrig
demo_scene(128)
bpy.ops.wm.save_as_mainfile(filepath={str(path)!r})
report(1)
""")
    return path


def _face_video(path: Path, seconds: float = 2.0, fps: int = 24) -> Path:
    """A short 640×480 clip of the bundled real face, moving a little (no downloads)."""
    import cv2
    import numpy as np

    face = cv2.imread(str(REPO / "core" / "data" / "sample_face.jpg"))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (640, 480))
    for i in range(int(seconds * fps)):
        angle = 8.0 * np.sin(i / 6.0)
        m = cv2.getRotationMatrix2D((256, 200), angle, 0.9)
        m[:, 2] += (64 + 10 * np.sin(i / 9.0), -10)
        writer.write(cv2.warpAffine(face, m, (640, 480), borderMode=cv2.BORDER_REPLICATE))
    writer.release()
    return path


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "moodrig", *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
    )


def test_cli_bakes_a_video_through_the_bpy_module(tmp_path: Path) -> None:
    _require_bpy()
    scene = _demo_scene(tmp_path)
    video = _face_video(tmp_path / "clip.mp4")
    out = tmp_path / "baked.blend"
    proc = _cli(
        "bake",
        "--scene",
        str(scene),
        "--source",
        str(video),
        "--face",
        "moodrig_DemoFace",
        "--armature",
        "moodrig_DemoRig",
        "--out",
        str(out),
        "--seed",
        "4",
        "--device",
        "cpu",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert out.is_file()
    assert "moodrig:" in proc.stderr and "textures" in proc.stderr  # progress on stderr
    sequence = tmp_path / "moodrig-textures" / "baked" / "moodrig_DemoFace" / "sequence"
    frames = sorted(sequence.glob("frame_*.png"))
    assert len(frames) == 48
    r = run_bpy(f"""
import bpy
bpy.ops.wm.open_mainfile(filepath={str(out)!r})
rig = bpy.data.objects["moodrig_DemoRig"]
report(dict(action=rig.animation_data.action.name, frame_end=bpy.context.scene.frame_end))
""")
    assert r == {"action": "moodrig_DemoRig_behavior", "frame_end": 48}


def test_cli_bone_map_files_report_and_textures_beside_the_output(tmp_path: Path) -> None:
    """``--scene A/x.blend --out B/y.blend``: the textures go under B and y.blend finds them
    there; a bone map file that leaves roles out bakes with a warning naming each; one that
    maps too little is refused before any texture is made."""
    _require_bpy()
    (tmp_path / "A").mkdir()
    scene = _demo_scene(tmp_path / "A")
    partial = tmp_path / "maps" / "partial.json"
    partial.parent.mkdir()
    partial.write_text(
        '{"format": "moodrig.bonemap/1", "bones": {"head": "head", '
        '"neck": "neck", "upper_arm.L": "upper_arm.L"}}'
    )
    out = tmp_path / "B" / "y.blend"
    proc = _cli(
        "bake",
        "--scene",
        str(scene),
        "--demo-timeline",
        "--face",
        "moodrig_DemoFace",
        "--armature",
        "moodrig_DemoRig",
        "--out",
        str(out),
        "--device",
        "cpu",
        "--bone-map",
        str(partial),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "bone map (user): 3 of 19 roles mapped, 16 unmapped, 0 doubtful" in proc.stderr
    assert "warning: unmapped role(s) skipped: hips, spine, chest, shoulder.L," in proc.stderr
    assert "keys on the rig" in proc.stderr and "max deviation" in proc.stderr
    assert [p for p in (tmp_path / "A").iterdir() if p.is_dir()] == [], "nothing beside --scene"
    assert len(list((tmp_path / "B").rglob("sequence/frame_*.png"))) == 240
    r = run_bpy(f"""
import bpy, os
bpy.ops.wm.open_mainfile(filepath={str(out)!r})
img = bpy.data.objects["moodrig_DemoFace"].material_slots[0].material.node_tree.nodes[
    "moodrig_face_texture"].image
report(dict(path=img.filepath, exists=os.path.isfile(bpy.path.abspath(img.filepath))))
""")
    assert r["path"].startswith("//") and not r["path"].startswith("//..") and r["exists"], r
    tiny = tmp_path / "maps" / "tiny.json"
    tiny.write_text('{"format": "moodrig.bonemap/1", "bones": {"head": "head"}}')
    proc = _cli(
        "bake",
        "--scene",
        str(scene),
        "--demo-timeline",
        "--face",
        "moodrig_DemoFace",
        "--armature",
        "moodrig_DemoRig",
        "--out",
        str(tmp_path / "C" / "z.blend"),
        "--bone-map",
        str(tiny),
        cwd=tmp_path,
    )
    assert proc.returncode == 1
    assert "a bake needs the head plus at least one other role" in proc.stderr
    assert "textures" not in proc.stderr, "refused before any texture"
    assert not list((tmp_path / "C").rglob("*.png"))


def test_cli_fails_clearly(tmp_path: Path) -> None:
    _require_bpy()
    scene = _demo_scene(tmp_path)
    proc = _cli(
        "bake",
        "--scene",
        str(scene),
        "--demo-timeline",
        "--face",
        "Nope",
        "--armature",
        "moodrig_DemoRig",
        "--out",
        str(tmp_path / "o.blend"),
        cwd=tmp_path,
    )
    assert proc.returncode == 1
    assert "moodrig: error:" in proc.stderr and "Nope" in proc.stderr
    proc = _cli(
        "bake",
        "--scene",
        str(tmp_path / "missing.blend"),
        "--demo-timeline",
        "--face",
        "F",
        "--armature",
        "R",
        "--out",
        str(tmp_path / "o.blend"),
        cwd=tmp_path,
    )
    assert proc.returncode == 1 and "missing.blend" in proc.stderr
    video = tmp_path / "broken.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)
    proc = _cli(
        "bake",
        "--scene",
        str(scene),
        "--source",
        str(video),
        "--face",
        "moodrig_DemoFace",
        "--armature",
        "moodrig_DemoRig",
        "--out",
        str(tmp_path / "o.blend"),
        cwd=tmp_path,
    )
    assert proc.returncode == 1 and "broken.mp4" in proc.stderr


def test_cli_inside_blender_3_4(built_zip: Path, tmp_path: Path) -> None:
    """``blender -b scene.blend -P <addon>/cli.py -- bake ...`` with Debian's Blender binary."""
    require_component(shutil.which("blender") is not None, "Debian's blender (`make system-deps`)")
    shutil.unpack_archive(built_zip, tmp_path / "addon")
    cli = tmp_path / "addon" / "moodrig" / "cli.py"
    env = {
        **os.environ,
        "PYTHONPATH": site.getsitepackages()[0],
        "BLENDER_USER_SCRIPTS": str(tmp_path / "us"),
        "BLENDER_USER_CONFIG": str(tmp_path / "uc"),
    }
    scene = tmp_path / "scene34.blend"
    make = subprocess.run(
        [
            "blender",
            "-b",
            "--factory-startup",
            "--python-exit-code",
            "1",
            "--python-expr",
            f"import sys; sys.path.insert(0, {str(tmp_path / 'addon')!r}); import bpy, moodrig; "
            "moodrig.register(); bpy.ops.moodrig.add_demo_character(texture_size=64); "
            f"bpy.ops.wm.save_as_mainfile(filepath={str(scene)!r})",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert make.returncode == 0 and scene.is_file(), make.stdout[-2000:] + make.stderr[-2000:]
    out = tmp_path / "baked34.blend"
    proc = subprocess.run(
        [
            "blender",
            "-b",
            str(scene),
            "--python-exit-code",
            "1",
            "-P",
            str(cli),
            "--",
            "bake",
            "--demo-timeline",
            "--face",
            "moodrig_DemoFace",
            "--armature",
            "moodrig_DemoRig",
            "--out",
            str(out),
            "--device",
            "cpu",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert out.is_file() and "baked 240 frames" in proc.stderr
    assert "bone map (demo): 19 of 19 roles mapped" in proc.stderr
    assert "keys on the rig" in proc.stderr
    bad = subprocess.run(
        [
            "blender",
            "-b",
            str(scene),
            "--python-exit-code",
            "1",
            "-P",
            str(cli),
            "--",
            "bake",
            "--demo-timeline",
            "--face",
            "Nope",
            "--armature",
            "moodrig_DemoRig",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=tmp_path,
    )
    assert bad.returncode == 1 and "Nope" in bad.stderr


def test_readme_example_three_characters(tmp_path: Path) -> None:
    _require_bpy()
    proc = subprocess.run(
        [sys.executable, str(REPO / "examples" / "three_characters.py"), str(tmp_path), "2"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [
        line.split() for line in proc.stdout.splitlines() if line.startswith("moodrig_DemoRig")
    ]
    assert [parts[1] for parts in lines] == [
        "moodrig_DemoRig_behavior",
        "moodrig_DemoRig.001_behavior",
        "moodrig_DemoRig.002_behavior",
    ]
    r = run_bpy(f"""
import bpy, numpy as np
bpy.ops.wm.open_mainfile(filepath={str(tmp_path / "crowd.blend")!r})
from moodrig.core.rig import BONE_ROLES
curves = []
for rig in sorted((o for o in bpy.data.objects if o.type == "ARMATURE"), key=lambda o: o.name):
    act = rig.animation_data.action
    bpy.context.scene.frame_set(30)
    curves.append([list(rig.pose.bones[b].rotation_euler) for b in BONE_ROLES])
report(dict(n=len(curves), differ=curves[0] != curves[1] and curves[1] != curves[2]))
""")
    assert r == {"n": 3, "differ": True}


FINETUNE = """
import bpy, moodrig, json, cv2, numpy as np
from pathlib import Path
from moodrig.core.painter import paint_face, DEFAULT_STYLE
from moodrig.core.expression import expression_vector
folder = Path({folder!r})
demo_scene(128)
bpy.ops.wm.save_as_mainfile(filepath=str(folder / "scene.blend"))
entries = []
for name, values in (("smile", dict(smile=0.9)), ("open", dict(jaw_open=0.8)),
                     ("frown", dict(frown=0.8, brow_furrow=0.7))):
    img = paint_face(DEFAULT_STYLE, expression_vector(**values), 128)
    cv2.imwrite(str(folder / f"{{name}}.png"),
                cv2.cvtColor((img * 255).round().astype(np.uint8), cv2.COLOR_RGBA2BGRA))
    entries.append(dict(image=f"{{name}}.png", expression=values))
(folder / "sheet.json").write_text(json.dumps(entries))
s = bpy.context.scene.moodrig
s.finetune_sheet = str(folder / "sheet.json")
res = list(bpy.ops.moodrig.finetune(steps=3))
weights = bpy.path.abspath(s.weights_path)
from moodrig.core.weights import verify_file
manifest, _ = verify_file(weights)
# The bake then uses the character's weights.
from moodrig import api
from moodrig.core.demo_timeline import scripted_track
r = api.bake(None, "moodrig_DemoFace", "moodrig_DemoRig",
             api.BakeRequest(weights=weights, device="cpu"), track=scripted_track(seconds=1.0))
(folder / "bad.json").write_text("[{{}}]")
s.finetune_sheet = str(folder / "bad.json")
try:
    bpy.ops.moodrig.finetune(steps=1)
    bad = "no error"
except RuntimeError as exc:
    bad = str(exc)
report(dict(res=res, weights=s.weights_path, finetuned_from=manifest.get("finetuned_from"),
            bake_frames=r.n_frames, bad=bad))
"""


def test_finetune_operator_saves_beside_the_blend_and_bake_uses_it(tmp_path: Path) -> None:
    _require_bpy()
    r = run_bpy(FINETUNE.format(folder=str(tmp_path)))
    assert r["res"] == ["FINISHED"]
    assert r["weights"].startswith("//moodrig-textures/scene/moodrig_DemoFace/finetuned/")
    from moodrig.core.amee.infer import AmeeEditor
    from moodrig.core.appearance.editor import FaceEditor
    from moodrig.core.pipeline import use_face_editor
    from moodrig.core.request import BakeRequest

    shipped = FaceEditor if use_face_editor(BakeRequest()) else AmeeEditor
    assert r["finetuned_from"] == shipped.load(device="cpu").model_id  # the shipped model
    assert r["bake_frames"] == 24
    assert "bad.json" in r["bad"] and "entry 0" in r["bad"]


DEEP_TEXTURE_BAKE = """
import bpy, cv2, numpy as np, moodrig
from pathlib import Path
demo_scene(128)
from moodrig import api
from moodrig import bake as scene_bake
from moodrig.core.demo_timeline import scripted_track
face = bpy.data.objects["moodrig_DemoFace"]
_, node = scene_bake.find_face_texture(face)
byte_image = node.image
bits = [scene_bake.base_texture_bits(face)]
deep = bpy.data.images.new("DeepFace", *byte_image.size, alpha=True, float_buffer=True)
deep.pixels.foreach_set(np.array(byte_image.pixels[:], np.float32))
node.image = deep
bits.append(scene_bake.base_texture_bits(face))
r = api.bake(None, "moodrig_DemoFace", "moodrig_DemoRig",
             api.BakeRequest(device="cpu", texture_folder=Path({folder!r})),
             track=scripted_track(seconds=1.0))
frame = sorted((Path({folder!r}) / "sequence").glob("*.png"))[0]
raw = cv2.imread(str(frame), cv2.IMREAD_UNCHANGED)
report(dict(bits=bits, dtype=str(raw.dtype), shape=list(raw.shape), frames=r.n_frames))
"""


def test_a_float_face_texture_is_baked_into_16_bit_textures(tmp_path: Path) -> None:
    """A face texture Blender holds in a float buffer (a 16-bit PNG, an EXR) gets 16-bit
    expression textures; the demo's 8-bit one gets 8-bit ones."""
    _require_bpy()
    r = run_bpy(DEEP_TEXTURE_BAKE.format(folder=str(tmp_path / "tex")))
    assert r["bits"] == [8, 16]
    assert r["dtype"] == "uint16" and r["shape"] == [128, 128, 4] and r["frames"] > 1


FILE_TEXTURE_BAKE = """
import os
os.environ["OPENCV_IO_ENABLE_OPENEXR"] = "1"
import bpy, cv2, numpy as np, moodrig
from pathlib import Path
folder = Path({folder!r})
demo_scene(128)
from moodrig import api
from moodrig import bake as scene_bake
from moodrig.face_region import region_of
from moodrig.core.demo_timeline import scripted_track
face = bpy.data.objects["moodrig_DemoFace"]
_, node = scene_bake.find_face_texture(face)
w, h = node.image.size
rgba = np.array(node.image.pixels[:], np.float32).reshape(h, w, 4)[::-1].copy()  # sRGB values
if {kind!r} == "png16":
    rgba[:16, :16, 3] = 0.5  # a half-transparent corner: Blender premultiplies float images
    path = folder / "face16.png"
    texels = np.rint(rgba * 65535).astype(np.uint16)
else:  # an EXR holds linear light
    path = folder / "face.exr"
    srgb = rgba[..., :3]
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    texels = np.concatenate([linear, rgba[..., 3:]], -1).astype(np.float32)
cv2.imwrite(str(path), cv2.cvtColor(texels, cv2.COLOR_RGBA2BGRA))
user = bpy.data.images.load(str(path))
node.image = user
shown = np.array(user.pixels[:], np.float32).reshape(h, w, 4)[::-1]
r = api.bake(None, "moodrig_DemoFace", "moodrig_DemoRig",
             api.BakeRequest(device="cpu", texture_folder=folder / "tex"),
             track=scripted_track(seconds=1.0))
mat, seq_node = scene_bake.find_face_texture(face)
sequence = seq_node.image
rows, cols = region_of(face).pixels(w, h).slices
outside = np.ones((h, w), bool)
outside[rows, cols] = False
worst = 0.0
for frame in sorted((folder / "tex" / "sequence").glob("*.png")):
    back = bpy.data.images.load(str(frame), check_existing=False)
    back.colorspace_settings.name = sequence.colorspace_settings.name
    back.alpha_mode = sequence.alpha_mode
    got = np.array(back.pixels[:], np.float32).reshape(h, w, 4)[::-1]
    worst = max(worst, float(np.abs(got - shown)[outside].max()))
colour = [user.colorspace_settings.name, sequence.colorspace_settings.name]
report(dict(float=user.is_float, colour=colour, worst=worst, frames=r.n_frames,
            corner=float(shown[0, 0, 3])))
"""


@pytest.mark.parametrize("kind", ["png16", "exr"])
def test_a_float_face_texture_comes_back_as_blender_shows_it(tmp_path: Path, kind: str) -> None:
    """Blender holds 16-bit PNG and EXR textures in linear light, premultiplied by alpha; the
    expression textures baked from them show, outside the face region, exactly the colours
    the user's texture shows (a 16-bit sRGB texture once came back far darker)."""
    _require_bpy()
    r = run_bpy(FILE_TEXTURE_BAKE.format(folder=str(tmp_path), kind=kind))
    assert r["float"] and r["frames"] > 1
    assert r["corner"] == pytest.approx(0.5 if kind == "png16" else 1.0, abs=1e-3)
    assert r["colour"][1] == "sRGB"
    assert r["worst"] < 2e-3, r
