"""What the bake needs from a texture editor (AMEE-GAN's ``AmeeEditor``, the transfer model's
``TransferEditor``; both are core/editing/editor.py's ``ModelEditor``).

Textures are (B, H, W, 3|4) float32 in [0, 1]; ``vectors`` are (B, n) in [0, 1] in the
editor's vocabulary (8 expression values, or 11 detail values); ``source_vectors`` say what
the textures show now, when known, and inform only editors that ``takes_source``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray


@runtime_checkable
class Editor(Protocol):
    """A loaded editing model on its device."""

    model_id: str
    """Content id of the weights: part of every texture cache key."""

    @property
    def takes_source(self) -> bool:
        """Whether ``source_vectors`` inform the edit."""
        ...

    @property
    def resolution(self) -> int:
        """Side of the square images the model works at, pixels."""
        ...

    def edit(self, textures: NDArray[np.float32], vectors: NDArray[np.float32],
             source_vectors: NDArray[np.float32] | None = None) -> NDArray[np.float32]:
        """Repainted textures, same shape; alpha untouched."""
        ...

    def edit_with_mask(self, textures: NDArray[np.float32], vectors: NDArray[np.float32],
                       source_vectors: NDArray[np.float32] | None = None
                       ) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """``edit`` and the (B, H, W) mask it composited through, from one model pass."""
        ...

    def mask(self, textures: NDArray[np.float32], vectors: NDArray[np.float32],
             source_vectors: NDArray[np.float32] | None = None) -> NDArray[np.float32]:
        """The (B, H, W) mask ``edit`` composites through."""
        ...

    def save(self, folder: str | Path, stem: str | None = None, *,
             training: dict[str, Any] | None = None, extra: dict[str, Any] | None = None) -> Path:
        """Export the weights to ``folder``; returns the manifest path."""
        ...
