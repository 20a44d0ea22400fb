"""Settings: one PropertyGroup on the Scene (``scene.moodrig``) and two on each Object
(``object.moodrig_face``: the face region and feature points; ``object.moodrig_shape_keys``: the
face's shape-key mapping), saved with the .blend and removed again in ``unregister``.

The bake options mirror :class:`~moodrig.core.request.BakeRequest` (their defaults are read from
it); ``operators.bake_request`` turns them into one. The device is an add-on preference.
"""

from __future__ import annotations

import bpy

from .core.request import BakeRequest
from .core.rig import BONE_MAP_PRESETS
from .core.shapekeys import CONVENTIONS, ENTRIES, WEIGHT_LIMIT

_REQUEST = BakeRequest()

OVERRIDABLE = {"LIBRARY_OVERRIDABLE"}
"""On an object's settings: a character linked from a library and overridden in a shot keeps
them in the shot, when the library's object holds the settings at all (otherwise reopening the
shot resets them to the library's). Only plain values: Blender keeps only some of a Python
collection's items in an override (``research/override_collections.py``)."""


def _source_changed(settings: object, _context: bpy.types.Context) -> None:
    """A new source: the previous photo's overlay picture goes."""
    from .operators import clear_preview

    clear_preview(keep_source=getattr(settings, "source_path", None))


def _is_mesh(_self: object, obj: bpy.types.Object) -> bool:
    return obj.type == "MESH"


def _is_armature(_self: object, obj: bpy.types.Object) -> bool:
    return obj.type == "ARMATURE"


def _shows_an_image(settings: bpy.types.PropertyGroup, mat: bpy.types.Material) -> bool:
    """A material of the face mesh's own slots with an image for the face texture (the user's,
    not moodrig's copy)."""
    from .bake import colour_image_node
    from .tags import is_moodrig

    face = settings.id_data
    slots = getattr(face, "material_slots", ())
    return (
        not is_moodrig(mat)
        and mat.use_nodes
        and colour_image_node(mat) is not None
        and any(slot.material == mat for slot in slots)
    )


_OUTPUT_ITEMS = [
    (
        "auto",
        "Auto",
        "Shape keys when the face mesh has a recognised set (ARKit-52, VRM, or a "
        "mapping of its own), else the texture",
    ),
    ("texture", "Texture", "Repaint the face texture per expression"),
    ("shapekeys", "Shape keys", "Key the face mesh's shape keys (no textures are made)"),
    ("both", "Both", "Repaint the texture and key the shape keys"),
]


class MoodrigShapeKeyRow(bpy.types.PropertyGroup):
    """One row of a face's shape-key mapping: key value += weight × expression entry."""

    key: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Shape key", description="Shape key of the face mesh"
    )
    entry: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Entry",
        items=[(e, e, f"The track's {e} value (0–1)") for e in ENTRIES],
        description="Expression value that drives the key (_l/_r: the character's own side)",
    )
    weight: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Weight",
        default=1.0,
        min=-WEIGHT_LIMIT,
        max=WEIGHT_LIMIT,
        soft_min=-2.0,
        soft_max=2.0,
        description="Factor; a key's value is clamp(Σ weight × entry, 0, 1)",
    )


class MoodrigShapeKeySettings(bpy.types.PropertyGroup):
    """A face object's shape-key mapping, stored in the .blend (empty: the detected
    convention's table is used)."""

    rows: bpy.props.CollectionProperty(type=MoodrigShapeKeyRow)  # type: ignore[valid-type]
    active: bpy.props.IntProperty(name="Row", default=0)  # type: ignore[valid-type]
    convention: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="From", default="", description="Where the rows came from"
    )
    missing: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Not found", default="", description="Mapped keys the mesh does not have"
    )


N_POINTS = 7
"""Feature points per face (``core/appearance/align.py: FEATURE_NAMES``; the add-on registers
without numpy or torch, so the count is repeated here and checked by the tests)."""


