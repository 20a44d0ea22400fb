"""The face region and feature points stored on a face object, and the operators that set them.

``object.moodrig_face`` (``properties.py``) keeps, in the .blend: the region (u0, v0, u1, v1 in
UV, v from the bottom), the 7 feature points in pixels of that region, the region and size
they were placed at, whether the artist placed or confirmed them, and which way the face lies
in the region (read from the mesh by default: ``face_orientation``). The bake takes the region
and the confirmed points from here (``stored_setup``) unless its request names others.

Operators act on the sidebar's face mesh (``scene.moodrig.face``): Region from Selection (UV
bounds of the selected polygons, also in Edit Mode), Region from Vertex Group, Whole Texture,
and Find Feature Points (the face editor's locator). Dragging the points is the modal operator
of ``face_region_view.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import bpy

from .core.errors import InputError
from .modal_job import ModalJob
from .preferences import chosen_device
from .properties import N_POINTS


def face_object(context: Any) -> Any:
    """The sidebar's face mesh; InputError when none is chosen."""
    face = context.scene.moodrig.face
    if face is None or face.type != "MESH":
        raise InputError(None, "choose the face mesh in the Character panel first")
    return face


def region_of(face: Any) -> Any:
    """The stored region as a ``FaceRegion`` (InputError when the stored numbers are invalid)."""
    from .core.appearance.region import FaceRegion

    u0, v0, u1, v1 = (float(v) for v in face.moodrig_face.region)
    return FaceRegion(u0, v0, u1, v1)


def has_points(face: Any) -> bool:
    """Whether points are stored for the face's current region."""
    s = face.moodrig_face
    same = all(abs(a - b) < 1e-6 for a, b in zip(s.points_region, s.region, strict=True))
    return same and min(s.points_size) > 0


def stored_points(face: Any) -> Any:
    """The stored points of the current region as ``FeaturePoints``, or None."""
    if not has_points(face):
        return None
    import numpy as np

    from .core.appearance.points_io import FeaturePoints

    s = face.moodrig_face
    pts = np.asarray(s.points, dtype=np.float64).reshape(N_POINTS, 2)
    return FeaturePoints(pts, (int(s.points_size[0]), int(s.points_size[1])))


def store_points(face: Any, points: Any, region_size: tuple[int, int], confirmed: bool) -> None:
    """Keep (7, 2) region-pixel points placed in a region of ``region_size`` pixels."""
    s = face.moodrig_face
    s.points = [float(v) for v in points.reshape(-1)]
    s.points_region = tuple(s.region)
    s.points_size = region_size
    s.points_confirmed = confirmed


def stored_setup(face: Any, region: Any = None) -> Any:
    """What the bake takes from the face object (``core.appearance.setup.FaceSetup``): its
    region (or ``region``, (u0, v0, u1, v1), when a request names one), its points when the
    artist confirmed them for that region, and which way the face lies there."""
    from .core.appearance.region import FaceRegion
    from .core.appearance.setup import FaceSetup

    stored = region_of(face)
    reg = stored if region is None else FaceRegion(*(float(v) for v in region))
    points = stored_points(face) if face.moodrig_face.points_confirmed else None
    if reg != stored:
        points = None
    orientation, _ = face_orientation(face, reg)
    return FaceSetup(reg, points, f"the feature points of '{face.name}'", orientation)


def face_orientation(face: Any, region: Any) -> tuple[Any, str]:
    """Which way the face lies in ``region`` (``core.appearance.orientation.Orientation``, or
    None: found from the picture), and a sentence saying so and why."""
    from .core.appearance.orientation import HEAD_UP, Orientation

    s = face.moodrig_face
    if s.head_up == "PICTURE":
        return None, "found from the picture"
    if s.head_up != "MESH":
        chosen = Orientation(HEAD_UP.index(s.head_up.lower()), bool(s.mirrored))
        return chosen, f"{chosen.describe()} (set by hand)"
    found = mesh_orientation(face, region)
    if found is None:
        return None, "found from the picture (the mesh's UVs in the region do not tell)"
    return found.orientation, f"{found.orientation.describe()} (from the mesh)"


