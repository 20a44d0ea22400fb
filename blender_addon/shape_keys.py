"""The face mesh's shape keys: which ones a bake keys, writing them, and giving the user's back.

moodrig's keys go into a new action on the mesh's shape-key datablock (``mesh.shape_keys``),
tagged ``shape_key_action`` and assigned with its own slot on 4.4+. That action remembers what
it replaced, in custom properties saved with the .blend: the user's action (kept with a fake
user meanwhile, so saving never drops it), its slot, its fake-user flag and every key's value.
*Remove Bake* puts all of it back exactly, also after save and reopen. The mapping itself
(``core/shapekeys.py``) is chosen from the request, the rows stored on the face object (the
sidebar's list) or the mesh's key names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bpy
import numpy as np

from . import anim_compat
from .core.errors import InputError
from .core.request import BakeRequest
from .core.shapekeys import (
    CONVENTIONS,
    ResolvedMap,
    ShapeKeyMap,
    ShapeKeyRow,
    choose_mapping,
    face_outputs,
    load_map,
    recognised,
)
from .tags import role_of

ROLE = "shape_key_action"
TARGET = "moodrig_target"
"""On moodrig's action: the face object it was made for (the key ``bake.TARGET`` names)."""
REPLACED_ACTION = "moodrig_replaced_action"
REPLACED_SLOT = "moodrig_replaced_slot"
REPLACED_FAKE_USER = "moodrig_replaced_fake_user"
SAVED_VALUES = "moodrig_shape_key_values"
"""On moodrig's action: every key's value before the first bake (JSON name → value)."""
CREATED_ANIMATION_DATA = "moodrig_created_animation_data"
_ORIGIN = (REPLACED_ACTION, REPLACED_SLOT, REPLACED_FAKE_USER, SAVED_VALUES, CREATED_ANIMATION_DATA)
GROUP = "moodrig"
"""F-curve group of the keyed shape keys."""
SETTINGS = "moodrig_shape_keys"
"""The face object's stored mapping (``properties.MoodrigShapeKeySettings``)."""


def key_datablock(face: Any) -> Any | None:
    """The face mesh's shape-key datablock, or None."""
    if face is None or face.type != "MESH":
        return None
    return face.data.shape_keys


def key_names(face: Any) -> list[str]:
    """The mesh's shape keys, without the reference key (Basis) they are relative to."""
    key = key_datablock(face)
    if key is None:
        return []
    reference = key.reference_key.name if key.use_relative else None
    return [kb.name for kb in key.key_blocks if kb.name != reference]


def data_path(name: str) -> str:
    return f'key_blocks["{bpy.utils.escape_identifier(name)}"].value'


def stored_map(face: Any) -> ShapeKeyMap | None:
    """The rows stored on the face object (the sidebar's list), or None when it has none."""
    settings = getattr(face, SETTINGS, None)
    if settings is None:
        return None
    rows = tuple(ShapeKeyRow(r.key, r.entry, r.weight) for r in settings.rows if r.key.strip())
    return ShapeKeyMap(rows, settings.convention or "custom") if rows else None


def store_map(face: Any, mapping: ShapeKeyMap | ResolvedMap) -> None:
    """Replace the face object's stored rows with ``mapping``'s."""
    settings = getattr(face, SETTINGS)
    settings.rows.clear()
    for row in mapping.rows:
        item = settings.rows.add()
        item.key, item.entry, item.weight = row.key, row.entry, row.weight
    settings.convention = mapping.convention
    settings.active = 0
    missing = getattr(mapping, "missing", None)
    settings.missing = ", ".join(missing) if missing is not None else ""


@dataclass(frozen=True)
class FacePlan:
    """Which outputs a face gets, and (for shape keys) the mapping matched to its mesh."""

    texture: bool
    mapping: ResolvedMap | None
    """None: the shape keys are not keyed."""

    @property
    def outputs(self) -> tuple[str, ...]:
        return (("texture",) if self.texture else ()) + (("shapekeys",) if self.mapping else ())


def requested_map(face: Any, request: BakeRequest) -> ShapeKeyMap | str | None:
    """The request's mapping (a mapping file is read here), else the face's stored rows."""
    requested = request.shape_key_map
    if isinstance(requested, Path):
        return load_map(requested)
    if requested is None:
        return stored_map(face)
    return requested


