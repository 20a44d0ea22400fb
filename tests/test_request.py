"""One BakeRequest for every front end: its validation, the command line generated from its
fields, and (in the real bpy) the sidebar reaching and showing every field."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np
import pytest
from bpy_runner import run_bpy

from moodrig.core.errors import InputError
from moodrig.core.pipeline import BakeRequest as FromPipeline
from moodrig.core.request import BakeRequest, request_options

FIELDS = [f.name for f in dataclasses.fields(BakeRequest)]


def test_defaults_and_paths() -> None:
    r = BakeRequest(source="clip.mp4", weights="//w.manifest.json", bone_map={"head": "Head"})
    assert FromPipeline is BakeRequest
    assert r.source == Path("clip.mp4") and r.quant_step == 0.05
    assert r.appearance_mode == "parameters"
    with pytest.raises(TypeError):
        r.bone_map["neck"] = "Neck"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.seed = 3  # type: ignore[misc]
    moved = r.with_paths(lambda p: Path("/abs") / p.name)
    assert moved.source == Path("/abs/clip.mp4") and moved.weights == Path("/abs/w.manifest.json")
    assert moved.behaviors is None and moved.seed == r.seed
    assert BakeRequest(seed=np.int64(4), quant_step=np.float64(0.1)).seed == 4


def test_bone_map_values() -> None:
    assert BakeRequest().bone_map == "auto", "a foreign rig maps itself by default"
    assert BakeRequest(bone_map="mixamo").bone_map == "mixamo"
    assert BakeRequest(bone_map="maps/knight.JSON").bone_map == Path("maps/knight.JSON")
    assert BakeRequest(bone_map=Path("m.json")).bone_map == Path("m.json")
    moved = BakeRequest(bone_map="//m.json").with_paths(lambda p: Path("/abs") / p.name)
    assert moved.bone_map == Path("/abs/m.json"), "a bone map file is read against the .blend"
    assert BakeRequest(key_tolerance=0).key_tolerance == 0 and not BakeRequest().nla_strips


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (dict(appearance_mode="bogus"), ["'bogus'", "detailed"]),
        (dict(device="tpu"), ["'tpu'", "cuda"]),
        (dict(bone_map="nope"), ["'nope'", "rigify", "auto", ".json"]),
        (dict(bone_map={"head": 3}), ["bone map"]),
        (dict(bone_map=3), ["bone map"]),
        (dict(rest_pose="y-pose"), ["'y-pose'", "t-pose"]),
        (dict(key_tolerance=-1.0), ["key tolerance", "[0, 10]"]),
        (dict(key_tolerance=True), ["key tolerance"]),
        (dict(nla_strips="yes"), ["nla_strips", "True or False"]),
        (dict(seed=-1), ["seed", "≥ 0"]),
        (dict(seed=1.5), ["seed"]),
        (dict(hold_frames=0), ["hold_frames", "≥ 1"]),
        (dict(batch=True), ["batch"]),
        (dict(quant_step=0.0), ["expression step", "(0, 0.5]"]),
        (dict(quant_step=0.6), ["expression step"]),
        (dict(frame_start="1"), ["frame_start"]),
        (dict(base_neutral=1), ["base_neutral", "True or False"]),
        (dict(weights=3), ["weights", "path"]),
        (dict(face_output="mesh"), ["'mesh'", "shapekeys"]),
        (dict(shape_key_map=3), ["shape_key_map", "vrm0"]),
        (dict(shape_key_map=""), ["shape_key_map"]),
        (dict(region="0,0,1"), ["face region", "four numbers"]),
        (dict(region=(0.5, 0.0, 0.2, 1.0)), ["face region", "u0 < u1"]),
    ],
)
def test_bad_options_get_one_clear_line(options: dict[str, object], words: list[str]) -> None:
    with pytest.raises(InputError) as err:
        BakeRequest(**options)  # type: ignore[arg-type]
    message = str(err.value)
    assert "\n" not in message and all(w in message for w in words), message


def test_every_field_has_a_cli_flag_and_every_flag_a_field() -> None:
    from moodrig.cli import PLUMBING, build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    bake = commands.choices["bake"]
    dests = {a.dest for a in bake._actions if a.dest != "help"}
    assert dests - set(PLUMBING) == set(FIELDS)
    assert not set(PLUMBING) & set(FIELDS)
    flags = {o.name: o.flag for o in request_options()}
    assert flags["quant_step"] == "--quant-step" and flags["texture_folder"] == "--textures"


def test_the_readme_documents_every_flag() -> None:
    from moodrig.cli import PLUMBING

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme[readme.index("## Headless and scripted") : readme.index("## Layout")]
    for option in request_options():
        assert f"| `{option.flag}" in section and f"`{option.name}" in section, option.flag
    for name in PLUMBING:
        assert f"`--{name.replace('_', '-')}`" in section, name


def test_cli_flags_reach_the_request(tmp_path: Path) -> None:
    from moodrig.cli import bake_request, build_parser

    base = ["bake", "--face", "F", "--armature", "R", "--out", str(tmp_path / "o.blend")]
    assert bake_request(build_parser().parse_args(base)) == BakeRequest()
    args = build_parser().parse_args(
        [
            *base,
            "--source",
            "clip.mp4",
            "--hold-frames",
            "7",
            "--person-baseline",
            "--bone-map",
            "rig.json",
            "--rest-pose",
            "t-pose",
            "--key-tolerance",
            "0.25",
            "--nla-strips",
            "--frame-start",
            "5",
            "--keep-frame-range",
            "--seed",
            "9",
            "--behaviors",
            "b.yaml",
            "--appearance",
            "detailed",
            "--base-not-neutral",
            "--region",
            "0.1,0.2,0.6,0.9",
            "--features",
            "pts.json",
            "--quant-step",
            "0.1",
            "--weights",
            "w.json",
            "--transfer-weights",
            "//t.json",
            "--textures",
            "tex",
            "--device",
            "cpu",
            "--batch",
            "3",
            "--face-output",
            "shapekeys",
            "--shape-key-map",
            "face.json",
            "--face-mesh-only",
        ]
    )
    request = bake_request(args)
    default = BakeRequest()
    assert [n for n in FIELDS if getattr(request, n) == getattr(default, n)] == []
    assert request.quant_step == 0.1 and request.source == (Path.cwd() / "clip.mp4")
    assert request.region == (0.1, 0.2, 0.6, 0.9) and request.features == Path.cwd() / "pts.json"
    assert request.transfer_weights == Path("//t.json"), "//-relative paths are left for the .blend"
    assert request.shape_key_map == Path.cwd() / "face.json"
    assert request.bone_map == Path.cwd() / "rig.json" and request.key_tolerance == 0.25
    preset = bake_request(build_parser().parse_args([*base, "--bone-map", "mixamo"]))
    assert preset.bone_map == "mixamo"
    convention = bake_request(build_parser().parse_args([*base, "--shape-key-map", "vrm1"]))
    assert convention.shape_key_map == "vrm1", "a convention name stays a name"
    with pytest.raises(SystemExit):
        build_parser().parse_args([*base, "--device", "tpu"])


PANEL = """
import bpy, addon_utils, dataclasses
from types import SimpleNamespace
addon_utils.enable("moodrig", default_set=True)
import moodrig
from moodrig import bone_map_ui, panels
from moodrig.api import BakeRequest
from moodrig.operators import bake_request
prefs = bpy.context.preferences.addons["moodrig"].preferences
s = bpy.context.scene.moodrig
prefs.device = "cpu"
s.source_path = "/tmp/clip.mp4"; s.hold_frames = 7; s.person_baseline = True; s.bone_map = "rigify"
s.rest_pose = "t-pose"; s.key_tolerance = 0.25; s.nla_strips = True
s.frame_start = 5; s.set_frame_range = False; s.seed = 9
s.behavior_source = "FILE"; s.behavior_file = "/tmp/b.yaml"
s.appearance_mode = "detailed"; s.base_neutral = False; s.quant_step = 0.1
s.weights_path = "/tmp/w.json"; s.transfer_weights_path = "/tmp/t.json"
s.output_folder = "/tmp/tex"
s.batch = 3
s.face_output = "both"; s.shape_key_convention = "arkit"; s.rig_meshes = False
bpy.ops.mesh.primitive_plane_add()
s.face = bpy.context.object
s.face.moodrig_face.region = (0.1, 0.2, 0.6, 0.9)
s.face.moodrig_face.features_file = "/tmp/points.json"
request = bake_request(bpy.context)
default = BakeRequest()
unreached = [f.name for f in dataclasses.fields(BakeRequest)
             if getattr(request, f.name) == getattr(default, f.name)]
