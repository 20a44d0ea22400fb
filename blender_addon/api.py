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
from . import shape_keys
from .core.bake_job import BakeInputs, ComputedBake, compute_bake
from .core.editor import Editor
from .core.errors import InputError
from .core.pipeline import BakeOutput, Progress, drive
from .core.request import BakeRequest
from .core.rig import BONE_MAP_PRESETS
from .core.shapekeys import shape_key_sync
from .core.track import ExpressionTrack, resample_track
from .records import SUMMARY_PROP, SYNC_PROP

__all__ = ["BakeRequest", "BakeResult", "bake", "bake_steps", "compute_bake", "prepare_bake",
           "resolve_bone_map", "write_bake"]


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
    face_outputs: tuple[str, ...] = ("texture",)
    """What the face got: ``texture`` and/or ``shapekeys`` (``BakeRequest.face_output``)."""
    shape_key_action: Any = None
    """moodrig's action on the face mesh's shape keys; None without the shape-key output."""
    shape_key_convention: str | None = None
    """Where the mapping came from: a convention name, or that of a stored or loaded map."""
    keyed_shape_keys: list[str] = field(default_factory=list)
    missing_shape_keys: list[str] = field(default_factory=list)
    """Keys of the mapping the face mesh does not have (not keyed)."""


def _object(value: Any, kind: str) -> Any:
    obj = bpy.data.objects.get(value) if isinstance(value, str) else value
    if obj is None:
        raise InputError(None, f"no object named '{value}' for the {kind}")
    return obj


def resolve_bone_map(bone_map: str | Mapping[str, str]) -> dict[str, str]:
    """A request's bone map (a preset name, validated by :class:`BakeRequest`, or a mapping)
    → role → bone name."""
    if isinstance(bone_map, str):
        return dict(BONE_MAP_PRESETS[bone_map])
    return dict(bone_map)


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
    and the plain :class:`BakeInputs` the computation runs on (here, or in a child process)."""

    scene: Any
    face_obj: Any
    arm_obj: Any
    mapping: dict[str, str]
    missing: list[str]
    start: int
    face: Any
    """``shape_keys.plan``'s answer: which outputs the face gets, and the shape-key mapping."""
    inputs: BakeInputs
    started: float = field(default_factory=time.perf_counter)


def prepare_bake(scene: Any, face: Any, armature: Any, request: BakeRequest, *,
                 track: ExpressionTrack | None = None, editor: Editor | None = None
                 ) -> PreparedBake:
    """Check the request against the scene and read the bake's inputs (main thread)."""
    from .face_points import face_points

    scene = scene or bpy.context.scene
    face_obj = _object(face, "face")
    arm_obj = _object(armature, "armature")
    if arm_obj.type != "ARMATURE":
        raise InputError(None, f"'{arm_obj.name}' is not an armature")
    request = request.with_paths(_blender_path)
    mapping = resolve_bone_map(request.bone_map)
    missing = scene_bake.check_bone_map(arm_obj, mapping)
    if len(missing) == len(mapping):
        raise InputError(None, f"none of the mapped bones exist on '{arm_obj.name}'; "
                               "pick the right bone map preset")
    fps = scene.render.fps / scene.render.fps_base
    start = scene.frame_start if request.frame_start is None else request.frame_start
    if track is None and request.source is None:
        raise InputError(None, "give a source (photo, image sequence or video) or an "
                               "expression track")
    if track is not None and abs(track.fps - fps) > 1e-6:
        track = resample_track(track, fps)
    plan = shape_keys.plan(face_obj, request)
    base = points = not_checked = None
    if plan.texture:
        base = scene_bake.base_texture(face_obj)
        points, not_checked = face_points(scene_bake.base_image(face_obj))
    folder = request.texture_folder or scene_bake.output_folder(
        face_obj.name, bpy.data.filepath, Path(tempfile.gettempdir()))
    rows = plan.mapping.rows if plan.mapping is not None else None
    inputs = BakeInputs(request, fps, track, base, rows, points, not_checked, folder.resolve(),
                        editor)
    return PreparedBake(scene, face_obj, arm_obj, mapping, missing, start, plan, inputs)