def plan(face: Any, request: BakeRequest) -> FacePlan:
    """Decide the face's outputs (``request.face_output``) from its mesh; a shape-key output
    that cannot key anything is an :class:`InputError` naming the mesh."""
    names = key_names(face)
    requested = requested_map(face, request)
    resolved = choose_mapping(names, requested) if names else None
    texture, keys = face_outputs(request.face_output, recognised(resolved, requested))
    if not keys:
        return FacePlan(texture, None)
    if not names:
        raise InputError(
            None,
            f"face '{face.name}' has no shape keys; choose the texture "
            "output, or add shape keys to the mesh",
        )
    if resolved is None:
        raise InputError(
            None,
            f"the shape keys of '{face.name}' follow no known convention "
            f"({', '.join(c.label for c in CONVENTIONS.values())}); map "
            "them in the sidebar or give a shape-key map file",
        )
    if not resolved.rows:
        raise InputError(
            None,
            f"none of the mapped shape keys exist on '{face.name}' "
            f"(not found: {', '.join(resolved.missing)})",
        )
    library = key_datablock(face).library
    if library is not None:  # keys written there would be dropped when the .blend is saved
        raise InputError(
            None,
            f"the shape keys of '{face.name}' are linked from the library '{library.name}' and "
            "cannot keep a bake's keys; make the face mesh's data a library override "
            "(Outliner, Library Overrides, Make Editable) or choose the texture output",
        )
    return FacePlan(texture, resolved)


# ----------------------------------------------------------------------------- writing


def baked_action(face: Any) -> Any | None:
    """moodrig's shape-key action on the face mesh, or None."""
    key = key_datablock(face)
    action = key.animation_data.action if key is not None and key.animation_data else None
    return action if action is not None and role_of(action) == ROLE else None


def _values(key: Any) -> dict[str, float]:
    return {kb.name: float(kb.value) for kb in key.key_blocks}


def _set_values(key: Any, values: dict[str, float]) -> None:
    for kb in key.key_blocks:
        if kb.name in values:
            kb.value = values[kb.name]


@dataclass
class Before:
    """The shape-key state before a bake wrote anything: what a failure restores."""

    key: Any
    action: Any
    slot: str
    fake_user: bool
    had_animation_data: bool
    values: dict[str, float] = field(default_factory=dict)


def capture(face: Any) -> Before | None:
    key = key_datablock(face)
    if key is None:
        return None
    anim = key.animation_data
    action = anim.action if anim is not None else None
    return Before(
        key,
        action,
        anim_compat.slot_identifier(anim),
        bool(action.use_fake_user) if action is not None else False,
        anim is not None,
        _values(key),
    )


def write(
    face: Any, curves: dict[str, np.ndarray], frame_start: int, name: str, target: str = ""
) -> Any:
    """Key ``curves`` (shape-key name → per-frame values) in a new tagged action assigned to
    the mesh's shape keys; what it replaces is remembered on it (see the module docstring).
    ``target``: the face object the bake was for, when ``face`` is another mesh of the
    character (:func:`rig_meshes`); default: ``face`` itself."""
    key = key_datablock(face)
    if key is None:
        raise InputError(None, f"face '{face.name}' has no shape keys")
    anim = key.animation_data
    previous = anim.action if anim is not None else None
    if previous is not None and role_of(previous) == ROLE:
        origin = {p: previous[p] for p in _ORIGIN if p in previous}
    else:
        origin = {
            REPLACED_ACTION: previous.name if previous is not None else "",
            REPLACED_SLOT: anim_compat.slot_identifier(anim),
            REPLACED_FAKE_USER: bool(previous.use_fake_user) if previous else False,
            SAVED_VALUES: json.dumps(_values(key)),
            CREATED_ANIMATION_DATA: anim is None,
        }
        if previous is not None:
            previous.use_fake_user = True  # the user's action must survive saving
    action, container = anim_compat.new_action(key, name, ROLE, id_type="KEY")
    action[TARGET] = target or face.name
    for prop, value in origin.items():
        action[prop] = value
    anim_compat.write_value_curves(
        container, {data_path(k): v for k, v in curves.items()}, frame_start, group=GROUP
    )
    return action


def release(face: Any) -> None:
    """Give the mesh its own shape-key action, slot and values back (moodrig's action stays
    until :func:`commit` drops it)."""
    action = baked_action(face)
    if action is None:
        return
    key = key_datablock(face)
    anim_compat.assign(
        key,
        bpy.data.actions.get(action.get(REPLACED_ACTION, "")),
        str(action.get(REPLACED_SLOT, "")),
    )
    _set_values(key, json.loads(action.get(SAVED_VALUES, "{}")))


