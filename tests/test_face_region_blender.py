"""The face region and feature points in the real bpy: regions from a selection and from a
vertex group on a mesh with a known UV layout, points found / dragged / confirmed and kept in
the .blend, and a bake of a non-square atlas with tiny untrained face-editor weights in which
every pixel outside the region is the base texture's, in every frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from bpy_runner import run_bpy
from faceedit_tiny import export_tiny_weights

from moodrig.core.appearance.weights_io import EDITOR_WEIGHTS, LOCATOR_WEIGHTS

SHIPPED_WEIGHTS = (
    EDITOR_WEIGHTS.shipped_manifest().is_file() and LOCATOR_WEIGHTS.shipped_manifest().is_file()
)

pytestmark = pytest.mark.blender


def _grid(standing: bool) -> str:
    """Snippet lines: a 4 × 2 grid of quads, mesh 'grid' with a UV map; quad (i, j) covers UV
    [i/4, (i+1)/4] × [j/2, (j+1)/2]; lying in the XY plane, or standing in XZ (z up)."""
    corner = "(i, 0.0, j)" if standing else "(i, j, 0.0)"
    height = "co.z" if standing else "co.y"
    return f"""mesh = bpy.data.meshes.new("grid")
verts = [{corner} for j in range(3) for i in range(5)]
faces = [(j * 5 + i, j * 5 + i + 1, (j + 1) * 5 + i + 1, (j + 1) * 5 + i)
         for j in range(2) for i in range(4)]
mesh.from_pydata(verts, [], faces)
uv = mesh.uv_layers.new(name="UVMap")
for poly in mesh.polygons:
    for li in poly.loop_indices:
        co = mesh.vertices[mesh.loops[li].vertex_index].co
        uv.data[li].uv = (co.x / 4.0, {height} / 2.0)
"""


GRID = (
    """
import bpy, bmesh, moodrig, numpy as np
bpy.ops.wm.read_factory_settings(use_empty=True)
moodrig.register()
"""
    + _grid(standing=False)
    + """obj = bpy.data.objects.new("Face", mesh)
bpy.context.scene.collection.objects.link(obj)
bpy.context.view_layer.objects.active = obj
obj.select_set(True)
s = bpy.context.scene.moodrig
s.face = obj

def quad(i, j):
    return j * 4 + i

def run(op):
    try:
        return list(op())
    except RuntimeError as exc:
        return str(exc)

res = {}
# Select quads (1, 1) and (2, 1) in Edit Mode: their UV bounds are [0.25, 0.75] × [0.5, 1].
bpy.ops.object.mode_set(mode="EDIT")
bm = bmesh.from_edit_mesh(mesh)
bm.faces.ensure_lookup_table()
for f in bm.faces:
    f.select_set(f.index in (quad(1, 1), quad(2, 1)))
bmesh.update_edit_mesh(mesh)
res["selection"] = run(bpy.ops.moodrig.region_from_selection)
res["region_selection"] = list(obj.moodrig_face.region)
for f in bm.faces:
    f.select_set(False)
