"""The bake, Blender-free: one expression track → behavior curves + expression textures on disk.

Both tracks are generated from the same per-frame :class:`ExpressionTrack`, frame for frame,
so they are synchronized by construction. The Blender side (``blender_addon/bake.py``) only
reads inputs out of the scene, calls :func:`run_bake` and writes the results back.

``run_bake`` is a generator of :class:`Progress` values so a modal operator can drive it one
step at a time (UI stays responsive, Esc cancels between steps); :func:`run_bake_sync` runs it
to the end for headless use.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from .appearance import (
    AppearancePlan,
    CacheReport,
    TextureCache,
    bake_context,
    plan_appearance,
    plan_details,
)
from .errors import InputError
from .image import check_image
from .track import ExpressionTrack

T = TypeVar("T")

APPEARANCE_MODES: tuple[str, ...] = ("parameters", "detailed")
"""How the expression textures are generated: ``parameters`` = AMEE-GAN from the 8 shared
values; ``detailed`` = the style-consistent transfer model (``core/transfer``) from the per-side
detail vectors (a lopsided smile, one raised brow)."""
NEUTRAL_SOURCE_KEY = "neutral-source"
"""Suffix of a parameter-mode cache context when AMEE-GAN is told the base texture is neutral
(weights with the source input), so textures made either way never share a cache entry."""
DETAILED_CACHE_PREFIX = "detailed"
"""Texture-cache contexts of the detailed mode start with this, so the two modes never share a
cache entry (parameter-mode keys are unchanged)."""


@dataclass(frozen=True)
class BakeConfig:
    """What a bake needs besides the track and the base texture."""

    out_folder: Path
    """Absolute folder for this character's textures (``//moodrig/<object>/``)."""
    seed: int = 0
    """Seed of the behavior automaton (same seed → identical keyframes)."""
    behaviors: Path | None = None
    """Behavior definition file (JSON/YAML); None: the shipped humanoid library."""
    quant_step: float = 0.05
    """Expression quantisation step for the texture cache (smaller: more distinct textures)."""
    device: str = "auto"
    """Torch device for AMEE-GAN: auto, cpu, cuda or mps."""
    weights: Path | None = None
    """Manifest of fine-tuned AMEE-GAN weights; None: the shipped weights."""
    batch: int = 8
    """Textures generated per model call."""
    appearance_mode: str = "parameters"
    """``parameters`` (AMEE-GAN, 8 values) or ``detailed`` (style transfer, 11 per-side values);
    see :data:`APPEARANCE_MODES`."""
    transfer_weights: Path | None = None
    """Manifest of fine-tuned transfer-model weights (detailed mode); None: the shipped weights."""
    base_neutral: bool = True
    """The base texture shows the character's neutral face (what the README asks for), and
    AMEE-GAN is told so: from a known source its edits are more exact. False: the base texture
    shows some expression, and the model judges it from the image."""

    def __post_init__(self) -> None:
        if self.appearance_mode not in APPEARANCE_MODES:
            raise InputError(None, f"unknown appearance mode {self.appearance_mode!r}; use one of {', '.join(APPEARANCE_MODES)}")


@dataclass(frozen=True)
class Progress:
    stage: str
    fraction: float
    """Overall progress in [0, 1]."""


@dataclass
class BakeOutput:
    """Everything the scene writer needs, plus figures for the report."""

    track: ExpressionTrack
    curves: dict[str, NDArray[np.float32]]
    behavior: Any
    """``core.bpfa.BehaviorResult``: events, timeline, curves."""
    bpfa: Any
    plan: AppearancePlan
    cache: CacheReport
    frames: list[Path]
    model_id: str
    timings: dict[str, float] = field(default_factory=dict)


def _load_bpfa(path: Path | None) -> Any:
    from .bpfa import load_default_library, load_definition

    return load_default_library() if path is None else load_definition(path)


