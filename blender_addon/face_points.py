"""Where the face's eyes, brows and mouth lie on its texture (the texture side of sync).

Read from the base image: a ``moodrig_face_points`` record stored on it (JSON: ``region``
[x0, y0, x1, y1] and ``points`` {name: [x, y]}, texture pixels from the top-left, names of
``core.texture_sync.POINT_NAMES``), else, for the demo character's painted face, the painter's
own positions. Any other texture has no known points, and the bake says so instead of guessing.
"""

from __future__ import annotations

import json
from typing import Any

from .core.texture_sync import POINT_NAMES, FacePoints, painted_face_points
from .tags import role_of

POINTS_PROP = "moodrig_face_points"


def stored_points(image: Any) -> FacePoints | None:
    """The record on ``image``, or None when it has none or it does not parse."""
    raw = image.get(POINTS_PROP)
    if not raw:
        return None
    try:
        data = json.loads(raw)
        x0, y0, x1, y1 = (float(v) for v in data["region"])
        points = {n: (float(data["points"][n][0]), float(data["points"][n][1]))
                  for n in POINT_NAMES}
    except (ValueError, KeyError, TypeError, IndexError):
        return None
    return FacePoints((x0, y0, x1, y1), points)


def face_points(image: Any) -> tuple[FacePoints | None, str | None]:
    """(points, None), or (None, why they are not known) for the base image ``image``."""
    stored = stored_points(image)
    if stored is not None:
        return stored, None
    if role_of(image) == "demo_face_texture":
        from .core.painter import DEFAULT_STYLE

        return painted_face_points(DEFAULT_STYLE, int(image.size[0])), None
    return None, f"the eye, brow and mouth positions on '{image.name}' are not known"
