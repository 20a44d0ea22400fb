"""Scene-level settings, one PropertyGroup (``scene.moodrig``) removed again in ``unregister``,
and the face object's shape-key mapping (``object.moodrig_shape_keys``, saved with the .blend).

The bake options mirror :class:`~moodrig.core.request.BakeRequest` (their defaults are read from
it); ``operators.bake_request`` turns them into one. The device is an add-on preference.
"""

from __future__ import annotations

import bpy

from .core.request import BakeRequest
from .core.rig import BONE_MAP_PRESETS
from .core.shapekeys import CONVENTIONS, ENTRIES, WEIGHT_LIMIT

_REQUEST = BakeRequest()


def _source_changed(settings: object, _context: bpy.types.Context) -> None:
    """A new source: the previous photo's overlay picture goes."""
    from .operators import clear_preview

    clear_preview(keep_source=getattr(settings, "source_path", None))


def _is_mesh(_self: object, obj: bpy.types.Object) -> bool:
    return obj.type == "MESH"


def _is_armature(_self: object, obj: bpy.types.Object) -> bool:
    return obj.type == "ARMATURE"


_OUTPUT_ITEMS = [
    ("auto", "Auto", "Shape keys when the face mesh has a recognised set (ARKit-52, VRM, or a "
                     "mapping of its own), else the texture"),
    ("texture", "Texture", "Repaint the face texture per expression"),
    ("shapekeys", "Shape keys", "Key the face mesh's shape keys (no textures are made)"),
    ("both", "Both", "Repaint the texture and key the shape keys"),
]


class MoodrigShapeKeyRow(bpy.types.PropertyGroup):
    """One row of a face's shape-key mapping: key value += weight × expression entry."""

    key: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Shape key", description="Shape key of the face mesh")
    entry: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Entry", items=[(e, e, f"The track's {e} value (0–1)") for e in ENTRIES],
        description="Expression value that drives the key (_l/_r: the character's own side)")
    weight: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Weight", default=1.0, min=-WEIGHT_LIMIT, max=WEIGHT_LIMIT, soft_min=-2.0,
        soft_max=2.0, description="Factor; a key's value is clamp(Σ weight × entry, 0, 1)")


class MoodrigShapeKeySettings(bpy.types.PropertyGroup):
    """A face object's shape-key mapping, stored in the .blend (empty: the detected
    convention's table is used)."""

    rows: bpy.props.CollectionProperty(type=MoodrigShapeKeyRow)  # type: ignore[valid-type]
    active: bpy.props.IntProperty(name="Row", default=0)  # type: ignore[valid-type]
    convention: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="From", default="", description="Where the rows came from")
    missing: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Not found", default="", description="Mapped keys the mesh does not have")