bmesh.update_edit_mesh(mesh)
res["nothing_selected"] = run(bpy.ops.moodrig.region_from_selection)
bpy.ops.object.mode_set(mode="OBJECT")
# A vertex group holding quad (3, 0) and one vertex more: only the whole quad counts.
group = obj.vertex_groups.new(name="face")
group.add([3, 4, 8, 9, 2], 1.0, "REPLACE")
obj.moodrig_face.vertex_group = "face"
res["group"] = run(bpy.ops.moodrig.region_from_vertex_group)
res["region_group"] = list(obj.moodrig_face.region)
obj.moodrig_face.vertex_group = "nope"
res["no_group"] = run(bpy.ops.moodrig.region_from_vertex_group)
res["whole"] = run(bpy.ops.moodrig.region_whole_texture)
res["region_whole"] = list(obj.moodrig_face.region)
report(res)
"""
)


def test_region_from_selection_and_from_a_vertex_group() -> None:
    r = run_bpy(GRID)
    assert r["selection"] == ["FINISHED"]
    assert r["region_selection"] == pytest.approx([0.25, 0.5, 0.75, 1.0])
    assert "no polygons of 'Face' are selected" in r["nothing_selected"]
    assert r["group"] == ["FINISHED"]
    assert r["region_group"] == pytest.approx([0.75, 0.0, 1.0, 0.5])
    assert "no vertex group 'nope'" in r["no_group"]
    assert r["whole"] == ["FINISHED"] and r["region_whole"] == [0.0, 0.0, 1.0, 1.0]


ATLAS_SCENE = """
import bpy, moodrig, numpy as np, json
from pathlib import Path
folder = Path({folder!r})
demo_scene(64)  # the rig (and a demo head we do not bake)
# The face: a plane wearing a 1024 × 512 atlas of noise; the face region is a 256² square.
bpy.ops.mesh.primitive_plane_add()
face = bpy.context.object
face.name = "AtlasFace"
rng = np.random.default_rng(4)
atlas = rng.integers(0, 256, (512, 1024, 4)).astype(np.float32) / 255.0
atlas[..., 3] = 1.0
img = bpy.data.images.new("atlas", 1024, 512, alpha=True)
img.pixels.foreach_set(atlas[::-1].ravel())
img.pack()
mat = bpy.data.materials.new("AtlasMat"); mat.use_nodes = True
node = mat.node_tree.nodes.new("ShaderNodeTexImage"); node.image = img
face.data.materials.append(mat)
face.moodrig_face.region = (0.25, 0.5, 0.5, 1.0)
from moodrig.core.appearance.align import CANONICAL_POINTS
from moodrig.face_region import store_points
store_points(face, CANONICAL_POINTS * 128.0, (128, 128), confirmed=True)  # placed at half size
bpy.context.scene.moodrig.face = face
bpy.ops.wm.save_as_mainfile(filepath=str(folder / "scene.blend"))
report(1)
"""

ATLAS_BAKE = """
import bpy, moodrig, numpy as np, json, cv2
from pathlib import Path
folder = Path({folder!r})
moodrig.register()
bpy.ops.wm.open_mainfile(filepath=str(folder / "scene.blend"))
face = bpy.data.objects["AtlasFace"]
fr = face.moodrig_face
kept = dict(region=list(fr.region), points=list(fr.points), size=list(fr.points_size),
            confirmed=fr.points_confirmed)
from moodrig import api
from moodrig.bake import base_texture
from moodrig.core.demo_timeline import scripted_track
base = base_texture(face)
track = scripted_track(fps=24.0, seconds=2.0)
result = api.bake(None, face, "moodrig_DemoRig", api.BakeRequest(device="cpu", batch=4),
                  track=track)
region = (slice(0, 256), slice(256, 512))
inside = np.zeros((512, 1024), bool)
inside[1:255, 257:511] = True  # the region less its border ring
expect = np.rint(base * 255).astype(np.uint8)
outside_same, changed = [], 0
frames = sorted((Path(result.folder) / "sequence").glob("frame_*.png"))
for path in frames:
    tex = cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_UNCHANGED), cv2.COLOR_BGRA2RGBA)
    outside_same.append(bool(np.array_equal(tex[~inside], expect[~inside])))
    changed += int(not np.array_equal(tex, expect))
# Points from a JSON file instead, then a broken one: one clear line naming the file.
from moodrig.core.appearance.points_io import FeaturePoints, write_points
from moodrig.core.appearance.align import CANONICAL_POINTS
good = write_points(folder / "points.json",
                    FeaturePoints(CANONICAL_POINTS * 256.0 * 0.95, (256, 256)))
by_file = api.bake(None, face, "moodrig_DemoRig", api.BakeRequest(device="cpu", features=str(good)),
                   track=track)
(folder / "broken.json").write_text('{{"version": 1, "points": {{"eye_r": [1, 2]}}}}')
try:
    api.bake(None, face, "moodrig_DemoRig",
             api.BakeRequest(device="cpu", features=str(folder / "broken.json")), track=track)
    broken = "no error"
except Exception as exc:
    broken = f"{{type(exc).__name__}}: {{exc}}"
