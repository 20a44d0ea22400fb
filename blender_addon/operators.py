"""Operators: thin adapters from properties to one call; errors reported, never raised at the user.

Nothing here imports numpy, OpenCV or torch at module level: the add-on must register in a
Blender that lacks them, so the user can reach the dependency installer in the preferences.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import bpy

from .core.errors import InputError
from .core.request import BakeRequest
from .face_region import request_region
from .modal_job import ModalJob, report_error
from .preferences import chosen_device
from .tags import tag

TRACK_TEXT = "moodrig_track"
PREVIEW_IMAGE = "moodrig_source_preview"


# ----------------------------------------------------------------------------- stored analysis


def store_track(track: Any, source: str, person_baseline: bool = False) -> Any:
    """Keep the analysed track in a tagged text datablock (saved with the .blend)."""
    import numpy as np

    text = bpy.data.texts.get(TRACK_TEXT)
    if text is None or not text.get("moodrig_generated"):
        text = tag(bpy.data.texts.new(TRACK_TEXT), "analysis")
    text.clear()
    body: dict[str, Any] = {
        "source": source,
        "fps": track.fps,
        "expressions": np.round(track.expressions, 5).tolist(),
        "head": np.round(track.head, 3).tolist(),
        "valid": track.valid.tolist(),
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
            _TRACK_CACHE[key] = (
                data["source"],
                bool(data.get("person_baseline", False)),
                ExpressionTrack(
                    float(data["fps"]),
                    np.asarray(data["expressions"], np.float32),
                    np.asarray(data["head"], np.float32),
                    np.asarray(data["valid"], bool),
                    None if details is None else np.asarray(details, np.float32),
                ),
            )
        except (ValueError, KeyError, TypeError):
            return None
    stored_source, stored_baseline, track = _TRACK_CACHE[key]
    if source is not None and bpy.path.abspath(stored_source) != bpy.path.abspath(source):
        return None
    if person_baseline is not None and stored_baseline != person_baseline:
        return None
    return track


PREVIEW_SOURCE = "moodrig_source"
"""On the preview image: the source path (as typed) it was drawn from."""


def _preview_image(rgb: Any, source: str) -> Any:
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
    image[PREVIEW_SOURCE] = source
    image.preview_ensure()
    return image


def source_preview(source: str) -> Any:
    """The overlay picture of the photo ``source`` was analysed from, or None (none made yet,
    or it shows another file)."""
    image = bpy.data.images.get(PREVIEW_IMAGE)
    if image is None or not image.get("moodrig_generated"):
        return None
    return image if image.get(PREVIEW_SOURCE) == source else None


def clear_preview(keep_source: str | None = None) -> None:
    """Remove moodrig's overlay picture, unless it shows ``keep_source``."""
    image = bpy.data.images.get(PREVIEW_IMAGE)
    if image is None or not image.get("moodrig_generated"):
        return
    if keep_source is None or image.get(PREVIEW_SOURCE) != keep_source:
        bpy.data.images.remove(image)


# ----------------------------------------------------------------------------- operators


class MOODRIG_OT_add_demo_character(bpy.types.Operator):
    bl_description = (
        "Add the stylised demo character: rigged body, and a head whose painted face is a "
        "region of its texture atlas"
    )

    bl_idname = "moodrig.add_demo_character"
    bl_label = "Add Demo Character"
    bl_options = {"REGISTER", "UNDO"}

    texture_size: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="Texture size",
        default=0,
        min=0,
        max=8192,
        description="Side of the character's texture atlas in pixels; the face takes half of it "
        "(0: the scene's moodrig setting)",
    )

    def execute(self, context: bpy.types.Context) -> set[str]:
        settings = context.scene.moodrig
        size = self.texture_size or settings.texture_size
        try:
            from . import demo_character

            character = demo_character.build(
                context.scene, texture_size=size, location=tuple(context.scene.cursor.location)
            )
        except Exception as exc:
            return report_error(self, exc)
        for obj in context.view_layer.objects:
            obj.select_set(False)
        character.armature.select_set(True)
        context.view_layer.objects.active = character.armature
        settings.face = character.face
        settings.armature = character.armature
        settings.bone_map = "demo"
        self.report({"INFO"}, f"Added {character.armature.name}")
        return {"FINISHED"}


