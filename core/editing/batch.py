"""Input checks at the editors' boundary: textures and the vectors that say what to paint.

Textures are (B, H, W, 3|4) float32 numpy arrays in [0, 1] (core/image.py's layout, batched).
Each editor reads one vector vocabulary: AMEE-GAN the 8 expression values
(core/expression.py), the transfer model the 11 per-side detail values (core/detail.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..detail import DETAIL_NAMES, check_detail
from ..errors import InputError
from ..expression import EXPRESSION_NAMES, check_expression


@dataclass(frozen=True)
class Vocabulary:
    """The vectors an editor reads and how their weights record them."""

    names: tuple[str, ...]
    """Entry names in order; weights store them and refuse to load under other names."""
    kind: str
    """What one vector is called in messages ("expression", "detail")."""
    label: str
    """What a batch of them is called in messages ("expressions", "detail vectors")."""
    check: Callable[[Any], NDArray[np.float32]]
    """Shape (..., len(names)), finiteness and [0, 1] range check; raises ValueError."""

    @property
    def size(self) -> int:
        return len(self.names)

    @property
    def manifest_key(self) -> str:
        """Manifest field holding ``names``: ``expression_names`` or ``detail_names``."""
        return f"{self.kind}_names"

    def check_batch(
        self, vectors: Any, batch: int, label: str | None = None
    ) -> NDArray[np.float32]:
        """(batch, size) in [0, 1] as float32, or an InputError that names ``label``."""
        name = label or self.label
        try:
            out = self.check(vectors)
        except ValueError as exc:
            raise InputError(None, f"{name}: {exc}") from exc
        if out.shape != (batch, self.size):
            raise InputError(
                None, f"{name} must have shape ({batch}, {self.size}), got {out.shape}"
            )
        return out


EXPRESSIONS = Vocabulary(EXPRESSION_NAMES, "expression", "expressions", check_expression)
DETAILS = Vocabulary(DETAIL_NAMES, "detail", "detail vectors", check_detail)


def check_textures(textures: Any) -> NDArray[np.float32]:
    """Validate (B, H, W, 3|4) float32 in [0, 1]; raise InputError."""
    if not isinstance(textures, np.ndarray) or textures.dtype != np.float32:
        raise InputError(None, "textures must be a float32 numpy array (B, H, W, 3|4) in [0, 1]")
    if textures.ndim != 4 or textures.shape[3] not in (3, 4) or min(textures.shape[:3]) < 1:
        raise InputError(None, f"textures must have shape (B, H, W, 3|4), got {textures.shape}")
    # min / max propagate NaN and ±inf fails the range test, so two passes check finiteness too.
    lo, hi = float(textures.min()), float(textures.max())
    if not (lo >= 0.0 and hi <= 1.0):
        raise InputError(None, "texture values must be finite and lie in [0, 1]")
    return textures