report(dict(kept=kept, shape=list(base.shape), n_frames=result.n_frames, frames=len(frames),
            outside_same=outside_same, changed=changed, generated=result.generated_textures,
            by_file_generated=by_file.generated_textures,
            by_file_distinct=by_file.distinct_textures, broken=broken))
"""


def test_bake_of_a_non_square_atlas_edits_only_its_region(tmp_path: Path) -> None:
    weights = export_tiny_weights(tmp_path / "weights")
    run_bpy(ATLAS_SCENE.format(folder=str(tmp_path)))
    r = run_bpy(ATLAS_BAKE.format(folder=str(tmp_path)), env={"MOODRIG_WEIGHTS_DIR": str(weights)})
    # The region and the confirmed points survived saving and reopening.
    assert r["kept"]["region"] == pytest.approx([0.25, 0.5, 0.5, 1.0])
    assert r["kept"]["size"] == [128, 128] and r["kept"]["confirmed"]
    assert r["kept"]["points"] == pytest.approx(
        (
            np.asarray(
                [
                    [0.33, 0.47],
                    [0.67, 0.47],
                    [0.33, 0.33],
                    [0.67, 0.33],
                    [0.39, 0.74],
                    [0.61, 0.74],
                    [0.50, 0.74],
                ]
            )
            * 128.0
        )
        .ravel()
        .tolist(),
        abs=1e-4,
    )
    assert r["shape"] == [512, 1024, 4], "non-square textures are baked as they are"
    assert r["frames"] == r["n_frames"] == 48
    assert all(r["outside_same"]), "outside the region every frame is the base texture, bit for bit"
    assert r["changed"] > 0 and r["generated"] > 1
    assert r["by_file_generated"] == r["by_file_distinct"], "other points: other textures"
    assert r["broken"].startswith("InputError: ") and "broken.json" in r["broken"]
    assert "missing eye_l" in r["broken"]


POINTS = """
import bpy, moodrig, numpy as np
from pathlib import Path
folder = Path({folder!r})
demo_scene(128)
face = bpy.data.objects["moodrig_DemoFace"]
s = bpy.context.scene.moodrig
res = {{}}
# Dragging: the session works on region pixels, the Image Editor gives UV.
from moodrig.face_region_view import start_session
from moodrig.face_region import stored_points
session, image = start_session(face)
res["image"] = image.name
before = session.points.copy()
screen = [(10.0 * i, 0.0) for i in range(7)]  # any screen layout: grab the one under the mouse
res["grab"] = session.grab(screen, (41.0, 2.0))
u, v = session.points_uv()[res["grab"]]
session.drag_to((u + 2.0 / 128, v - 1.0 / 128))  # two texels right, one down
session.release()
res["moved"] = (session.points - before).round(6).tolist()
face.moodrig_face.points_confirmed = False
session.confirm(face)
res["confirmed"] = face.moodrig_face.points_confirmed
res["stored"] = stored_points(face).points.round(6).tolist()
# A mirrored face (the eyes swapped) is refused, the stored points stay.
session.points[[0, 1]] = session.points[[1, 0]]
try:
    session.confirm(face)
    res["mirrored"] = "no error"
except Exception as exc:
    res["mirrored"] = str(exc)
res["still"] = stored_points(face).points.round(6).tolist() == res["stored"]
# Without an Image Editor (headless: no window at all) Edit Points says what to open.
from moodrig.face_region_view import _image_editor
try:
    _image_editor(bpy.context)
    res["no_editor"] = "no error"
except Exception as exc:
    res["no_editor"] = str(exc)
# Find Points: the locator's points are stored, not yet confirmed; no face: a clear error.
import moodrig.core.appearance.api as fapi
from moodrig.core.appearance.editor import Features, FaceEditor
from moodrig.core.appearance.align import CANONICAL_POINTS
class Located(FaceEditor):
    def locate(self, work, blocky=False, orientation=None):
        h, w = work.shape[:2]
        return Features(CANONICAL_POINTS * np.array([w, h]), self.presence)
    def framings(self, texture, rect, points, blocky=False, orientation=None):
        return [points]  # the points of the region alone, so the stored ones can be checked
