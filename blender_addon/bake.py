"""Reading bake inputs out of the scene and writing both tracks back into it.

Nothing the user made is modified: the behavior goes into a new, tagged action; the expression
textures go into a tagged image sequence and a tagged *copy* of the face material, which takes
the face's material slot (the original material is kept, and is put back by "Remove bake");
shape keys are keyed in a new, tagged action on the face mesh's shape keys (``shape_keys.py``:
the user's own shape-key action and values come back on "Remove bake").
Re-running replaces only these moodrig datablocks. All computing happens before the first
write, and a failure while writing removes what was created, so the scene is never left
half-baked.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bpy
import numpy as np

from . import anim_compat, records, shape_keys
from .core.appearance import sequence_name
from .core.errors import InputError
from .core.paths import contained_path
from .core.rig import BONE_ROLES
from .tags import is_moodrig, role_of, tag

ORIGINAL_MATERIAL = "moodrig_original_material"
TARGET = "moodrig_target"
SYNC_PROP = records.SYNC_PROP
REPLACED_ACTION = "moodrig_replaced_action"
"""On moodrig's action: the name of the user's action it replaced on the rig (kept with a fake
user so saving never drops it; *Remove Bake* assigns it again)."""


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


def base_image(face: Any) -> Any:
    """The image the expressions are painted onto: the user's original face texture (behind
    moodrig's material copy, once baked)."""
    mat, node = find_face_texture(face)
    original = mat.get(ORIGINAL_MATERIAL)
    if is_moodrig(mat) and original and bpy.data.materials.get(original) is not None:
        mat = bpy.data.materials[original]
        node = find_face_texture_in(mat)
    return node.image


def base_texture(face: Any) -> np.ndarray:
    """The face texture the expressions are painted onto: the user's original image, top-down
    RGBA."""
    image = base_image(face)
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


def original_material(mat: Any) -> Any:
    """The user's material behind moodrig's copy (or ``mat`` itself when it is the user's)."""
    if role_of(mat) != "face_material":
        return mat
    original = bpy.data.materials.get(mat.get(ORIGINAL_MATERIAL, ""))
    if original is None:
        raise InputError(None, f"the original material of '{mat.name}' is gone; assign the face material again")
    return original


def _drop_if_unused(block: Any, collection: Any) -> None:
    if block is not None and is_moodrig(block) and block.users == 0:
        collection.remove(block)


def _drop_face_material(mat: Any) -> None:
    """Remove an unused moodrig face-material copy and its unused image sequence."""
    if mat is None or role_of(mat) != "face_material" or mat.users != 0:
        return
    node = mat.node_tree.nodes.get("moodrig_face_texture")
    image = node.image if node is not None else None
    bpy.data.materials.remove(mat)
    _drop_if_unused(image, bpy.data.images)


def remove_previous(armature: Any, face: Any) -> None:
    """Undo a bake: the user's own action, material and shape keys come back; moodrig's
    datablocks go."""
    if armature.animation_data and armature.animation_data.action is not None:
        action = armature.animation_data.action
        if role_of(action) == "behavior_action":
            armature.animation_data.action = bpy.data.actions.get(action.get(REPLACED_ACTION, ""))
            _drop_if_unused(action, bpy.data.actions)
    for mat in release_face_material(face):
        _drop_face_material(mat)
    shape_keys.remove(face)


def release_face_material(face: Any) -> list[Any]:
    """Put the user's material back in every slot that shows moodrig's copy; returns the copies
    (dropped by the caller once nothing uses them)."""
    released = []
    for slot in face.material_slots:
        mat = slot.material
        if mat is not None and role_of(mat) == "face_material" and mat.get(TARGET) == face.name:
            slot.material = bpy.data.materials.get(mat.get(ORIGINAL_MATERIAL, ""))
            released.append(mat)
    return released


