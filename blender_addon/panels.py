"""Sidebar tab "moodrig" in the 3D viewport: Source → Character (→ Face Region) → Face Outputs
→ Expressions → Behavior → Bake; the Face Region panel also sits in the Image Editor's sidebar."""

from __future__ import annotations

import functools
import json
from typing import Any

import bpy

from . import deps


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
            box.label(text="Missing: " + ", ".join(missing), icon="ERROR")
            box.label(text="Preferences → Add-ons → moodrig → Install Dependencies")


class VIEW3D_PT_moodrig_source(_MoodrigPanel, bpy.types.Panel):
    bl_label = "Source"
    bl_idname = "VIEW3D_PT_moodrig_source"
    bl_parent_id = "VIEW3D_PT_moodrig_main"

    def draw(self, context: bpy.types.Context) -> None:
        from .operators import PREVIEW_IMAGE, stored_track

        if not all(deps.status().values()):
            self.layout.label(text="Install the dependencies first", icon="ERROR")
            return
        from .core.expression import EXPRESSION_NAMES

        layout = self.layout
        s = context.scene.moodrig
        layout.prop(s, "source_path", text="")
        row = layout.row(align=True)
        row.prop(s, "hold_frames")
        row.operator("moodrig.analyze_source", icon="VIEWZOOM")
        layout.prop(s, "person_baseline")
        preview = bpy.data.images.get(PREVIEW_IMAGE)
        if preview is not None and preview.preview is not None:
            layout.template_icon(icon_value=preview.preview.icon_id, scale=7.0)
        track = stored_track(s.source_path, s.person_baseline) if s.source_path else None
        if track is None:
            layout.label(text="Not analysed yet", icon="INFO")
            return
        i = min(max(context.scene.frame_current - s.frame_start, 0), len(track) - 1)
        box = layout.box()
        state = "face" if track.valid[i] else "no face (filled)"
        box.label(text=f"Frame {i + 1}/{len(track)}: {state}")
        col = box.column(align=True)
        for name, value in zip(EXPRESSION_NAMES, track.expressions[i], strict=True):
            row = col.row(align=True)
            split = row.split(factor=0.45)
            split.label(text=name)
            split.label(text="█" * round(float(value) * 12) + f" {value:.2f}")
        yaw, pitch, roll = (float(v) for v in track.head[i])
        box.label(text=f"Head yaw {yaw:+.0f}°  pitch {pitch:+.0f}°  roll {roll:+.0f}°")


class VIEW3D_PT_moodrig_character(_MoodrigPanel, bpy.types.Panel):
    bl_label = "Character"
    bl_idname = "VIEW3D_PT_moodrig_character"
    bl_parent_id = "VIEW3D_PT_moodrig_main"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        s = context.scene.moodrig
        layout.prop(s, "face")
        layout.prop(s, "armature")


class MOODRIG_UL_shape_keys(bpy.types.UIList):
    """One mapping row: shape key (searched on the face mesh), expression entry, weight."""

    def draw_item(self, context: bpy.types.Context, layout: Any, data: Any, item: Any,
                  icon: int, active_data: Any, active_property: str, index: int = 0,
                  flt_flag: int = 0) -> None:
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
    return None if found is None else f"{CONVENTIONS[found.convention].label} ({found.matched} keys)"


class VIEW3D_PT_moodrig_face(_MoodrigPanel, bpy.types.Panel):
    bl_label = "Face Outputs"
    bl_idname = "VIEW3D_PT_moodrig_face"
    bl_parent_id = "VIEW3D_PT_moodrig_main"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        s = context.scene.moodrig
        layout.prop(s, "face_output")
        row = layout.row(align=True)
        row.prop(s, "shape_key_convention", text="")
        row.operator("moodrig.fill_shape_keys", icon="FILE_REFRESH")
        face = s.face
        if face is None or face.type != "MESH" or face.data.shape_keys is None:
            layout.label(text="The face mesh has no shape keys", icon="INFO")
            return
        from .shape_keys import key_names

        settings = face.moodrig_shape_keys
        detected = _detected(tuple(key_names(face)))
        layout.label(text=f"Detected: {detected or 'no known convention'}", icon="SHAPEKEY_DATA")
        row = layout.row()
        row.template_list("MOODRIG_UL_shape_keys", "", settings, "rows", settings, "active",
                          rows=5)
        col = row.column(align=True)
        col.operator("moodrig.shape_key_row_add", text="", icon="ADD")
        col.operator("moodrig.shape_key_row_remove", text="", icon="REMOVE")
        if not settings.rows:
            layout.label(text="No rows: the convention's table is used (Fill to edit it)")
        row = layout.row(align=True)
        row.operator("moodrig.load_shape_key_map", icon="IMPORT")
        row.operator("moodrig.save_shape_key_map", icon="EXPORT")
        row.operator("moodrig.check_shape_keys", text="", icon="CHECKMARK")
        if settings.missing:
            layout.label(text=f"Not found: {settings.missing}", icon="ERROR")
