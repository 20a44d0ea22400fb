"""The Bone Map panel: which bone plays each role, stored on the armature object.

One row per role (``object.moodrig_bone_map.rows``, saved with the .blend): a bone search field
over the armature's bones and the row's status (auto, doubtful, manual, unmapped). *Auto-map*
fills the rows (by name and hierarchy, or from a preset: the scene's *From*); picking a bone
by hand marks its row manual; *Load*/*Save* read and write bone map files (JSON,
docs/rigs.md); *Clear* removes the rows (the bake then maps with *From*). The bake uses the
rows when there are any (``operators.bake_request``, ``BakeRequest.bone_map``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bpy

from .modal_job import report_error
from .panels import _MoodrigPanel
from .ui_text import sentence

SETTINGS = "moodrig_bone_map"
"""The armature object's stored map (:class:`MoodrigBoneMapSettings`); nothing here imports
numpy at module level, so the add-on registers before its dependencies are installed."""

STATUS_ICONS = {"auto": "CHECKMARK", "doubtful": "QUESTION", "manual": "HAND", "unmapped": "ERROR"}


def _picked(row: Any, _context: Any) -> None:
    """A bone picked (or cleared) by hand."""
    row.status = "manual" if row.bone else "unmapped"
    row.reason = "picked by hand" if row.bone else "cleared by hand"


class MoodrigBoneRole(bpy.types.PropertyGroup):
    """One role's bone in the stored map."""

    role: bpy.props.StringProperty(name="Role")  # type: ignore[valid-type]
    bone: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Bone", update=_picked, description="The armature's bone that plays this role"
    )
    status: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Status",
        default="unmapped",
        items=[
            ("auto", "Auto", "Found by name or an unambiguous hierarchy rule"),
            (
                "doubtful",
                "Doubtful",
                "Picked among several bones, by position, or out of chain order: check it",
            ),
            ("manual", "Manual", "Given by hand or by a bone map file"),
            ("unmapped", "Unmapped", "No bone: the role is skipped"),
        ],
    )
    reason: bpy.props.StringProperty(name="Why")  # type: ignore[valid-type]


class MoodrigBoneMapSettings(bpy.types.PropertyGroup):
    """An armature's bone map, stored in the .blend (no rows: the bake maps with the scene's
    *From*)."""

    rows: bpy.props.CollectionProperty(type=MoodrigBoneRole)  # type: ignore[valid-type]
    convention: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="From", default="", description="The naming convention the rows were found by"
    )


def _armature(context: Any) -> Any:
    return context.scene.moodrig.armature


def _stored(op: Any, armature: Any, report: Any, prefix: str = "") -> set[str]:
    """Store ``report`` as the armature's rows; its summary and warnings to the user."""
    from .bone_maps import store, summary

    store(armature, report)
    line, warnings = summary(report)
    for warning in warnings:
        op.report({"WARNING"}, warning)
    op.report({"INFO"}, prefix + line)
    return {"FINISHED"}


class _OnArmature:
    """An operator on the scene's armature (available once one is chosen)."""

    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return _armature(context) is not None


class MOODRIG_OT_auto_map_bones(_OnArmature, bpy.types.Operator):
    bl_idname = "moodrig.auto_map_bones"
    bl_label = "Auto-map"
    bl_description = (
        "Find the bone of every role by name and hierarchy (or the chosen preset's names) "
        "and store the map on the armature"
    )

    def execute(self, context: bpy.types.Context) -> set[str]:
        from .bone_maps import rig_bones
        from .core.bonemap import auto_map, resolve_bone_map

        arm = _armature(context)
        spec = context.scene.moodrig.bone_map
        try:
            names, parents, heads = rig_bones(arm)
            report = (
                auto_map(names, parents, heads)
                if spec == "auto"
                else resolve_bone_map(spec, names, parents, heads)
            )
        except Exception as exc:
            return report_error(self, exc)
        return _stored(self, arm, report)


class MOODRIG_OT_load_bone_map(_OnArmature, bpy.types.Operator):
    """Load a bone map file (JSON) into the armature's rows"""

    bl_idname = "moodrig.load_bone_map"
    bl_label = "Load"

    filepath: bpy.props.StringProperty(subtype="FILE_PATH")  # type: ignore[valid-type]
    filter_glob: bpy.props.StringProperty(default="*.json", options={"HIDDEN"})  # type: ignore[valid-type]

    def invoke(self, context: bpy.types.Context, event: Any) -> set[str]:
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        from .bone_maps import resolve

        arm = _armature(context)
        try:
            report = resolve(arm, Path(bpy.path.abspath(self.filepath)))
        except Exception as exc:
            return report_error(self, exc)
        return _stored(self, arm, report, f"Loaded {Path(self.filepath).name}: ")