def write_behavior(armature: Any, curves: Mapping[str, np.ndarray], bone_map: Mapping[str, str], frame_start: int) -> Any:
    by_bone = {bone_map[role]: curves[role] for role in BONE_ROLES if bone_map.get(role, "") in armature.pose.bones}
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
    mat = original_material(mat)
    node = find_face_texture_in(mat)
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
          frame_start: int, after_write: Callable[[Any], None] | None = None,
          key_curves: dict[str, np.ndarray] | None = None) -> tuple[Any, Any, Any]:
    """Write both tracks as one transaction.

    New datablocks are created and assigned first; ``after_write(action)`` (e.g. the sync
    figures read back from the keys) runs inside the transaction. Only when everything has
    succeeded are the previous bake's datablocks dropped; on any failure the new ones are
    removed and the previous assignments (an earlier bake included) come back untouched.
    ``frames`` empty: no textures (an earlier bake's material copy gives way to the user's
    material); ``key_curves``: shape-key name → values for the face mesh (None: an earlier
    bake's shape-key action gives way to the user's). Material and image are None without
    textures.
    """
    face, armature = targets.face, targets.armature
    keys_before = shape_keys.capture(face)
    collections = (bpy.data.actions, bpy.data.materials, bpy.data.images)
    existing = [set(c.keys()) for c in collections]
    rotation_modes = {b.name: b.rotation_mode for b in armature.pose.bones}
    previous_slots = [s.material for s in face.material_slots]
    previous_action = armature.animation_data.action if armature.animation_data else None
    previous_fake = previous_action.use_fake_user if previous_action is not None else False
    try:
        action = write_behavior(armature, curves, targets.bone_map, frame_start)
        if previous_action is not None:
            if role_of(previous_action) == "behavior_action":
                action[REPLACED_ACTION] = previous_action.get(REPLACED_ACTION, "")
            else:
                action[REPLACED_ACTION] = previous_action.name
                previous_action.use_fake_user = True  # the user's action must survive saving
        material = image = None
        if frames:
            material, image = write_appearance(face, frames, frame_start)
        else:
            release_face_material(face)
        if key_curves is not None:
            shape_keys.write(face, key_curves, frame_start, owned_name(face.name, "shape_keys"))
        else:
            shape_keys.release(face)
        if after_write is not None:
            after_write(action)
    except BaseException:
        shape_keys.rollback(keys_before)
        for slot, mat in zip(face.material_slots, previous_slots, strict=False):
            slot.material = mat
        if armature.animation_data is not None:
            armature.animation_data.action = previous_action
        if previous_action is not None:
            previous_action.use_fake_user = previous_fake
        for bone, mode in rotation_modes.items():
            armature.pose.bones[bone].rotation_mode = mode
        # Remove whatever this call created, including a half-written action.
        for collection, names in zip(collections, existing, strict=True):
            for block in [b for b in collection if b.name not in names and is_moodrig(b)]:
                with contextlib.suppress(ReferenceError, RuntimeError):
                    collection.remove(block)
        raise
    # Commit: the previous bake's datablocks are no longer used; take their names over.
    for old in previous_slots:
        _drop_face_material(old)
    if previous_action is not None and role_of(previous_action) == "behavior_action":
        _drop_if_unused(previous_action, bpy.data.actions)
    shape_keys.commit(keys_before)
    action.name = owned_name(armature.name, "behavior")
    if material is not None:
        material.name = owned_name(face.name, "face")
        image.name = owned_name(face.name, "expressions")
    key_action = shape_keys.baked_action(face)
    if key_action is not None:
        key_action.name = owned_name(face.name, "shape_keys")
    return action, material, image


def read_back_curves(armature: Any, action: Any, bone_map: Mapping[str, str], n_frames: int) -> dict[str, np.ndarray]:
    """The keyframes as written, per bone role (roles without a bone: zeros)."""
    container = anim_compat.curve_container(armature, action)
    bones = [bone_map[r] for r in BONE_ROLES if bone_map.get(r, "") in armature.pose.bones]
    by_bone = anim_compat.read_rotation_curves(container, bones)
    out = {}
    for role in BONE_ROLES:
        bone = bone_map.get(role)
        out[role] = by_bone[bone] if bone in by_bone else np.zeros((n_frames, 3), np.float32)
    return out


def sequence_frames(folder: Path, n: int) -> list[Path]:
    return [folder / sequence_name(i) for i in range(1, n + 1)]
