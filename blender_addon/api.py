"""Python API for scripted scene generation: ``moodrig.api.bake(scene, source=..., face=..., armature=...)``.

Example (three characters, three seeds, one scene) is in the README. Errors are
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
from .core.errors import InputError
from .core.pipeline import (
    BakeConfig,
    BakeOutput,
    Progress,
    drive,
    hold_track,
    resample_track,
    run_bake,
)
from .core.rig import BONE_MAP_PRESETS
from .core.track import ExpressionTrack


@dataclass
class BakeResult:
    """What a bake wrote, and how well the two tracks agree."""

    action: Any
    material: Any
    image: Any
    folder: Path
    n_frames: int
    frame_start: int
    distinct_textures: int
    generated_textures: int
    texture_bytes: int
    sync: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    missing_bones: list[str] = field(default_factory=list)


def _object(value: Any, kind: str) -> Any:
    obj = bpy.data.objects.get(value) if isinstance(value, str) else value
    if obj is None:
        raise InputError(None, f"no object named '{value}' for the {kind}")
    return obj


def resolve_bone_map(bone_map: str | Mapping[str, str]) -> dict[str, str]:
    if isinstance(bone_map, str):
        if bone_map not in BONE_MAP_PRESETS:
            raise InputError(None, f"unknown bone map preset '{bone_map}'; use one of {sorted(BONE_MAP_PRESETS)}")
        return dict(BONE_MAP_PRESETS[bone_map])
    return dict(bone_map)


def analyze_source(source: str | Path, fps: float, hold_frames: int, progress: Callable[[float], None] | None = None,
                   person_baseline: bool = False) -> ExpressionTrack:
    """Photo, image sequence or video → per-frame track at the scene's frame rate, with the
    per-side detail vectors the detailed appearance mode uses. ``person_baseline``: learn the
    person's own neutral face from the video's frames (docs/face.md), for people whose resting
    face reads as slightly smiling or frowning against the population's neutral."""
    from .core.face import AnalyzerConfig, VideoConfig
    from .core.face.baseline import BaselineConfig
    from .core.transfer.track import analyze_detailed

    path = Path(bpy.path.abspath(str(source)))
    config = VideoConfig(analyzer=AnalyzerConfig(person_baseline=BaselineConfig() if person_baseline else None))

    def frames_done(done: int, total: int | None) -> None:
        if progress is not None and total:
            progress(done / total)

    track = analyze_detailed(path, fill="hold", config=config, progress=frames_done)
    if len(track) == 1:  # a photo: hold its expression
        return hold_track(ExpressionTrack(fps, track.expressions, track.head, track.valid, track.details), hold_frames)
    return resample_track(track, fps)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