def mesh_orientation(face: Any, region: Any) -> Any:
    """``core.appearance.orientation.orientation_from_mesh`` on the face mesh's polygons whose
    UV centre lies in ``region``, at rest in world space (up is world +Z); None without UVs."""
    import numpy as np

    from .core.appearance.orientation import orientation_from_mesh

    if face.type != "MESH":
        return None
    try:
        polys = _polygons(face)
    except InputError:  # no UV map: nothing to read (a face keyed by shape keys alone)
        return None
    centre = np.add.reduceat(polys.uvs, polys.starts, axis=0) / polys.totals[:, None]
    lo, hi = np.array([region.u0, region.v0]), np.array([region.u1, region.v1])
    inside = (polys.totals >= 3) & np.all((centre >= lo) & (centre <= hi), axis=1)
    slots = face_slots(face)
    if len(slots) > 1:  # other materials' polygons map other textures
        valid = (polys.materials >= 0) & (polys.materials < len(slots))
        inside &= valid & slots[np.clip(polys.materials, 0, len(slots) - 1)]
    if not inside.any():
        return None
    # Each polygon as a fan of triangles from its first corner: (s, s + k, s + k + 1).
    fans = polys.totals[inside] - 2
    first = np.repeat(polys.starts[inside], fans)
    k = np.arange(int(fans.sum())) - np.repeat(np.cumsum(fans) - fans, fans) + 1
    corners = np.stack([first, first + k, first + k + 1], axis=1)
    world = np.array(face.matrix_world, dtype=np.float64)
    return orientation_from_mesh(
        polys.positions[polys.verts[corners]],
        polys.uvs[corners],
        flipped=bool(np.linalg.det(world[:3, :3]) < 0.0),
    )


def request_region(face: Any) -> tuple[float, float, float, float] | None:
    """The stored region for a bake request (None: the whole texture)."""
    if face is None:
        return None
    region = tuple(float(v) for v in face.moodrig_face.region)
    if region == (0.0, 0.0, 1.0, 1.0):
        return None
    return (region[0], region[1], region[2], region[3])


def set_region(face: Any, region: Any) -> None:
    face.moodrig_face.region = region.as_tuple()


# ----------------------------------------------------------------------------- mesh reading


def texture_label(face: Any) -> str | None:
    """The texture the face is edited in, as the region operators name it: 'image' (W×H,
    material 'name'); None when the face mesh shows no image."""
    from .bake import base_image, find_face_texture, original_material

    try:
        image = base_image(face)
        mat = original_material(find_face_texture(face)[0])
    except InputError:
        return None
    w, h = image.size
    return f"'{image.name}' ({w}×{h}, material '{mat.name}')"


@dataclass
class _Polygons:
    """A mesh's polygons as the user sees them now (Edit Mode included), as flat arrays of
    face corners (loops): polygon ``p`` holds corners ``starts[p]`` to ``starts[p] +
    totals[p]``."""

    starts: Any
    """(P,) int: each polygon's first corner."""
    totals: Any
    """(P,) int: each polygon's number of corners."""
    selected: Any
    """(P,) bool."""
    verts: Any
    """(L,) int: each corner's vertex."""
    uvs: Any
    """(L, 2) each corner's UV in the active UV map."""
    member: Any
    """(V,) bool: the vertex is in the asked-for vertex group with a weight above 0."""
    positions: Any
    """(V, 3) the vertices at rest, in world space."""
    materials: Any
    """(P,) int: each polygon's material slot."""

    def corner_uvs(self, chosen: Any) -> Any:
        """The UVs of every corner of the ``chosen`` ((P,) bool) polygons."""
        import numpy as np

        return self.uvs[np.repeat(chosen, self.totals)]

    def wholly_in_group(self) -> Any:
        """(P,) bool: every corner's vertex is in the vertex group."""
        import numpy as np

        return np.logical_and.reduceat(self.member[self.verts], self.starts)


