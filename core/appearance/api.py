"""One call for scripts and pipelines: a texture and an expression in, the edited texture out.

::

    from moodrig.core.appearance import edit_face
    out = edit_face(texture, {"smile": 1.0, "jaw_open": 0.4}, region_uv=(0.1, 0.55, 0.4, 0.95))

``texture`` is an (H, W, 3|4) uint8 or uint16 array (8- or 16-bit channels), rows top-down
(as image files and OpenCV load them, RGB order); the result has the same shape and dtype, and
outside the region it is the input, bit for bit. ``expressions`` is an 8-vector in the order of
``moodrig.core.expression.EXPRESSION_NAMES`` or a mapping of names to values (the rest 0);
the texture is taken to show the neutral face (``source``: what it shows instead).
``region_uv="auto"`` finds the face region in the texture first (:func:`find_region`; a face
turned in its atlas by quarter turns is found too, and edited in the turn it was found in).
``features`` are the 7 feature points in pixels of the region (found automatically when None).
``orientation`` says how the face lies in the region when it is turned or mirrored in its
atlas (``Orientation.parse("right", mirrored=True)``: the top of the head points right, and
the mesh shows the texture flipped); None: the turn is found from the picture, and the face is
taken to be unmirrored.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError
from ..expression import N_EXPRESSION, expression_vector
from .editor import FaceEditor
from .face_search import FoundRegion, find_face_region
from .orientation import Orientation
from .region import FaceRegion
from .texels import from_unit, to_unit


@lru_cache(maxsize=4)
def shipped_editor(device: str = "auto") -> FaceEditor:
    """The shipped editor and locator on ``device``, loaded once per process."""
    return FaceEditor.load(device=device)


def as_vector(expressions: Any) -> NDArray[np.float32]:
    """An 8-vector from a vector or a name → value mapping (InputError on unknown names)."""
    if isinstance(expressions, Mapping):
        try:
            return expression_vector(**{str(k): float(v) for k, v in expressions.items()})
        except (TypeError, ValueError) as exc:
            raise InputError(None, f"expression: {exc}") from exc
    arr = np.asarray(expressions, dtype=np.float32)
    if arr.shape != (N_EXPRESSION,):
        raise InputError(
            None,
            f"expression must be {N_EXPRESSION} values or a mapping of names, "
            f"got shape {arr.shape}",
        )
    return arr


AUTO = "auto"
"""``region_uv`` that asks for the face region to be found in the texture."""


def find_region(
    texture: NDArray[Any], device: str = "auto", *, editor: FaceEditor | None = None
) -> FaceRegion:
    """The face region of a whole ``texture`` (an (H, W, 3|4) uint8 or uint16 array), found
    by searching it with the locator (``face_search.find_face_region``); InputError when no
    painted face shows."""
    return _found(texture, editor if editor is not None else shipped_editor(device)).region


def _found(texture: NDArray[Any], editor: FaceEditor) -> FoundRegion:
    found = find_face_region(editor, to_unit(texture))
    if found is None:
        raise InputError(
            None, "no painted face was found in the texture; give the face region (u0,v0,u1,v1)"
        )
    return found


def texture_region(
    texture: NDArray[Any],
    region_uv: Any,
    device: str = "auto",
    *,
    editor: FaceEditor | None = None,
) -> tuple[FaceRegion, Orientation | None]:
    """The region ``region_uv`` names in ``texture``, and how the face lies in it when the
    region was found: for ``"auto"``, the region the search found (the only case that needs
    the editor) and the quarter turn it found the face upright in (a face turned in its atlas
    is edited the way the search saw it); else :func:`as_region`, and None."""
    if isinstance(region_uv, str) and region_uv.strip().lower() == AUTO:
        found = _found(texture, editor if editor is not None else shipped_editor(device))
        return found.region, found.orientation
    return as_region(region_uv), None


def as_region(region_uv: Any) -> FaceRegion:
    if region_uv is None:
        return FaceRegion()
    if isinstance(region_uv, FaceRegion):
        return region_uv
    if isinstance(region_uv, str):
        return FaceRegion.parse(region_uv)
    values = tuple(float(v) for v in region_uv)
    if len(values) != 4:
        raise InputError(None, f"region_uv must be (u0, v0, u1, v1), got {region_uv!r}")
    return FaceRegion(*values)


def edit_face(
    texture: NDArray[Any],
    expressions: Any,
    region_uv: Any = None,
    features: Any = None,
    device: str = "auto",
    *,
    source: Any = None,
    editor: FaceEditor | None = None,
    orientation: Orientation | None = None,
) -> NDArray[Any]:
    """Repaint the face in ``region_uv`` of ``texture`` with ``expressions``; see the module."""
    unit = to_unit(texture)
    ed = editor if editor is not None else shipped_editor(device)
    target = as_vector(expressions)
    src = np.zeros(N_EXPRESSION, np.float32) if source is None else as_vector(source)
    region, lies = texture_region(texture, region_uv, editor=ed)
    face = ed.prepare(unit, region, features, orientation if orientation is not None else lies)
    out = ed.edit(face, target[None], src[None])[0]
    return from_unit(out, texture.dtype)
