"""The detailed appearance mode in the real bpy, with the shipped transfer weights: api.bake and
the headless CLI, cache keys that never mix the two modes, byte-identical re-bakes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from bake_snippets import BAKE_PRELUDE
from bpy_runner import run_bpy
from test_pipeline_blender import _demo_scene, _face_video, _require_bpy

pytestmark = pytest.mark.blender

DETAILED = (
    BAKE_PRELUDE
    + """
from moodrig.core.track import ExpressionTrack
from moodrig.core.detail import detail_vector, expression_from_detail
from moodrig.core.errors import InputError
folder = {folder!r}
fresh(folder)
n = 24
details = np.zeros((n, 11), np.float32)
for i in range(n):
    t = i / (n - 1)
    details[i] = detail_vector(smile_l=t, smile_r=0.2 * t, brow_raise_r=t, jaw_open=0.3 * t)
track = ExpressionTrack(24.0, expression_from_detail(details), np.zeros((n, 3), np.float32),
                        np.ones(n, bool), details)
main_cache = Path(folder) / "moodrig-textures" / "scene" / "moodrig_DemoFace" / "cache"
def cache_files(cache=main_cache):
    return sorted(p.name for p in cache.glob("*.png"))
def digests(cache=main_cache):
    return sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in cache.glob("*.png"))
FACE, RIG = "moodrig_DemoFace", "moodrig_DemoRig"
import dataclasses
DETAILED_REQUEST = BakeRequest(seed=3, appearance_mode="detailed", device="cpu")
det = api.bake(None, FACE, RIG, DETAILED_REQUEST, track=track)
after_det = cache_files()
d1 = digests()
par_request = dataclasses.replace(DETAILED_REQUEST, appearance_mode="parameters")
par = api.bake(None, FACE, RIG, par_request, track=track)
after_par = cache_files()
det2 = api.bake(None, FACE, RIG, DETAILED_REQUEST, track=track)
det2_duration = det2.material.node_tree.nodes["moodrig_face_texture"].image_user.frame_duration
det2_source = det2.image.source
again_request = dataclasses.replace(DETAILED_REQUEST, texture_folder=Path(folder) / "again")
again = api.bake(None, FACE, RIG, again_request, track=track)
same_bytes = (digests(Path(folder) / "again" / "cache") == d1
              and cache_files(Path(folder) / "again" / "cache") == after_det)
# The last frame shows a lopsided face: left smile and right brow raised; the texture differs
# from the parameter mode's (which sees only the averages).
seq = Path(folder) / "moodrig-textures" / "scene" / "moodrig_DemoFace" / "sequence"
from moodrig.core.appearance.cache import decode_png
last_det = decode_png(seq / "frame_00024.png")
bad = None
try:
    api.bake(None, FACE, RIG, BakeRequest(appearance_mode="bogus"), track=track)
except InputError as exc:
    bad = str(exc)
report(dict(
    det_distinct=det.distinct_textures, det_generated=det.generated_textures,
    par_generated=par.generated_textures, par_distinct=par.distinct_textures,
    det2_generated=det2.generated_textures, same_bytes=same_bytes,
    again_generated=again.generated_textures,
    after_det=len(after_det), after_par=len(after_par),
    overlap=len(set(after_det) & (set(after_par) - set(after_det))),
    frames=len(list(seq.glob("frame_*.png"))), image_source=det2_source,
    frame_duration=det2_duration, last_shape=list(last_det.shape), bad=bad,
))
"""
)


def test_detailed_bake_through_the_api(tmp_path: Path) -> None:
    r = run_bpy(DETAILED.format(folder=str(tmp_path)), timeout=600)
    assert r["det_generated"] == r["det_distinct"] > 1
    assert r["par_generated"] == r["par_distinct"], (
        "the parameter mode never reuses a detailed-mode texture"
    )
    assert r["after_par"] == r["after_det"] + r["par_distinct"]
    assert r["det2_generated"] == 0, "a detailed re-bake reuses its own cached textures"
    assert r["again_generated"] == r["det_distinct"] and r["same_bytes"], (
        "a fresh detailed bake writes the same bytes"
    )
    assert r["frames"] == r["frame_duration"] == 24 and r["image_source"] == "SEQUENCE"
    assert r["last_shape"][:2] == [64, 64]
    assert r["bad"] is not None and "'bogus'" in r["bad"] and "detailed" in r["bad"]


def test_cli_bakes_a_video_in_detailed_mode(tmp_path: Path) -> None:
    _require_bpy()
    scene = _demo_scene(tmp_path)
    video = _face_video(tmp_path / "clip.mp4", seconds=1.0)
    digests = []
    for k in range(2):
        out = tmp_path / f"baked{k}.blend"
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "moodrig",
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
                "--appearance",
                "detailed",
                "--textures",
                str(tmp_path / f"tex{k}"),
            ],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=tmp_path,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert "loading the transfer model" in proc.stderr
        frames = sorted((tmp_path / f"tex{k}" / "sequence").glob("frame_*.png"))
        assert len(frames) == 24
        digests.append([f.read_bytes() for f in frames])
    assert digests[0] == digests[1], "same inputs and seed → byte-identical textures"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "moodrig",
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
            str(tmp_path / "x.blend"),
            "--appearance",
            "detailed",
            "--transfer-weights",
            str(tmp_path / "missing.manifest.json"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert (
        proc.returncode == 1 and "missing.manifest.json" in proc.stderr and "missing" in proc.stderr
    )


OPERATORS = (
    BAKE_PRELUDE
    + """