def texture_uv_map(face: Any) -> str | None:
    """Name of the UV map the face texture is drawn with (None: the mesh has none): the one a
    UV Map node upstream of the texture node's Vector names (through Mapping and Reroute
    nodes), else the map Blender renders with (the camera icon in the UV Maps list), which
    need not be the one selected for editing (a game asset's lightmap UVs, say)."""
    from .bake import find_face_texture

    layers = face.data.uv_layers
    try:
        node = find_face_texture(face)[1]
    except InputError:
        node = None
    seen = 0
    while node is not None and seen < 16:  # up the Vector chain
        seen += 1
        if node.type == "UVMAP":
            if node.uv_map and layers.get(node.uv_map) is not None:
                return str(node.uv_map)
            break
        socket = node.inputs.get("Vector") if node.type != "REROUTE" else node.inputs[0]
        node = socket.links[0].from_node if socket is not None and socket.is_linked else None
    render = next((layer for layer in layers if layer.active_render), None)
    chosen = render if render is not None else layers.active
    return None if chosen is None else str(chosen.name)


def _polygons(face: Any, group_index: int | None = None) -> _Polygons:
    import numpy as np

    mesh = face.data
    if face.mode == "EDIT":  # the edit mesh holds the truth; the mesh data is stale
        import bmesh

        bm = bmesh.from_edit_mesh(mesh)
        bm.verts.index_update()
        name = texture_uv_map(face)
        uv = bm.loops.layers.uv.get(name) if name else None
        if uv is None:
            raise InputError(None, f"'{face.name}' has no UV map")
        deform = bm.verts.layers.deform.active
        member = np.array(
            [
                deform is not None
                and group_index is not None
                and v[deform].get(group_index, 0.0) > 0.0
                for v in bm.verts
            ],
            dtype=bool,
        )
        totals = np.array([len(f.loops) for f in bm.faces], dtype=np.int64)
        return _Polygons(
            np.cumsum(totals) - totals,
            totals,
            np.array([f.select for f in bm.faces], dtype=bool),
            np.array([lp.vert.index for f in bm.faces for lp in f.loops], dtype=np.int64),
            np.array([lp[uv].uv[:] for f in bm.faces for lp in f.loops]).reshape(-1, 2),
            member,
            _world(face, np.array([v.co[:] for v in bm.verts], dtype=np.float64).reshape(-1, 3)),
            np.array([f.material_index for f in bm.faces], dtype=np.int64),
        )
    name = texture_uv_map(face)
    uv_layer = mesh.uv_layers.get(name) if name else None
    if uv_layer is None:
        raise InputError(None, f"'{face.name}' has no UV map")
    n = len(mesh.polygons)
    starts = np.empty(n, dtype=np.int64)
    totals = np.empty(n, dtype=np.int64)
    selected = np.zeros(n, dtype=bool)
    mesh.polygons.foreach_get("loop_start", starts)
    mesh.polygons.foreach_get("loop_total", totals)
    mesh.polygons.foreach_get("select", selected)
    materials = np.zeros(n, dtype=np.int64)
    mesh.polygons.foreach_get("material_index", materials)
    uvs = np.empty(len(mesh.loops) * 2, dtype=np.float64)
    uv_layer.data.foreach_get("uv", uvs)
    verts = np.empty(len(mesh.loops), dtype=np.int64)
    mesh.loops.foreach_get("vertex_index", verts)
    member = np.zeros(len(mesh.vertices), dtype=bool)
    if group_index is not None:
        for v in mesh.vertices:
            member[v.index] = any(g.group == group_index and g.weight > 0.0 for g in v.groups)
    co = np.empty(len(mesh.vertices) * 3, dtype=np.float64)
    mesh.vertices.foreach_get("co", co)
    # Corners in polygon order (Blender keeps them so; sorted to be sure reduceat holds).
    order = np.argsort(starts, kind="stable")
    starts, totals, selected, materials = (
        starts[order],
        totals[order],
        selected[order],
        materials[order],
    )
    packed = np.cumsum(totals) - totals
    corners = np.arange(int(totals.sum())) + np.repeat(starts - packed, totals)
    return _Polygons(
        packed,
        totals,
        selected,
        verts[corners],
        uvs.reshape(-1, 2)[corners],
        member,
        _world(face, co.reshape(-1, 3)),
        materials,
    )


