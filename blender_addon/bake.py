"""Reading bake inputs out of the scene and writing both tracks back into it.

Nothing the user made is modified: the behavior goes into new, tagged actions
(``behavior_keys.py``: each bone keyed in its own rotation mode; the user's action, the keyed
bones' values and the frame range come back on "Remove bake", ``rig_state.py``); the expression
textures go into a tagged image sequence and a tagged *copy* of the face material, which takes
the face's material slot (the original material keeps a fake user meanwhile, so saving never
drops it, and is put back by "Remove bake"); shape keys are keyed in a new, tagged action on the
face mesh's shape keys (``shape_keys.py``: the user's own shape-key action and values come back
on "Remove bake"). Re-running replaces only these moodrig datablocks. All computing happens
before the first write, and a failure while writing removes what was created, so the scene is
never left half-baked.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bpy
import numpy as np

from . import anim_compat, behavior_keys, records, rig_state, shape_keys
from .behavior_keys import PreparedKeys, Written
from .core.appearance.cache import sequence_name
from .core.appearance.region import MAX_SIDE
from .core.errors import InputError
from .core.image import srgb_encode, straight_alpha
from .core.outputs import default_texture_folder
from .tags import is_moodrig, role_of, tag

FACE_TEXTURE_NODE = "moodrig_face_texture"
"""The Image Texture node that shows the face texture in moodrig's material copy (a node the
user names so is taken as the face texture too)."""
ORIGINAL_MATERIAL = "moodrig_original_material"
ORIGINAL_FAKE_USER = "moodrig_original_fake_user"
"""On moodrig's material copy: the original material's fake-user flag before the bake (the
original keeps a fake user while the copy shows in its slot)."""
ORIGINAL_LINK = "moodrig_original_link"
"""On moodrig's material copy: 'DATA' when the copy shows through an object-linked slot that
was linked to the mesh before (a mesh whose data comes from a library cannot take it)."""
TARGET = "moodrig_target"
SYNC_PROP = records.SYNC_PROP
REPLACED_ACTION = "moodrig_replaced_action"
"""On actions of earlier moodrig versions: the user's action they replaced (now part of
``rig_state.ORIGIN``); still read by *Remove Bake*."""


@dataclass
class SceneTargets:
    face: Any
    armature: Any
    keys: PreparedKeys
    """The behavior keys to write (``behavior_keys.prepare``)."""
    nla: bool = False
    """One action and NLA strip per behavior episode."""
    key_meshes: list[Any] = field(default_factory=list)
    """The character's other meshes keyed with the face's shape-key curves (the keys each
    has); ``shape_keys.rig_meshes``."""


def find_face_texture(face: Any) -> tuple[Any, Any]:
    """The face's (material, image texture node): the node named ``moodrig_face_texture`` if any
    (moodrig's own material copy, or a node the user named so), else the colour image of the
    face material (:func:`face_material`, :func:`colour_image_node`)."""
    if face is None or face.type != "MESH":
        raise InputError(None, "choose the face mesh (a mesh object) in the Character panel")
    for slot in face.material_slots:
        mat = slot.material
        if mat is not None and mat.use_nodes:
            node = mat.node_tree.nodes.get(FACE_TEXTURE_NODE)
            if node is not None and node.type == "TEX_IMAGE":
                return mat, node
    mat = face_material(face)
    if mat is None or not mat.use_nodes:
        raise InputError(None, f"face '{face.name}' has no node material with an Image Texture")
    node = colour_image_node(mat)
    if node is None:
        raise InputError(
            None, f"material '{mat.name}' of '{face.name}' has no Image Texture node with an image"
        )
    return mat, node


def face_material(face: Any) -> Any:
    """The material that holds the face texture: the one stored on the face (set from the face
    region's polygons, or picked in the Face Region panel) while one of the mesh's slots shows
    it, else the active material."""
    stored = face.moodrig_face.material
    if stored is not None and any(slot.material == stored for slot in face.material_slots):
        return stored
    return face.active_material


def colour_image_node(mat: Any) -> Any:
    """The Image Texture node (with an image) that colours ``mat``: the first reached going up
    from the active Material Output through each node's inputs in order (a Principled BSDF's
    Base Color comes before its Normal), passing over data images (Non-Color: normal and
    roughness maps); else the first colour image node, else the first with any image; None
    when the material has none. A glTF or FBX import may create its normal map's node first."""
    nodes = mat.node_tree.nodes
    images = [n for n in nodes if n.type == "TEX_IMAGE" and n.image is not None]
    if not images:
        return None
    colour = [n for n in images if not n.image.colorspace_settings.is_data]
    outputs = [n for n in nodes if n.type == "OUTPUT_MATERIAL"]
    active = [n for n in outputs if n.is_active_output] or outputs
    seen: set[str] = set()
    queue = list(active[:1])
    while queue:
        node = queue.pop(0)
        if node.name in seen:
            continue
        seen.add(node.name)
        if node in colour:
            return node
        for socket in node.inputs:
            queue.extend(link.from_node for link in socket.links)
    return (colour or images)[0]


def base_image(face: Any) -> Any:
    """The user's face texture image (behind moodrig's baked material copy, if any)."""
    mat, node = find_face_texture(face)
    if role_of(mat) == "face_material":
        mat = original_material(mat)
        node = find_face_texture_in(mat)
    image = node.image
    if image.source == "SEQUENCE":
        raise InputError(
            image.filepath, "the face texture is an image sequence; pick the base texture"
        )
    if image.source == "TILED":
        raise InputError(
            image.filepath or image.name,
            "the face texture is a UDIM tiled image, which moodrig cannot edit; give the "
            "face's polygons a material of their own whose Image Texture holds the face's "
            "tile as a single image",
        )
    return image


def base_texture(face: Any) -> np.ndarray:
    """The face texture the expressions are painted onto: the user's original image, top-down
    RGBA, any size and aspect (up to 8192 pixels a side)."""
    image = base_image(face)
    w, h = image.size
    if w == 0 or h == 0:
        raise InputError(
            image.filepath or image.name, "the face texture has no pixels (missing file?)"
        )
    if w > MAX_SIDE or h > MAX_SIDE:
        raise InputError(
            image.filepath or image.name,
            f"the face texture is {w}×{h}; moodrig edits textures up to {MAX_SIDE}×{MAX_SIDE}",
        )
    px = np.empty(w * h * image.channels, dtype=np.float32)
    image.pixels.foreach_get(px)
    px = px.reshape(h, w, image.channels)[::-1]
    if image.channels == 3:
        px = np.concatenate([px, np.ones((h, w, 1), np.float32)], axis=2)
    return np.ascontiguousarray(file_values(image, np.clip(px[..., :4], 0.0, 1.0)))


ASSOCIATED_ALPHA_MODES = ("STRAIGHT", "PREMUL")
"""Alpha modes whose float buffer Blender holds with colour premultiplied by alpha (measured in
Blender 3.4 to 5.0; channel-packed and alpha-less images keep their colour as it is)."""


def file_values(image: Any, rgba: np.ndarray) -> np.ndarray:
    """``rgba`` (Blender's pixels of ``image``, top-down) as an image file holds them: straight
    alpha and sRGB-encoded colour, the values the editor learnt on and the bake writes.

    Blender holds 8-bit images as their file's values, but float images (16-bit PNG and TIFF,
    EXR) in linear light with the colour premultiplied by alpha; written back as they are, a
    16-bit sRGB face texture would come back far darker. Data images (Non-Color) are left as
    they are."""
    if not image.is_float or image.colorspace_settings.is_data:
        return rgba
    if image.alpha_mode in ASSOCIATED_ALPHA_MODES:
        rgba = straight_alpha(rgba)
    return np.concatenate([srgb_encode(rgba[..., :3]), rgba[..., 3:]], axis=-1)


def sequence_colour(image: Any) -> tuple[str, str]:
    """(colour space, alpha mode) of the expression images baked from ``image``, so that
    Blender reads them as it reads ``image``: their files hold :func:`file_values`."""
    settings = image.colorspace_settings
    encoded = image.is_float and not settings.is_data
    colour_space = "sRGB" if encoded else settings.name
    alpha = "STRAIGHT" if image.alpha_mode in ASSOCIATED_ALPHA_MODES else image.alpha_mode
    return colour_space, alpha


def base_texture_bits(face: Any) -> int:
    """Bits per channel the expression textures are written with: 16 when the face texture
    has more than 8 (Blender holds 16-bit and float images in a float buffer), else 8."""
    image = base_image(face)
    return 16 if image.is_float or image.depth > 32 else 8


def find_face_texture_in(mat: Any) -> Any:
    """The face texture's node in ``mat`` (moodrig's named node, else its colour image)."""
    node = mat.node_tree.nodes.get(FACE_TEXTURE_NODE)
    if node is not None:
        return node
    node = colour_image_node(mat)
    if node is None:
        raise InputError(None, f"material '{mat.name}' has no Image Texture node with an image")
    return node


def output_folder(face_name: str, blend_path: str, fallback: Path) -> Path:
    """``//moodrig-textures/<blend stem>/<object>/`` beside the .blend (``core/outputs.py``);
    the object name cannot escape that folder."""
    blend = Path(bpy.path.abspath(blend_path)) if blend_path else None
    return default_texture_folder(blend, face_name, fallback)


# ----------------------------------------------------------------------------- writing


def owned_name(object_name: str, what: str) -> str:
    """Name of a moodrig datablock made for an object: 'moodrig_<object>_<what>', no double
    prefix."""
    stem = object_name.removeprefix("moodrig_")
    return f"moodrig_{stem}_{what}"


def original_material(mat: Any) -> Any:
    """The user's material behind moodrig's copy (or ``mat`` itself when it is the user's)."""
    if role_of(mat) != "face_material":
        return mat
    original = bpy.data.materials.get(mat.get(ORIGINAL_MATERIAL, ""))
    if original is None:
        raise InputError(
            None, f"the original material of '{mat.name}' is gone; assign the face material again"
        )
    return original


def _drop_if_unused(block: Any, collection: Any) -> None:
    if block is not None and is_moodrig(block) and block.users == 0:
        collection.remove(block)


def _drop_face_material(mat: Any) -> None:
    """Remove an unused moodrig face-material copy and its unused image sequence."""
    if mat is None or role_of(mat) != "face_material" or mat.users != 0:
        return
    node = mat.node_tree.nodes.get(FACE_TEXTURE_NODE)
    image = node.image if node is not None else None
    bpy.data.materials.remove(mat)
    _drop_if_unused(image, bpy.data.images)


def _origin_of(action: Any) -> rig_state.Origin:
    text = action.get(rig_state.ORIGIN)
    if text:
        return rig_state.Origin.loads(text)
    return rig_state.Origin(action=str(action.get(REPLACED_ACTION, "")), fake_user=True)


def remove_previous(armature: Any, face: Any) -> None:
    """Undo a bake: the user's own action (slot, fake-user flag), the keyed bones' values, the
    frame range, material and shape keys come back; moodrig's datablocks go."""
    actions = behavior_keys.baked_actions(armature)
    if actions:
        anim = armature.animation_data
        for track in behavior_keys.moodrig_tracks(armature):
            anim.nla_tracks.remove(track)
        if anim.action is not None and role_of(anim.action) == behavior_keys.ACTION_ROLE:
            anim.action = None
        rig_state.give_back(armature, _origin_of(actions[0]))
        for action in actions:
            _drop_if_unused(action, bpy.data.actions)
    for mat in release_face_material(face):
        _drop_face_material(mat)
    shape_keys.remove(face)


def release_face_material(face: Any) -> list[Any]:
    """Put the user's material back (with its fake-user flag) in every slot that shows
    moodrig's copy; returns the copies (dropped by the caller once nothing uses them)."""
    released = []
    for slot in face.material_slots:
        mat = slot.material
        if mat is not None and role_of(mat) == "face_material" and mat.get(TARGET) == face.name:
            original = bpy.data.materials.get(mat.get(ORIGINAL_MATERIAL, ""))
            if mat.get(ORIGINAL_LINK) == "DATA" and slot.link == "OBJECT":
                link_slot(slot, "DATA")  # the mesh's own (linked) material shows again
            else:
                slot.material = original
            if original is not None and original.library is None and ORIGINAL_FAKE_USER in mat:
                original.use_fake_user = bool(mat[ORIGINAL_FAKE_USER])
            released.append(mat)
    return released


def show_in_slot(face: Any, index: int, mat: Any) -> str | None:
    """Show ``mat`` in the face's material slot ``index``; returns 'DATA' when the slot had to
    be switched to the object to take it (the mesh's data is linked from a library, as in a
    library-overridden character, and cannot be changed), else None."""
    slot = face.material_slots[index]
    if slot.link == "DATA" and face.data.library is not None:
        link_slot(slot, "OBJECT")
        slot.material = mat
        return "DATA"
    slot.material = mat
    return None


def link_slot(slot: Any, link: str) -> None:
    """Link ``slot`` to the object or the mesh's data (``link``); the object's own material
    is cleared when the slot leaves the object, so nothing of moodrig's stays behind there."""
    if slot.link == link:
        return
    if slot.link == "OBJECT":
        slot.material = None
    slot.link = link


def capture_slots(face: Any) -> list[tuple[str, Any]]:
    """(link, material) of every material slot of the face, for :func:`restore_slots`."""
    return [(slot.link, slot.material) for slot in face.material_slots]


def restore_slots(face: Any, previous: list[tuple[str, Any]]) -> None:
    """Put the face's material slots back as :func:`capture_slots` found them."""
    for slot, (link, mat) in zip(face.material_slots, previous, strict=False):
        link_slot(slot, link)
        if slot.material != mat:
            slot.material = mat


def write_appearance(face: Any, frames: list[Path], frame_start: int) -> tuple[Any, Any]:
    """Tagged image sequence + tagged copy of the face material showing it, in the face's slot."""
    mat, node = find_face_texture(face)
    slot_index = next(i for i, s in enumerate(face.material_slots) if s.material == mat)
    shown = mat
    mat = original_material(mat)
    node = find_face_texture_in(mat)
    fake = shown.get(ORIGINAL_FAKE_USER, mat.use_fake_user)
    first = frames[0]
    image = tag(bpy.data.images.load(str(first), check_existing=False), "expression_sequence")
    image.name = owned_name(face.name, "expressions")
    image.source = "SEQUENCE"
    if bpy.data.filepath:
        try:
            image.filepath = bpy.path.relpath(str(first))
        except ValueError:  # another drive on Windows
            image.filepath = str(first)
    if node.image is not None:
        image.colorspace_settings.name, image.alpha_mode = sequence_colour(node.image)
    copy = tag(mat.copy(), "face_material")
    copy.use_fake_user = False
    copy.name = owned_name(face.name, "face")
    copy[TARGET] = face.name
    copy[ORIGINAL_MATERIAL] = mat.name
    copy[ORIGINAL_FAKE_USER] = bool(fake)
    if mat.library is None:  # a linked material lives in its library
        mat.use_fake_user = True  # the user's material must survive saving while unassigned
    tex = find_face_texture_in(copy)
    tex.name = FACE_TEXTURE_NODE
    tex.image = image
    tex.image_user.frame_start = frame_start
    tex.image_user.frame_offset = 0
    tex.image_user.frame_duration = len(frames)
    tex.image_user.use_auto_refresh = True
    tex.image_user.use_cyclic = False
    link = show_in_slot(face, slot_index, copy)
    if link is not None:
        copy[ORIGINAL_LINK] = link
    return copy, image


@dataclass
class _RigBefore:
    """The armature's animation state before a bake wrote anything: what a failure restores."""

    armature: Any
    had_animation_data: bool
    action: Any
    slot: str
    tracks: set[int]
    fake_users: dict[str, bool]

    @classmethod
    def capture(cls, armature: Any) -> _RigBefore:
        anim = armature.animation_data
        return cls(
            armature,
            anim is not None,
            anim.action if anim is not None else None,
            anim_compat.slot_identifier(anim),
            {t.as_pointer() for t in anim.nla_tracks} if anim is not None else set(),
            {a.name: a.use_fake_user for a in bpy.data.actions},
        )

    def restore(self) -> None:
        anim = self.armature.animation_data
        if anim is not None:
            for track in [t for t in anim.nla_tracks if t.as_pointer() not in self.tracks]:
                anim.nla_tracks.remove(track)
        anim_compat.assign(self.armature, self.action, self.slot)
        for action in bpy.data.actions:
            if action.name in self.fake_users:
                action.use_fake_user = self.fake_users[action.name]
        if not self.had_animation_data and self.armature.animation_data is not None:
            self.armature.animation_data_clear()


def _origin(
    scene: Any,
    armature: Any,
    previous: list[Any],
    keys: PreparedKeys,
    frame_range: tuple[int, int] | None,
) -> rig_state.Origin:
    bones = list(keys.plan.bone_map.values())
    if previous:
        origin = rig_state.carried(_origin_of(previous[0]), armature, bones)
    else:
        origin = rig_state.capture(armature, scene, bones)
    if frame_range is not None:
        origin.frame_range_set = list(frame_range)
    return origin


def apply(
    scene: Any,
    targets: SceneTargets,
    frames: list[Path],
    frame_start: int,
    after_write: Callable[[Written], None] | None = None,
    key_curves: dict[str, np.ndarray] | None = None,
    frame_range: tuple[int, int] | None = None,
) -> tuple[Written, Any, Any]:
    """Write both tracks as one transaction.

    New datablocks are created and assigned first; ``after_write(written)`` (e.g. the sync
    figures read back from the keys) runs inside the transaction. Only when everything has
    succeeded are the previous bake's datablocks dropped; on any failure the new ones are
    removed and the previous assignments (an earlier bake included), fake-user flags and the
    frame range come back untouched. ``frames`` empty: no textures (an earlier bake's material
    copy gives way to the user's material); ``key_curves``: shape-key name → values for the
    face mesh, also keyed on ``targets.key_meshes`` where they have the keys (None: an
    earlier bake's shape-key actions give way to the user's);
    ``frame_range``: (start, end) to set the scene to (None leaves it). Material and image are
    None without textures.
    """
    face, armature = targets.face, targets.armature
    # The face mesh, the other meshes this bake keys, and those an earlier one keyed for it.
    key_meshes = [face, *targets.key_meshes]
    for mesh in shape_keys.keyed_for(face, bpy.data.objects):
        if mesh not in key_meshes:
            key_meshes.append(mesh)
    keys_before = [shape_keys.capture(mesh) for mesh in key_meshes]
    rig_before = _RigBefore.capture(armature)
    collections = (bpy.data.actions, bpy.data.materials, bpy.data.images)
    existing = [set(c.keys()) for c in collections]
    material_fakes = {m.name: m.use_fake_user for m in bpy.data.materials if m.library is None}
    previous_slots = capture_slots(face)
    previous_actions = behavior_keys.baked_actions(armature)
    previous_tracks = behavior_keys.moodrig_tracks(armature)
    previous_range = (scene.frame_start, scene.frame_end)
    try:
        origin = _origin(scene, armature, previous_actions, targets.keys, frame_range)
        written = behavior_keys.write(
            armature,
            targets.keys,
            owned_name(armature.name, "behavior"),
            origin.dumps(),
            targets.nla,
        )
        rig_state.take(armature, origin)
        material = image = None
        if frames:
            material, image = write_appearance(face, frames, frame_start)
        else:
            release_face_material(face)
        keyed = [face, *targets.key_meshes] if key_curves is not None else []
        for mesh in key_meshes:
            if mesh not in keyed:
                shape_keys.release(mesh)
                continue
            names = set(shape_keys.key_names(mesh))
            curves = {k: v for k, v in (key_curves or {}).items() if mesh == face or k in names}
            name = owned_name(mesh.name, "shape_keys")
            shape_keys.write(mesh, curves, frame_start, name, target=face.name)
        if frame_range is not None:
            rig_state.set_frame_range(scene, frame_range)
        if after_write is not None:
            after_write(written)
    except BaseException:
        for before in keys_before:
            shape_keys.rollback(before)
        restore_slots(face, previous_slots)
        for mat in bpy.data.materials:
            if mat.library is None and mat.name in material_fakes:
                mat.use_fake_user = material_fakes[mat.name]
        rig_before.restore()
        rig_state.set_frame_range(scene, previous_range)
        # Remove whatever this call created, including a half-written action.
        for collection, names in zip(collections, existing, strict=True):
            for block in [b for b in collection if b.name not in names and is_moodrig(b)]:
                with contextlib.suppress(ReferenceError, RuntimeError):
                    collection.remove(block)
        raise
    # Commit: the previous bake's datablocks are no longer used; take their names over.
    for _, old in previous_slots:
        _drop_face_material(old)
    for track in previous_tracks:
        armature.animation_data.nla_tracks.remove(track)
    for old_action in previous_actions:
        _drop_if_unused(old_action, bpy.data.actions)
    for before in keys_before:
        shape_keys.commit(before)
    base = owned_name(armature.name, "behavior")
    if written.track is None:
        written.action.name = base
    else:
        written.track.name = behavior_keys.TRACK
        for action, name in zip(
            written.actions, behavior_keys.episode_names(base, targets.keys), strict=True
        ):
            action.name = name
    if material is not None:
        material.name = owned_name(face.name, "face")
        image.name = owned_name(face.name, "expressions")
    for mesh in key_meshes:
        key_action = shape_keys.baked_action(mesh)
        if key_action is not None:
            key_action.name = owned_name(mesh.name, "shape_keys")
    return written, material, image


def sequence_frames(folder: Path, n: int) -> list[Path]:
    return [folder / sequence_name(i) for i in range(1, n + 1)]