# An armature with a stored map: the bake uses its rows (what the Bone Map panel shows).
bpy.ops.object.armature_add()
s.armature = bpy.context.object
bpy.ops.moodrig.auto_map_bones()
rows = bpy.context.object.moodrig_bone_map.rows
head = next(r for r in rows if r.role == "head")
head.bone = "Bone"   # picked by hand in the row's bone search field
stored = [dict(bake_request(bpy.context).bone_map), head.status]

class Reads:
    # the scene settings, recording which of them bake_request reads
    def __init__(self, real, seen): self._real, self._seen = real, seen
    def __getattr__(self, name):
        self._seen.add(name)
        return getattr(self._real, name)
read = set()
bake_request(SimpleNamespace(scene=SimpleNamespace(moodrig=Reads(s, read)),
                             preferences=bpy.context.preferences))

class Layout:
    # records the properties a panel draws; every other layout call returns another layout
    def __init__(self, drawn): self.drawn = drawn
    def prop(self, data, name, **kw): self.drawn.add(name)
    def __getattr__(self, name): return lambda *a, **k: Layout(self.drawn)
drawn = set()
for mode in ("parameters", "detailed"):
    for behaviors in ("BUILTIN", "FILE"):
        s.appearance_mode, s.behavior_source = mode, behaviors
        for cls in panels._classes + (bone_map_ui.VIEW3D_PT_moodrig_bone_map,):
            cls.draw(SimpleNamespace(layout=Layout(drawn)), bpy.context)
report(dict(unreached=unreached, read=sorted(read), drawn=sorted(drawn), device=request.device,
            behaviors=str(request.behaviors), stored=stored, region=request.region,
            features=str(request.features)))
"""


@pytest.mark.blender
def test_the_sidebar_reaches_and_shows_every_field(tmp_path: Path) -> None:
    r = run_bpy(PANEL, env={"BLENDER_USER_CONFIG": str(tmp_path / "config")})
    assert r["unreached"] == [], "request fields the sidebar cannot set"
    assert r["device"] == "cpu" and r["behaviors"] == "/tmp/b.yaml"
    assert set(r["read"]) <= set(r["drawn"]), "settings the bake reads but no panel shows"
    assert "device" in r["drawn"] and "behavior_source" in r["drawn"]
    assert (
        r["region"] == pytest.approx([0.1, 0.2, 0.6, 0.9]) and r["features"] == "/tmp/points.json"
    )
    assert {"region", "features_file"} <= set(r["drawn"]), "the Face Region panel shows both"
    assert r["stored"] == [{"head": "Bone"}, "manual"], "the stored rows, a hand-picked bone"