class MOODRIG_OT_save_bone_map(bpy.types.Operator):
    bl_idname = "moodrig.save_bone_map"
    bl_label = "Save"
    bl_description = (
        "Save the armature's bone map as a file (JSON) for other scenes, the command line "
        "and batch jobs"
    )

    filepath: bpy.props.StringProperty(subtype="FILE_PATH")  # type: ignore[valid-type]
    filter_glob: bpy.props.StringProperty(default="*.json", options={"HIDDEN"})  # type: ignore[valid-type]

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        arm = _armature(context)
        return arm is not None and len(getattr(arm, SETTINGS).rows) > 0

    def invoke(self, context: bpy.types.Context, event: Any) -> set[str]:
        if not self.filepath:
            self.filepath = f"{bpy.path.clean_name(_armature(context).name)}_bone_map.json"
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        from .bone_maps import stored_map
        from .core.bonemap import write_bone_map

        arm = _armature(context)
        path = Path(bpy.path.abspath(self.filepath))
        if path.suffix.lower() != ".json":
            path = path.with_suffix(".json")
        try:
            write_bone_map(path, stored_map(arm) or {}, rig=arm.name)
        except Exception as exc:
            return report_error(self, exc)
        self.report({"INFO"}, f"Saved the bone map: {path}")
        return {"FINISHED"}


class MOODRIG_OT_clear_bone_map(_OnArmature, bpy.types.Operator):
    """Remove the armature's stored bone map (the bake then maps with From)"""

    bl_idname = "moodrig.clear_bone_map"
    bl_label = "Clear"

    def execute(self, context: bpy.types.Context) -> set[str]:
        settings = getattr(_armature(context), SETTINGS)
        settings.rows.clear()
        settings.convention = ""
        return {"FINISHED"}


class VIEW3D_PT_moodrig_bone_map(_MoodrigPanel, bpy.types.Panel):
    bl_label = "Bone Map"
    bl_idname = "VIEW3D_PT_moodrig_bone_map"
    bl_parent_id = "VIEW3D_PT_moodrig_character"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        s = context.scene.moodrig
        col = layout.column(align=True)
        col.label(text="From")
        row = col.row(align=True)
        row.prop(s, "bone_map", text="")
        row.operator("moodrig.auto_map_bones", icon="AUTO")
        col = layout.column(align=True)
        col.label(text="Rest pose")
        col.prop(s, "rest_pose", text="")
        arm = s.armature
        if arm is None:
            layout.label(text="Choose the rig", icon="INFO")
            return
        settings = getattr(arm, SETTINGS)
        if not settings.rows:
            sentence(layout, context, f"No stored map: the bake maps with {s.bone_map}", "INFO")
        else:
            counts = {k: sum(r.status == k for r in settings.rows) for k in STATUS_ICONS}
            sentence(
                layout,
                context,
                f"{len(settings.rows) - counts['unmapped']} mapped · "
                f"{counts['unmapped']} unmapped · {counts['doubtful']} doubtful",
                "ERROR" if counts["unmapped"] or counts["doubtful"] else "CHECKMARK",
            )
            col = layout.column(align=True)
            for item in settings.rows:
                line = col.row(align=True)
                split = line.split(factor=0.4, align=True)
                split.label(text=item.role)
                split.prop_search(
                    item,
                    "bone",
                    arm.data,
                    "bones",
                    text="",
                    icon=STATUS_ICONS.get(item.status, "BLANK1"),
                )
        row = layout.row(align=True)
        row.operator("moodrig.load_bone_map", icon="IMPORT")
        row.operator("moodrig.save_bone_map", icon="EXPORT")
        row.operator("moodrig.clear_bone_map", icon="X")
        if s.bake_report:
            box = layout.box()
            for i, text in enumerate(s.bake_report.splitlines()):
                sentence(box, context, text, "INFO" if i == 0 else "DOT", boxed=True)


_classes = (
    MoodrigBoneRole,
    MoodrigBoneMapSettings,
    MOODRIG_OT_auto_map_bones,
    MOODRIG_OT_load_bone_map,
    MOODRIG_OT_save_bone_map,
    MOODRIG_OT_clear_bone_map,
    VIEW3D_PT_moodrig_bone_map,
)
_register, _unregister = bpy.utils.register_classes_factory(_classes)


def register() -> None:
    _register()
    setattr(bpy.types.Object, SETTINGS, bpy.props.PointerProperty(type=MoodrigBoneMapSettings))


def unregister() -> None:
    delattr(bpy.types.Object, SETTINGS)
    _unregister()
