"""Operators: thin adapters from properties to one call; errors reported, never raised at the user.

Nothing here imports numpy, OpenCV or torch at module level: the add-on must register in a
Blender that lacks them, so the user can reach the dependency installer in the preferences.
"""

from __future__ import annotations

import json
import traceback
from pathlib import Path
from typing import Any

import bpy

from .core.errors import InputError, MoodrigError
from .core.request import BakeRequest
from .face_region import request_region
from .tags import tag

TRACK_TEXT = "moodrig_track"
PREVIEW_IMAGE = "moodrig_source_preview"


def _report_error(op: Any, exc: BaseException) -> set[str]:
    if isinstance(exc, ImportError) and exc.name:
        op.report({"ERROR"}, f"moodrig needs '{exc.name}': Preferences → Add-ons → moodrig → Install Dependencies")
    elif isinstance(exc, MoodrigError):
        op.report({"ERROR"}, str(exc))
    else:
        traceback.print_exc()
        op.report({"ERROR"}, f"moodrig: unexpected error: {exc}")
    return {"CANCELLED"}


# ----------------------------------------------------------------------------- stored analysis


def store_track(track: Any, source: str, person_baseline: bool = False) -> Any:
    """Keep the analysed track in a tagged text datablock (saved with the .blend)."""
    import numpy as np

    text = bpy.data.texts.get(TRACK_TEXT)
    if text is None or not text.get("moodrig_generated"):
        text = tag(bpy.data.texts.new(TRACK_TEXT), "analysis")
    text.clear()
    body: dict[str, Any] = {
        "source": source, "fps": track.fps, "expressions": np.round(track.expressions, 5).tolist(),
        "head": np.round(track.head, 3).tolist(), "valid": track.valid.tolist(),
        "person_baseline": bool(person_baseline),
    }
    if track.details is not None:
        body["details"] = np.round(track.details, 5).tolist()
    text.write(json.dumps(body))
    _TRACK_CACHE.clear()
    return text


_TRACK_CACHE: dict[int, Any] = {}


def stored_track(source: str | None = None, person_baseline: bool | None = None) -> Any:
    """The analysed track (for ``source`` and the ``person_baseline`` setting, if given), or None:
    a track analysed with other settings is not reused."""
    import numpy as np

    from .core.track import ExpressionTrack

    text = bpy.data.texts.get(TRACK_TEXT)
    if text is None:
        return None
    body = text.as_string()
    key = hash(body)
    if key not in _TRACK_CACHE:
        try:
            data = json.loads(body)
            details = data.get("details")  # absent in tracks stored before per-side analysis
            _TRACK_CACHE[key] = (data["source"], bool(data.get("person_baseline", False)), ExpressionTrack(
                float(data["fps"]), np.asarray(data["expressions"], np.float32),
                np.asarray(data["head"], np.float32), np.asarray(data["valid"], bool),
                None if details is None else np.asarray(details, np.float32)))
        except (ValueError, KeyError, TypeError):
            return None
    stored_source, stored_baseline, track = _TRACK_CACHE[key]
    if source is not None and bpy.path.abspath(stored_source) != bpy.path.abspath(source):
        return None
    if person_baseline is not None and stored_baseline != person_baseline:
        return None
    return track


def _preview_image(rgb: Any) -> Any:
    import numpy as np

    h, w = rgb.shape[:2]
    image = bpy.data.images.get(PREVIEW_IMAGE)
    if image is not None and (tuple(image.size) != (w, h) or not image.get("moodrig_generated")):
        if image.get("moodrig_generated"):
            bpy.data.images.remove(image)
        image = None
    if image is None:
        image = tag(bpy.data.images.new(PREVIEW_IMAGE, w, h, alpha=True), "preview")
    rgba = np.concatenate([rgb.astype(np.float32) / 255.0, np.ones((h, w, 1), np.float32)], axis=2)
    image.pixels.foreach_set(np.ascontiguousarray(rgba[::-1]).ravel())
    image.update()
    image.preview_ensure()
    return image


# ----------------------------------------------------------------------------- operators