def _world(face: Any, co: Any) -> Any:
    import numpy as np

    m = np.array(face.matrix_world, dtype=np.float64)
    return co @ m[:3, :3].T + m[:3, 3]


def region_from_selection(face: Any) -> tuple[Any, Any]:
    """UV bounds of the face mesh's selected polygons (the Edit Mode selection included), and
    the material they show (:func:`polygons_material`)."""
    from .core.appearance.region import region_from_uvs

    polys = _polygons(face)
    if not polys.selected.any():
        raise InputError(
            None,
            f"no polygons of '{face.name}' are selected; select the face's polygons in Edit Mode",
        )
    region = region_from_uvs(
        polys.corner_uvs(polys.selected), f"the selected polygons of '{face.name}'"
    )
    return region, polygons_material(face, polys.materials[polys.selected])


def region_from_vertex_group(face: Any, group_name: str) -> tuple[Any, Any]:
    """UV bounds of the polygons whose vertices all belong to the vertex group (weight > 0),
    and the material they show (:func:`polygons_material`)."""
    from .core.appearance.region import region_from_uvs

    group = face.vertex_groups.get(group_name)
    if group is None:
        raise InputError(None, f"'{face.name}' has no vertex group '{group_name}'")
    polys = _polygons(face, group.index)
    chosen = polys.wholly_in_group()
    if not chosen.any():
        raise InputError(
            None, f"no polygon of '{face.name}' lies wholly in vertex group '{group_name}'"
        )
    region = region_from_uvs(
        polys.corner_uvs(chosen), f"the polygons of vertex group '{group_name}'"
    )
    return region, polygons_material(face, polys.materials[chosen])


def polygons_material(face: Any, slots: Any) -> Any:
    """The user's material most of the polygons with material ``slots`` ((P,) int) show, when
    it has a colour image (the face texture then comes from it); None otherwise."""
    import numpy as np

    from .bake import colour_image_node, original_material

    n = len(face.material_slots)
    slots = slots[(slots >= 0) & (slots < n)]
    if slots.size == 0:
        return None
    mat = face.material_slots[int(np.bincount(slots, minlength=n).argmax())].material
    if mat is None:
        return None
    mat = original_material(mat)
    return mat if mat.use_nodes and colour_image_node(mat) is not None else None


def face_slots(face: Any) -> Any:
    """(S,) bool: the face mesh's material slots that show the face texture's material (all of
    them when it is unknown)."""
    import numpy as np

    from .bake import find_face_texture, original_material

    shows = np.ones(len(face.material_slots), dtype=bool)
    try:
        mat = original_material(find_face_texture(face)[0])
    except InputError:
        return shows
    for i, slot in enumerate(face.material_slots):
        shows[i] = slot.material is not None and original_material(slot.material) == mat
    return shows


# ----------------------------------------------------------------------------- operators


def _report(op: Any, exc: BaseException) -> set[str]:
    from .modal_job import report_error

    return report_error(op, exc)


class _FaceOperator:
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context: Any) -> bool:
        face = context.scene.moodrig.face
        return face is not None and face.type == "MESH"


class _RegionOperator(_FaceOperator):
    """Sets the face object's region to what :meth:`region` computes."""

    def region(self, face: Any) -> tuple[Any, Any]:
        """The region, and the material whose texture it lies in (None: keep the stored one)."""
        raise NotImplementedError

    def execute(self, context: Any) -> set[str]:
        try:
            face = face_object(context)
            region, material = self.region(face)
            set_region(face, region)
            if material is not None:
                face.moodrig_face.material = material
            _, lies = face_orientation(face, region)
            texture = texture_label(face)
        except Exception as exc:
            return _report(self, exc)
        u0, v0, u1, v1 = region.as_tuple()
        where = f" of {texture}" if texture else ""
        self.report(
            {"INFO"}, f"Face region {u0:.3f}, {v0:.3f}, {u1:.3f}, {v1:.3f}{where}; face {lies}"
        )
        return {"FINISHED"}


