"""A bake's computation, between reading the scene and writing it: plain inputs → tracks and
textures on disk, plus the texture side of sync.

The Blender side (``blender_addon/api.py``) resolves the bone map and reads a
:class:`BakeInputs` out of the scene (the face texture, the face's stored region and points,
its shape-key rows), runs :func:`compute_bake` (on its own thread headless, in a child process
from the sidebar: ``background.py``), then turns the behavior curves into keys through the
rig's rest pose and writes the :class:`ComputedBake` back. Nothing here reads or writes
Blender data, and inputs and result pickle (they cross to the child and back).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .appearance.setup import FaceSetup, face_setup
from .bake_sync import setup_points, texture_figures
from .editor import Editor
from .pipeline import BakeOutput, Progress, run_bake
from .request import BakeRequest
from .shapekeys import ShapeKeyRow
from .steps import drive, map_steps
from .track import ExpressionTrack

ANALYSIS_SHARE = 0.3
"""Share of a bake's progress given to the analysis of the source (when it runs)."""
POINTS_UNKNOWN = (
    "its feature points are not confirmed (Face Region panel: place or confirm "
    "them, or give a points file)"
)
"""Why the texture is not checked when the bake knows no feature points for the face."""


@dataclass(frozen=True)
class BakeInputs:
    """Everything a bake computes from, read out of the scene beforehand."""

    request: BakeRequest
    """With absolute paths."""
    fps: float
    """The scene's frame rate: the track is analysed or resampled to it."""
    track: ExpressionTrack | None
    """The analysed track at ``fps``; None: ``request.source`` is analysed."""
    base: NDArray[np.float32] | None
    """The base texture (top-down RGBA float32); None without the texture output."""
    rows: Sequence[ShapeKeyRow] | None
    """The face's shape-key rows; None without the shape-key output."""
    setup: FaceSetup | None
    """The face region and confirmed feature points stored with the face object (the
    request's ``region`` and ``features`` win); they also place the texture check's windows
    (no points known: the texture is not checked, and the sync record says why)."""
    folder: Path
    """Absolute folder for this character's textures."""
    editor: Editor | None = None
    """An appearance model to use instead of loading the requested weights (API only: a
    child process loads its own)."""
    texture_bits: int = 8
    """Bits per channel of the expression textures: 16 when the face texture has more than 8
    (``appearance.texels.TEXTURE_BITS``)."""


@dataclass
class ComputedBake:
    """What :func:`compute_bake` made: tracks and textures on disk, not yet in the scene."""

    output: BakeOutput
    analysis_s: float
    texture_sync: dict[str, Any]
    """The texture side of the sync record (``bake_sync.texture_figures``; empty without
    textures)."""


def compute_bake(
    inputs: BakeInputs, report: Callable[[Progress], object] | None = None
) -> Generator[Progress, None, ComputedBake]:
    """Analysis (when no track was given), behavior, textures on disk and the texture side of
    sync, as steps (:func:`run_bake`'s, the analysis first). ``report`` also receives the
    analysis's progress frame by frame."""
    from .face.source import track_from_source

    request, track = inputs.request, inputs.track
    t0 = time.perf_counter()
    share = 0.0
    if track is None:
        if request.source is None:
            raise ValueError("compute_bake needs a track or a source")
        share = ANALYSIS_SHARE
        yield Progress("analysing the source", 0.0)

        def frames(fraction: float) -> None:
            if report is not None:
                report(Progress(f"analysing the source {fraction:.0%}", share * fraction))

        track = track_from_source(
            request.source,
            inputs.fps,
            hold_frames=request.hold_frames,
            person_baseline=request.person_baseline,
            device=request.device,
            progress=frames,
        )
    analysis_s = time.perf_counter() - t0
    steps = run_bake(
        track,
        inputs.base,
        request,
        inputs.folder,
        inputs.editor,
        inputs.rows,
        inputs.setup,
        inputs.texture_bits,
    )
    output: BakeOutput = yield from map_steps(
        steps, lambda p: Progress(p.stage, share + (1.0 - share) * p.fraction)
    )
    figures: dict[str, Any] = {}
    if output.plan is not None and inputs.base is not None:
        yield Progress("checking the textures", 0.97)
        height, width = inputs.base.shape[:2]
        setup = face_setup(request.region, request.features, inputs.setup)
        points = setup_points(setup, width, height)
        figures = texture_figures(
            output.plan,
            output.frames,
            inputs.base,
            output.track.expressions,
            points,
            None if points is not None else POINTS_UNKNOWN,
        )
    return ComputedBake(output, analysis_s, figures)


def compute_bake_now(
    inputs: BakeInputs, report: Callable[[Progress], object] | None = None
) -> ComputedBake:
    """:func:`compute_bake` run to the end, every step reported (what a child process runs)."""
    return drive(compute_bake(inputs, report), report)