def run_bake(
    track: ExpressionTrack,
    base_texture: NDArray[np.float32],
    config: BakeConfig,
    editor: Any = None,
) -> Generator[Progress, None, BakeOutput]:
    """Generate both tracks; yields progress, returns the :class:`BakeOutput`.

    ``editor`` is an AMEE-GAN editor (``core.amee.infer.AmeeEditor``), or in the detailed mode
    a transfer editor (``core.transfer.infer.TransferEditor``); None loads the shipped or
    configured weights. Nothing outside ``config.out_folder`` is written.
    """
    from .bpfa import behavior_track

    check_image(base_texture, name="base texture")
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    yield Progress("behavior", 0.0)
    bpfa = _load_bpfa(config.behaviors)
    behavior = behavior_track(track, bpfa, seed=config.seed)
    timings["behavior_s"] = time.perf_counter() - t0

    detailed = config.appearance_mode == "detailed"
    yield Progress("loading the transfer model" if detailed else "loading AMEE-GAN", 0.1)
    t1 = time.perf_counter()
    if editor is None:
        if detailed:
            from .transfer.infer import TransferEditor

            editor = TransferEditor.load(manifest_path=config.transfer_weights, device=config.device)
        else:
            from .amee.infer import AmeeEditor

            editor = AmeeEditor.load(manifest_path=config.weights, device=config.device)
    if detailed:
        plan = plan_details(track.detail_vectors(), config.quant_step)
        model_key = f"{DETAILED_CACHE_PREFIX}:{editor.model_id}"
    else:
        plan = plan_appearance(track.expressions, config.quant_step)
        model_key = editor.model_id
    # Weights with the source input are told the base texture is neutral (AmeeEditor.takes_source).
    tell_neutral = not detailed and config.base_neutral and bool(getattr(editor, "takes_source", False))
    if tell_neutral:
        model_key = f"{model_key}:{NEUTRAL_SOURCE_KEY}"
    size = int(base_texture.shape[0])
    cache = TextureCache(config.out_folder, bake_context(model_key, base_texture, size, config.quant_step))
    base = np.ascontiguousarray(base_texture, dtype=np.float32)

    def generate(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
        batch = np.ascontiguousarray(np.broadcast_to(base, (len(vectors), *base.shape)))
        if tell_neutral:
            out: NDArray[np.float32] = editor.edit(batch, vectors, np.zeros_like(vectors))
        else:
            out = editor.edit(batch, vectors)
        return out

    missing = [k for k in range(len(plan.levels)) if not cache.path(plan.levels[k]).is_file()]
    done = 0
    # Generate batch by batch so progress flows back (and a cancel lands) between batches.
    for start in range(0, len(missing), config.batch):
        chunk = missing[start : start + config.batch]
        sub = AppearancePlan(plan.levels[chunk], np.arange(len(chunk), dtype=np.int32), plan.step)
        cache.ensure(sub, generate, batch=config.batch)
        done += len(chunk)
        yield Progress(f"textures {done}/{len(missing)}", 0.15 + 0.75 * done / max(1, len(missing)))
    report = cache.ensure(plan, generate, batch=config.batch)
    report = CacheReport(report.distinct, len(missing), report.distinct - len(missing), report.bytes_on_disk)
    timings["appearance_s"] = time.perf_counter() - t1
    yield Progress("image sequence", 0.92)
    frames = cache.write_sequence(plan, config.out_folder / "sequence")
    timings["total_s"] = time.perf_counter() - t0
    yield Progress("done", 1.0)
    return BakeOutput(track, behavior.curves, behavior, bpfa, plan, report, frames, editor.model_id, timings)


def drive(
    steps: Generator[Progress, None, T],
    progress: Callable[[Progress], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> T:
    """Run a stepwise job to the end (headless), reporting progress and honouring cancel
    between steps; returns the generator's result."""
    while True:
        try:
            step = next(steps)
        except StopIteration as stop:
            result: T = stop.value
            return result
        if progress is not None:
            progress(step)
        if cancelled is not None and cancelled():
            steps.close()
            raise InterruptedError("bake cancelled")


def run_bake_sync(
    track: ExpressionTrack,
    base_texture: NDArray[np.float32],
    config: BakeConfig,
    editor: Any = None,
    progress: Callable[[Progress], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> BakeOutput:
    """Run :func:`run_bake` to the end (headless), reporting progress and honouring cancel."""
    return drive(run_bake(track, base_texture, config, editor), progress, cancelled)


def hold_track(track: ExpressionTrack, n_frames: int) -> ExpressionTrack:
    """A single-photo track held for ``n_frames`` (a photo has one expression)."""
    if len(track) != 1:
        return track
    return ExpressionTrack(
        track.fps,
        np.repeat(track.expressions, n_frames, axis=0),
        np.repeat(track.head, n_frames, axis=0),
        np.repeat(track.valid, n_frames, axis=0),
        None if track.details is None else np.repeat(track.details, n_frames, axis=0),
    )


def resample_track(track: ExpressionTrack, fps: float) -> ExpressionTrack:
    """Resample to the scene's frame rate (linear in values, nearest for validity)."""
    if abs(track.fps - fps) < 1e-9 or len(track) < 2:
        return ExpressionTrack(fps, track.expressions, track.head, track.valid, track.details)
    duration = (len(track) - 1) / track.fps
    n = int(np.floor(duration * fps + 1e-9)) + 1
    t_src = np.arange(len(track)) / track.fps
    t_dst = np.arange(n) / fps
    expr = np.stack([np.interp(t_dst, t_src, track.expressions[:, i]) for i in range(track.expressions.shape[1])], 1)
    head = np.stack([np.interp(t_dst, t_src, track.head[:, i]) for i in range(3)], 1)
    nearest = np.clip(np.rint(t_dst * track.fps).astype(int), 0, len(track) - 1)
    details = None
    if track.details is not None:
        d = np.stack([np.interp(t_dst, t_src, track.details[:, i]) for i in range(track.details.shape[1])], 1)
        details = np.clip(d, 0.0, 1.0).astype(np.float32)
    return ExpressionTrack(fps, np.clip(expr, 0.0, 1.0).astype(np.float32), head.astype(np.float32), track.valid[nearest],
                           details)
