"""Sidebar tab "moodrig" in the 3D viewport: Source → Character (→ Face Region, Bone Map) →
Face Outputs → Expressions → Behavior → Bake (→ Details); the Face Region panel also sits in
the Image Editor's sidebar.

Written for the sidebar's default width: short labels, one setting per row where a label and
its field would not both fit, sentences wrapped to the region (``ui_text.py``). The bake's
answer for the artist comes first (a plain sentence, textures, time); the research figures
wait under *Details*, closed by default. A running job (Analyse, Fine-tune, Bake) shows its
progress where it was started.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import bpy

from . import deps
from .core.errors import InputError
from .modal_job import RUNNING
from .records import SUMMARY_PROP, SYNC_PROP
from .ui_text import sentence


class _MoodrigPanel:
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "moodrig"


class VIEW3D_PT_moodrig_main(_MoodrigPanel, bpy.types.Panel):
    bl_label = "moodrig"
    bl_idname = "VIEW3D_PT_moodrig_main"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        settings = context.scene.moodrig
        col = layout.column(align=True)
        col.label(text="Demo character", icon="ARMATURE_DATA")
        col.prop(settings, "texture_size")
        col.operator("moodrig.add_demo_character", icon="ADD")
        missing = [deps.MODULES[m] for m, ok in deps.status().items() if not ok]
        if missing:
            box = layout.box()
            sentence(box, context, "Missing: " + ", ".join(missing), "ERROR", boxed=True)
            sentence(box, context, "Install them in Preferences → Add-ons → moodrig", boxed=True)


class VIEW3D_PT_moodrig_source(_MoodrigPanel, bpy.types.Panel):
    bl_label = "Source"
    bl_idname = "VIEW3D_PT_moodrig_source"
    bl_parent_id = "VIEW3D_PT_moodrig_main"

    def draw(self, context: bpy.types.Context) -> None:
        from .operators import source_preview, stored_track

        if not all(deps.status().values()):
            self.layout.label(text="Install the dependencies first", icon="ERROR")
            return
        from .core.expression import EXPRESSION_NAMES

        layout = self.layout
        s = context.scene.moodrig
        layout.prop(s, "source_path", text="")
        layout.prop(s, "hold_frames", text="Photo frames")
        layout.prop(s, "person_baseline", text="Own neutral (video)")
        _job_or_button(layout, "moodrig.analyze_source", "VIEWZOOM")
        preview = source_preview(s.source_path)
        if preview is not None and preview.preview is not None:
            layout.template_icon(icon_value=preview.preview.icon_id, scale=7.0)
        track = stored_track(s.source_path, s.person_baseline) if s.source_path else None
        if track is None:
            layout.label(text="Not analysed yet", icon="INFO")
            return
        i = min(max(context.scene.frame_current - s.frame_start, 0), len(track) - 1)
        box = layout.box()
        state = "face" if track.valid[i] else "no face"
        box.label(text=f"Frame {i + 1}/{len(track)}: {state}")
        col = box.column(align=True)
        for name, value in zip(EXPRESSION_NAMES, track.expressions[i], strict=True):
            split = col.split(factor=0.5)
            split.label(text=name)
            split.label(text="█" * round(float(value) * 6) + f" {value:.2f}")
        yaw, pitch, roll = (float(v) for v in track.head[i])
        sentence(
            box,
            context,
            f"Head: yaw {yaw:+.0f}°, pitch {pitch:+.0f}°, roll {roll:+.0f}°",
            boxed=True,
        )


def _job_or_button(layout: Any, idname: str, icon: str) -> None:
    """The operator's button, or its running job's progress in its place."""
    job = RUNNING.get(idname)
    if job is None:
        layout.operator(idname, icon=icon)
        return
    layout.label(text=f"{job.text} · Esc cancels", icon="SORTTIME")


class VIEW3D_PT_moodrig_character(_MoodrigPanel, bpy.types.Panel):
    bl_label = "Character"
    bl_idname = "VIEW3D_PT_moodrig_character"
    bl_parent_id = "VIEW3D_PT_moodrig_main"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        s = context.scene.moodrig
        col = layout.column(align=True)
        col.label(text="Face mesh")
        col.prop(s, "face", text="")
        col.label(text="Rig")
        col.prop(s, "armature", text="")


class MOODRIG_UL_shape_keys(bpy.types.UIList):
    """One mapping row: shape key (searched on the face mesh), expression entry, weight."""

    def draw_item(
        self,
        context: bpy.types.Context,
        layout: Any,
        data: Any,
        item: Any,
        icon: int,
        active_data: Any,
        active_property: str,
        index: int = 0,
        flt_flag: int = 0,
    ) -> None:
        key = context.scene.moodrig.face.data.shape_keys
        row = layout.row(align=True)
        split = row.split(factor=0.5, align=True)
        if key is not None:
            split.prop_search(item, "key", key, "key_blocks", text="", icon="SHAPEKEY_DATA")
        else:
            split.prop(item, "key", text="")
        split = split.split(factor=0.6, align=True)
        split.prop(item, "entry", text="")
        split.prop(item, "weight", text="")


@functools.lru_cache(maxsize=32)
def _detected(names: tuple[str, ...]) -> str | None:
    from .core.shapekeys import CONVENTIONS, detect

    found = detect(names)
    return (
        None if found is None else f"{CONVENTIONS[found.convention].label} ({found.matched} keys)"
    )


class VIEW3D_PT_moodrig_face(_MoodrigPanel, bpy.types.Panel):
    bl_label = "Face Outputs"
    bl_idname = "VIEW3D_PT_moodrig_face"
    bl_parent_id = "VIEW3D_PT_moodrig_main"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        s = context.scene.moodrig
        layout.prop(s, "face_output", text="")
        row = layout.row(align=True)
        row.prop(s, "shape_key_convention", text="")
        row.operator("moodrig.fill_shape_keys", text="Fill", icon="FILE_REFRESH")
        layout.prop(s, "rig_meshes", text="Other meshes too")
        face = s.face
        if face is None or face.type != "MESH" or face.data.shape_keys is None:
            sentence(layout, context, "The face mesh has no shape keys", "INFO")
            return
        from .shape_keys import key_names

        settings = face.moodrig_shape_keys
        detected = _detected(tuple(key_names(face)))
        sentence(layout, context, f"Detected: {detected or 'no known convention'}", "SHAPEKEY_DATA")
        row = layout.row()
        row.template_list("MOODRIG_UL_shape_keys", "", settings, "rows", settings, "active", rows=5)
        col = row.column(align=True)
        col.operator("moodrig.shape_key_row_add", text="", icon="ADD")
        col.operator("moodrig.shape_key_row_remove", text="", icon="REMOVE")
        if not settings.rows:
            sentence(layout, context, "No rows: the convention's table is used (Fill to edit it)")
        row = layout.row(align=True)
        row.operator("moodrig.load_shape_key_map", text="Load", icon="IMPORT")
        row.operator("moodrig.save_shape_key_map", text="Save", icon="EXPORT")
        row.operator("moodrig.check_shape_keys", text="", icon="CHECKMARK")
        if settings.missing:
            sentence(layout, context, f"Not found: {settings.missing}", "ERROR")


_REGION_LABELS = ("Left", "Bottom", "Right", "Top")


def draw_face_region(layout: Any, context: bpy.types.Context) -> None:
    """The face region and feature points of the sidebar's face mesh (3D view and Image Editor)."""
    s = context.scene.moodrig
    face = s.face
    if face is None or face.type != "MESH":
        layout.label(text="Choose the face mesh", icon="INFO")
        return
    from .face_region import has_points

    fr = face.moodrig_face
    if len(face.material_slots) > 1:  # which material's image holds the face
        from .bake import base_image

        col = layout.column(align=True)
        col.label(text="Texture from")
        col.prop(fr, "material", text="", icon="MATERIAL")
        try:
            col.label(text=base_image(face).name, icon="IMAGE_DATA")
        except InputError as exc:
            col.label(text=exc.problem, icon="ERROR")
    col = layout.column(align=True)
    for i, label in enumerate(_REGION_LABELS):
        col.prop(fr, "region", index=i, text=label)
    row = layout.row(align=True)
    row.operator("moodrig.region_from_selection", icon="RESTRICT_SELECT_OFF")
    row.operator("moodrig.find_face_region", text="", icon="ZOOM_SELECTED")
    row.operator("moodrig.region_whole_texture", text="", icon="FULLSCREEN_ENTER")
    row = layout.row(align=True)
    row.prop_search(fr, "vertex_group", face, "vertex_groups", text="", icon="GROUP_VERTEX")
    row.operator("moodrig.region_from_vertex_group")
    row = layout.row(align=True)
    row.prop(fr, "head_up", text="Face")
    sub = row.row(align=True)
    sub.active = fr.head_up not in ("MESH", "PICTURE")
    sub.prop(fr, "mirrored", text="", icon="MOD_MIRROR")
    box = layout.box()
    if not has_points(face):
        sentence(box, context, "Points: found when baking", "INFO", boxed=True)
    elif fr.points_confirmed:
        sentence(box, context, "Points: placed, confirmed", "CHECKMARK", boxed=True)
    else:
        sentence(box, context, "Points: found, not confirmed", "QUESTION", boxed=True)
    col = box.column(align=True)
    col.operator("moodrig.find_feature_points", icon="VIEWZOOM")
    col.operator("moodrig.edit_feature_points", icon="GREASEPENCIL")
    if has_points(face):
        box.prop(fr, "points_confirmed")
    col = box.column(align=True)
    col.label(text="Points file")
    col.prop(fr, "features_file", text="")
    layout.prop(s, "show_face_region", text="Show in Image Editor")