def _redraw_image_editors(_self: object, context: bpy.types.Context) -> None:
    for window in context.window_manager.windows:
        for area in window.screen.areas:
            if area.type == "IMAGE_EDITOR":
                area.tag_redraw()


def _toggle_preview(self: MoodrigSceneSettings, context: bpy.types.Context) -> None:
    from . import face_region_view

    face_region_view.show_preview(self.show_face_region)
    _redraw_image_editors(self, context)


class MoodrigFaceRegion(bpy.types.PropertyGroup):
    """Where the face is in an object's face texture, and its feature points
    (``object.moodrig_face``)."""

    region: bpy.props.FloatVectorProperty(  # type: ignore[valid-type]
        override=OVERRIDABLE,
        name="Region",
        size=4,
        default=(0.0, 0.0, 1.0, 1.0),
        min=0.0,
        max=1.0,
        precision=4,
        update=_redraw_image_editors,
        description=(
            "Face region of the texture in UV: left, bottom, right, top (v from the bottom). "
            "Only the region is edited; the whole texture by default"
        ),
    )
    material: bpy.props.PointerProperty(  # type: ignore[valid-type]
        override=OVERRIDABLE,
        name="Texture From",
        type=bpy.types.Material,
        poll=_shows_an_image,
        update=_redraw_image_editors,
        description=(
            "The material whose colour image holds the face (set from the face region's "
            "polygons; empty: the active material)"
        ),
    )
    points: bpy.props.FloatVectorProperty(  # type: ignore[valid-type]
        override=OVERRIDABLE,
        name="Feature points",
        size=2 * N_POINTS,
        default=(0.0,) * (2 * N_POINTS),
        description="Eyes, brows, mouth corners and mouth centre, x and y in pixels of the region "
        "(y down from its top edge)",
    )
    points_region: bpy.props.FloatVectorProperty(  # type: ignore[valid-type]
        override=OVERRIDABLE,
        name="Points region",
        size=4,
        default=(0.0, 0.0, 1.0, 1.0),
        description=(
            "The region the points were placed in (they are ignored once the region changes)"
        ),
    )
    points_size: bpy.props.IntVectorProperty(  # type: ignore[valid-type]
        override=OVERRIDABLE,
        name="Points size",
        size=2,
        default=(0, 0),
        min=0,
        description=(
            "Width and height of the region in pixels when the points were placed (0: none)"
        ),
    )
    points_confirmed: bpy.props.BoolProperty(  # type: ignore[valid-type]
        override=OVERRIDABLE,
        name="Confirmed",
        default=False,
        description="The artist placed or confirmed the points: the bake uses them instead of "
        "finding them again",
    )
    head_up: bpy.props.EnumProperty(  # type: ignore[valid-type]
        override=OVERRIDABLE,
        name="Face Lies",
        items=(
            (
                "MESH",
                "From Mesh",
                "Read from the mesh's UVs: turned and mirrored islands "
                "(falls back to the picture where the mesh does not tell)",
            ),
            (
                "PICTURE",
                "From Picture",
                "Found from the picture; the face is taken to be unmirrored",
            ),
            ("UP", "Head Up", "The top of the head points up in the texture"),
            ("RIGHT", "Head Right", "The top of the head points right in the texture"),
            ("DOWN", "Head Down", "The top of the head points down in the texture"),
            ("LEFT", "Head Left", "The top of the head points left in the texture"),
        ),
        default="MESH",
        description="Which way the face lies in its region of the texture (UV islands may be "
        "turned or mirrored); the locator looks at the face upright",
    )
    mirrored: bpy.props.BoolProperty(  # type: ignore[valid-type]
        override=OVERRIDABLE,
        name="Mirrored",
        default=False,
        description="The mesh shows the face texture flipped left to right (with a head "
        "direction set by hand)",
    )
    vertex_group: bpy.props.StringProperty(  # type: ignore[valid-type]
        override=OVERRIDABLE,
        name="Group",
        default="",
        description="Vertex group whose polygons cover the face (Region from Vertex Group)",
    )
    features_file: bpy.props.StringProperty(  # type: ignore[valid-type]
        override=OVERRIDABLE,
        name="Points file",
        subtype="FILE_PATH",
        default="",
        description="JSON file of feature points for the bake (empty: the confirmed points above, "
        "else found automatically)",
    )


