"""The add-on's long jobs as plain functions: what its child process runs (``background.py``).

Each takes plain values read out of the scene beforehand and returns plain values the add-on
writes back; none touches Blender data. ``report`` receives progress values (a fraction for
the analysis, ``(step, steps)`` for fine-tuning).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .appearance.setup import FaceSetup
from .track import ExpressionTrack

PHOTO_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".exr", ".bmp", ".webp"})
"""Sources analysed as one photo (their overlay picture is shown in the panel)."""


def analyse_source(
    path: Path,
    fps: float,
    hold_frames: int,
    person_baseline: bool,
    device: str,
    report: Callable[[float], object] | None = None,
) -> tuple[ExpressionTrack, NDArray[np.uint8] | None]:
    """The source's track at ``fps`` and, for a photo, its overlay picture (HWC uint8 RGB;
    None for a sequence or a video). ``report(fraction)`` follows the frames."""
    from .face import draw_overlay, read_image
    from .face.source import track_from_source

    photo = path.suffix.lower() in PHOTO_SUFFIXES
    first: list[Any] = []

    def keep_first(rec: Any) -> None:
        if photo and not first:
            first.append(rec.face)

    track = track_from_source(
        path,
        fps,
        hold_frames=hold_frames,
        person_baseline=person_baseline,
        device=device,
        progress=report,
        on_frame=keep_first,
    )
    overlay = draw_overlay(read_image(path), first[0] if first else None) if photo else None
    return track, overlay


def finetune_sheet(
    detailed: bool,
    sheet: Path,
    base: NDArray[np.float32],
    folder: Path,
    steps: int,
    device: str,
    face: FaceSetup | None = None,
    report: Callable[[tuple[int, int]], object] | None = None,
) -> Path:
    """Fine-tune the appearance model of the chosen mode (``detailed``: the transfer model,
    else the face editor where it ships, AMEE-GAN where not) on an expression sheet; returns
    the saved manifest. ``face``: the face's region and confirmed points (the face editor's
    input). ``report((step, steps))`` follows the training. torch gets the free cores but one,
    which stays with Blender's window."""
    from .cpu import intra_op_threads, usable_cores

    threads = min(intra_op_threads(), max(1, usable_cores() - 1))

    def progress(step: int, total: int, _loss: float) -> None:
        if report is not None:
            report((step, total))

    if detailed:
        from .transfer.finetune import TransferFinetuneConfig, finetune_transfer_from_sheet

        return finetune_transfer_from_sheet(
            sheet,
            base,
            folder,
            progress=progress,
            device=device,
            config=TransferFinetuneConfig(steps=steps, threads=threads),
        )
    from .pipeline import use_face_editor
    from .request import BakeRequest

    if use_face_editor(BakeRequest()):
        from .appearance.finetune import finetune_face_from_sheet
        from .editing.finetune import SheetTraining

        setup = face or FaceSetup()
        rect = setup.region.pixels(base.shape[1], base.shape[0])
        points = None if setup.points is None else setup.points.in_region(rect.width, rect.height)
        return finetune_face_from_sheet(
            sheet,
            base,
            folder,
            region=setup.region,
            features=points,
            orientation=setup.orientation,
            progress=progress,
            device=device,
            config=SheetTraining(steps=steps, threads=threads),
        )
    from .amee.finetune import FinetuneConfig, finetune_from_sheet

    return finetune_from_sheet(
        sheet,
        base,
        folder,
        progress=progress,
        device=device,
        config=FinetuneConfig(steps=steps, threads=threads),
    )


def find_region(
    base: NDArray[np.float32], device: str, report: Callable[[Any], object] | None = None
) -> tuple[float, float, float, float]:
    """The face region (u0, v0, u1, v1) found in the whole face texture ``base`` (top-down
    RGBA float32), searched with the face editor's locator; InputError when none shows."""
    from .appearance.api import shipped_editor
    from .appearance.face_search import find_face_region
    from .errors import InputError

    found = find_face_region(shipped_editor(device), base)
    if found is None:
        raise InputError(
            None,
            "no painted face was found in the face texture; take the region from the face's "
            "polygons (From Selection) or type it",
        )
    return found.region.as_tuple()
