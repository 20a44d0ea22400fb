"""Reading bake inputs out of the scene and writing both tracks back into it.

Nothing the user made is modified: the behavior goes into a new, tagged action; the expression
textures go into a tagged image sequence and a tagged *copy* of the face material, which takes
the face's material slot (the original material is kept, and is put back by "Remove bake").
Re-running replaces only these moodrig datablocks. All computing happens before the first
write, and a failure while writing removes what was created, so the scene is never left
half-baked.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bpy
import numpy as np

from . import anim_compat
from .core.appearance import sequence_name
from .core.errors import InputError
from .core.paths import contained_path
from .core.rig import BONE_ROLES
from .tags import is_moodrig, role_of, tag

ORIGINAL_MATERIAL = "moodrig_original_material"
TARGET = "moodrig_target"
SYNC_PROP = "moodrig_sync"


@dataclass
class SceneTargets:
    face: Any
    armature: Any
    bone_map: dict[str, str]
    """Bone role → bone name on ``armature`` (roles without a bone are not keyed)."""
    material: Any
    """The material whose image texture shows the face (the user's, or moodrig's copy of it)."""
    texture_node_name: str


def find_face_texture(face: Any) -> tuple[Any, Any]:
    """The face's (material, image texture node): the node named ``moodrig_face_texture`` if any,
    else the first image texture node of the active material."""
    if face is None or face.type != "MESH":
        raise InputError(None, "choose a mesh object as the face")
    for slot in face.material_slots:
        mat = slot.material
        if mat is not None and mat.use_nodes:
            node = mat.node_tree.nodes.get("moodrig_face_texture")
            if node is not None and node.type == "TEX_IMAGE":
                return mat, node
    mat = face.active_material
    if mat is None or not mat.use_nodes:
        raise InputError(None, f"face '{face.name}' has no node material with an Image Texture")
    for node in mat.node_tree.nodes:
        if node.type == "TEX_IMAGE" and node.image is not None:
            return mat, node
    raise InputError(None, f"material '{mat.name}' of '{face.name}' has no Image Texture node with an image")


def base_texture(face: Any) -> np.ndarray:
    """The face texture the expressions are painted onto: the user's original image, top-down RGBA."""
    mat, node = find_face_texture(face)
    original = mat.get(ORIGINAL_MATERIAL)
    if is_moodrig(mat) and original and bpy.data.materials.get(original) is not None:
        mat = bpy.data.materials[original]
        node = find_face_texture_in(mat)
    image = node.image
    if image.source == "SEQUENCE":
        raise InputError(image.filepath, "the face texture is an image sequence; pick the base texture")
    w, h = image.size
    if w == 0 or h == 0:
        raise InputError(image.filepath or image.name, "the face texture has no pixels (missing file?)")
    if w != h:
        raise InputError(image.filepath or image.name, f"the face texture must be square, it is {w}×{h}")
    px = np.empty(w * h * image.channels, dtype=np.float32)
    image.pixels.foreach_get(px)
    px = px.reshape(h, w, image.channels)[::-1]
    if image.channels == 3:
        px = np.concatenate([px, np.ones((h, w, 1), np.float32)], axis=2)
    return np.ascontiguousarray(np.clip(px[..., :4], 0.0, 1.0))


def find_face_texture_in(mat: Any) -> Any:
    node = mat.node_tree.nodes.get("moodrig_face_texture")
    if node is not None:
        return node
    return next(n for n in mat.node_tree.nodes if n.type == "TEX_IMAGE" and n.image is not None)


def check_bone_map(armature: Any, bone_map: Mapping[str, str]) -> list[str]:
    """Roles whose bone is missing from the armature (the 'check mapping' list)."""
    if armature is None or armature.type != "ARMATURE":
        return list(BONE_ROLES)
    names = set(armature.pose.bones.keys())
    return [role for role in BONE_ROLES if bone_map.get(role) not in names]


def output_folder(face_name: str, blend_path: str, fallback: Path) -> Path:
    """``//moodrig/<object>/`` beside the .blend; the object name cannot escape that folder."""
    root = Path(bpy.path.abspath("//")) if blend_path else fallback
    return contained_path(root, "moodrig", face_name)


# ----------------------------------------------------------------------------- writing


def owned_name(object_name: str, what: str) -> str:
    """Name of a moodrig datablock made for an object: 'moodrig_<object>_<what>', no double prefix."""
    stem = object_name.removeprefix("moodrig_")
    return f"moodrig_{stem}_{what}"


