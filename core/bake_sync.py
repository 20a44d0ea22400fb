"""The appearance side of a bake's sync record, measured from the textures it wrote.

``texture_sync.texture_sync`` reads what the written image sequence shows against what the
track asked; this module feeds it a finished bake (the distinct textures read back from disk
one at a time, the frame → texture map of the plan) and flattens its report into the plain
values the sync record holds (JSON: the panel, the .blend, the command line's summary).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, overload

import numpy as np
from numpy.typing import NDArray

from .appearance.align import FEATURE_NAMES
from .appearance.cache import AppearancePlan, decode_png
from .appearance.setup import FaceSetup
from .texture_sync import FacePoints, TextureSyncConfig, texture_sync


class _WrittenTextures(Sequence[NDArray[np.float32]]):
    """The distinct textures of a bake, decoded from disk when read (a bake can hold hundreds
    of 2k textures: they are never all in memory at once)."""

    def __init__(self, paths: list[Path]) -> None:
        self.paths = paths

    def __len__(self) -> int:
        return len(self.paths)

    @overload
    def __getitem__(self, i: int) -> NDArray[np.float32]: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[NDArray[np.float32]]: ...

    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return [decode_png(p) for p in self.paths[i]]
        return decode_png(self.paths[i])


def setup_points(setup: FaceSetup, width: int, height: int) -> FacePoints | None:
    """A bake's face region and feature points in pixels of the whole ``width`` × ``height``
    texture (what ``texture_sync`` reads; the names are the same seven); None when the setup
    has no points."""
    if setup.points is None:
        return None
    rect = setup.region.pixels(width, height)
    pts = setup.points.in_region(rect.width, rect.height)
    return FacePoints(
        (float(rect.x0), float(rect.y0), float(rect.x1), float(rect.y1)),
        {
            n: (float(x) + rect.x0, float(y) + rect.y0)
            for n, (x, y) in zip(FEATURE_NAMES, pts, strict=True)
        },
    )


def texture_figures(
    plan: AppearancePlan,
    frames: Sequence[Path],
    base: NDArray[np.float32],
    expressions: NDArray[np.float32],
    points: FacePoints | None,
    not_checked: str | None = None,
    base_expression: NDArray[np.float32] | None = None,
    config: TextureSyncConfig | None = None,
) -> dict[str, Any]:
    """Sync-record entries for the written ``frames`` (one file per frame, as the bake wrote
    them): ``texture_ok`` (None: nothing asked, or not checked), ``texture_sentence``,
    ``texture_lag`` (median lag of the judged areas, frames), ``texture_areas`` (per area:
    correlation, lag, agreement) and ``texture_entries`` (per expression entry: agreement).
    ``points`` None: where the face's features lie on the texture is unknown; the texture is
    not checked and ``not_checked`` says why."""
    if points is None:
        why = not_checked or "where the eyes, brows and mouth lie on the texture is not known"
        return {
            "texture_ok": None,
            "texture_not_checked": why,
            "texture_sentence": f"face texture not checked: {why}",
        }
    first = {int(k): i for i, k in reversed(list(enumerate(plan.frame_to_key)))}
    textures = _WrittenTextures([frames[first[k]] for k in range(len(first))])
    # The written files are 8-bit: compare them with the base as it would be written.
    base8 = np.rint(np.clip(base, 0.0, 1.0) * 255.0) / 255.0
    try:
        report = texture_sync(
            textures, plan.frame_to_key, base8, points, expressions, base_expression, config
        )
    except ValueError as exc:  # points that do not fit this texture
        return texture_figures(plan, frames, base, expressions, None, str(exc))
    judged = [a for a in report.areas if a.judged]
    lags = sorted(a.lag for a in judged if a.lag is not None)
    return {
        "texture_ok": report.ok,
        "texture_sentence": report.sentence,
        "texture_lag": lags[len(lags) // 2] if lags else None,
        "texture_areas": {
            a.area: {"correlation": a.correlation, "lag": a.lag, "agreement": a.agreement}
            for a in judged
        },
        "texture_entries": {k: v for k, v in report.entries.items() if v is not None},
    }
