"""Python API for scripted scene generation: ``moodrig.api.bake(scene, face, armature, request)``.

``request`` is a :class:`BakeRequest` (``core/request.py``, re-exported here): the same object
the sidebar's Bake button and the ``bake`` command line build. Example (three characters,
three seeds, one scene) is in the README. Errors are
:class:`moodrig.core.errors.MoodrigError` subclasses with messages written for users.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import bpy

from . import bake as scene_bake
from . import behavior_keys, bone_maps, shape_keys
from .core.bake_job import BakeInputs, ComputedBake, compute_bake
from .core.bonemap import UNMAPPED, BoneMapReport, check_bake_coverage
from .core.editor import Editor
from .core.errors import InputError
from .core.outputs import check_folder
from .core.pipeline import BakeOutput, Progress, drive
from .core.request import BakeRequest
from .core.shapekeys import shape_key_sync
from .core.track import ExpressionTrack, resample_track
from .face_region import stored_setup
from .records import SUMMARY_PROP, SYNC_PROP

__all__ = [
    "BakeRequest",
    "BakeResult",
    "bake",
    "bake_steps",
    "compute_bake",
    "prepare_bake",
    "resolve_bone_map",
    "write_bake",
]


@dataclass
class BakeResult:
    """What a bake wrote, and how well the tracks agree."""

    action: Any
    material: Any
    """moodrig's copy of the face material; None without the texture output."""
    image: Any
    """The expression image sequence; None without the texture output."""
    folder: Path
    n_frames: int
    frame_start: int
    distinct_textures: int
    generated_textures: int
    texture_bytes: int
    sync: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    missing_bones: list[str] = field(default_factory=list)
    """The roles no bone plays (skipped; also in ``warnings``)."""
    face_outputs: tuple[str, ...] = ("texture",)
    """What the face got: ``texture`` and/or ``shapekeys`` (``BakeRequest.face_output``)."""
    shape_key_action: Any = None
    """moodrig's action on the face mesh's shape keys; None without the shape-key output."""
    shape_key_convention: str | None = None
    """Where the mapping came from: a convention name, or that of a stored or loaded map."""
    keyed_shape_keys: list[str] = field(default_factory=list)
    missing_shape_keys: list[str] = field(default_factory=list)
    """Keys of the mapping the face mesh does not have (not keyed)."""
    other_meshes: dict[str, int] = field(default_factory=dict)
    """The character's other meshes keyed with the face's curves (teeth, eyes, lashes), and
    how many shape keys each got (``BakeRequest.rig_meshes``)."""
    bone_map: BoneMapReport | None = None
    """How each role found its bone (``core.bonemap.BoneMapReport``: bone, status auto /
    doubtful / manual / unmapped, reason; ``.lines()`` prints it)."""
    bone_map_summary: str = ""
    """One line: roles mapped, unmapped and doubtful."""
    warnings: list[str] = field(default_factory=list)
    """One line per unmapped (skipped) and doubtful role, naming it."""
    rest_pose: str = ""
    """The rig's rest pose as detected (``t-pose``, ``a-pose``, ``other``, ``unknown``)."""
    behavior_keys: int = 0
    """Keys written on the rig (sparse)."""
    dense_keys: int = 0
    """Keys a key on every frame of every keyed channel would take."""
    max_key_deviation_deg: float = 0.0
    """Largest rotation, in degrees, between the written keys as Blender evaluates them and
    the dense motion, over every keyed bone and frame."""
    actions: list[Any] = field(default_factory=list)
    """Every behavior action written (one, or one per episode with NLA strips)."""
    nla_track: Any = None
    """moodrig's NLA track with one strip per episode; None without NLA strips."""

    @property
    def key_reduction(self) -> float:
        """1 − written keys / dense keys."""
        return 1.0 - self.behavior_keys / max(self.dense_keys, 1)

    def keys_line(self) -> str:
        """The key count and the largest deviation, for a summary."""
        return (
            f"{self.behavior_keys} keys on the rig ({self.dense_keys} dense, "
            f"-{100 * self.key_reduction:.1f} %), max deviation "
            f"{self.max_key_deviation_deg:.3f}°"
        )


def _object(value: Any, kind: str) -> Any:
    obj = bpy.data.objects.get(value) if isinstance(value, str) else value
    if obj is None:
        raise InputError(None, f"no object named '{value}' for the {kind}")
    return obj


def resolve_bone_map(armature: Any, bone_map: str | Path | Mapping[str, str]) -> BoneMapReport:
    """The report of a request's bone map (``auto``, a preset, a ``.json`` file or a role →
    bone mapping) against ``armature`` (an object or its name)."""
    return bone_maps.resolve(_object(armature, "armature"), bone_map)


def _blender_path(path: Path) -> Path:
    """``//``-relative (to the open .blend) → absolute; other paths unchanged."""
    return Path(bpy.path.abspath(str(path)))


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


