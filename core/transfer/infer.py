"""Detailed expression transfer: character textures × detail vectors → edited textures.

Public API (the bake's "detailed" mode; the rest is core/editing/editor.py's)::

    editor = TransferEditor.load()          # shipped weights, sha256-verified
    out = editor.edit(textures, details)    # (B, H, W, 3|4) float32 [0, 1], (B, 11) → same shape

The texture is the style reference (K_s reads it at model resolution R) and the composite base;
the detail vector is drawn as the canonical line drawing (``content.py``) that K_t reads. The
model does not read what the texture shows now (``takes_source`` is False).
"""

from __future__ import annotations

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from ..editing.batch import check_textures
from ..editing.composite import to_model_resolution
from ..editing.device import to_device
from ..editing.editor import ModelEditor
from ..editor import Editor
from .config import TransferConfig
from .content import draw_contents
from .model import TransferModel
from .weights_io import TRANSFER_WEIGHTS


class TransferEditor(ModelEditor[TransferModel]):
    """A loaded transfer model (K_t, K_s, J) plus the device / precision it runs at."""

    weights = TRANSFER_WEIGHTS
    save_stem = "style_transfer_character"
    half_precision = True  # measured: at most 0.26/255 from float32 (docs/gpu.md)

    @property
    def config(self) -> TransferConfig:
        return self.network.cfg

    def _forward(
        self,
        net: nn.Module,
        small: torch.Tensor,
        vectors: NDArray[np.float32],
        sources: NDArray[np.float32] | None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        content = torch.from_numpy(draw_contents(vectors, self.resolution)).permute(0, 3, 1, 2)
        x = (content * 2.0 - 1.0).to(self.device, self.dtype)
        y = (small * 2.0 - 1.0).to(self.device, self.dtype)
        image, mask = net(x, y)
        return image, mask

    def style_code(self, textures: NDArray[np.float32]) -> NDArray[np.float32]:
        """K_s's global style code of each texture: (B, style_dim) (the style-consistency
        measure)."""
        textures = check_textures(textures)
        rgb = to_device(np.ascontiguousarray(textures[..., :3]), self.device).permute(0, 3, 1, 2)
        with torch.inference_mode():
            y = (to_model_resolution(rgb, self.resolution) * 2.0 - 1.0).to(self.dtype)
            out: NDArray[np.float32] = self.network.style_encoder(y).code.float().cpu().numpy()
        return out


_editor: type[Editor] = TransferEditor  # mypy: the class meets the bake's Editor protocol