import sys
sys.path.insert(0, {tests!r})
from faceedit_tiny import tiny_networks
gen, loc = tiny_networks()
editor = Located.from_modules(gen, loc, {{}}, device="cpu")
fapi.shipped_editor = lambda device="auto": editor
editor.presence = 0.9
res["find"] = list(bpy.ops.moodrig.find_feature_points())
res["found"] = [face.moodrig_face.points_confirmed, list(face.moodrig_face.points_size),
                stored_points(face).points.round(4).tolist()]
editor.presence = 0.1
try:
    bpy.ops.moodrig.find_feature_points()
    res["no_face"] = "no error"
except RuntimeError as exc:
    res["no_face"] = str(exc)
# Changing the region makes the old points stale (the bake finds them again).
face.moodrig_face.region = (0.0, 0.0, 1.0, 1.0)
res["stale"] = stored_points(face) is None
s.show_face_region = True
from moodrig import face_region_view
res["preview_on"] = face_region_view._preview_handle is not None
bpy.ops.wm.save_as_mainfile(filepath=str(folder / "points.blend"))
report(res)
"""

REOPEN = """
import bpy, moodrig
moodrig.register()
from moodrig import face_region_view
off = face_region_view._preview_handle is None
bpy.ops.wm.open_mainfile(filepath={path!r})
report(dict(off_before=off, preview_on=face_region_view._preview_handle is not None,
            region=list(bpy.data.objects["moodrig_DemoFace"].moodrig_face.region)))
"""


def test_points_are_dragged_confirmed_found_and_the_preview_comes_back(tmp_path: Path) -> None:
    r = run_bpy(POINTS.format(folder=str(tmp_path), tests=str(Path(__file__).parent)))
    assert r["image"] == "moodrig_DemoFace_neutral"
    assert r["grab"] == 4, "the point nearest the mouse, within the pick radius"
    moved = np.asarray(r["moved"])
    assert (
        moved[4] == pytest.approx([2.0, 1.0], abs=1e-6)
        and np.abs(np.delete(moved, 4, 0)).max() == 0
    )
    assert r["confirmed"]
    assert "below the eyes" in r["mirrored"] and r["still"]
    assert "open an Image Editor" in r["no_editor"]
    assert r["find"] == ["FINISHED"]
    confirmed, size, points = r["found"]
    assert not confirmed and size == [64, 64]
    assert np.asarray(points) == pytest.approx(
        np.asarray(
            [
                [0.33, 0.47],
                [0.67, 0.47],
                [0.33, 0.33],
                [0.67, 0.33],
                [0.39, 0.74],
                [0.61, 0.74],
                [0.50, 0.74],
            ]
        )
        * 64.0,
        abs=1e-3,
    )
    assert "shows no painted face" in r["no_face"]
    assert r["stale"] and r["preview_on"]
    back = run_bpy(REOPEN.format(path=str(tmp_path / "points.blend")))
    assert back["off_before"] and back["preview_on"], "the saved overlay setting comes back on load"
    assert back["region"] == [0.0, 0.0, 1.0, 1.0]


LAID = """
import bpy, moodrig, numpy as np
bpy.ops.wm.read_factory_settings(use_empty=True)
moodrig.register()
from moodrig.core.demo_head import head_atlas, paint_atlas
from moodrig.core.painter import DEFAULT_STYLE
SIZE = 512
atlas = head_atlas(SIZE)
u0, v0, u1, v1 = atlas.region.as_tuple()
# The painted head flipped left to right, then turned a quarter clockwise (top of the head to
# the right): texel (u, v) of the upright atlas lands at (v, u).
laid = np.ascontiguousarray(np.rot90(paint_atlas(atlas, DEFAULT_STYLE)[:, ::-1], -1))
img = bpy.data.images.new("laid", SIZE, SIZE, alpha=True)
img.pixels.foreach_set(laid[::-1].ravel())
img.pack()
mat = bpy.data.materials.new("LaidMat"); mat.use_nodes = True
mat.node_tree.nodes.new("ShaderNodeTexImage").image = img
# The face: a 6 × 6 grid standing in the XZ plane, looking at -Y, head up +Z; its UVs put the
# upright face square on the laid texture.
n = 6
verts = [(i / n, 0.0, j / n) for j in range(n + 1) for i in range(n + 1)]
faces = [(j * (n + 1) + i, j * (n + 1) + i + 1, (j + 1) * (n + 1) + i + 1, (j + 1) * (n + 1) + i)
         for j in range(n) for i in range(n)]
