"""What a bake knows about a character's face before any model runs: its region and points.

Light on purpose (no torch): the bake pipeline and the add-on build it from the request and
from what the face object stores.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .orientation import Orientation
from .points_io import FeaturePoints, read_points
from .region import WHOLE_TEXTURE, FaceRegion


@dataclass(frozen=True)
class FaceSetup:
    """Where the face is in the base texture, and its feature points when they are known."""

    region: FaceRegion = WHOLE_TEXTURE
    """The face region (the whole texture by default)."""
    points: FeaturePoints | None = None
    """Feature points the artist placed or confirmed; None: found automatically."""
    points_from: str | None = None
    """Where the points come from (a file, a face object), named in error messages."""
    orientation: Orientation | None = None
    """How the face lies in the region (turned, mirrored), when the mesh tells it; None: the
    turn is found from the picture."""


def face_setup(region: Any, features: Any, stored: FaceSetup | None) -> FaceSetup:
    """The setup a bake uses: a request's ``region`` ((u0, v0, u1, v1) or None) and
    ``features`` (a points file or None) win over what the face object ``stored``. Stored
    points and orientation belong to the stored region and are dropped when the request names
    another."""
    base = stored if stored is not None else FaceSetup()
    reg = base.region if region is None else FaceRegion(*(float(v) for v in region))
    orientation = base.orientation if reg == base.region else None
    if features is not None:
        return FaceSetup(reg, read_points(features), str(features), orientation)
    if base.points is not None and reg == base.region:
        return FaceSetup(reg, base.points, base.points_from, orientation)
    return FaceSetup(reg, orientation=orientation)


def region_pixels_to_uv(points: Any, region: FaceRegion, width: int, height: int) -> Any:
    """(n, 2) points in pixels of the region of a ``width`` × ``height`` texture (x right,
    y down) → UV (v from the bottom), as the Image Editor draws them."""
    rect = region.pixels(width, height)
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    return np.stack([(p[:, 0] + rect.x0) / width, 1.0 - (p[:, 1] + rect.y0) / height], axis=1)


def uv_to_region_pixels(uvs: Any, region: FaceRegion, width: int, height: int) -> Any:
    """The inverse of :func:`region_pixels_to_uv`."""
    rect = region.pixels(width, height)
    q = np.asarray(uvs, dtype=np.float64).reshape(-1, 2)
    return np.stack([q[:, 0] * width - rect.x0, (1.0 - q[:, 1]) * height - rect.y0], axis=1)
