"""Feature points on disk: a small JSON file an artist can keep, edit and pass to a bake.

::

    {
      "version": 1,
      "region_size": [512, 512],
      "points": {"eye_r": [174.1, 232.6], "eye_l": [337.9, 232.6], "brow_r": [...],
                 "brow_l": [...], "mouth_r": [...], "mouth_l": [...], "mouth_c": [...]}
    }

``points`` holds every name of :data:`~.align.FEATURE_NAMES` once, each an ``[x, y]`` pair in
pixels of the face region (x right, y down from the region's top-left corner, pixel centres at
i + 0.5). ``region_size`` (optional) is the region's width and height in pixels when the points
were placed: when the texture is later painted at another resolution, the points are scaled
with it. Other keys (``region``, ``presence``: what ``locate`` writes) are kept for the reader
and ignored here.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError
from ..fileio import atomic_write_text
from .align import FEATURE_NAMES, N_FEATURES

POINTS_VERSION = 1
"""Version of the feature-points JSON this moodrig reads and writes."""


@dataclass(frozen=True)
class FeaturePoints:
    """Feature points of a face region, and the region size they were placed at."""

    points: NDArray[np.float64]
    """(7, 2) pixel coordinates in the order of :data:`~.align.FEATURE_NAMES`."""
    region_size: tuple[int, int] | None = None
    """(width, height) of the region in pixels when the points were placed; None: unknown
    (taken to be the size they are used at)."""

    def __post_init__(self) -> None:
        p = np.asarray(self.points, dtype=np.float64)
        if p.shape != (N_FEATURES, 2) or not np.all(np.isfinite(p)):
            raise InputError(
                None,
                f"feature points must be {N_FEATURES} finite (x, y) pairs, got shape {p.shape}",
            )
        object.__setattr__(self, "points", p)
        if self.region_size is not None:
            w, h = self.region_size
            if not (isinstance(w, int) and isinstance(h, int) and w > 0 and h > 0):
                raise InputError(
                    None,
                    f"region_size must be two positive whole numbers, got {self.region_size!r}",
                )

    def in_region(self, width: int, height: int) -> NDArray[np.float64]:
        """The points in pixels of a ``width`` × ``height`` region (scaled from
        :attr:`region_size` when that differs)."""
        if self.region_size is None or self.region_size == (width, height):
            return self.points.copy()
        sw, sh = self.region_size
        out: NDArray[np.float64] = self.points * np.array([width / sw, height / sh])
        return out

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"version": POINTS_VERSION}
        if self.region_size is not None:
            body["region_size"] = list(self.region_size)
        body["points"] = {
            n: [round(float(x), 3), round(float(y), 3)]
            for n, (x, y) in zip(FEATURE_NAMES, self.points, strict=True)
        }
        return body


def parse_points(data: Any, path: str | Path | None = None) -> FeaturePoints:
    """A parsed JSON document → :class:`FeaturePoints`; InputError naming ``path`` and the
    problem."""
    if not isinstance(data, dict):
        raise InputError(path, 'feature points must be a JSON object with "version" and "points"')
    version = data.get("version")
    if version != POINTS_VERSION:
        raise InputError(
            path,
            f"feature points version {version!r} is not supported; this "
            f"moodrig reads version {POINTS_VERSION}",
        )
    points = data.get("points")
    if not isinstance(points, dict):
        raise InputError(path, '"points" must map each feature name to [x, y]')
    missing = [n for n in FEATURE_NAMES if n not in points]
    unknown = sorted(set(points) - set(FEATURE_NAMES))
    if missing or unknown:
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + (
            [f"unknown {', '.join(unknown)}"] if unknown else []
        )
        raise InputError(
            path, f"feature points: {'; '.join(parts)} (the names are {', '.join(FEATURE_NAMES)})"
        )
    rows = []
    for name in FEATURE_NAMES:
        xy = points[name]
        if not (isinstance(xy, list) and len(xy) == 2 and all(_number(v) for v in xy)):
            raise InputError(
                path, f'feature point "{name}" must be [x, y] (two finite numbers), got {xy!r}'
            )
        rows.append([float(xy[0]), float(xy[1])])
    size = data.get("region_size")
    region_size = None
    if size is not None:
        if not (
            isinstance(size, list)
            and len(size) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size)
        ):
            raise InputError(path, f'"region_size" must be [width, height] in pixels, got {size!r}')
        region_size = (int(size[0]), int(size[1]))
    return FeaturePoints(np.asarray(rows, dtype=np.float64), region_size)


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def read_points(path: str | Path) -> FeaturePoints:
    """Read a feature-points JSON file (see the module docstring)."""
    p = Path(path)
    if not p.is_file():
        raise InputError(p, "feature points file not found")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(p, f"cannot read the feature points as JSON ({exc})") from exc
    return parse_points(data, p)


def write_points(path: str | Path, points: FeaturePoints, **extra: Any) -> Path:
    """Write ``points`` (plus ``extra`` keys, e.g. ``region``) atomically; returns the path."""
    body = points.as_json()
    body.update((k, v) for k, v in extra.items() if k not in body)
    p = Path(path)
    atomic_write_text(p, json.dumps(body, indent=2) + "\n")
    return p