class MOODRIG_OT_add_demo_character(bpy.types.Operator):
    """Add the stylised demo character: rigged body, and a head whose painted face is a region of its texture atlas"""

    bl_idname = "moodrig.add_demo_character"
    bl_label = "Add Demo Character"
    bl_options = {"REGISTER", "UNDO"}

    texture_size: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="Texture size", default=0, min=0, max=8192,
        description="Side of the character's texture atlas in pixels; the face takes half of it "
                    "(0: the scene's moodrig setting)",
    )

    def execute(self, context: bpy.types.Context) -> set[str]:
        settings = context.scene.moodrig
        size = self.texture_size or settings.texture_size
        try:
            from . import demo_character

            character = demo_character.build(context.scene, texture_size=size, location=tuple(context.scene.cursor.location))
        except Exception as exc:
            return _report_error(self, exc)
        for obj in context.view_layer.objects:
            obj.select_set(False)
        character.armature.select_set(True)
        context.view_layer.objects.active = character.armature
        settings.face = character.face
        settings.armature = character.armature
        settings.bone_map = "demo"
        self.report({"INFO"}, f"Added {character.armature.name}")
        return {"FINISHED"}


class MOODRIG_OT_analyze_source(bpy.types.Operator):
    """Read the face in the source (photo, image sequence or video): expressions and head angles per frame"""

    bl_idname = "moodrig.analyze_source"
    bl_label = "Analyse"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        settings = context.scene.moodrig
        if not settings.source_path:
            self.report({"ERROR"}, "Choose a source file first")
            return {"CANCELLED"}
        try:
            from .core.face import analyze_image, draw_overlay, read_image
            from .core.face.source import track_from_source

            fps = context.scene.render.fps / context.scene.render.fps_base
            path = Path(bpy.path.abspath(settings.source_path))
            track = track_from_source(path, fps, hold_frames=settings.hold_frames,
                                      person_baseline=settings.person_baseline)
            store_track(track, settings.source_path, settings.person_baseline)
            if path.suffix.lower() in {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".exr", ".bmp", ".webp"}:
                image = read_image(path)
                _preview_image(draw_overlay(image, analyze_image(image)))
        except Exception as exc:
            return _report_error(self, exc)
        missing = int((~track.valid).sum())
        note = f", no face in {missing} frame(s)" if missing else ""
        self.report({"INFO"}, f"Analysed {len(track)} frame(s){note}")
        return {"FINISHED"}


class MOODRIG_OT_behavior_diagram(bpy.types.Operator):
    """Write the behavior automaton as Mermaid and Graphviz DOT text blocks"""

    bl_idname = "moodrig.behavior_diagram"
    bl_label = "Diagram"

    def execute(self, context: bpy.types.Context) -> set[str]:
        try:
            from .core.bpfa import to_dot, to_mermaid

            bpfa = _behaviors(context.scene.moodrig)
            for name, body in (("moodrig_behavior.mmd", to_mermaid(bpfa)), ("moodrig_behavior.dot", to_dot(bpfa))):
                text = bpy.data.texts.get(name) or tag(bpy.data.texts.new(name), "diagram")
                text.clear()
                text.write(body)
        except Exception as exc:
            return _report_error(self, exc)
        self.report({"INFO"}, "Wrote text blocks moodrig_behavior.mmd and moodrig_behavior.dot")
        return {"FINISHED"}


def _behaviors(settings: Any) -> Any:
    from .core.bpfa import load_default_library, load_definition

    if settings.behavior_source == "FILE":
        return load_definition(bpy.path.abspath(settings.behavior_file))
    return load_default_library()


