"""The seam between the bake and an appearance model: what ``core.pipeline.run_bake`` needs.

AMEE-GAN (``core.amee.infer.AmeeEditor``, 8 expression values) and the style-transfer model
(``core.transfer.infer.TransferEditor``, 11 per-side detail values) both satisfy it; so do the
tests' painter doubles. Textures are (B, H, W, 3|4) float32 in [0, 1] (``core/image.py``).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import NDArray


class Editor(Protocol):
    """Edits a batch of textures to show a batch of expression vectors."""

    @property
    def model_id(self) -> str:
        """Content id of the weights; part of the texture-cache key."""

    @property
    def takes_source(self) -> bool:
        """Whether ``edit`` reads ``source_vectors`` (what the input textures already show)."""

    @property
    def resolution(self) -> int:
        """Side of the square image the network runs at, in pixels."""

    def edit(
        self,
        textures: NDArray[np.float32],
        vectors: NDArray[np.float32],
        source_vectors: NDArray[np.float32] | None = None,
        /,
    ) -> NDArray[np.float32]:
        """(B, H, W, 3|4) textures × (B, V) vectors → edited textures of the same shape;
        ``source_vectors`` (B, V): what the textures show now, when known (None: unknown)."""