_REGION_LABELS = ("Left", "Bottom", "Right", "Top")


def draw_face_region(layout: Any, context: bpy.types.Context) -> None:
    """The face region and feature points of the sidebar's face mesh (3D view and Image Editor)."""
    s = context.scene.moodrig
    face = s.face
    if face is None or face.type != "MESH":
        layout.label(text="Choose the face mesh first", icon="INFO")
        return
    from .face_region import has_points

    fr = face.moodrig_face
    col = layout.column(align=True)
    for i, label in enumerate(_REGION_LABELS):
        col.prop(fr, "region", index=i, text=label)
    row = layout.row(align=True)
    row.operator("moodrig.region_from_selection", icon="RESTRICT_SELECT_OFF")
    row.operator("moodrig.region_whole_texture", text="", icon="FULLSCREEN_ENTER")
    row = layout.row(align=True)
    row.prop_search(fr, "vertex_group", face, "vertex_groups", text="", icon="GROUP_VERTEX")
    row.operator("moodrig.region_from_vertex_group")
    box = layout.box()
    if not has_points(face):
        box.label(text="Points: found when baking", icon="INFO")
    elif fr.points_confirmed:
        box.label(text="Points: placed, confirmed", icon="CHECKMARK")
    else:
        box.label(text="Points: found, not confirmed", icon="QUESTION")
    row = box.row(align=True)
    row.operator("moodrig.find_feature_points", icon="VIEWZOOM")
    row.operator("moodrig.edit_feature_points", icon="GREASEPENCIL")
    if has_points(face):
        box.prop(fr, "points_confirmed")
    box.label(text="Points file (for the bake):")
    box.prop(fr, "features_file", text="")
    layout.prop(s, "show_face_region")


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
        layout.prop(s, "appearance_mode")
        if s.appearance_mode == "parameters":
            layout.prop(s, "base_neutral")
        row = layout.row(align=True)
        row.prop(s, "frame_start")
        row.prop(s, "set_frame_range")
        layout.prop(s, "quant_step")
        layout.prop(s, "output_folder")
        row = layout.row(align=True)
        prefs = context.preferences.addons.get(__package__)
        if prefs is not None:
            row.prop(prefs.preferences, "device")
        row.prop(s, "batch")
        box = layout.box()
        box.prop(s, "finetune_sheet")
        box.operator("moodrig.finetune", icon="MODIFIER")
        box.prop(s, "transfer_weights_path" if s.appearance_mode == "detailed" else "weights_path")


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
        row.prop(s, "seed")
        row.operator("moodrig.behavior_diagram", icon="NODETREE")
        row = layout.row(align=True)
        row.prop(s, "key_tolerance")
        row.prop(s, "nla_strips")


class VIEW3D_PT_moodrig_bake(_MoodrigPanel, bpy.types.Panel):
    bl_label = "Bake"
    bl_idname = "VIEW3D_PT_moodrig_bake"
    bl_parent_id = "VIEW3D_PT_moodrig_main"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        s = context.scene.moodrig
        row = layout.row(align=True)
        row.scale_y = 1.4
        row.operator("moodrig.bake", icon="RENDER_ANIMATION")
        row.operator("moodrig.remove_bake", text="", icon="TRASH")
        if s.status:
            layout.prop(s, "progress", text=s.status)
        sync = _sync(context.scene)
        if sync:
            box = layout.box()
            box.label(text="Synchronization (from the keyframes)", icon="GRAPH")
            box.label(text=f"Onset F1 ±2 f: {_f(sync.get('onset_f1'))}  (chance {_f(sync.get('baseline_f1'))})")
            box.label(text=f"Precision {_f(sync.get('precision'))}  recall {_f(sync.get('recall'))}")
            box.label(text=f"Allowed behavior: {_f(sync.get('allowed_fraction'))} of frames")
            box.label(text=f"Yaw → look lag: {sync.get('xcorr_lag')} f  (r = {_f(sync.get('xcorr_peak'))})")
            if sync.get("shape_keys_keyed"):
                box.label(text=f"Track → shape keys lag: {sync.get('shape_key_lag')} f  "
                               f"(r = {_f(sync.get('shape_key_xcorr_peak'))})")


def _f(value: Any) -> str:
    return "–" if value is None else f"{float(value):.2f}"


def _sync(scene: Any) -> dict[str, Any] | None:
    raw = scene.get("moodrig_sync")
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
)
_lists = (MOODRIG_UL_shape_keys,)
register, unregister = bpy.utils.register_classes_factory(_lists + _classes)
