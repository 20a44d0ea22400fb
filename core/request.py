"""What the user asks a bake for: one frozen :class:`BakeRequest`, shared by every front end.

The sidebar (``blender_addon/operators.py: bake_request``), the command line (its ``bake``
flags are generated from the fields here, ``blender_addon/cli.py``) and the Python API
(``moodrig.api.bake(scene, face, armature, request)``) all build this one object, so an option
exists everywhere or nowhere. Each field carries its command-line flag, help text and choices as
``dataclasses.field`` metadata (read by :func:`request_options`).

Standard library only: the add-on imports this at registration, before the user has installed
numpy or torch.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .errors import InputError
from .rig import BONE_MAP_PRESETS, REST_POSE_MODES
from .shapekeys import CONVENTIONS, FACE_OUTPUTS, ShapeKeyMap

APPEARANCE_MODES: tuple[str, ...] = ("parameters", "detailed")
"""How the expression textures are generated: ``parameters`` = the face editor (AMEE-GAN with
field heads, ``core/appearance``) from the 8 shared values; ``detailed`` = the
style-consistent transfer model (``core/transfer``) from the per-side detail vectors (a
lopsided smile, one raised brow)."""
DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda", "mps")
"""Torch devices a bake can run on; ``auto`` picks CUDA, then Apple MPS, then the CPU."""


def _cli(
    help: str,
    *,
    flag: str | None = None,
    choices: tuple[str, ...] | None = None,
    metavar: str | None = None,
) -> dict[str, Any]:
    """A field's command-line face (``field`` metadata): ``flag`` defaults to
    ``--field-name``; a bool field's flag switches it away from its default."""
    return {"flag": flag, "help": help, "choices": choices, "metavar": metavar}


