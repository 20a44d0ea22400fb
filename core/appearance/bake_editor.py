"""The bake's appearance editor, bound to one character's face: region, points, base texture.

The bake (``core/pipeline.py``) edits one base texture again and again, a batch of expressions
at a time, through the :class:`~core.editor.Editor` protocol. :func:`bind_editor` turns the
loaded model into such an editor for one face:

- the face editor (:class:`~.editor.FaceEditor`) prepares the face once (crop, feature points,
  canonical frame) and then only runs the expressions (:class:`BoundFaceEditor`);
- a whole-texture editor (AMEE-GAN, the transfer model, a test double) sees only the region's
  pixels as its texture, and its edit is pasted back (:class:`RegionEditor`); on the whole
  texture it is used as it is.

Either way every pixel outside the region is the base texture's, bit for bit, and the editor's
``model_id`` names the region and the points, so the texture cache never mixes two setups.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..editor import Editor
from ..errors import InputError
from .editor import FaceEditor, PreparedFace
from .region import WHOLE_TEXTURE, FaceRegion, paste
from .setup import FaceSetup


def _key(*parts: Any) -> str:
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:16]


def check_base(textures: Any, base: NDArray[np.float32]) -> None:
    """``textures`` must be a (B, ...) batch of ``base`` itself (the bake passes a broadcast
    view of it: checked without reading the pixels; anything else is compared)."""
    if not isinstance(textures, np.ndarray) or textures.shape[1:] != base.shape:
        shape = getattr(textures, "shape", None)
        raise InputError(None, f"this editor is bound to a {base.shape} base texture, got {shape}")
    same_memory = (
        textures.strides[0] == 0
        and textures.strides[1:] == base.strides
        and textures.__array_interface__["data"][0] == base.__array_interface__["data"][0]
    )
    if not same_memory and not all(np.array_equal(t, base) for t in textures):
        raise InputError(None, "this editor is bound to one base texture and edits only that one")


class BoundFaceEditor:
    """The face editor bound to one prepared base texture: an :class:`~core.editor.Editor`
    whose ``edit`` checks that the textures are that base and edits the prepared face."""

    takes_source = True

    def __init__(self, editor: FaceEditor, face: PreparedFace) -> None:
        self.editor = editor
        self.face = face
        rect = face.rect
        points = np.round(face.features.points, 4).tolist()
        self.model_id = f"{editor.model_id}:face-{_key(rect, points)}"

    @property
    def resolution(self) -> int:
        return self.editor.resolution

    def edit(
        self,
        textures: NDArray[np.float32],
        vectors: NDArray[np.float32],
        source_vectors: NDArray[np.float32] | None = None,
        /,
    ) -> NDArray[np.float32]:
        check_base(textures, self.face.texture)
        return self.editor.edit(self.face, vectors, source_vectors)


class RegionEditor:
    """A whole-texture editor applied to the face region only: the region's pixels are its
    texture, and its edit is pasted back through a seam inside the region."""

    def __init__(self, inner: Editor, base: NDArray[np.float32], region: FaceRegion) -> None:
        self.inner = inner
        self.base = base
        self.rect = region.pixels(base.shape[1], base.shape[0])
        self.crop = np.ascontiguousarray(base[self.rect.slices])
        self.model_id = f"{inner.model_id}:region-{_key(self.rect)}"

    @property
    def takes_source(self) -> bool:
        return self.inner.takes_source

    @property
    def resolution(self) -> int:
        return self.inner.resolution

    def edit(
        self,
        textures: NDArray[np.float32],
        vectors: NDArray[np.float32],
        source_vectors: NDArray[np.float32] | None = None,
        /,
    ) -> NDArray[np.float32]:
        check_base(textures, self.base)
        crops = np.repeat(self.crop[None], len(vectors), axis=0)  # writable, even for one
        if source_vectors is None:
            edited = self.inner.edit(crops, vectors)
        else:
            edited = self.inner.edit(crops, vectors, source_vectors)
        return np.stack([paste(self.base, e, self.rect) for e in edited])


def bind_editor(editor: Any, base: NDArray[np.float32], setup: FaceSetup) -> Editor:
    """The editor the bake runs for this base texture and face (see the module docstring);
    ``editor`` is a :class:`~.editor.FaceEditor` or any whole-texture
    :class:`~core.editor.Editor`."""
    if isinstance(editor, FaceEditor):
        points = None
        if setup.points is not None:
            rect = setup.region.pixels(base.shape[1], base.shape[0])
            points = setup.points.in_region(rect.width, rect.height)
        try:
            face = editor.prepare(base, setup.region, points, setup.orientation)
        except InputError as exc:
            if (
                points is None
                or exc.path is not None
                or not exc.problem.startswith("feature points")
            ):
                raise
            raise InputError(setup.points_from, exc.problem) from exc
        return BoundFaceEditor(editor, face)
    if setup.region == WHOLE_TEXTURE:
        whole: Editor = editor
        return whole
    return RegionEditor(editor, base, setup.region)