class MOODRIG_OT_analyze_source(ModalJob, bpy.types.Operator):
    bl_description = (
        "Read the face in the source (photo, image sequence or video): expressions and head "
        "angles per frame"
    )

    bl_idname = "moodrig.analyze_source"
    bl_label = "Analyse"
    bl_options = {"REGISTER", "UNDO"}
    job_label = "Analysing"
    job_function = "analyse_source"

    _source = ""
    _person_baseline = False

    def job_inputs(self, context: bpy.types.Context) -> tuple[Any, ...]:
        settings = context.scene.moodrig
        if not settings.source_path:
            raise InputError(None, "choose a source file first")
        self._source, self._person_baseline = settings.source_path, settings.person_baseline
        fps = context.scene.render.fps / context.scene.render.fps_base
        return (
            Path(bpy.path.abspath(settings.source_path)),
            fps,
            settings.hold_frames,
            settings.person_baseline,
            chosen_device(context),
        )

    def job_finished(self, context: Any, result: tuple[Any, Any]) -> set[str]:
        track, overlay = result
        store_track(track, self._source, self._person_baseline)
        if overlay is not None:
            _preview_image(overlay, self._source)
        else:
            clear_preview()
        missing = int((~track.valid).sum())
        note = f", no face in {missing} frame(s)" if missing else ""
        self.report({"INFO"}, f"Analysed {len(track)} frame(s){note}")
        return {"FINISHED"}

    def describe(self, progress: Any) -> tuple[str, float]:
        fraction = 0.0 if progress is None else float(progress)
        return f"{self.job_label} {fraction:.0%}", fraction