def bake_steps(
    scene: Any = None,
    *,
    face: Any,
    armature: Any,
    source: str | Path | None = None,
    track: ExpressionTrack | None = None,
    seed: int = 0,
    bone_map: str | Mapping[str, str] = "demo",
    frame_start: int | None = None,
    hold_frames: int = 48,
    out: str | Path | None = None,
    device: str = "auto",
    behaviors: str | Path | None = None,
    weights: str | Path | None = None,
    quant_step: float = 0.05,
    set_frame_range: bool = True,
    editor: Any = None,
    appearance_mode: str = "parameters",
    transfer_weights: str | Path | None = None,
    person_baseline: bool = False,
    base_neutral: bool = True,
) -> Generator[Progress, None, BakeResult]:
    """The bake as steps (for a modal operator); see :func:`bake`."""
    scene = scene or bpy.context.scene
    face_obj = _object(face, "face")
    arm_obj = _object(armature, "armature")
    if arm_obj.type != "ARMATURE":
        raise InputError(None, f"'{arm_obj.name}' is not an armature")
    mapping = resolve_bone_map(bone_map)
    missing = scene_bake.check_bone_map(arm_obj, mapping)
    if len(missing) == len(mapping):
        raise InputError(None, f"none of the mapped bones exist on '{arm_obj.name}'; pick the right bone map preset")
    fps = scene.render.fps / scene.render.fps_base
    start = scene.frame_start if frame_start is None else int(frame_start)
    t0 = time.perf_counter()
    if track is None:
        if source is None:
            raise InputError(None, "give a source (photo, image sequence or video) or an expression track")
        yield Progress("analysing the source", 0.0)
        track = analyze_source(source, fps, hold_frames, person_baseline=person_baseline)
    elif abs(track.fps - fps) > 1e-6:
        track = resample_track(track, fps)
    analysis_s = time.perf_counter() - t0
    base = scene_bake.base_texture(face_obj)
    folder = Path(out) if out is not None else scene_bake.output_folder(
        face_obj.name, bpy.data.filepath, Path(tempfile.gettempdir()))
    config = BakeConfig(
        out_folder=folder.resolve(), seed=seed, quant_step=quant_step, device=device,
        behaviors=None if behaviors is None else Path(bpy.path.abspath(str(behaviors))),
        weights=None if weights is None else Path(bpy.path.abspath(str(weights))),
        appearance_mode=appearance_mode,
        transfer_weights=None if transfer_weights is None else Path(bpy.path.abspath(str(transfer_weights))),
        base_neutral=base_neutral,
    )
    output: BakeOutput = yield from run_bake(track, base, config, editor)
    targets = scene_bake.SceneTargets(face_obj, arm_obj, mapping, None, "moodrig_face_texture")
    sync: dict[str, Any] = {}

    def record_sync(action: Any) -> None:
        sync.update(_sync_from_keyframes(arm_obj, action, mapping, output))
        action[scene_bake.SYNC_PROP] = _json(sync)

    action, material, image = scene_bake.apply(scene, targets, output.curves, output.frames, start, record_sync)
    scene[scene_bake.SYNC_PROP] = _json(sync)
    if set_frame_range:
        scene.frame_start = start
        scene.frame_end = start + len(output.track) - 1
    timings = {"analysis_s": analysis_s, **output.timings, "wall_s": time.perf_counter() - t0}
    return BakeResult(action, material, image, folder, len(output.track), start, output.cache.distinct,
                      output.cache.generated, output.cache.bytes_on_disk, sync, timings, missing)


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
    scene: Any = None,
    *,
    face: Any,
    armature: Any,
    source: str | Path | None = None,
    track: ExpressionTrack | None = None,
    seed: int = 0,
    bone_map: str | Mapping[str, str] = "demo",
    progress: Callable[[Progress], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    **options: Any,
) -> BakeResult:
    """Generate both tracks for one character, synchronized, and write them into ``scene``.

    ``source`` is a photo, numbered image sequence or video (or pass ``track``, an
    :class:`ExpressionTrack`). ``face`` is the face mesh (object or name) whose material has
    the face texture, ``armature`` the rig, ``bone_map`` a preset name (``demo``, ``rigify``,
    ``mixamo``) or a role → bone dict. Options: ``frame_start``, ``hold_frames`` (photo),
    ``out`` (texture folder; default ``//moodrig/<face>/``), ``device``, ``behaviors``
    (definition file), ``weights`` (fine-tuned AMEE-GAN manifest), ``quant_step``,
    ``set_frame_range``, ``appearance_mode`` (``"parameters"``: AMEE-GAN from the 8 values, the
    default; ``"detailed"``: the style-transfer model from the per-side detail vectors) and
    ``transfer_weights`` (fine-tuned transfer-model manifest), ``person_baseline`` (analyse a
    video against the person's own neutral face) and ``base_neutral`` (default True: the face
    texture is neutral and AMEE-GAN is told so; False when it shows an expression).
    Same inputs and seed → identical keyframes and texture bytes.
    """
    steps = bake_steps(scene, face=face, armature=armature, source=source, track=track, seed=seed,
                       bone_map=bone_map, **options)
    return drive(steps, progress, cancelled)