class VIEW3D_PT_moodrig_face_region(_MoodrigPanel, bpy.types.Panel):
    bl_label = "Face Region"
    bl_idname = "VIEW3D_PT_moodrig_face_region"
    bl_parent_id = "VIEW3D_PT_moodrig_character"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context: bpy.types.Context) -> None:
        draw_face_region(self.layout, context)


class IMAGE_PT_moodrig_face_region(bpy.types.Panel):
    """The same in the Image Editor's sidebar, beside the texture it describes."""

    bl_space_type = "IMAGE_EDITOR"
    bl_region_type = "UI"
    bl_category = "moodrig"
    bl_label = "Face Region"
    bl_idname = "IMAGE_PT_moodrig_face_region"

    def draw(self, context: bpy.types.Context) -> None:
        draw_face_region(self.layout, context)


class VIEW3D_PT_moodrig_expressions(_MoodrigPanel, bpy.types.Panel):
    bl_label = "Expressions"
    bl_idname = "VIEW3D_PT_moodrig_expressions"
    bl_parent_id = "VIEW3D_PT_moodrig_main"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        s = context.scene.moodrig
        layout.prop(s, "appearance_mode", text="")
        if s.appearance_mode == "parameters":
            layout.prop(s, "base_neutral", text="Neutral base texture")
        layout.prop(s, "frame_start", text="Start frame")
        layout.prop(s, "set_frame_range", text="Set frame range")
        layout.prop(s, "quant_step", text="Step")
        col = layout.column(align=True)
        col.label(text="Texture folder")
        col.prop(s, "output_folder", text="")
        prefs = context.preferences.addons.get(__package__)
        if prefs is not None:
            layout.prop(prefs.preferences, "device", text="Device")
        layout.prop(s, "batch", text="Batch")
        box = layout.box()
        col = box.column(align=True)
        col.label(text="Expression sheet")
        col.prop(s, "finetune_sheet", text="")
        _job_or_button(box, "moodrig.finetune", "MODIFIER")
        col = box.column(align=True)
        col.label(text="Fine-tuned weights")
        col.prop(
            s,
            "transfer_weights_path" if s.appearance_mode == "detailed" else "weights_path",
            text="",
        )