class MOODRIG_OT_behavior_diagram(bpy.types.Operator):
    """Write the behavior automaton as Mermaid and Graphviz DOT text blocks"""

    bl_idname = "moodrig.behavior_diagram"
    bl_label = "Diagram"

    def execute(self, context: bpy.types.Context) -> set[str]:
        try:
            from .core.bpfa import to_dot, to_mermaid

            bpfa = _behaviors(context.scene.moodrig)
            for name, body in (
                ("moodrig_behavior.mmd", to_mermaid(bpfa)),
                ("moodrig_behavior.dot", to_dot(bpfa)),
            ):
                text = bpy.data.texts.get(name) or tag(bpy.data.texts.new(name), "diagram")
                text.clear()
                text.write(body)
        except Exception as exc:
            return report_error(self, exc)
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

    def path(value: str) -> Path | None:
        return Path(bpy.path.abspath(value)) if value else None

    if s.behavior_source == "FILE" and not s.behavior_file:
        raise InputError(
            None, "choose a behavior definition file, or the built-in humanoid library"
        )
    face = s.face
    points_file = face.moodrig_face.features_file if face is not None else ""
    return BakeRequest(
        region=request_region(face),
        features=path(points_file),
        source=path(s.source_path),
        hold_frames=s.hold_frames,
        person_baseline=s.person_baseline,
        bone_map=_bone_map(s),
        rest_pose=s.rest_pose,
        key_tolerance=s.key_tolerance,
        nla_strips=s.nla_strips,
        frame_start=s.frame_start,
        set_frame_range=s.set_frame_range,
        seed=s.seed,
        behaviors=path(s.behavior_file) if s.behavior_source == "FILE" else None,
        appearance_mode=s.appearance_mode,
        base_neutral=s.base_neutral,
        quant_step=s.quant_step,
        weights=path(s.weights_path),
        transfer_weights=path(s.transfer_weights_path),
        texture_folder=path(s.output_folder),
        device=chosen_device(context),
        batch=s.batch,
        face_output=s.face_output,
        shape_key_map=_shape_key_map(s),
        rig_meshes=s.rig_meshes,
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


class MOODRIG_OT_bake(ModalJob, bpy.types.Operator):
    bl_description = (
        "Generate expression textures and body behavior, synchronized, and write them into the "
        "scene"
    )

    bl_idname = "moodrig.bake"
    bl_label = "Bake"
    bl_options = {"REGISTER", "UNDO"}
    job_label = "Baking"
    job_module = "bake_job"
    job_function = "compute_bake_now"

    _prep: Any = None

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        s = context.scene.moodrig
        return s.face is not None and s.armature is not None

    def _prepare(self, context: bpy.types.Context) -> Any:
        from .api import prepare_bake

        s = context.scene.moodrig
        request = bake_request(context)
        track = stored_track(s.source_path, s.person_baseline) if s.source_path else None
        return prepare_bake(context.scene, s.face, s.armature, request, track=track)

    def _finish(self, context: bpy.types.Context, result: Any) -> set[str]:
        settings = context.scene.moodrig
        settings.progress = 1.0
        face = []
        if "texture" in result.face_outputs:
            face.append(f"{result.distinct_textures} textures ({result.generated_textures} new)")
        if "shapekeys" in result.face_outputs:
            face.append(f"{len(result.keyed_shape_keys)} shape keys")
            if result.other_meshes:
                face.append(f"{len(result.other_meshes)} more meshes keyed")
            settings.face.moodrig_shape_keys.missing = ", ".join(result.missing_shape_keys)
        settings.status = f"{result.n_frames} frames, {', '.join(face)}"
        settings.bake_report = "\n".join(
            [result.bone_map_summary, *result.warnings, result.keys_line()]
        )
        for warning in result.warnings:
            self.report({"WARNING"}, f"moodrig: {warning}")
        verdict = result.sync.get("verdict", "")
        self.report(
            {"INFO"},
            f"moodrig: baked {result.n_frames} frames, {', '.join(face)} in "
            f"{result.timings['wall_s']:.0f} s. {verdict}",
        )
        return {"FINISHED"}

    def job_inputs(self, context: bpy.types.Context) -> tuple[Any, ...]:
        self._prep = self._prepare(context)
        return (self._prep.inputs,)

    def job_progress(self, context: Any, progress: Any) -> None:
        settings = context.scene.moodrig
        if progress is not None and settings.status != progress.stage:  # each write redraws
            settings.status, settings.progress = progress.stage, progress.fraction

    def job_finished(self, context: Any, result: Any) -> set[str]:
        from .api import write_bake

        try:
            return self._finish(context, write_bake(self._prep, result))
        except Exception as exc:
            context.scene.moodrig.status = "Failed"
            return report_error(self, exc)

    def job_cancelled(self, context: Any) -> None:
        settings = context.scene.moodrig
        settings.status = "Cancelled"
        settings.progress = 0.0


class MOODRIG_OT_remove_bake(bpy.types.Operator):
    bl_description = (
        "Remove moodrig's baked actions, textures and material copy; the original material, and"
        " the face's own shape-key action and values, come back"
    )

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


class MOODRIG_OT_finetune(ModalJob, bpy.types.Operator):
    bl_description = (
        "Adapt the selected appearance model (the face editor, or the detailed transfer model) "
        "to this character from its labelled expression sheet (a few minutes on CPU)"
    )

    bl_idname = "moodrig.finetune"
    bl_label = "Fine-tune"
    bl_options = {"REGISTER"}
    job_label = "Fine-tuning"
    job_function = "finetune_sheet"

    steps: bpy.props.IntProperty(
        name="Steps",
        default=300,
        min=1,
        max=5000,  # type: ignore[valid-type]
        description="Training steps (300 takes a few minutes on a CPU)",
    )

    _detailed = False

    def job_inputs(self, context: bpy.types.Context) -> tuple[Any, ...]:
        from .bake import base_texture, output_folder
        from .core.appearance.setup import face_setup
        from .face_region import stored_setup

        s = context.scene.moodrig
        if s.face is None or not s.finetune_sheet:
            raise InputError(None, "choose the face mesh and an expression sheet (JSON)")
        self._detailed = s.appearance_mode == "detailed"
        folder = output_folder(s.face.name, bpy.data.filepath, Path(bpy.app.tempdir)) / "finetuned"
        sheet = Path(bpy.path.abspath(s.finetune_sheet))
        points_file = s.face.moodrig_face.features_file
        # The face the bake would edit: the Points file if set, else the confirmed points.
        setup = face_setup(
            None, Path(bpy.path.abspath(points_file)) if points_file else None, stored_setup(s.face)
        )
        return (
            self._detailed,
            sheet,
            base_texture(s.face),
            folder,
            self.steps,
            chosen_device(context),
            setup,
        )

    def job_finished(self, context: Any, manifest: Path) -> set[str]:
        s = context.scene.moodrig
        rel = bpy.path.relpath(str(manifest)) if bpy.data.filepath else str(manifest)
        if self._detailed:
            s.transfer_weights_path = rel
        else:
            s.weights_path = rel
        self.report({"INFO"}, f"Fine-tuned weights saved: {rel}")
        return {"FINISHED"}

    def describe(self, progress: Any) -> tuple[str, float]:
        if progress is None:
            return f"{self.job_label}: starting", 0.0
        step, total = progress
        return f"{self.job_label}: step {step}/{total}", step / total


_classes = (
    MOODRIG_OT_add_demo_character,
    MOODRIG_OT_analyze_source,
    MOODRIG_OT_behavior_diagram,
    MOODRIG_OT_bake,
    MOODRIG_OT_remove_bake,
    MOODRIG_OT_finetune,
)
register, unregister = bpy.utils.register_classes_factory(_classes)
