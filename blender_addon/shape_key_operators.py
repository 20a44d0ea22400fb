"""Operators of the face's shape-key mapping: fill it from a convention, edit its rows, check
it against the mesh, and save or load it as JSON (``core/shapekeys.py`` holds the format).

The rows live on the face object (``object.moodrig_shape_keys``), so they are saved with the
.blend; a bake uses them when there are any, else the detected convention's table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bpy
from bpy_extras.io_utils import ExportHelper, ImportHelper

from .modal_job import report_error


def _face(context: bpy.types.Context) -> Any:
    face = context.scene.moodrig.face
    return face if face is not None and face.type == "MESH" else None


class _NeedsFace:
    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return _face(context) is not None


def current_mapping(context: bpy.types.Context) -> Any:
    """The face's mapping as a bake would use it: its rows, else the chosen or detected
    convention's table, matched to the mesh (a ``ResolvedMap``; None: nothing recognised)."""
    from .core.shapekeys import choose_mapping
    from .shape_keys import key_names, stored_map

    s = context.scene.moodrig
    face = _face(context)
    requested = stored_map(face) or (
        None if s.shape_key_convention == "auto" else s.shape_key_convention
    )
    return choose_mapping(key_names(face), requested)


class MOODRIG_OT_fill_shape_keys(_NeedsFace, bpy.types.Operator):
    """Replace the face's shape-key rows with the chosen convention's (Detect: its names')"""

    bl_idname = "moodrig.fill_shape_keys"
    bl_label = "Fill Rows"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        from .core.shapekeys import CONVENTIONS, detect, mapping_for
        from .shape_keys import key_names, store_map

        face = _face(context)
        names = key_names(face)
        choice = context.scene.moodrig.shape_key_convention
        if choice == "auto":
            found = detect(names)
            if found is None:
                self.report(
                    {"ERROR"},
                    f"'{face.name}' has no shape keys of a known convention; "
                    "pick one, or add rows by hand",
                )
                return {"CANCELLED"}
            choice = found.convention
        mapping = mapping_for(choice, names)
        store_map(face, mapping)
        label = CONVENTIONS[choice].label
        note = f"; not found: {', '.join(mapping.missing)}" if mapping.missing else ""
        self.report(
            {"WARNING" if mapping.missing else "INFO"},
            f"{len(mapping.rows)} rows from {label}{note}",
        )
        return {"FINISHED"}


class MOODRIG_OT_shape_key_row_add(_NeedsFace, bpy.types.Operator):
    """Add a row: a shape key, the expression entry that drives it, and a weight"""

    bl_idname = "moodrig.shape_key_row_add"
    bl_label = "Add Row"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        settings = _face(context).moodrig_shape_keys
        settings.rows.add()
        settings.active = len(settings.rows) - 1
        return {"FINISHED"}


class MOODRIG_OT_shape_key_row_remove(_NeedsFace, bpy.types.Operator):
    """Remove the selected row"""

    bl_idname = "moodrig.shape_key_row_remove"
    bl_label = "Remove Row"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        settings = _face(context).moodrig_shape_keys
        if 0 <= settings.active < len(settings.rows):
            settings.rows.remove(settings.active)
            settings.active = min(settings.active, len(settings.rows) - 1)
        return {"FINISHED"}


class MOODRIG_OT_check_shape_keys(_NeedsFace, bpy.types.Operator):
    """List the mapped shape keys the face mesh does not have"""

    bl_idname = "moodrig.check_shape_keys"
    bl_label = "Check Shape Keys"

    def execute(self, context: bpy.types.Context) -> set[str]:
        face = _face(context)
        mapping = current_mapping(context)
        settings = face.moodrig_shape_keys
        if mapping is None:
            settings.missing = ""
            self.report({"WARNING"}, f"'{face.name}' has no shape keys of a known convention")
            return {"FINISHED"}
        settings.missing = ", ".join(mapping.missing)
        if mapping.missing:
            self.report({"WARNING"}, f"Not found on '{face.name}': {settings.missing}")
        else:
            self.report({"INFO"}, f"All {len(mapping.keys())} mapped shape keys found")
        return {"FINISHED"}


class MOODRIG_OT_save_shape_key_map(_NeedsFace, bpy.types.Operator, ExportHelper):
    """Save the face's shape-key mapping (its rows, else the convention's table) as JSON"""

    bl_idname = "moodrig.save_shape_key_map"
    bl_label = "Save Mapping"
    filename_ext = ".json"
    filter_glob: bpy.props.StringProperty(  # type: ignore[valid-type]
        default="*.json", options={"HIDDEN"}
    )

    def execute(self, context: bpy.types.Context) -> set[str]:
        from .core.shapekeys import ShapeKeyMap, save_map
        from .shape_keys import stored_map

        try:
            mapping = stored_map(_face(context))
            if mapping is None:
                resolved = current_mapping(context)
                if resolved is None:
                    self.report({"ERROR"}, "Nothing to save: fill or add rows first")
                    return {"CANCELLED"}
                mapping = ShapeKeyMap(resolved.rows, resolved.convention)
            path = save_map(mapping, Path(bpy.path.abspath(self.filepath)))
        except Exception as exc:
            return report_error(self, exc)
        self.report({"INFO"}, f"Saved {len(mapping.rows)} rows to {path}")
        return {"FINISHED"}


class MOODRIG_OT_load_shape_key_map(_NeedsFace, bpy.types.Operator, ImportHelper):
    """Load a shape-key mapping (JSON) into the face's rows, matched to its shape keys"""

    bl_idname = "moodrig.load_shape_key_map"
    bl_label = "Load Mapping"
    bl_options = {"REGISTER", "UNDO"}
    filename_ext = ".json"
    filter_glob: bpy.props.StringProperty(  # type: ignore[valid-type]
        default="*.json", options={"HIDDEN"}
    )

    def execute(self, context: bpy.types.Context) -> set[str]:
        from .core.shapekeys import load_map, resolve
        from .shape_keys import key_names, store_map

        face = _face(context)
        try:
            resolved = resolve(load_map(Path(bpy.path.abspath(self.filepath))), key_names(face))
        except Exception as exc:
            return report_error(self, exc)
        store_map(face, resolved)
        if resolved.missing:
            self.report(
                {"WARNING"},
                f"Loaded {len(resolved.rows)} rows; not found on "
                f"'{face.name}': {', '.join(resolved.missing)}",
            )
        else:
            self.report({"INFO"}, f"Loaded {len(resolved.rows)} rows")
        return {"FINISHED"}


_classes = (
    MOODRIG_OT_fill_shape_keys,
    MOODRIG_OT_shape_key_row_add,
    MOODRIG_OT_shape_key_row_remove,
    MOODRIG_OT_check_shape_keys,
    MOODRIG_OT_save_shape_key_map,
    MOODRIG_OT_load_shape_key_map,
)
register, unregister = bpy.utils.register_classes_factory(_classes)