class MoodrigSceneSettings(bpy.types.PropertyGroup):
    # Demo
    texture_size: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="Texture size", description="Resolution of the demo face texture, in pixels",
        default=512, min=64, max=4096)
    # Source
    source_path: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Source", subtype="FILE_PATH", update=_source_changed,
        description="A photo, the first file of a numbered image sequence, or a video of a real face")
    hold_frames: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="Photo frames", default=_REQUEST.hold_frames, min=1, max=100000,
        description="How many frames a single photo's expression is held for")
    person_baseline: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="Learn this person's neutral", default=_REQUEST.person_baseline,
        description="Video: read expressions against the person's own resting face, learnt from the frames "
                    "seen so far (for a face that rests slightly smiling or frowning). Re-analyse after changing")
    # Character
    face: bpy.props.PointerProperty(  # type: ignore[valid-type]
        name="Face mesh", type=bpy.types.Object, poll=_is_mesh,
        description="Mesh whose material carries the face texture (an Image Texture node), painted "
                    "with a neutral expression: every expression is edited from it")
    armature: bpy.props.PointerProperty(  # type: ignore[valid-type]
        name="Armature", type=bpy.types.Object, poll=_is_armature, description="The character's rig")
    bone_map: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Bone names",
        items=[(k, k.capitalize(), f"Bone names of the {k} rig") for k in BONE_MAP_PRESETS],
        default=_REQUEST.bone_map, description="Which rig's bone names to key")
    missing_bones: bpy.props.StringProperty(name="Missing bones", default="")  # type: ignore[valid-type]
    # Face outputs
    face_output: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Outputs", items=_OUTPUT_ITEMS, default=_REQUEST.face_output,
        description="Where the expressions show on the face")
    shape_key_convention: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Convention",
        items=[("auto", "Detect", "The convention the mesh's key names follow")]
              + [(c.name, c.label, f"{c.label} shape-key names") for c in CONVENTIONS.values()],
        default="auto",
        description="Shape-key names to map when the face has no rows of its own (Fill shows "
                    "them as rows to edit)")
    # Expressions
    quant_step: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Expression step", default=_REQUEST.quant_step, min=0.01, max=0.5,
        description="Expressions closer than this share one texture (fewer textures, less disk)")
    frame_start: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="Start frame", default=1, description="Scene frame the baked clip starts at")
    set_frame_range: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="Set frame range", default=_REQUEST.set_frame_range,
        description="Set the scene's frame range to the baked clip; untick to leave it as it is")
    batch: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="Batch", default=_REQUEST.batch, min=1, max=256,
        description="Textures generated per model call (more: faster on a GPU, more memory)")
    output_folder: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Output", subtype="DIR_PATH", default="",
        description="Folder for expression textures (empty: //moodrig/<face object>/ beside the .blend)")
    appearance_mode: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Appearance",
        items=[("parameters", "Parameters (AMEE-GAN)", "Repaint the face from the 8 expression values"),
               ("detailed", "Detailed transfer", "Redraw the detailed expression (lopsided smile, one raised brow) "
                                                 "in the character's style with the content/style model")],
        default=_REQUEST.appearance_mode, description="How the expression textures are generated")
    base_neutral: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="Neutral base texture", default=_REQUEST.base_neutral,
        description="The face texture shows the character's neutral face, and AMEE-GAN is told so (more exact "
                    "edits). Untick when it shows an expression: the model then judges it from the image")
    transfer_weights_path: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Fine-tuned transfer", subtype="FILE_PATH", default="",
        description="Manifest of this character's fine-tuned transfer model (empty: shipped weights)")
    finetune_sheet: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Expression sheet", subtype="FILE_PATH",
        description="JSON listing 3–8 labelled expression textures of this character (see README)")
    weights_path: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Fine-tuned weights", subtype="FILE_PATH", default="",
        description="Manifest of this character's fine-tuned AMEE-GAN (empty: shipped weights)")
    # Behavior
    behavior_source: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Behaviors", items=[("BUILTIN", "Built-in humanoid", "The shipped behavior library"),
                                 ("FILE", "Definition file", "Your own JSON/YAML definition")],
        default="BUILTIN")
    behavior_file: bpy.props.StringProperty(name="Definition", subtype="FILE_PATH")  # type: ignore[valid-type]
    seed: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="Seed", default=_REQUEST.seed, min=0, description="Same seed → identical keyframes")
    # Bake status
    progress: bpy.props.FloatProperty(name="Progress", default=0.0, min=0.0, max=1.0, subtype="FACTOR")  # type: ignore[valid-type]
    status: bpy.props.StringProperty(name="Status", default="")  # type: ignore[valid-type]


_classes = (MoodrigShapeKeyRow, MoodrigShapeKeySettings, MoodrigSceneSettings)
_register, _unregister = bpy.utils.register_classes_factory(_classes)


def register() -> None:
    _register()
    bpy.types.Scene.moodrig = bpy.props.PointerProperty(type=MoodrigSceneSettings)
    bpy.types.Object.moodrig_shape_keys = bpy.props.PointerProperty(type=MoodrigShapeKeySettings)


def unregister() -> None:
    del bpy.types.Object.moodrig_shape_keys
    del bpy.types.Scene.moodrig
    _unregister()