class MoodrigSceneSettings(bpy.types.PropertyGroup):
    # Demo
    texture_size: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="Texture size",
        description="Resolution of the demo character's texture atlas, in pixels",
        default=1024,
        min=64,
        max=8192,
    )
    show_face_region: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="Show in Image Editor",
        default=False,
        update=_toggle_preview,
        description="Draw the face region and its feature points over the face texture in the "
        "Image Editor",
    )
    # Source
    source_path: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Source",
        subtype="FILE_PATH",
        update=_source_changed,
        description=(
            "A photo, the first file of a numbered image sequence, or a video of a real face"
        ),
    )
    hold_frames: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="Photo frames",
        default=_REQUEST.hold_frames,
        min=1,
        max=100000,
        description="How many frames a single photo's expression is held for",
    )
    person_baseline: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="Learn this person's neutral",
        default=_REQUEST.person_baseline,
        description=(
            "Video: read expressions against the person's own resting face, learnt from the "
            "frames seen so far (for a face that rests slightly smiling or frowning). "
            "Re-analyse after changing"
        ),
    )
    # Character
    face: bpy.props.PointerProperty(  # type: ignore[valid-type]
        name="Face mesh",
        type=bpy.types.Object,
        poll=_is_mesh,
        description="Mesh whose material carries the face texture (an Image Texture node), painted "
        "with a neutral expression: every expression is edited from it",
    )
    armature: bpy.props.PointerProperty(  # type: ignore[valid-type]
        name="Armature", type=bpy.types.Object, poll=_is_armature, description="The character's rig"
    )
    bone_map: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="From",
        items=[
            (
                "auto",
                "Auto",
                "Find each role's bone by name and hierarchy (Rigify, Mixamo, "
                "VRM, Unreal, metarig and plain names)",
            )
        ]
        + [(k, k.capitalize(), f"The {k} rig's bone names") for k in BONE_MAP_PRESETS],
        default=_REQUEST.bone_map,
        description="How Auto-map finds the bones, and what the bake uses when the armature "
        "has no stored bone map",
    )
    rest_pose: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Rest pose",
        items=[
            (
                "auto",
                "Detect",
                "Read T- or A-pose from the arms and bring them to the behaviors' rest",
            ),
            ("t-pose", "T-pose", "The arms rest horizontal, whatever the bones say"),
            ("a-pose", "A-pose", "The rig rests like the behaviors' rig: no correction"),
            ("keep", "Keep", "No rest correction"),
        ],
        default=_REQUEST.rest_pose,
        description="How the behaviors meet the rig's rest pose",
    )
    key_tolerance: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Key tolerance",
        default=_REQUEST.key_tolerance,
        min=0.0,
        max=10.0,
        precision=2,
        description="Sparse keys: largest rotation error of the keys, in degrees (0: a key "
        "on every frame)",
    )
    nla_strips: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="NLA strip per episode",
        default=_REQUEST.nla_strips,
        description="Key each behavior episode in its own action, played by one NLA strip",
    )
    bake_report: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Last bake",
        default="",
        description="The last bake's bone map and keys (one item per line)",
    )
    # Face outputs
    face_output: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Outputs",
        items=_OUTPUT_ITEMS,
        default=_REQUEST.face_output,
        description="Where the expressions show on the face",
    )
    shape_key_convention: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Convention",
        items=[("auto", "Detect", "The convention the mesh's key names follow")]
        + [(c.name, c.label, f"{c.label} shape-key names") for c in CONVENTIONS.values()],
        default="auto",
        description="Shape-key names to map when the face has no rows of its own (Fill shows "
        "them as rows to edit)",
    )
    rig_meshes: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="Rig's Other Meshes",
        default=_REQUEST.rig_meshes,
        description="Also key the same shape keys on the rig's other meshes that have them "
        "(teeth, tongue, eyes, lashes modelled apart)",
    )
    # Expressions
    quant_step: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Expression step",
        default=_REQUEST.quant_step,
        min=0.01,
        max=0.5,
        description="Expressions closer than this share one texture (fewer textures, less disk)",
    )
    frame_start: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="Start frame", default=1, description="Scene frame the baked clip starts at"
    )
    set_frame_range: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="Set frame range",
        default=_REQUEST.set_frame_range,
        description="Set the scene's frame range to the baked clip; untick to leave it as it is",
    )
    batch: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="Batch",
        default=_REQUEST.batch,
        min=1,
        max=256,
        description="Textures generated per model call (more: faster on a GPU, more memory)",
    )
    output_folder: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Output",
        subtype="DIR_PATH",
        default="",
        description="Folder for expression textures (empty: "
        "//moodrig-textures/<file name>/<face object>/ beside the .blend)",
    )
    appearance_mode: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Appearance",
        items=[
            (
                "parameters",
                "Parameters (AMEE-GAN)",
                "Edit the face from the 8 expression values with the face editor (AMEE-GAN with "
                "field heads), at the texture's resolution, inside the face region",
            ),
            (
                "detailed",
                "Detailed transfer",
                "Redraw the detailed expression (lopsided smile, one raised brow) "
                "in the character's style with the content/style model",
            ),
        ],
        default=_REQUEST.appearance_mode,
        description="How the expression textures are generated",
    )
    base_neutral: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="Neutral base texture",
        default=_REQUEST.base_neutral,
        description="The face texture shows the character's neutral face, and the model is told so "
        "(more exact edits). Untick when it shows an expression: the model then judges "
        "it from the image",
    )
    transfer_weights_path: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Fine-tuned transfer",
        subtype="FILE_PATH",
        default="",
        description=(
            "Manifest of this character's fine-tuned transfer model (empty: shipped weights)"
        ),
    )
    finetune_sheet: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Expression sheet",
        subtype="FILE_PATH",
        description="JSON listing 3–8 labelled expression textures of this character "
        "(docs/formats.md)",
    )
    weights_path: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Fine-tuned weights",
        subtype="FILE_PATH",
        default="",
        description="Manifest of this character's fine-tuned face editor, or of an AMEE-GAN, "
        "which then edits instead (empty: shipped weights)",
    )
    # Behavior
    behavior_source: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Behaviors",
        items=[
            ("BUILTIN", "Built-in humanoid", "The shipped behavior library"),
            ("FILE", "Definition file", "Your own JSON/YAML definition"),
        ],
        default="BUILTIN",
    )
    behavior_file: bpy.props.StringProperty(name="Definition", subtype="FILE_PATH")  # type: ignore[valid-type]
    seed: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="Seed", default=_REQUEST.seed, min=0, description="Same seed → identical keyframes"
    )
    # Bake status
    progress: bpy.props.FloatProperty(
        name="Progress", default=0.0, min=0.0, max=1.0, subtype="FACTOR"
    )  # type: ignore[valid-type]
    status: bpy.props.StringProperty(name="Status", default="")  # type: ignore[valid-type]


_classes = (MoodrigShapeKeyRow, MoodrigShapeKeySettings, MoodrigFaceRegion, MoodrigSceneSettings)
_register, _unregister = bpy.utils.register_classes_factory(_classes)


def register() -> None:
    _register()
    bpy.types.Scene.moodrig = bpy.props.PointerProperty(type=MoodrigSceneSettings)
    bpy.types.Object.moodrig_shape_keys = bpy.props.PointerProperty(type=MoodrigShapeKeySettings)
    bpy.types.Object.moodrig_face = bpy.props.PointerProperty(
        type=MoodrigFaceRegion, override=OVERRIDABLE
    )


def unregister() -> None:
    del bpy.types.Object.moodrig_face
    del bpy.types.Object.moodrig_shape_keys
    del bpy.types.Scene.moodrig
    _unregister()
