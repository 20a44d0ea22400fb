"""Bulk keyframe writing and reading across Blender's animation APIs.

- 3.4 – 4.3: ``action.fcurves`` (one implicit set of curves per action).
- 4.4 – 5.0: slotted (layered) actions: ``action.slots`` + ``layers → strips → channelbag``;
  5.0 removed ``action.fcurves`` entirely.

Keys are written with ``keyframe_points.add(n)`` + ``foreach_set`` (never one
``keyframe_insert`` per key), with an explicit interpolation for every key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import bpy
import numpy as np

from .tags import tag

SLOTTED = bpy.app.version >= (4, 4, 0)
INTERPOLATION = {"CONSTANT": 0, "LINEAR": 1, "BEZIER": 2}
HANDLE_TYPE = {"FREE": 0, "ALIGNED": 3}
"""``Keyframe.handle_left_type`` / ``handle_right_type`` values as ``foreach_set`` takes them
(the DNA values, the same in 3.4 and 5.0). Only these two keep the handles they are given."""


def new_action(obj: Any, name: str, role: str, id_type: str = "OBJECT") -> tuple[Any, Any]:
    """Create a new tagged action assigned to ``obj`` (an ID of type ``id_type``: an object,
    or a mesh's shape-key datablock, ``"KEY"``); returns (action, curve container)."""
    action = tag(bpy.data.actions.new(name), role)
    if obj.animation_data is None:
        obj.animation_data_create()
    if SLOTTED:
        slot = action.slots.new(id_type=id_type, name=obj.name)
        obj.animation_data.action = action
        obj.animation_data.action_slot = slot
        layer = action.layers.new("moodrig")
        strip = layer.strips.new(type="KEYFRAME")
        return action, strip.channelbag(slot, ensure=True)
    obj.animation_data.action = action
    return action, action


def curve_container(obj: Any, action: Any) -> Any | None:
    """Where the F-curves of ``action`` live for ``obj`` (channelbag or the action itself)."""
    if not SLOTTED:
        return action
    slot = obj.animation_data.action_slot if obj.animation_data else None
    if slot is None:
        return None
    for layer in action.layers:
        for strip in layer.strips:
            bag = strip.channelbag(slot)
            if bag is not None:
                return bag
    return None


def slot_identifier(anim: Any) -> str:
    """The identifier of the action slot ``anim`` (animation data) plays ('' before 4.4)."""
    if not SLOTTED or anim is None or anim.action_slot is None:
        return ""
    return str(anim.action_slot.identifier)


def assign(owner: Any, action: Any, slot_identifier: str) -> None:
    """Give ``owner`` (an ID) ``action`` again, in the slot it had (4.4+)."""
    if owner.animation_data is None:
        if action is None:
            return
        owner.animation_data_create()
    owner.animation_data.action = action
    if action is not None and SLOTTED and slot_identifier:
        slot = action.slots.get(slot_identifier)
        if slot is not None:
            owner.animation_data.action_slot = slot


def write_keys(
    container: Any, data_path: str, index: int, keys: Any, group: Any, handle_type: str = "ALIGNED"
) -> Any:
    """One F-curve of Bézier keys in bulk: ``keys`` is a ``core.keyreduce.FCurveKeys``
    (frames, values, absolute handles), written with ``handle_type`` on both sides so Blender
    keeps the handles as given."""
    fc = container.fcurves.new(data_path, index=index)
    fc.group = group
    n = len(keys.frames)
    points = fc.keyframe_points
    points.add(n)
    co = np.empty((n, 2), dtype=np.float32)
    co[:, 0], co[:, 1] = keys.frames, keys.values
    points.foreach_set("co", co.ravel())
    points.foreach_set("handle_left", np.asarray(keys.left, dtype=np.float32).ravel())
    points.foreach_set("handle_right", np.asarray(keys.right, dtype=np.float32).ravel())
    points.foreach_set("interpolation", np.full(n, INTERPOLATION["BEZIER"], dtype=np.int32))
    kind = np.full(n, HANDLE_TYPE[handle_type], dtype=np.int32)
    points.foreach_set("handle_left_type", kind)
    points.foreach_set("handle_right_type", kind)
    fc.update()
    return fc


def evaluate(container: Any, data_path: str, index: int, frames: Any) -> np.ndarray | None:
    """The F-curve ``data_path[index]`` evaluated by Blender at ``frames`` (None: no curve)."""
    fc = container.fcurves.find(data_path, index=index) if container is not None else None
    if fc is None:
        return None
    return np.array([fc.evaluate(float(f)) for f in frames], dtype=np.float64)


def ensure_group(container: Any, name: str) -> Any:
    """The F-curve group ``name`` of ``container``, made if missing."""
    group = container.groups.get(name)
    return group if group is not None else container.groups.new(name)


def write_rotation_curves(
    container: Any,
    curves: Mapping[str, np.ndarray],
    frame_start: int,
    interpolation: str = "LINEAR",
) -> int:
    """Write per-bone (n_frames, 3) Euler XYZ arrays as pose-bone F-curves; returns keys written."""
    ipo = INTERPOLATION[interpolation]
    written = 0
    for bone, values in curves.items():
        arr = np.asarray(values, dtype=np.float32)
        if arr.ndim != 2 or arr.shape[1] != 3:
            raise ValueError(f"curve for bone '{bone}' must be (n_frames, 3), got {arr.shape}")
        n = arr.shape[0]
        frames = np.arange(frame_start, frame_start + n, dtype=np.float32)
        group = ensure_group(container, bone)
        path = f'pose.bones["{bone}"].rotation_euler'
        for axis in range(3):
            fc = container.fcurves.new(path, index=axis)
            fc.group = group
            written += _fill(fc, frames, arr[:, axis], ipo)
    return written


def _fill(fc: Any, frames: np.ndarray, values: np.ndarray, ipo: int) -> int:
    """One F-curve's keys in bulk: ``keyframe_points.add`` + ``foreach_set``."""
    n = len(values)
    points = fc.keyframe_points
    points.add(n)
    co = np.empty(2 * n, dtype=np.float32)
    co[0::2] = frames
    co[1::2] = values
    points.foreach_set("co", co)
    points.foreach_set("interpolation", np.full(n, ipo, dtype=np.int32))
    fc.update()
    return n


def write_value_curves(
    container: Any,
    curves: Mapping[str, np.ndarray],
    frame_start: int,
    group: str | None = None,
    interpolation: str = "LINEAR",
) -> int:
    """Write one (n_frames,) array per data path (e.g. ``key_blocks["jawOpen"].value``) as
    an F-curve, keys on consecutive frames from ``frame_start``; returns keys written."""
    ipo = INTERPOLATION[interpolation]
    bag = ensure_group(container, group) if group else None
    written = 0
    for path, values in curves.items():
        arr = np.asarray(values, dtype=np.float32)
        if arr.ndim != 1:
            raise ValueError(f"curve for '{path}' must be (n_frames,), got {arr.shape}")
        fc = container.fcurves.new(path, index=0)
        if bag is not None:
            fc.group = bag
        frames = np.arange(frame_start, frame_start + len(arr), dtype=np.float32)
        written += _fill(fc, frames, arr, ipo)
    return written


def read_value_curves(container: Any, paths: list[str]) -> dict[str, np.ndarray]:
    """The key values of each data path's F-curve (paths without a curve are left out)."""
    out: dict[str, np.ndarray] = {}
    for path in paths:
        fc = container.fcurves.find(path, index=0) if container is not None else None
        if fc is not None:
            out[path] = _key_values(fc)
    return out


def _key_values(fc: Any) -> np.ndarray:
    co = np.empty(2 * len(fc.keyframe_points), dtype=np.float32)
    fc.keyframe_points.foreach_get("co", co)
    return co[1::2]


def read_rotation_curves(container: Any, bones: list[str]) -> dict[str, np.ndarray]:
    """Read back (n_frames, 3) arrays written by :func:`write_rotation_curves` (missing axes: 0)."""
    out: dict[str, np.ndarray] = {}
    for bone in bones:
        path = f'pose.bones["{bone}"].rotation_euler'
        cols: list[np.ndarray | None] = []
        for axis in range(3):
            fc = container.fcurves.find(path, index=axis)
            cols.append(None if fc is None else _key_values(fc))
        n = max((len(c) for c in cols if c is not None), default=0)
        out[bone] = np.stack(
            [c if c is not None else np.zeros(n, np.float32) for c in cols], axis=1
        )
    return out