class VIEW3D_PT_moodrig_behavior(_MoodrigPanel, bpy.types.Panel):
    bl_label = "Behavior"
    bl_idname = "VIEW3D_PT_moodrig_behavior"
    bl_parent_id = "VIEW3D_PT_moodrig_main"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        s = context.scene.moodrig
        layout.prop(s, "behavior_source", text="")
        if s.behavior_source == "FILE":
            layout.prop(s, "behavior_file", text="")
        row = layout.row(align=True)
        row.prop(s, "seed", text="Seed")
        row.operator("moodrig.behavior_diagram", text="Diagram", icon="NODETREE")
        layout.prop(s, "key_tolerance", text="Key tolerance °")
        layout.prop(s, "nla_strips", text="NLA strip per episode")


class VIEW3D_PT_moodrig_bake(_MoodrigPanel, bpy.types.Panel):
    bl_label = "Bake"
    bl_idname = "VIEW3D_PT_moodrig_bake"
    bl_parent_id = "VIEW3D_PT_moodrig_main"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        s = context.scene.moodrig
        row = layout.row(align=True)
        row.scale_y = 1.4
        if "moodrig.bake" in RUNNING:
            row.prop(s, "progress", text=s.status or "Baking")
            layout.label(text="Esc cancels", icon="INFO")
            return
        row.operator("moodrig.bake", icon="RENDER_ANIMATION")
        row.operator("moodrig.remove_bake", text="", icon="TRASH")
        if s.status == "Cancelled":
            layout.label(text="Cancelled: the scene is unchanged", icon="INFO")
        summary = _record(context.scene, SUMMARY_PROP)
        sync = _record(context.scene, SYNC_PROP)
        if summary is None or sync is None:
            return
        verdict = sync.get("verdict")
        if verdict:
            icon = {True: "CHECKMARK", False: "ERROR"}.get(sync.get("verdict_ok"), "INFO")
            sentence(layout, context, verdict, icon)
        col = layout.column(align=True)
        if summary.get("textures") and "texture" in summary.get("outputs", ()):
            col.label(text=f"Textures: {summary['textures']} ({summary['new_textures']} new)")
        if summary.get("shape_keys") is not None:
            col.label(text=f"Shape keys: {summary['shape_keys']}")
        others = summary.get("other_meshes") or {}
        if others:
            col.label(text=f"Also keyed: {len(others)} meshes")
        col.label(text=f"Frames: {summary['frames']}")
        col.label(text=f"Time: {_duration(summary.get('seconds'))}")