mesh = bpy.data.meshes.new("laid")
mesh.from_pydata(verts, [], faces)
uv = mesh.uv_layers.new(name="UVMap")
for poly in mesh.polygons:
    poly.select = True
    for li in poly.loop_indices:
        x, _, z = mesh.vertices[mesh.loops[li].vertex_index].co
        u, v = u0 + x * (u1 - u0), v0 + z * (v1 - v0)
        uv.data[li].uv = (v, u)
mesh.materials.append(mat)
face = bpy.data.objects.new("LaidFace", mesh)
bpy.context.scene.collection.objects.link(face)
bpy.context.view_layer.objects.active = face
bpy.context.scene.moodrig.face = face
from moodrig.face_region import face_orientation, region_of, stored_points
res = {{}}
res["select"] = list(bpy.ops.moodrig.region_from_selection())
res["region"] = list(face.moodrig_face.region)
res["lies"] = face_orientation(face, region_of(face))[1]
res["find"] = list(bpy.ops.moodrig.find_feature_points())
res["points"] = stored_points(face).points.tolist()
from moodrig.face_region_view import start_session
face.moodrig_face.region = (0.0, 0.0, 1.0, 1.0)  # no points stored for this region
session, _ = start_session(face)
session.confirm(face)  # the typical layout is laid as the face lies: accepted
res["typical"] = session.points.tolist()
face.moodrig_face.region = res["region"]
face.moodrig_face.head_up = "PICTURE"
res["picture"] = face_orientation(face, region_of(face))[1]
face.moodrig_face.head_up = "LEFT"; face.moodrig_face.mirrored = True
res["by_hand"] = face_orientation(face, region_of(face))[1]
face.moodrig_face.head_up = "MESH"
face.scale = (-1.0, 1.0, 1.0)  # a mirrored object mirrors its texture once more
bpy.context.view_layer.update()
res["scaled"] = face_orientation(face, region_of(face))[1]
face.scale = (1.0, 1.0, 1.0); face.rotation_euler = (-1.5708, 0.0, 0.0)  # lying on its back
bpy.context.view_layer.update()
res["lying"] = face_orientation(face, region_of(face))[1]
report(res)
"""


def test_the_mesh_tells_which_way_the_face_lies_and_the_points_follow() -> None:
    """A face island mirrored and turned in its atlas (as UV packers lay islands): the mesh
    tells the turn and the mirror, Find Points finds the eyes as the character's own, and
    the typical layout for dragging is laid the same way."""
    from moodrig.core.appearance.align import FEATURE_INDEX, check_features
    from moodrig.core.appearance.weights_io import LOCATOR_WEIGHTS

    if not LOCATOR_WEIGHTS.shipped_manifest().is_file():
        pytest.skip("the locator's weights are not in this tree's weights/appearance/")
    r = run_bpy(LAID.format())
    assert r["select"] == ["FINISHED"]
    assert r["lies"] == "head right, mirrored (from the mesh)"
    assert r["find"] == ["FINISHED"]
    points = np.asarray(r["points"])
    width = round((r["region"][2] - r["region"][0]) * 512)
    height = round((r["region"][3] - r["region"][1]) * 512)
    check_features(points, width, height, mirrored=True)
    eye_r, eye_l = points[FEATURE_INDEX["eye_r"]], points[FEATURE_INDEX["eye_l"]]
    mouth = points[FEATURE_INDEX["mouth_c"]]
    assert eye_r[1] > eye_l[1] and mouth[0] < min(eye_r[0], eye_l[0]), "head right, mirrored"
    typical = np.asarray(r["typical"])
    assert typical[FEATURE_INDEX["eye_r"], 1] > typical[FEATURE_INDEX["eye_l"], 1]
    assert r["picture"] == "found from the picture"
    assert r["by_hand"] == "head left, mirrored (set by hand)"
    assert r["scaled"] == "head right (from the mesh)"
    assert r["lying"].startswith("found from the picture (the mesh's UVs")


MATERIALS = (
    """