@dataclass
class PreparedBake:
    """A bake read out of the scene (main thread): the objects :func:`write_bake` writes to,
    the settled bone map, and the plain :class:`BakeInputs` the computation runs on (here, or
    in a child process)."""

    scene: Any
    face_obj: Any
    arm_obj: Any
    report: BoneMapReport
    """The resolved bone map (the keys are prepared from it after the computation)."""
    map_line: str
    """``bone_maps.summary``'s line: roles mapped, unmapped and doubtful."""
    warnings: list[str]
    """Unmapped and doubtful roles, and limb hints, one line each."""
    start: int
    face: Any
    """``shape_keys.plan``'s answer: which outputs the face gets, and the shape-key mapping."""
    inputs: BakeInputs
    others: shape_keys.RigMeshes = field(default_factory=shape_keys.RigMeshes)
    """The character's other meshes keyed with the face's curves."""
    started: float = field(default_factory=time.perf_counter)


def prepare_bake(
    scene: Any,
    face: Any,
    armature: Any,
    request: BakeRequest,
    *,
    track: ExpressionTrack | None = None,
    editor: Editor | None = None,
    blend_path: str | Path | None = None,
) -> PreparedBake:
    """Check the request against the scene and read the bake's inputs (main thread): the bone
    map is settled (a map with too few roles refused) and the texture folder checked before
    anything is analysed or made."""
    scene = scene or bpy.context.scene
    face_obj = _object(face, "face")
    arm_obj = _object(armature, "armature")
    if arm_obj.type != "ARMATURE":
        raise InputError(None, f"'{arm_obj.name}' is not an armature")
    request = request.with_paths(_blender_path)
    report = bone_maps.resolve(arm_obj, request.bone_map)
    check_bake_coverage(report.bone_map)
    map_line, warnings = bone_maps.summary(report)
    warnings += bone_maps.limb_hints(arm_obj, report.bone_map)
    fps = scene.render.fps / scene.render.fps_base
    start = scene.frame_start if request.frame_start is None else request.frame_start
    folder = request.texture_folder or scene_bake.output_folder(
        face_obj.name, str(blend_path or bpy.data.filepath), Path(tempfile.gettempdir())
    )
    check_folder(folder)  # before the analysis and the first texture: one line if unwritable
    if track is None and request.source is None:
        raise InputError(
            None, "give a source (photo, image sequence or video) or an expression track"
        )
    if track is not None and abs(track.fps - fps) > 1e-6:
        track = resample_track(track, fps)
    plan = shape_keys.plan(face_obj, request)
    base = scene_bake.base_texture(face_obj) if plan.texture else None
    bits = scene_bake.base_texture_bits(face_obj) if plan.texture else 8
    rows = plan.mapping.rows if plan.mapping is not None else None
    others = shape_keys.RigMeshes()
    if plan.mapping is not None and request.rig_meshes:
        others = shape_keys.rig_meshes(face_obj, arm_obj, plan.mapping.keys(), scene.objects)
        warnings += others.warnings
    inputs = BakeInputs(
        request,
        fps,
        track,
        base,
        rows,
        stored_setup(face_obj, request.region),
        folder.resolve(),
        editor,
        bits,
    )
    return PreparedBake(
        scene, face_obj, arm_obj, report, map_line, warnings, start, plan, inputs, others
    )


def write_bake(prep: PreparedBake, computed: ComputedBake) -> BakeResult:
    """Key the behavior through the rig's rest pose, write both tracks into the scene as one
    transaction and record the sync figures (main thread)."""
    from .core.sync_verdict import sync_verdict

    output, face_obj, arm_obj = computed.output, prep.face_obj, prep.arm_obj
    scene, start, request = prep.scene, prep.start, prep.inputs.request
    t1 = time.perf_counter()
    keys = behavior_keys.prepare(
        arm_obj,
        output.curves,
        prep.report.bone_map,
        start,
        rest_pose=request.rest_pose,
        tolerance_deg=request.key_tolerance,
        timeline=output.behavior.timeline if request.nla_strips else None,
    )
    keys_s = time.perf_counter() - t1
    targets = scene_bake.SceneTargets(
        face_obj, arm_obj, keys, request.nla_strips, prep.others.meshes
    )
    sync: dict[str, Any] = {}
    deviation = [0.0]

    def record_sync(written: behavior_keys.Written) -> None:
        curves, deviation[0] = behavior_keys.read_back(arm_obj, written.actions, keys)
        sync.update(_sync_from_keyframes(curves, output))
        if output.shape_keys is not None:
            read = shape_keys.read_back(face_obj, list(output.shape_keys))
            sync.update(shape_key_sync(output.shape_keys, read, output.track.fps))
        sync.update(_clean(computed.texture_sync))
        verdict = sync_verdict(sync)
        sync.update(verdict=verdict.sentence, verdict_ok=verdict.ok)
        for action in written.actions:
            action[SYNC_PROP] = _json(sync)

    frame_range = (start, start + len(output.track) - 1) if request.set_frame_range else None
    written, material, image = scene_bake.apply(
        scene, targets, output.frames, start, record_sync, output.shape_keys, frame_range
    )
    scene[SYNC_PROP] = _json(sync)
    timings = {
        "analysis_s": computed.analysis_s,
        **output.timings,
        "keys_s": keys_s,
        "wall_s": time.perf_counter() - prep.started,
    }
    face = prep.face
    resolved = face.mapping
    result = BakeResult(
        written.action,
        material,
        image,
        prep.inputs.folder,
        len(output.track),
        start,
        output.cache.distinct,
        output.cache.generated,
        output.cache.bytes_on_disk,
        sync,
        timings,
        list(prep.report.roles(UNMAPPED)),
        face.outputs,
        shape_keys.baked_action(face_obj),
        resolved.convention if resolved else None,
        list(resolved.keys()) if resolved else [],
        list(resolved.missing) if resolved else [],
        other_meshes=dict(prep.others.keys) if output.shape_keys is not None else {},
        bone_map=prep.report,
        bone_map_summary=prep.map_line,
        warnings=prep.warnings,
        rest_pose=keys.plan.rest_pose.kind,
        behavior_keys=keys.key_count,
        dense_keys=keys.dense_count,
        max_key_deviation_deg=math.degrees(deviation[0]),
        actions=written.actions,
        nla_track=written.track,
    )
    scene[SUMMARY_PROP] = _json(summary(result))
    return result