class VIEW3D_PT_moodrig_details(_MoodrigPanel, bpy.types.Panel):
    """The research figures behind the sentence (docs/sync.md)."""

    bl_label = "Details"
    bl_idname = "VIEW3D_PT_moodrig_details"
    bl_parent_id = "VIEW3D_PT_moodrig_bake"
    bl_options = {"DEFAULT_CLOSED"}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return _record(context.scene, SYNC_PROP) is not None

    def draw(self, context: bpy.types.Context) -> None:
        sync = _record(context.scene, SYNC_PROP) or {}
        col = self.layout.column(align=True)
        for line in detail_lines(sync):
            sentence(col, context, line)


def detail_lines(sync: dict[str, Any]) -> list[str]:
    """The sync record's figures as short lines (behavior first, then face)."""
    lines = []
    if sync.get("onset_f1") is None:
        lines.append(f"Onset F1: {sync.get('reason') or 'not judged'}")
    else:
        lines.append(f"Onset F1 ±2 f: {_f(sync.get('onset_f1'))}")
        lines.append(f"Chance F1: {_f(sync.get('baseline_f1'))} (p {_f(sync.get('p_value'))})")
        lines.append(f"Precision {_f(sync.get('precision'))}, recall {_f(sync.get('recall'))}")
    lines.append(f"Allowed behavior: {_f(sync.get('allowed_fraction'))} of frames")
    lines.append(f"Yaw to look lag: {sync.get('xcorr_lag')} f (r {_f(sync.get('xcorr_peak'))})")
    if sync.get("shape_keys_keyed"):
        lines.append(
            f"Shape key lag: {sync.get('shape_key_lag')} f "
            f"(r {_f(sync.get('shape_key_xcorr_peak'))})"
        )
    if "texture_sentence" in sync:
        lines.append(f"Texture: {sync['texture_sentence']}")
        for area, figures in (sync.get("texture_areas") or {}).items():
            lines.append(
                f"{area.capitalize()}: r {_f(figures.get('correlation'))}, lag "
                f"{figures.get('lag')} f, agreement {_f(figures.get('agreement'))}"
            )
    return lines


def _duration(seconds: Any) -> str:
    if not isinstance(seconds, (int, float)):
        return "–"
    minutes, rest = divmod(round(float(seconds)), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def _f(value: Any) -> str:
    return "–" if value is None else f"{float(value):.2f}"


def _record(scene: Any, prop: str) -> dict[str, Any] | None:
    """A JSON record the bake left on the scene (sync figures, summary), or None."""
    raw = scene.get(prop)
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


_classes = (
    VIEW3D_PT_moodrig_main,
    VIEW3D_PT_moodrig_source,
    VIEW3D_PT_moodrig_character,
    VIEW3D_PT_moodrig_face,
    VIEW3D_PT_moodrig_face_region,
    IMAGE_PT_moodrig_face_region,
    VIEW3D_PT_moodrig_expressions,
    VIEW3D_PT_moodrig_behavior,
    VIEW3D_PT_moodrig_bake,
    VIEW3D_PT_moodrig_details,
)
_lists = (MOODRIG_UL_shape_keys,)
register, unregister = bpy.utils.register_classes_factory(_lists + _classes)