import bpy, bmesh, moodrig, numpy as np
bpy.ops.wm.read_factory_settings(use_empty=True)
moodrig.register()
from moodrig import bake as scene_bake
from moodrig.face_region import mesh_orientation, region_of
"""
    + _grid(standing=True)
    + """# Body quad (0, 0) maps, mirrored, into the face's UV box: another texture's island.
for li in mesh.polygons[0].loop_indices:
    x, _, z = mesh.vertices[mesh.loops[li].vertex_index].co
    uv.data[li].uv = (0.75 - x / 4.0, 0.5 + z / 2.0)
obj = bpy.data.objects.new("Character", mesh)
bpy.context.scene.collection.objects.link(obj)
bpy.context.view_layer.objects.active = obj
obj.select_set(True)

def material(name, images):
    mat = bpy.data.materials.new(name)
    mat.use_nodes = True
    nodes, links = mat.node_tree.nodes, mat.node_tree.links
    bsdf = nodes["Principled BSDF"]
    made = {}
    for image_name, data, socket in images:  # created in this order
        image = bpy.data.images.new(image_name, 32, 32)
        if data:
            image.colorspace_settings.name = "Non-Color"
        node = nodes.new("ShaderNodeTexImage")
        node.image = image
        if socket == "Normal":
            nm = nodes.new("ShaderNodeNormalMap")
            links.new(node.outputs["Color"], nm.inputs["Color"])
            links.new(nm.outputs["Normal"], bsdf.inputs["Normal"])
        elif socket:
            links.new(node.outputs["Color"], bsdf.inputs[socket])
        made[image_name] = node
    return mat

body = material("Body", [("body_colour", False, "Base Color")])
# As an import may make it: the normal map's node first, an unlinked colour image, then the
# image that colours the face.
face_mat = material("FaceMat", [("face_normal", True, "Normal"), ("face_spare", False, None),
                                ("face_colour", False, "Base Color")])
obj.data.materials.append(body)
obj.data.materials.append(face_mat)
for poly in mesh.polygons:
    poly.material_index = 1 if poly.index in (5, 6) else 0  # quads (1, 1) and (2, 1)
obj.active_material_index = 0
s = bpy.context.scene.moodrig
s.face = obj
res = {}
res["before"] = scene_bake.base_image(obj).name
for poly in mesh.polygons:
    poly.select = poly.index in (5, 6)
res["op"] = list(bpy.ops.moodrig.region_from_selection())
res["stored"] = obj.moodrig_face.material.name
res["after"] = scene_bake.base_image(obj).name
res["region"] = list(obj.moodrig_face.region)
found = mesh_orientation(obj, region_of(obj))
res["lies"] = None if found is None else found.orientation.describe()
obj.moodrig_face.material = None
res["unset"] = scene_bake.base_image(obj).name
obj.moodrig_face.material = face_mat
# What the Face Region panel draws (a layout that records; sentences as plain labels).
from moodrig import panels

class Layout:
    def __init__(self):
        self.drawn = []
        self.active = True
    def column(self, **_):
        return self
    row = box = column
    def label(self, text="", icon="NONE"):
        self.drawn.append(["label", text, icon])
    def prop(self, data, name, **_):
        self.drawn.append(["prop", name])
    def prop_search(self, *_, **__):
        pass
    def operator(self, *_, **__):
        return None

panels.sentence = lambda layout, context, text, icon="NONE", boxed=False: layout.label(text=text)
layout = Layout()
panels.draw_face_region(layout, bpy.context)
res["panel"] = layout.drawn[:3]
# A second UV map (a lightmap's, scrambled) selected for editing: the region still comes from
# the map the texture is drawn with, the one Blender renders with...
light = mesh.uv_layers.new(name="lightmap")
for i in range(len(light.data)):
    light.data[i].uv = (0.9 - 0.1 * (i % 3), 0.05 * (i % 5))