import bpy, json
folder = {folder!r}
fresh(folder)
s = bpy.context.scene.moodrig
res = {{}}
from moodrig.core.paths import data_dir
from moodrig.operators import stored_track, store_track
s.source_path = str(data_dir() / "sample_face.jpg")
s.hold_frames = 6
res["analyse"] = list(bpy.ops.moodrig.analyze_source())
t = stored_track(s.source_path)
res["details"] = None if t.details is None else list(t.details.shape)
# An analysis stored before per-side values existed still loads (details absent).
text = bpy.data.texts["moodrig_track"]
body = json.loads(text.as_string()); body.pop("details")
text.clear(); text.write(json.dumps(body))
res["old_details"] = stored_track(s.source_path).details is None
s.appearance_mode = "detailed"
res["bake"] = list(bpy.ops.moodrig.bake())
res["status"] = s.status
cache = Path(folder) / "moodrig-textures" / "scene" / "moodrig_DemoFace" / "cache"
res["textures"] = len(list(cache.glob("*.png")))
# Fine-tune the selected (detailed) model on a painter sheet of the demo character's style.
from moodrig.core.painter import paint_face, DEFAULT_STYLE
from moodrig.core.appearance.cache import encode_png
entries = []
for k, (name, value) in enumerate((("smile", 0.9), ("jaw_open", 0.7), ("brow_raise", 1.0))):
    e = np.zeros(8, np.float32); e[["jaw_open", "smile", "frown", "brow_raise"].index(name)] = value
    (Path(folder) / f"e{{k}}.png").write_bytes(encode_png(paint_face(DEFAULT_STYLE, e, 64)))
    entries.append({{"image": f"e{{k}}.png", "vector": e.tolist()}})
(Path(folder) / "labels.json").write_text(json.dumps(entries))
s.finetune_sheet = str(Path(folder) / "labels.json")
res["finetune"] = list(bpy.ops.moodrig.finetune(steps=2))
res["transfer_weights"] = s.transfer_weights_path
res["amee_weights"] = s.weights_path
res["bake2"] = list(bpy.ops.moodrig.bake())
res["textures2"] = len(list(cache.glob("*.png")))
report(res)
"""
)


def test_operators_in_detailed_mode(tmp_path: Path) -> None:
    r = run_bpy(OPERATORS.format(folder=str(tmp_path)), timeout=600)
    assert r["analyse"] == ["FINISHED"] and r["details"] == [6, 11]
    assert r["old_details"]
    assert r["bake"] == ["FINISHED"] and "6 frames" in r["status"] and r["textures"] >= 1
    assert r["finetune"] == ["FINISHED"]
    assert (
        r["transfer_weights"].endswith("style_transfer_character.manifest.json")
        and r["amee_weights"] == ""
    )
    assert r["bake2"] == ["FINISHED"] and r["textures2"] > r["textures"], (
        "fine-tuned weights get their own cache keys"
    )