def bake_request(context: bpy.types.Context) -> BakeRequest:
    """The sidebar's settings (and the device preference) → the :class:`BakeRequest` the Bake
    button runs; ``//``-relative paths made absolute."""
    s = context.scene.moodrig
    addon = context.preferences.addons.get(__package__)

    def path(value: str) -> Path | None:
        return Path(bpy.path.abspath(value)) if value else None

    if s.behavior_source == "FILE" and not s.behavior_file:
        raise InputError(None, "choose a behavior definition file, or the built-in humanoid "
                               "library")
    face = s.face
    points_file = face.moodrig_face.features_file if face is not None else ""
    return BakeRequest(
        region=request_region(face), features=path(points_file),
        source=path(s.source_path), hold_frames=s.hold_frames, person_baseline=s.person_baseline,
        bone_map=_bone_map(s), rest_pose=s.rest_pose, key_tolerance=s.key_tolerance,
        nla_strips=s.nla_strips, frame_start=s.frame_start, set_frame_range=s.set_frame_range,
        seed=s.seed, behaviors=path(s.behavior_file) if s.behavior_source == "FILE" else None,
        appearance_mode=s.appearance_mode, base_neutral=s.base_neutral, quant_step=s.quant_step,
        weights=path(s.weights_path), transfer_weights=path(s.transfer_weights_path),
        texture_folder=path(s.output_folder),
        device=addon.preferences.device if addon is not None else BakeRequest.device,
        batch=s.batch, face_output=s.face_output, shape_key_map=_shape_key_map(s),
    )


def _bone_map(s: Any) -> Any:
    """The armature's stored rows when it has any (what the Bone Map panel shows), else the
    chosen way of finding them."""
    from .bone_maps import stored_map

    stored = stored_map(s.armature) if s.armature is not None else None
    return stored if stored is not None else s.bone_map


def _shape_key_map(s: Any) -> Any:
    """The face's stored rows when it has any, else the chosen convention (None: detect)."""
    from .shape_keys import stored_map

    stored = stored_map(s.face) if s.face is not None else None
    if stored is not None:
        return stored
    return None if s.shape_key_convention == "auto" else s.shape_key_convention


class MOODRIG_OT_bake(bpy.types.Operator):
    """Generate expression textures and body behavior, synchronized, and write them into the scene"""

    bl_idname = "moodrig.bake"
    bl_label = "Bake"
    bl_options = {"REGISTER", "UNDO"}

    _timer: Any = None
    _steps: Any = None

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        s = context.scene.moodrig
        return s.face is not None and s.armature is not None

    def _start(self, context: bpy.types.Context) -> None:
        from .api import bake_steps

        s = context.scene.moodrig
        request = bake_request(context)
        track = stored_track(s.source_path, s.person_baseline) if s.source_path else None
        self._steps = bake_steps(context.scene, s.face, s.armature, request, track=track)

    def _finish(self, context: bpy.types.Context, result: Any) -> None:
        settings = context.scene.moodrig
        settings.progress = 1.0
        face = []
        if "texture" in result.face_outputs:
            face.append(f"{result.distinct_textures} textures ({result.generated_textures} new)")
        if "shapekeys" in result.face_outputs:
            face.append(f"{len(result.keyed_shape_keys)} shape keys")
            settings.face.moodrig_shape_keys.missing = ", ".join(result.missing_shape_keys)
        f1 = result.sync.get("onset_f1")
        judged = f"onset F1 {f1:.2f}" if f1 is not None else "sync not judged (too few events)"
        settings.status = f"{result.n_frames} frames, {', '.join(face)}, {judged}"
        settings.bake_report = "\n".join([result.bone_map_summary, *result.warnings,
                                           result.keys_line()])
        for warning in result.warnings:
            self.report({"WARNING"}, f"moodrig: {warning}")
        self.report({"INFO"}, f"moodrig: baked {settings.status}")

    def execute(self, context: bpy.types.Context) -> set[str]:
        """Synchronous (headless, scripts): run every step now."""
        try:
            self._start(context)
            while True:
                try:
                    next(self._steps)
                except StopIteration as stop:
                    self._finish(context, stop.value)
                    return {"FINISHED"}
        except Exception as exc:
            return _report_error(self, exc)

    def invoke(self, context: bpy.types.Context, event: Any) -> set[str]:
        if bpy.app.background:
            return self.execute(context)
        try:
            self._start(context)
        except Exception as exc:
            return _report_error(self, exc)
        wm = context.window_manager
        self._timer = wm.event_timer_add(0.05, window=context.window)
        wm.modal_handler_add(self)
        wm.progress_begin(0, 100)
        return {"RUNNING_MODAL"}

    def _end(self, context: bpy.types.Context) -> None:
        wm = context.window_manager
        if self._timer is not None:
            wm.event_timer_remove(self._timer)
        wm.progress_end()
        context.workspace.status_text_set(None)

    def modal(self, context: bpy.types.Context, event: Any) -> set[str]:
        settings = context.scene.moodrig
        if event.type == "ESC":
            self._steps.close()  # nothing has been written yet: scene writes are the last step
            self._end(context)
            settings.status = "Cancelled"
            settings.progress = 0.0
            self.report({"WARNING"}, "moodrig: bake cancelled, the scene is unchanged")
            return {"CANCELLED"}
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        try:
            step = next(self._steps)
        except StopIteration as stop:
            self._end(context)
            self._finish(context, stop.value)
            return {"FINISHED"}
        except Exception as exc:
            self._end(context)
            settings.status = "Failed"
            return _report_error(self, exc)
        settings.progress = step.fraction
        settings.status = step.stage
        context.window_manager.progress_update(int(step.fraction * 100))
        context.workspace.status_text_set(f"moodrig: {step.stage} ({step.fraction:.0%}) - Esc to cancel")
        for area in context.screen.areas:
            if area.type == "VIEW_3D":
                area.tag_redraw()
        return {"RUNNING_MODAL"}