mesh.uv_layers.active = light
res["render_map"] = list(bpy.ops.moodrig.region_from_selection())
res["region_render_map"] = list(obj.moodrig_face.region)
# ... or the one a UV Map node names, through a Mapping node, whichever renders.
light.active_render = True
nodes, links = face_mat.node_tree.nodes, face_mat.node_tree.links
uv_node = nodes.new("ShaderNodeUVMap")
uv_node.uv_map = "UVMap"
mapping = nodes.new("ShaderNodeMapping")
links.new(uv_node.outputs["UV"], mapping.inputs["Vector"])
colour_node = next(n for n in nodes if n.type == "TEX_IMAGE" and n.image.name == "face_colour")
links.new(mapping.outputs["Vector"], colour_node.inputs["Vector"])
res["node_map"] = list(bpy.ops.moodrig.region_from_selection())
res["region_node_map"] = list(obj.moodrig_face.region)
# A UDIM tiled face texture is refused with a sentence saying what to do.
colour_node.image = bpy.data.images.new("face_udim", 32, 32, tiled=True)
try:
    scene_bake.base_image(obj)
    res["udim"] = "accepted"
except Exception as exc:
    res["udim"] = str(exc)
report(res)
"""
)


def test_the_face_texture_comes_from_the_material_the_face_polygons_show() -> None:
    """A character mesh with a body and a face material (the body's active): the region taken
    from the face's polygons stores their material, the bake's texture is that material's
    colour image (not its normal map, not an unlinked image), and the orientation reads only
    the face material's polygons (a body island mirrored into the same UV box is ignored).
    The region is read in the UV map the texture is drawn with, not the one selected for
    editing; a UDIM face texture is refused."""
    r = run_bpy(MATERIALS)
    assert r["before"] == "body_colour"  # nothing stored: the active material, as before
    assert r["op"] == ["FINISHED"]
    assert r["stored"] == "FaceMat"
    assert r["after"] == "face_colour"
    assert r["region"] == pytest.approx([0.25, 0.5, 0.75, 1.0])
    assert r["lies"] is not None and "mirrored" not in r["lies"], r["lies"]
    assert r["unset"] == "body_colour"
    assert r["panel"] == [
        ["label", "Texture from", "NONE"],
        ["prop", "material"],
        ["label", "face_colour", "IMAGE_DATA"],
    ]
    for case in ("render_map", "node_map"):
        assert r[case] == ["FINISHED"]
        assert r[f"region_{case}"] == pytest.approx([0.25, 0.5, 0.75, 1.0]), case
    assert "UDIM tiled image" in r["udim"] and "material of their own" in r["udim"]


FIND_FACE = """
import bpy, moodrig
demo_scene(1024)
face = bpy.data.objects["moodrig_DemoFace"]
bpy.context.scene.moodrig.face = face
stored = list(face.moodrig_face.region)
bpy.ops.moodrig.region_whole_texture()
res = {"stored": stored, "op": list(bpy.ops.moodrig.find_face_region())}
res["found"] = list(face.moodrig_face.region)
report(res)
"""


@pytest.mark.skipif(not SHIPPED_WEIGHTS, reason="the face editor's weights are not here")
def test_find_face_puts_the_region_round_the_demo_heads_face() -> None:
    """*Find Face* (headless: synchronously) searches the demo head's 1024² atlas and sets the
    region round its painted face, which the demo stores itself."""
    r = run_bpy(FIND_FACE, timeout=600)
    assert r["op"] == ["FINISHED"]

    def box(uv: list[float]) -> tuple[float, float, float, float]:
        return uv[0], uv[1], uv[2], uv[3]

    (a0, b0, a1, b1), (c0, d0, c1, d1) = box(r["stored"]), box(r["found"])
    inter = max(0.0, min(a1, c1) - max(a0, c0)) * max(0.0, min(b1, d1) - max(b0, d0))
    union = (a1 - a0) * (b1 - b0) + (c1 - c0) * (d1 - d0) - inter
    assert inter / union >= 0.4, r
