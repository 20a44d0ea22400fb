"""Builds the demo character in a scene from ``core.demo_body`` / ``core.demo_head`` data.

The body is one mesh of flat-coloured parts; the head is one mesh with one material whose
texture atlas holds the painter's face in a sub-rectangle (``core/demo_head.py``). The head is
the face object the bake edits: its face region and feature points (known from the painter's
geometry, so confirmed) are stored on it.

Everything created is new and tagged as moodrig's; nothing that exists is modified, so adding
a second demo character next to the first is safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import bpy
import numpy as np

from .bake import FACE_TEXTURE_NODE
from .core import demo_body, demo_head
from .core.painter import DEFAULT_STYLE, FaceStyle
from .core.rig import ROLE_PARENT
from .face_region import store_points
from .tags import tag

FACE_UV = "moodrig_face_uv"


@dataclass
class DemoCharacter:
    collection: Any
    armature: Any
    body: Any
    face: Any
    face_material: Any
    face_image: Any


def _mesh(
    name: str, verts: np.ndarray, faces: list[tuple[int, ...]] | tuple[tuple[int, ...], ...]
) -> Any:
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata([tuple(map(float, v)) for v in verts], [], [tuple(f) for f in faces])
    mesh.validate()
    mesh.update()
    for poly in mesh.polygons:
        poly.use_smooth = True
    return tag(mesh, "demo_mesh")


def _material(name: str, color: tuple[float, float, float]) -> Any:
    mat = bpy.data.materials.new(name)
    mat.use_nodes = True
    bsdf = mat.node_tree.nodes.get("Principled BSDF")
    rgba = (*_srgb_to_linear(color), 1.0)
    if bsdf is not None:
        bsdf.inputs["Base Color"].default_value = rgba
        bsdf.inputs["Roughness"].default_value = 0.6
    mat.diffuse_color = rgba
    return tag(mat, "demo_material")


def _srgb_to_linear(c: tuple[float, float, float]) -> tuple[float, float, float]:
    def one(x: float) -> float:
        return x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4

    return (one(c[0]), one(c[1]), one(c[2]))


def atlas_image(name: str, pixels: np.ndarray) -> Any:
    """A packed image of a top-down RGBA atlas (rows flipped: Blender stores bottom-up)."""
    h, w = pixels.shape[:2]
    image = bpy.data.images.new(name, width=w, height=h, alpha=True)
    image.pixels.foreach_set(np.ascontiguousarray(pixels[::-1]).ravel())
    image.pack()
    return tag(image, "demo_face_texture")


def _face_material(name: str, image: Any) -> Any:
    mat = bpy.data.materials.new(name)
    mat.use_nodes = True
    nodes = mat.node_tree.nodes
    bsdf = nodes.get("Principled BSDF")
    tex = nodes.new("ShaderNodeTexImage")
    tex.name = tex.label = FACE_TEXTURE_NODE
    tex.image = image
    tex.interpolation = "Linear"
    tex.location = (-400, 200)
    uv = nodes.new("ShaderNodeUVMap")
    uv.uv_map = FACE_UV
    uv.location = (-650, 200)
    links = mat.node_tree.links
    links.new(uv.outputs["UV"], tex.inputs["Vector"])
    links.new(tex.outputs["Color"], bsdf.inputs["Base Color"])
    bsdf.inputs["Roughness"].default_value = 0.55
    return tag(mat, "demo_face_material")


def _armature(name: str, collection: Any) -> Any:
    arm_data = tag(bpy.data.armatures.new(name), "demo_armature")
    arm_obj = tag(bpy.data.objects.new(name, arm_data), "demo_armature")
    collection.objects.link(arm_obj)
    view_layer = bpy.context.view_layer
    previous_active = view_layer.objects.active
    previous_mode = bpy.context.mode
    if previous_mode != "OBJECT":
        bpy.ops.object.mode_set(mode="OBJECT")
    view_layer.objects.active = arm_obj
    bpy.ops.object.mode_set(mode="EDIT")
    edit_bones = arm_data.edit_bones
    for role, (head, tail) in demo_body.DEMO_BONES.items():
        bone = edit_bones.new(role)
        bone.head = head
        bone.tail = tail
        bone.roll = 0.0
    for role in demo_body.DEMO_BONES:
        parent = ROLE_PARENT[role]
        if parent is not None:
            edit_bones[role].parent = edit_bones[parent]
            edit_bones[role].use_connect = False
    bpy.ops.object.mode_set(mode="OBJECT")
    for pbone in arm_obj.pose.bones:
        pbone.rotation_mode = "XYZ"
    view_layer.objects.active = previous_active
    return arm_obj


def build(
    scene: Any,
    texture_size: int = 1024,
    location: tuple[float, float, float] = (0.0, 0.0, 0.0),
    style: FaceStyle = DEFAULT_STYLE,
) -> DemoCharacter:
    """Create the demo character in a new collection linked to ``scene``; ``texture_size`` is
    the side of the head's texture atlas (the face takes half of it)."""
    collection = tag(bpy.data.collections.new("moodrig Demo Character"), "demo_collection")
    scene.collection.children.link(collection)
    # Make the new collection's layer collection the active one only for object linking.
    armature = _armature("moodrig_DemoRig", collection)
    armature.location = location

    body_verts: list[np.ndarray] = []
    body_faces: list[tuple[int, ...]] = []
    face_material: list[int] = []
    groups: dict[str, list[int]] = {}
    offset = 0
    for part in demo_body.body_parts():
        body_verts.append(part.verts)
        body_faces.extend(tuple(i + offset for i in f) for f in part.faces)
        face_material.extend([demo_body.MATERIALS.index(part.material)] * len(part.faces))
        groups.setdefault(part.role, []).extend(range(offset, offset + len(part.verts)))
        offset += len(part.verts)
    body_mesh = _mesh("moodrig_DemoBody", np.concatenate(body_verts), body_faces)
    colors = {
        "skin": style.skin,
        "shirt": (0.20, 0.33, 0.55),
        "trousers": (0.16, 0.16, 0.20),
        "shoes": (0.32, 0.18, 0.10),
    }
    for slot in demo_body.MATERIALS:
        body_mesh.materials.append(_material(f"moodrig_Demo_{slot}", colors[slot]))
    body_mesh.polygons.foreach_set("material_index", face_material)
    body = tag(bpy.data.objects.new("moodrig_DemoBody", body_mesh), "demo_body")
    collection.objects.link(body)
    for role, indices in groups.items():
        body.vertex_groups.new(name=role).add(indices, 1.0, "REPLACE")

    atlas = demo_head.head_atlas(texture_size)
    head = demo_head.head_mesh(atlas, style)
    face_mesh = _mesh("moodrig_DemoFace", head.verts, head.faces)
    uv_layer = face_mesh.uv_layers.new(name=FACE_UV)
    uv_layer.data.foreach_set("uv", head.uvs.ravel())
    image = atlas_image("moodrig_DemoFace_neutral", demo_head.paint_atlas(atlas, style))
    face_mat = _face_material("moodrig_DemoFace", image)
    face_mesh.materials.append(face_mat)
    face = tag(bpy.data.objects.new("moodrig_DemoFace", face_mesh), "demo_face")
    collection.objects.link(face)
    face.vertex_groups.new(name="head").add(list(range(len(head.verts))), 1.0, "REPLACE")
    face.moodrig_face.region = atlas.region.as_tuple()
    store_points(
        face,
        demo_head.face_points(atlas, style),
        (atlas.face.width, atlas.face.height),
        confirmed=True,
    )

    for obj in (body, face):
        obj.parent = armature
        modifier = obj.modifiers.new("moodrig_Armature", "ARMATURE")
        modifier.object = armature
    return DemoCharacter(collection, armature, body, face, face_mat, image)
