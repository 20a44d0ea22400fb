"""The bake, Blender-free: one expression track → behavior curves + expression textures on disk
and/or shape-key curves for the face mesh.

Every output is generated from the same per-frame :class:`ExpressionTrack`, frame for frame,
so they are synchronized by construction. What the user asked for is one
:class:`~core.request.BakeRequest` (re-exported here). The Blender side
(``blender_addon/api.py``, ``bake.py``) only reads inputs out of the scene, calls
:func:`run_bake` and writes the results back.

``run_bake`` is a generator of :class:`Progress` values so a modal operator can drive it one
step at a time (UI stays responsive, Esc cancels between steps); :func:`run_bake_sync` runs it
to the end for headless use.

Only the face region of the base texture is edited (the request's region, else the one stored
on the face object, else the whole texture): ``core/appearance/bake_editor.py`` binds the
appearance model to it, and every pixel outside it stays the base texture's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .appearance.cache import (
    AppearancePlan,
    CacheReport,
    TextureCache,
    bake_context,
    plan_appearance,
    plan_details,
)
from .appearance.setup import FaceSetup, face_setup
from .editor import Editor
from .image import check_image
from .request import BakeRequest
from .shapekeys import ShapeKeyRow, shape_key_curves
from .steps import drive, map_steps
from .track import ExpressionTrack

__all__ = [
    "BakeOutput",
    "BakeRequest",
    "FaceSetup",
    "Progress",
    "drive",
    "run_bake",
    "run_bake_sync",
]


NEUTRAL_SOURCE_KEY = "neutral-source"
"""Suffix of a parameter-mode cache context when AMEE-GAN is told the base texture is neutral
(weights with the source input), so textures made either way never share a cache entry."""
DETAILED_CACHE_PREFIX = "detailed"
"""Texture-cache contexts of the detailed mode start with this, so the two modes never share a
cache entry (parameter-mode keys are unchanged)."""


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
    plan: AppearancePlan | None
    """None when no textures were asked for."""
    cache: CacheReport
    frames: list[Path]
    """The image sequence, one file per frame (empty without textures)."""
    model_id: str
    timings: dict[str, float] = field(default_factory=dict)
    shape_keys: dict[str, NDArray[np.float32]] | None = None
    """Per keyed shape key (the mesh's own name), its (N,) values; None: no shape keys."""


NO_TEXTURES = CacheReport(distinct=0, generated=0, reused=0, bytes_on_disk=0)


def _load_bpfa(path: Path | None) -> Any:
    from .bpfa import load_default_library, load_definition

    return load_default_library() if path is None else load_definition(path)


def run_bake(
    track: ExpressionTrack,
    base_texture: NDArray[np.float32] | None,
    request: BakeRequest,
    out_folder: Path,
    editor: Editor | None = None,
    shape_keys: Sequence[ShapeKeyRow] | None = None,
    face: FaceSetup | None = None,
    texture_bits: int = 8,
) -> Generator[Progress, None, BakeOutput]:
    """Generate the tracks; yields progress, returns the :class:`BakeOutput`.

    ``request``'s paths must already be absolute; ``out_folder`` is the absolute folder for
    this character's textures (``request.texture_folder`` or the default the caller chose).
    ``base_texture`` None: no textures (a shape-key face), nothing is loaded or written.
    ``editor`` is the appearance model (``core.editor.Editor``, or a face editor): AMEE-GAN or
    the face editor, or in the detailed mode the transfer model; None loads the shipped or
    requested weights. ``shape_keys``: the rows of a mapping matched to the face mesh
    (``core.shapekeys``); their curves come from the same track. ``texture_bits``: per
    channel of the expression textures written (8, or 16 for a deeper face texture). Which
    outputs a face gets (``request.face_output``) is the caller's decision, made from the mesh
    (``core.shapekeys.face_outputs``). ``face``: the region and feature points stored with the
    face object (the request's own win). Nothing outside ``out_folder`` is written.
    """
    from .appearance.bake_editor import bind_editor
    from .bpfa import behavior_track

    if base_texture is not None:
        check_image(base_texture, name="base texture")
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    yield Progress("behavior", 0.0)
    bpfa = _load_bpfa(request.behaviors)
    behavior = behavior_track(track, bpfa, seed=request.seed)
    timings["behavior_s"] = time.perf_counter() - t0
    key_curves = None if shape_keys is None else shape_key_curves(shape_keys, track)
    if base_texture is None:
        timings["total_s"] = time.perf_counter() - t0
        yield Progress("done", 1.0)
        return BakeOutput(
            track, behavior.curves, behavior, bpfa, None, NO_TEXTURES, [], "", timings, key_curves
        )

    detailed = request.appearance_mode == "detailed"
    yield Progress(
        "loading the transfer model" if detailed else "loading the appearance model", 0.1
    )
    t1 = time.perf_counter()
    setup = face_setup(request.region, request.features, face)
    if editor is None:
        editor = load_editor(request)
    base = np.ascontiguousarray(base_texture, dtype=np.float32)
    model = bind_editor(editor, base, setup)
    if detailed:
        plan = plan_details(track.detail_vectors(), request.quant_step)
        model_key = f"{DETAILED_CACHE_PREFIX}:{model.model_id}"
    else:
        plan = plan_appearance(track.expressions, request.quant_step)
        model_key = model.model_id
    # Weights with the source input are told the base texture is neutral.
    tell_neutral = not detailed and request.base_neutral and model.takes_source
    if tell_neutral:
        model_key = f"{model_key}:{NEUTRAL_SOURCE_KEY}"
    height, width = base.shape[:2]
    size = height if height == width else (width, height)
    context = bake_context(model_key, base, size, request.quant_step, texture_bits)
    cache = TextureCache(out_folder, context, texture_bits)
    # An editor bound to the base texture reads it once; it gets a view, not B copies.
    bound = model is not editor

    def generate(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
        view = np.broadcast_to(base, (len(vectors), *base.shape))
        batch = view if bound else np.ascontiguousarray(view)
        if tell_neutral:
            return model.edit(batch, vectors, np.zeros_like(vectors))
        return model.edit(batch, vectors)

    # Batch by batch, so progress flows back (and a cancel lands) between model calls.
    report = yield from map_steps(cache.fill(plan, generate, request.batch), _texture_progress)
    timings["appearance_s"] = time.perf_counter() - t1
    yield Progress("image sequence", 0.92)
    frames = cache.write_sequence(plan, out_folder / "sequence")
    timings["total_s"] = time.perf_counter() - t0
    yield Progress("done", 1.0)
    return BakeOutput(
        track,
        behavior.curves,
        behavior,
        bpfa,
        plan,
        report,
        frames,
        model.model_id,
        timings,
        key_curves,
    )


def use_face_editor(request: BakeRequest) -> bool:
    """Whether the parameters mode runs the face editor (else AMEE-GAN on the face region).

    The one switch between the two: a requested manifest decides by the model it names (a
    fine-tuned AMEE-GAN keeps AMEE-GAN); else the face editor where its weights ship (an
    ``appearance/face_editor`` manifest in the weights folder) or where the request gives feature
    points, which only the face editor reads (without its weights that bake then stops with a
    WeightsError naming the missing file).
    """
    if request.appearance_mode != "parameters":
        return False
    from .appearance.weights_io import EDITOR_WEIGHTS

    named = _manifest_model(request.weights)
    if named is not None:
        return named == EDITOR_WEIGHTS.model
    return request.features is not None or EDITOR_WEIGHTS.shipped_manifest().is_file()


def _manifest_model(manifest: Path | None) -> str | None:
    """The ``model`` a weights manifest names, read as loading reads it (a regular file,
    bounded in size); None where there is none to read (loading it later reports the problem
    with the file's name)."""
    if manifest is None:
        return None
    from .errors import WeightsError
    from .manifest import read_manifest

    try:
        model = read_manifest(manifest).get("model")
    except WeightsError:
        return None
    return model if isinstance(model, str) else None


def load_editor(request: BakeRequest) -> Any:
    """The shipped or requested weights of the request's appearance mode: an
    ``Editor``, or a ``FaceEditor`` (bound to the face by ``bind_editor``)."""
    if request.appearance_mode == "detailed":
        from .transfer.infer import TransferEditor

        return TransferEditor.load(manifest_path=request.transfer_weights, device=request.device)
    if use_face_editor(request):
        from .appearance.editor import FaceEditor

        return FaceEditor.load(manifest_path=request.weights, device=request.device)
    from .amee.infer import AmeeEditor

    return AmeeEditor.load(manifest_path=request.weights, device=request.device)


def _texture_progress(counts: tuple[int, int]) -> Progress:
    done, missing = counts
    return Progress(f"textures {done}/{missing}", 0.15 + 0.75 * done / missing)


def run_bake_sync(
    track: ExpressionTrack,
    base_texture: NDArray[np.float32] | None,
    request: BakeRequest,
    out_folder: Path,
    editor: Editor | None = None,
    progress: Callable[[Progress], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    shape_keys: Sequence[ShapeKeyRow] | None = None,
    face: FaceSetup | None = None,
    texture_bits: int = 8,
) -> BakeOutput:
    """Run :func:`run_bake` to the end (headless), reporting progress and honouring cancel."""
    return drive(
        run_bake(track, base_texture, request, out_folder, editor, shape_keys, face, texture_bits),
        progress,
        cancelled,
    )