def remove_previous(armature: Any, face: Any) -> None:
    """Drop moodrig's own datablocks from a previous bake of these objects (never the user's)."""
    if armature.animation_data and armature.animation_data.action is not None:
        action = armature.animation_data.action
        if role_of(action) == "behavior_action":
            armature.animation_data.action = None
            if action.users == 0:
                bpy.data.actions.remove(action)
    for slot in face.material_slots:
        mat = slot.material
        if mat is not None and role_of(mat) == "face_material" and mat.get(TARGET) == face.name:
            original = bpy.data.materials.get(mat.get(ORIGINAL_MATERIAL, ""))
            slot.material = original
            image = mat.node_tree.nodes.get("moodrig_face_texture").image if mat.node_tree.nodes.get("moodrig_face_texture") else None
            if mat.users == 0:
                bpy.data.materials.remove(mat)
            if image is not None and role_of(image) == "expression_sequence" and image.users == 0:
                bpy.data.images.remove(image)


def write_behavior(armature: Any, curves: Mapping[str, np.ndarray], bone_map: Mapping[str, str], frame_start: int) -> Any:
    by_bone = {bone_map[role]: curves[role] for role in BONE_ROLES if bone_map.get(role) in armature.pose.bones}
    for bone in by_bone:
        armature.pose.bones[bone].rotation_mode = "XYZ"
    action, container = anim_compat.new_action(armature, owned_name(armature.name, "behavior"), "behavior_action")
    action[TARGET] = armature.name
    # Continuous rotations: unwrap so no channel jumps by 2π between frames.
    anim_compat.write_rotation_curves(container, {b: np.unwrap(c, axis=0) for b, c in by_bone.items()}, frame_start)
    return action


def write_appearance(face: Any, frames: list[Path], frame_start: int) -> tuple[Any, Any]:
    """Tagged image sequence + tagged copy of the face material showing it, in the face's slot."""
    mat, node = find_face_texture(face)
    slot_index = next(i for i, s in enumerate(face.material_slots) if s.material == mat)
    first = frames[0]
    image = tag(bpy.data.images.load(str(first), check_existing=False), "expression_sequence")
    image.name = owned_name(face.name, "expressions")
    image.source = "SEQUENCE"
    if bpy.data.filepath:
        try:
            image.filepath = bpy.path.relpath(str(first))
        except ValueError:  # another drive on Windows
            image.filepath = str(first)
    image.colorspace_settings.name = node.image.colorspace_settings.name if node.image else "sRGB"
    copy = tag(mat.copy(), "face_material")
    copy.name = owned_name(face.name, "face")
    copy[TARGET] = face.name
    copy[ORIGINAL_MATERIAL] = mat.name
    tex = find_face_texture_in(copy)
    tex.name = "moodrig_face_texture"
    tex.image = image
    tex.image_user.frame_start = frame_start
    tex.image_user.frame_offset = 0
    tex.image_user.frame_duration = len(frames)
    tex.image_user.use_auto_refresh = True
    tex.image_user.use_cyclic = False
    face.material_slots[slot_index].material = copy
    return copy, image


def apply(scene: Any, targets: SceneTargets, curves: Mapping[str, np.ndarray], frames: list[Path],
          frame_start: int, sync: Mapping[str, Any] | None) -> tuple[Any, Any, Any]:
    """Write both tracks; on any failure remove what this call created and re-raise."""
    created: list[tuple[Any, Any]] = []
    face, armature = targets.face, targets.armature
    previous_slots = [s.material for s in face.material_slots]
    previous_action = armature.animation_data.action if armature.animation_data else None
    try:
        remove_previous(armature, face)
        action = write_behavior(armature, curves, targets.bone_map, frame_start)
        created.append((bpy.data.actions, action))
        material, image = write_appearance(face, frames, frame_start)
        created += [(bpy.data.materials, material), (bpy.data.images, image)]
        if sync is not None:
            action[SYNC_PROP] = json.dumps(sync)
            scene[SYNC_PROP] = json.dumps(sync)
        return action, material, image
    except BaseException:
        for collection, block in reversed(created):
            with contextlib.suppress(ReferenceError, RuntimeError):
                collection.remove(block)
        for slot, mat in zip(face.material_slots, previous_slots, strict=False):
            slot.material = mat
        if armature.animation_data is not None:
            armature.animation_data.action = previous_action
        raise


def read_back_curves(armature: Any, action: Any, bone_map: Mapping[str, str], n_frames: int) -> dict[str, np.ndarray]:
    """The keyframes as written, per bone role (roles without a bone: zeros)."""
    container = anim_compat.curve_container(armature, action)
    bones = [bone_map[r] for r in BONE_ROLES if bone_map.get(r) in armature.pose.bones]
    by_bone = anim_compat.read_rotation_curves(container, bones)
    out = {}
    for role in BONE_ROLES:
        bone = bone_map.get(role)
        out[role] = by_bone[bone] if bone in by_bone else np.zeros((n_frames, 3), np.float32)
    return out


def sequence_frames(folder: Path, n: int) -> list[Path]:
    return [folder / sequence_name(i) for i in range(1, n + 1)]