@dataclass(frozen=True)
class BakeRequest:
    """Every user-facing option of a bake. Paths may be given as strings; they are stored as
    :class:`~pathlib.Path`. Invalid values raise :class:`InputError` with a one-line message."""

    source: Path | None = field(
        default=None,
        metadata=_cli("photo, first file of a numbered image sequence, or video", metavar="FILE"),
    )
    """The real face to follow: a photo, the first file of a numbered image sequence, or a
    video. None: the caller passes an analysed ``ExpressionTrack`` instead (which also wins
    over a source when both are given)."""
    hold_frames: int = field(
        default=48, metadata=_cli("frames a single photo's expression is held for")
    )
    """Frames a single photo's expression is held for (≥ 1); sequences and videos ignore it."""
    person_baseline: bool = field(
        default=False,
        metadata=_cli(
            "video: read expressions against the person's own neutral face (docs/face.md)"
        ),
    )
    """Video: read expressions against the person's own resting face, learnt from the frames
    seen so far, for a face that rests slightly smiling or frowning (docs/face.md)."""
    bone_map: str | Path | Mapping[str, str] = field(
        default="auto",
        metadata=_cli(
            "which bone plays each role: auto (the map stored on the armature, else found by "
            f"name), a preset ({', '.join(BONE_MAP_PRESETS)}) or a bone map file (.json)",
            metavar="auto|PRESET|FILE.json",
        ),
    )
    """Which bone of the rig plays each bone role (docs/rigs.md): ``auto`` (the map stored on
    the armature by the sidebar, else :func:`core.bonemap.auto_map` by name and hierarchy), a
    preset name (``core.rig.BONE_MAP_PRESETS``), a bone map file (``moodrig.bonemap/1`` JSON;
    a string ending in ``.json`` becomes a path) or a role → bone-name mapping (kept as a
    read-only copy; roles the rig lacks are left out). Unmapped roles are skipped with a
    warning; fewer than the head plus one other role is refused."""
    rest_pose: str = field(
        default="auto",
        metadata=_cli(
            "the rig's rest pose: auto (detected from the arms), t-pose, a-pose or keep (no "
            "correction)",
            choices=REST_POSE_MODES,
        ),
    )
    """How the canonical motion meets the rig's rest pose, one of ``REST_POSE_MODES``
    (``core.retarget.RetargetConfig.rest_pose``): ``auto`` brings the arms from their measured
    rest direction to the canonical one; ``t-pose`` takes them as horizontal whatever the
    bones say; ``a-pose`` and ``keep`` correct nothing."""
    key_tolerance: float = field(
        default=0.5,
        metadata=_cli(
            "sparse keys: largest rotation error of the keys, in degrees, in [0, 10] "
            "(0: a key on every frame)",
            metavar="DEGREES",
        ),
    )
    """Sparse keys: the keys written reproduce each bone's per-frame rotation within this many
    degrees at every frame (``core.keyreduce``), in [0, 10]; 0 keys every frame."""
    nla_strips: bool = field(
        default=False,
        metadata=_cli("one NLA strip (and action) per behavior episode instead of one action"),
    )
    """Key each behavior episode (consecutive segments of one behavior) into its own action,
    played by one NLA strip each on a moodrig track, instead of one action for the clip."""
    frame_start: int | None = field(
        default=None, metadata=_cli("first frame of the bake (default: the scene's start frame)")
    )
    """First scene frame of the baked clip; None: the scene's start frame."""
    set_frame_range: bool = field(
        default=True,
        metadata=_cli(
            "leave the scene's frame range as it is (default: set it to the baked clip)",
            flag="--keep-frame-range",
        ),
    )
    """Set the scene's frame range to the baked clip; False leaves it as it is."""
    seed: int = field(
        default=0, metadata=_cli("seed of the behavior automaton (same seed, identical keyframes)")
    )
    """Seed of the behavior automaton (≥ 0): the same inputs and seed give identical keyframes
    and texture bytes."""
    behaviors: Path | None = field(
        default=None,
        metadata=_cli(
            "behavior definition file, JSON or YAML (default: the built-in humanoid library)",
            metavar="FILE",
        ),
    )
    """Behavior definition file (JSON/YAML); None: the shipped humanoid library."""
    appearance_mode: str = field(
        default="parameters",
        metadata=_cli(
            "parameters: the face editor (AMEE-GAN with field heads) from the 8 expression values; "
            "detailed: the style-transfer model from per-side values (lopsided smiles, one raised "
            "brow)",
            flag="--appearance",
            choices=APPEARANCE_MODES,
        ),
    )
    """How the textures are generated, one of :data:`APPEARANCE_MODES`."""
    base_neutral: bool = field(
        default=True,
        metadata=_cli(
            "the face texture shows an expression (default: neutral, and the model is told so)",
            flag="--base-not-neutral",
        ),
    )
    """The base texture shows the character's neutral face and the appearance model is told
    so: from a known source its edits are more exact. False: the texture shows some
    expression, and the model judges it from the image. Parameters mode only."""
    region: tuple[float, float, float, float] | None = field(
        default=None,
        metadata=_cli(
            "face region of the texture in UV, v from the bottom (default: the face object's)",
            metavar="U0,V0,U1,V1",
        ),
    )
    """Where the face is in the face texture: a UV rectangle (u0, v0, u1, v1), v measured from
    the bottom as in Blender, 0 <= u0 < u1 <= 1 and 0 <= v0 < v1 <= 1; text ``"u0,v0,u1,v1"``
    is accepted too. Only the region is edited; every pixel outside it stays as it is. None:
    the region stored on the face object (the whole texture when it has none). Which way the
    face lies in it (turned, mirrored) follows the face object's *Face* setting, read from the
    mesh by default."""
    features: Path | None = field(
        default=None,
        metadata=_cli(
            "feature points JSON (default: the face object's confirmed points, else found)",
            metavar="FILE.json",
        ),
    )
    """JSON file of the face's 7 feature points in pixels of the region (docs/face_region.md).
    None: the points stored on the face object when the artist confirmed them, else they are
    found automatically."""
    quant_step: float = field(
        default=0.05, metadata=_cli("expressions closer than this share one texture, in (0, 0.5]")
    )
    """Expression quantisation step of the texture cache, in expression units, in (0, 0.5]:
    expressions closer than this share one texture (smaller: more textures, more disk)."""
    weights: Path | None = field(
        default=None,
        metadata=_cli(
            "fine-tuned face-editor or AMEE-GAN manifest (parameters mode)", metavar="MANIFEST"
        ),
    )
    """Manifest of this character's fine-tuned face editor (or of an AMEE-GAN, which then edits
    instead); None: the shipped weights."""
    transfer_weights: Path | None = field(
        default=None,
        metadata=_cli("fine-tuned transfer-model manifest (detailed mode)", metavar="MANIFEST"),
    )
    """Manifest of this character's fine-tuned transfer model; None: the shipped weights."""
    texture_folder: Path | None = field(
        default=None,
        metadata=_cli(
            "texture folder (default moodrig-textures/<out stem>/<face>/ beside the output "
            ".blend; // is the output's folder)",
            flag="--textures",
            metavar="DIR",
        ),
    )
    """Folder for the expression textures; None: ``//moodrig-textures/<.blend stem>/<face
    object>/`` beside the .blend (a temporary folder for an unsaved file; the command line
    uses the output .blend). moodrig writes only its ``cache/`` and ``sequence/`` there."""
    device: str = field(default="auto", metadata=_cli("where the networks run", choices=DEVICES))
    """Torch device for the appearance model, one of :data:`DEVICES`."""
    batch: int = field(
        default=8, metadata=_cli("textures generated per model call (more: faster on a GPU)")
    )
    """Textures generated per model call (≥ 1); progress and cancel land between calls."""
    face_output: str = field(
        default="auto",
        metadata=_cli(
            "where the expressions show: the face texture, the face mesh's shape keys, or both "
            "(auto: shape keys when the mesh has a recognised set, else the texture)",
            choices=FACE_OUTPUTS,
        ),
    )
    """Where the expression track shows on the face, one of :data:`FACE_OUTPUTS`:
    ``texture`` repaints the face texture; ``shapekeys`` keys the face mesh's shape keys
    (ARKit-52, VRM 0.x/VRoid, VRM 1.0 or a mapping of its own, docs/shapekeys.md), and makes
    no textures; ``both``; ``auto`` keys the shape keys when the mesh has a recognised set (a
    mapping of its own, or at least ``core.shapekeys.RECOGNISED_MIN`` keys of a convention)
    and repaints the texture otherwise."""
    shape_key_map: str | Path | ShapeKeyMap | None = field(
        default=None,
        metadata=_cli(
            f"shape-key mapping: a JSON mapping file, or a convention ({', '.join(CONVENTIONS)}) "
            "(default: the face's stored mapping, else the detected convention)",
            metavar="FILE|CONVENTION",
        ),
    )
    """Which shape keys the track keys, and how: a convention name
    (``core.shapekeys.CONVENTIONS``), a mapping file (JSON, ``core.shapekeys.load_map``) or a
    :class:`~core.shapekeys.ShapeKeyMap`; None: the mapping stored on the face object (the
    sidebar's rows), else the convention detected from the mesh's key names."""
    rig_meshes: bool = field(
        default=True,
        metadata=_cli(
            "key only the face mesh's shape keys (default: also the same shape keys on the "
            "rig's other meshes: teeth, tongue, eyes, lashes)",
            flag="--face-mesh-only",
        ),
    )
    """Also key the mapped shape keys on the character's other meshes, those the rig deforms
    (an Armature modifier) or carries (parented to it) that have any of them, with the face
    mesh's curves: teeth, tongue, eyes and lashes modelled apart then open, look and blink
    with the face. False: only the face mesh."""

    def __post_init__(self) -> None:
        for name in _path_fields():
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, Path(value))
            elif value is not None and not isinstance(value, Path):
                raise InputError(None, f"{name} must be a path, got {value!r}")
        _check_int("hold_frames", self.hold_frames, low=1)
        _check_bool("person_baseline", self.person_baseline)
        object.__setattr__(self, "bone_map", _bone_map(self.bone_map))
        _check_choice("rest pose", self.rest_pose, REST_POSE_MODES)
        tol = self.key_tolerance
        if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not 0.0 <= tol <= 10.0:
            raise InputError(
                None, f"the key tolerance must be a number of degrees in [0, 10], got {tol!r}"
            )
        _check_bool("nla_strips", self.nla_strips)
        if self.frame_start is not None:
            _check_int("frame_start", self.frame_start)
        _check_bool("set_frame_range", self.set_frame_range)
        _check_int("seed", self.seed, low=0)
        _check_choice("appearance mode", self.appearance_mode, APPEARANCE_MODES)
        _check_bool("base_neutral", self.base_neutral)
        if self.region is not None:
            object.__setattr__(self, "region", _region(self.region))
        step = self.quant_step
        if isinstance(step, bool) or not isinstance(step, numbers.Real) or not 0.0 < step <= 0.5:
            raise InputError(
                None, f"the expression step must be a number in (0, 0.5], got {step!r}"
            )
        _check_choice("device", self.device, DEVICES)
        _check_int("batch", self.batch, low=1)
        _check_choice("face output", self.face_output, FACE_OUTPUTS)
        _check_bool("rig_meshes", self.rig_meshes)
        object.__setattr__(self, "shape_key_map", _shape_key_map(self.shape_key_map))

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickles (a bake's computation may run in a child process): a bone-map mapping
        travels as a plain dict."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        if isinstance(self.bone_map, Mapping):
            values["bone_map"] = dict(self.bone_map)
        return (_request_from, (values,))

    def with_paths(self, resolve: Callable[[Path], Path]) -> BakeRequest:
        """The same request with every path passed through ``resolve`` (e.g. Blender's
        ``//``-relative paths made absolute)."""
        changes: dict[str, Any] = {
            f.name: resolve(getattr(self, f.name))
            for f in fields(self)
            if isinstance(getattr(self, f.name), Path)
        }
        return dataclasses.replace(self, **changes)


def _request_from(values: dict[str, Any]) -> BakeRequest:
    return BakeRequest(**values)


@dataclass(frozen=True)
class RequestOption:
    """One :class:`BakeRequest` field as a command-line option."""

    name: str
    """Field name (the parsed value's ``dest``)."""
    flag: str
    """Command-line flag, e.g. ``--quant-step``."""
    help: str
    default: Any
    choices: tuple[str, ...] | None
    metavar: str | None
    parse: Callable[[str], Any] | None
    """Turns the flag's text into the field's value; None: a switch without a value (a bool
    field, the flag sets it to ``not default``)."""


def request_options() -> Iterator[RequestOption]:
    """The command-line face of every :class:`BakeRequest` field, in field order."""
    hints = typing.get_type_hints(BakeRequest)
    for f in fields(BakeRequest):
        meta = f.metadata
        flag = meta["flag"] or "--" + f.name.replace("_", "-")
        yield RequestOption(
            f.name,
            flag,
            meta["help"],
            f.default,
            meta["choices"],
            meta["metavar"],
            _parser(hints[f.name]),
        )


def _parser(hint: Any) -> Callable[[str], Any] | None:
    """bool → a switch; otherwise the first concrete type of the hint (None stripped)."""
    if hint is bool:
        return None
    args = [a for a in typing.get_args(hint) if a is not type(None)] or [hint]
    first = typing.get_origin(args[0]) or args[0]
    if first in (int, float, Path):
        parse: Callable[[str], Any] = first
        return parse
    return str


@functools.cache
def _path_fields() -> frozenset[str]:
    hints = typing.get_type_hints(BakeRequest)
    # A field that also takes a plain string (a name or a path) decides for itself.
    return frozenset(
        f.name
        for f in fields(BakeRequest)
        if hints[f.name] is Path
        or (Path in typing.get_args(hints[f.name]) and str not in typing.get_args(hints[f.name]))
    )


def _check_int(name: str, value: Any, low: int | None = None) -> None:
    whole = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not whole or (low is not None and value < low):
        bound = "" if low is None else f" ≥ {low}"
        raise InputError(None, f"{name} must be a whole number{bound}, got {value!r}")


def _check_bool(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise InputError(None, f"{name} must be True or False, got {value!r}")


def _check_choice(what: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise InputError(None, f"unknown {what} {value!r}; use one of {', '.join(choices)}")


def _region(value: Any) -> tuple[float, float, float, float]:
    """A face region from a 4-sequence or ``"u0,v0,u1,v1"`` text; InputError when invalid."""
    if isinstance(value, str):
        try:
            parts: Any = [float(p) for p in value.split(",")]
        except ValueError:
            parts = []
    else:
        parts = list(value) if isinstance(value, (tuple, list)) else []
    if len(parts) != 4 or not all(
        isinstance(v, numbers.Real) and not isinstance(v, bool) for v in parts
    ):
        raise InputError(None, f"face region {value!r} must be four numbers u0,v0,u1,v1")
    u0, v0, u1, v1 = (float(v) for v in parts)
    if not all(math.isfinite(v) for v in (u0, v0, u1, v1)) or not (
        0.0 <= u0 < u1 <= 1.0 and 0.0 <= v0 < v1 <= 1.0
    ):
        raise InputError(
            None,
            f"face region (u0, v0, u1, v1) = {(u0, v0, u1, v1)} must satisfy "
            "0 <= u0 < u1 <= 1 and 0 <= v0 < v1 <= 1",
        )
    return (u0, v0, u1, v1)


def _bone_map(bone_map: Any) -> str | Path | Mapping[str, str]:
    """``auto`` and preset names stay names, a ``.json`` name becomes a path, a mapping a
    read-only copy."""
    if isinstance(bone_map, Path):
        return bone_map
    if isinstance(bone_map, str):
        if bone_map == "auto" or bone_map in BONE_MAP_PRESETS:
            return bone_map
        if bone_map.strip().lower().endswith(".json"):
            return Path(bone_map)
        raise InputError(
            None,
            f"unknown bone map '{bone_map}'; use auto, one of "
            f"{sorted(BONE_MAP_PRESETS)} or a bone map file (.json)",
        )
    if not isinstance(bone_map, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in bone_map.items()
    ):
        raise InputError(
            None,
            "the bone map must be auto, a preset name, a .json file or a "
            f"role → bone-name mapping of strings, got {bone_map!r}",
        )
    return MappingProxyType(dict(bone_map))


def _shape_key_map(value: Any) -> str | Path | ShapeKeyMap | None:
    """A convention name stays a name; any other string is a mapping file's path."""
    if value is None or isinstance(value, (Path, ShapeKeyMap)):
        return value
    if isinstance(value, str) and value.strip():
        return value if value in CONVENTIONS else Path(value)
    raise InputError(
        None,
        f"shape_key_map must be a convention ({', '.join(CONVENTIONS)}), a "
        f"mapping file or a ShapeKeyMap, got {value!r}",
    )