def rollback(before: Before | None) -> None:
    """Undo :func:`write` or :func:`release` after a failure: the state of :func:`capture`."""
    if before is None:
        return
    key = before.key
    current = key.animation_data.action if key.animation_data else None
    if current is not before.action:
        origin = current if current is not None and role_of(current) == ROLE else before.action
        user = _user_action(origin)
        anim_compat.assign(key, before.action, before.slot)
        if user is not None and before.action is user:
            user.use_fake_user = before.fake_user
    if not before.had_animation_data and key.animation_data is not None:
        key.animation_data_clear()
    _set_values(key, before.values)


def commit(before: Before | None) -> None:
    """After a successful bake (or release): drop the previous moodrig action once unused, and
    when the user's own action is assigned again, give it back its fake-user flag."""
    if before is None or before.action is None or role_of(before.action) != ROLE:
        return
    old = before.action
    key = before.key
    anim = key.animation_data
    current = anim.action if anim is not None else None
    if current is None or role_of(current) != ROLE:
        user = _user_action(old)
        if user is not None:
            user.use_fake_user = bool(old.get(REPLACED_FAKE_USER, False))
        if (
            old.get(CREATED_ANIMATION_DATA)
            and anim is not None
            and current is None
            and not anim.drivers
            and not anim.nla_tracks
        ):
            key.animation_data_clear()
    if old.users == 0:
        bpy.data.actions.remove(old)


def _user_action(moodrig_action: Any) -> Any | None:
    if moodrig_action is None or role_of(moodrig_action) != ROLE:
        return moodrig_action
    return bpy.data.actions.get(moodrig_action.get(REPLACED_ACTION, "")) or None


def remove(face: Any) -> None:
    """*Remove Bake* for the shape keys: the user's action, slot and values come back, on the
    face mesh and on the other meshes the bake keyed for it."""
    for mesh in [face, *keyed_for(face, bpy.data.objects)]:
        before = capture(mesh)
        release(mesh)
        commit(before)


def read_back(face: Any, names: list[str]) -> dict[str, np.ndarray]:
    """The keyed values as written, per shape key (keys without a curve are left out)."""
    action = baked_action(face)
    if action is None:
        return {}
    container = anim_compat.curve_container(key_datablock(face), action)
    paths = {data_path(n): n for n in names}
    return {paths[p]: v for p, v in anim_compat.read_value_curves(container, list(paths)).items()}


# ----------------------------------------------------------------------------- other meshes


@dataclass
class RigMeshes:
    """The character's other meshes a bake keys with the face's curves, and what it left out."""

    meshes: list[Any] = field(default_factory=list)
    keys: dict[str, int] = field(default_factory=dict)
    """Mesh name → how many of the mapped shape keys it has."""
    warnings: list[str] = field(default_factory=list)


def rig_meshes(face: Any, armature: Any, names: list[str], objects: Any) -> RigMeshes:
    """Meshes among ``objects`` other than ``face`` that ``armature`` deforms (an Armature
    modifier) or carries (a parent up the chain), with any shape key named in ``names``
    (the face's mapped keys). A mesh whose shape keys come from a library is left out with a
    warning: keys written there would be lost on saving."""
    wanted = set(names)
    found = RigMeshes()
    for obj in sorted(objects, key=lambda o: o.name):
        if obj == face or obj.type != "MESH" or not _belongs_to(obj, armature):
            continue
        shared = wanted & set(key_names(obj))
        if not shared:
            continue
        library = key_datablock(obj).library
        if library is not None:
            found.warnings.append(
                f"the shape keys of '{obj.name}' are linked from the library '{library.name}'; "
                "not keyed (make its data an editable library override)"
            )
            continue
        found.meshes.append(obj)
        found.keys[obj.name] = len(shared)
    return found


def _belongs_to(obj: Any, armature: Any) -> bool:
    if any(m.type == "ARMATURE" and m.object == armature for m in obj.modifiers):
        return True
    parent = obj.parent
    while parent is not None:
        if parent == armature:
            return True
        parent = parent.parent
    return False


def keyed_for(face: Any, objects: Any) -> list[Any]:
    """Meshes other than ``face`` among ``objects`` that hold moodrig's shape-key action made
    for ``face`` (a bake's other meshes)."""
    out = []
    for obj in objects:
        if obj == face or obj.type != "MESH":
            continue
        action = baked_action(obj)
        if action is not None and action.get(TARGET) == face.name:
            out.append(obj)
    return out