class MOODRIG_OT_remove_bake(bpy.types.Operator):
    """Remove moodrig's baked actions, textures and material copy; the original material, and the face's own shape-key action and values, come back"""

    bl_idname = "moodrig.remove_bake"
    bl_label = "Remove Bake"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        from .bake import remove_previous

        s = context.scene.moodrig
        if s.face is None or s.armature is None:
            self.report({"ERROR"}, "Choose the face mesh and the armature")
            return {"CANCELLED"}
        remove_previous(s.armature, s.face)
        return {"FINISHED"}


class MOODRIG_OT_finetune(bpy.types.Operator):
    """Adapt the selected appearance model (AMEE-GAN, or the detailed transfer model) to this character from its labelled expression sheet (a few minutes on CPU)"""

    bl_idname = "moodrig.finetune"
    bl_label = "Fine-tune on My Expression Sheet"
    bl_options = {"REGISTER"}

    steps: bpy.props.IntProperty(name="Steps", default=300, min=1, max=5000,  # type: ignore[valid-type]
                                 description="Training steps (300 takes a few minutes on a CPU)")

    def execute(self, context: bpy.types.Context) -> set[str]:
        from .bake import base_texture, output_folder

        s = context.scene.moodrig
        if s.face is None or not s.finetune_sheet:
            self.report({"ERROR"}, "Choose the face mesh and an expression sheet (JSON)")
            return {"CANCELLED"}
        detailed = s.appearance_mode == "detailed"
        try:
            folder = output_folder(s.face.name, bpy.data.filepath, Path(bpy.app.tempdir)) / "finetuned"
            sheet = Path(bpy.path.abspath(s.finetune_sheet))
            if detailed:
                from .core.transfer.finetune import (
                    TransferFinetuneConfig,
                    finetune_transfer_from_sheet,
                )

                manifest = finetune_transfer_from_sheet(sheet, base_texture(s.face), folder,
                                                        config=TransferFinetuneConfig(steps=self.steps))
            else:
                from .core.amee.finetune import FinetuneConfig, finetune_from_sheet

                manifest = finetune_from_sheet(sheet, base_texture(s.face), folder, config=FinetuneConfig(steps=self.steps))
        except Exception as exc:
            return _report_error(self, exc)
        rel = bpy.path.relpath(str(manifest)) if bpy.data.filepath else str(manifest)
        if detailed:
            s.transfer_weights_path = rel
        else:
            s.weights_path = rel
        self.report({"INFO"}, f"Fine-tuned weights saved: {rel}")
        return {"FINISHED"}


_classes = (
    MOODRIG_OT_add_demo_character,
    MOODRIG_OT_analyze_source,
    MOODRIG_OT_behavior_diagram,
    MOODRIG_OT_bake,
    MOODRIG_OT_remove_bake,
    MOODRIG_OT_finetune,
)
register, unregister = bpy.utils.register_classes_factory(_classes)