def write_bake(prep: PreparedBake, computed: ComputedBake) -> BakeResult:
    """Write both tracks into the scene as one transaction and record the sync figures
    (main thread)."""
    from .core.sync_verdict import sync_verdict

    output, face_obj, arm_obj = computed.output, prep.face_obj, prep.arm_obj
    scene, start = prep.scene, prep.start
    targets = scene_bake.SceneTargets(face_obj, arm_obj, prep.mapping, None,
                                      "moodrig_face_texture")
    sync: dict[str, Any] = {}

    def record_sync(action: Any) -> None:
        sync.update(_sync_from_keyframes(arm_obj, action, prep.mapping, output))
        if output.shape_keys is not None:
            written = shape_keys.read_back(face_obj, list(output.shape_keys))
            sync.update(shape_key_sync(output.shape_keys, written, output.track.fps))
        sync.update(_clean(computed.texture_sync))
        verdict = sync_verdict(sync)
        sync.update(verdict=verdict.sentence, verdict_ok=verdict.ok)
        action[SYNC_PROP] = _json(sync)

    action, material, image = scene_bake.apply(scene, targets, output.curves, output.frames, start,
                                               record_sync, output.shape_keys)
    scene[SYNC_PROP] = _json(sync)
    if prep.inputs.request.set_frame_range:
        scene.frame_start = start
        scene.frame_end = start + len(output.track) - 1
    timings = {"analysis_s": computed.analysis_s, **output.timings,
               "wall_s": time.perf_counter() - prep.started}
    face = prep.face
    resolved = face.mapping
    result = BakeResult(action, material, image, prep.inputs.folder, len(output.track), start,
                        output.cache.distinct, output.cache.generated,
                        output.cache.bytes_on_disk, sync, timings, prep.missing, face.outputs,
                        shape_keys.baked_action(face_obj),
                        resolved.convention if resolved else None,
                        list(resolved.keys()) if resolved else [],
                        list(resolved.missing) if resolved else [])
    scene[SUMMARY_PROP] = _json(summary(result))
    return result


def summary(result: BakeResult) -> dict[str, Any]:
    """What the panel shows first about a bake: frames, textures, shape keys, seconds."""
    return {"frames": result.n_frames, "textures": result.distinct_textures,
            "new_textures": result.generated_textures,
            "shape_keys": len(result.keyed_shape_keys) if "shapekeys" in result.face_outputs
            else None,
            "outputs": list(result.face_outputs), "seconds": round(result.timings["wall_s"], 1)}


def bake_steps(
    scene: Any,
    face: Any,
    armature: Any,
    request: BakeRequest,
    *,
    track: ExpressionTrack | None = None,
    editor: Editor | None = None,
) -> Generator[Progress, None, BakeResult]:
    """The bake as steps, all on the calling thread; see :func:`bake`."""
    prep = prepare_bake(scene, face, armature, request, track=track, editor=editor)
    computed = yield from compute_bake(prep.inputs)
    return write_bake(prep, computed)


def _json(value: Any) -> str:
    import json

    return json.dumps(value)


def _sync_from_keyframes(armature: Any, action: Any, mapping: Mapping[str, str], output: BakeOutput) -> dict[str, Any]:
    """Sync figures computed from the keyframes as written (read back), not from the sampler."""
    from .core.bpfa import sync_metrics

    curves = scene_bake.read_back_curves(armature, action, mapping, len(output.track))
    report = sync_metrics(output.track, curves, output.bpfa, output.behavior.events)
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
) -> BakeResult:
    """Generate both tracks for one character, synchronized, and write them into ``scene``.

    ``scene``: the scene to write into (None: the current one). ``face``: the face mesh (object
    or name) whose material has the face texture and/or whose shape keys are keyed
    (``request.face_output``); ``armature``: the rig. ``request``: every
    option of the bake (:class:`BakeRequest`: source, seed, bone map, appearance mode, …);
    its ``//``-relative paths are read against the open .blend. ``track``: an analysed
    :class:`ExpressionTrack` to bake instead of ``request.source``. ``editor``: an appearance
    model to use instead of loading the requested weights (``core.editor.Editor``).
    ``progress`` receives each :class:`Progress` step; ``cancelled()`` is asked after each step
    (True raises InterruptedError, the scene unchanged). Same inputs and seed → identical
    keyframes and texture bytes.
    """
    steps = bake_steps(scene, face, armature, request, track=track, editor=editor)
    return drive(steps, progress, cancelled)