def summary(result: BakeResult) -> dict[str, Any]:
    """What the panel shows first about a bake: frames, textures, shape keys, seconds."""
    return {
        "frames": result.n_frames,
        "textures": result.distinct_textures,
        "new_textures": result.generated_textures,
        "shape_keys": len(result.keyed_shape_keys) if "shapekeys" in result.face_outputs else None,
        "other_meshes": dict(result.other_meshes),
        "outputs": list(result.face_outputs),
        "seconds": round(result.timings["wall_s"], 1),
    }


def bake_steps(
    scene: Any,
    face: Any,
    armature: Any,
    request: BakeRequest,
    *,
    track: ExpressionTrack | None = None,
    editor: Editor | None = None,
    blend_path: str | Path | None = None,
) -> Generator[Progress, None, BakeResult]:
    """The bake as steps, all on the calling thread; see :func:`bake`."""
    prep = prepare_bake(
        scene, face, armature, request, track=track, editor=editor, blend_path=blend_path
    )
    computed = yield from compute_bake(prep.inputs)
    yield Progress("behavior keys", 1.0)
    return write_bake(prep, computed)


def _json(value: Any) -> str:
    import json

    return json.dumps(value)


def _sync_from_keyframes(curves: Mapping[str, Any], output: BakeOutput) -> dict[str, Any]:
    """Sync figures computed from the keyframes as written (``curves``: read back from them
    through the rig), not from the sampler, on the channels the behaviors drive (the planted
    legs follow the hips, not the face: ``driven_channels``)."""
    from .core.bpfa import driven_channels, sync_metrics

    report = sync_metrics(
        output.track,
        driven_channels(curves, output.curves),
        output.bpfa,
        output.behavior.events,
    )
    out: dict[str, Any] = _clean(asdict(report))
    return out


def bake(
    scene: Any,
    face: Any,
    armature: Any,
    request: BakeRequest,
    *,
    track: ExpressionTrack | None = None,
    editor: Editor | None = None,
    progress: Callable[[Progress], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    blend_path: str | Path | None = None,
) -> BakeResult:
    """Generate both tracks for one character, synchronized, and write them into ``scene``.

    ``scene``: the scene to write into (None: the current one). ``face``: the face mesh (object
    or name) whose material has the face texture (only its face region is edited: the
    request's, else the one stored on the object, with the object's confirmed feature points)
    and/or whose shape keys are keyed (``request.face_output``); ``armature``: the rig.
    ``request``: every
    option of the bake (:class:`BakeRequest`: source, seed, bone map, appearance mode, …);
    its ``//``-relative paths are read against the open .blend. ``track``: an analysed
    :class:`ExpressionTrack` to bake instead of ``request.source``. ``editor``: an appearance
    model to use instead of loading the requested weights (``core.editor.Editor``).
    ``progress`` receives each :class:`Progress` step; ``cancelled()`` is asked after each step
    (True raises InterruptedError, the scene unchanged). ``blend_path``: the .blend the result
    will be saved as, whose folder holds the default texture folder (None: the open file).
    Same inputs and seed → identical keyframes and texture bytes.

    The bone map is resolved first (``request.bone_map``; unmapped roles are skipped and named
    in ``BakeResult.warnings``); a map with fewer than the head plus one other role raises
    :class:`~moodrig.core.bonemap.BoneMapError` before anything is generated.
    """
    steps = bake_steps(
        scene, face, armature, request, track=track, editor=editor, blend_path=blend_path
    )
    return drive(steps, progress, cancelled)