class MOODRIG_OT_region_from_selection(_RegionOperator, bpy.types.Operator):
    """Set the face region to the UV bounds of the face mesh's selected polygons"""

    bl_idname = "moodrig.region_from_selection"
    bl_label = "From Selection"

    def region(self, face: Any) -> tuple[Any, Any]:
        return region_from_selection(face)


class MOODRIG_OT_region_from_vertex_group(_RegionOperator, bpy.types.Operator):
    """Set the face region to the UV bounds of the polygons in the named vertex group"""

    bl_idname = "moodrig.region_from_vertex_group"
    bl_label = "From Group"

    def region(self, face: Any) -> tuple[Any, Any]:
        name = face.moodrig_face.vertex_group
        if not name:
            raise InputError(None, "name the vertex group that covers the face")
        return region_from_vertex_group(face, name)


class MOODRIG_OT_region_whole_texture(_RegionOperator, bpy.types.Operator):
    """Make the whole texture the face region"""

    bl_idname = "moodrig.region_whole_texture"
    bl_label = "Whole Texture"

    def region(self, face: Any) -> tuple[Any, Any]:
        from .core.appearance.region import WHOLE_TEXTURE

        return WHOLE_TEXTURE, None


class MOODRIG_OT_find_feature_points(_FaceOperator, bpy.types.Operator):
    """Find the eyes, brows and mouth in the face region with moodrig's locator"""

    bl_idname = "moodrig.find_feature_points"
    bl_label = "Find Points"

    def execute(self, context: Any) -> set[str]:
        try:
            from .bake import base_texture
            from .core.appearance.api import shipped_editor

            face = face_object(context)
            editor = shipped_editor(chosen_device(context))
            region = region_of(face)
            orientation, lies = face_orientation(face, region)
            prepared = editor.prepare(base_texture(face), region, orientation=orientation)
            rect = prepared.rect
            store_points(face, prepared.features.points, (rect.width, rect.height), confirmed=False)
        except Exception as exc:
            return _report(self, exc)
        self.report(
            {"INFO"},
            f"Found the face (confidence {prepared.features.presence:.2f}; face {lies}); "
            "check the points with Edit Points",
        )
        return {"FINISHED"}


class MOODRIG_OT_find_face_region(_FaceOperator, ModalJob, bpy.types.Operator):
    """Find the painted face in the whole face texture and make its box the face region
    (a few seconds, longer for a face turned in its atlas: the locator searches the texture)"""

    bl_idname = "moodrig.find_face_region"
    bl_label = "Find Face"
    job_label = "Finding the face"
    job_function = "find_region"
    _face_name = ""

    def job_inputs(self, context: Any) -> tuple[Any, ...]:
        from .bake import base_texture

        face = face_object(context)
        self._face_name = face.name
        return base_texture(face), chosen_device(context)

    def job_finished(self, context: Any, result: Any) -> set[str]:
        from .core.appearance.region import FaceRegion

        face = bpy.data.objects.get(self._face_name)
        if face is None:
            return {"CANCELLED"}
        try:
            region = FaceRegion(*result)
            set_region(face, region)
            _, lies = face_orientation(face, region)
        except Exception as exc:
            return _report(self, exc)
        u0, v0, u1, v1 = region.as_tuple()
        self.report(
            {"INFO"},
            f"Found the face: region {u0:.3f}, {v0:.3f}, {u1:.3f}, {v1:.3f}; face {lies}; "
            "check it in the Image Editor",
        )
        return {"FINISHED"}


_classes = (
    MOODRIG_OT_find_face_region,
    MOODRIG_OT_region_from_selection,
    MOODRIG_OT_region_from_vertex_group,
    MOODRIG_OT_region_whole_texture,
    MOODRIG_OT_find_feature_points,
)
register, unregister = bpy.utils.register_classes_factory(_classes)
