"""AMEE-GAN inference: textures x expression vectors → edited textures.

Public API used by the Blender add-on (the rest is core/editing/editor.py's)::

    editor = AmeeEditor.load()                 # shipped weights, sha256-verified
    out = editor.edit(textures, expressions)   # (B, H, W, 3|4) float32 [0, 1], (B, 8)
    out = editor.edit(textures, expressions, np.zeros((B, 8), np.float32))
                                               # ... telling the model the textures are neutral

The third argument is what each input texture already shows. Weights trained with the source
input (``editor.takes_source``) use it: from a known source the edit is more exact than when
the model must judge the source from the image. Older weights ignore it.

On CPU the model pass runs an inference copy of the generator with its BatchNorms folded into
the convs (fold.py) and channels-last weights (oneDNN's fast CPU layout).
"""

from __future__ import annotations

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from ..editing.editor import ModelEditor
from ..editor import Editor
from .config import AmeeConfig
from .fold import folded_generator
from .model import Generator
from .weights_io import AMEE_WEIGHTS


def _channels_last(module: nn.Module) -> None:
    """4-D weights to channels-last memory format in place (oneDNN's fast CPU layout)."""
    with torch.no_grad():
        for p in module.parameters():
            if p.dim() == 4:
                p.data = p.data.contiguous(memory_format=torch.channels_last)


class AmeeEditor(ModelEditor[Generator]):
    """A loaded AMEE-GAN generator plus the device / precision it runs at."""

    weights = AMEE_WEIGHTS
    save_stem = "amee_gan_character"
    half_precision = True  # measured: at most 0.23/255 from float32 (docs/gpu.md)

    @classmethod
    def _runner(cls, network: Generator, device: torch.device, dtype: torch.dtype) -> nn.Module:
        runner = folded_generator(network).to(device=device, dtype=dtype)
        if device.type == "cpu":
            _channels_last(runner)
        return runner

    @property
    def config(self) -> AmeeConfig:
        return self.network.cfg

    @property
    def takes_source(self) -> bool:
        """Whether the weights read the source expressions (AmeeConfig.source_input)."""
        return self.network.cfg.source_input

    def _forward(
        self,
        net: nn.Module,
        small: torch.Tensor,
        vectors: NDArray[np.float32],
        sources: NDArray[np.float32] | None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        x = (small * 2.0 - 1.0).to(self.device, self.dtype)
        if self.device.type == "cpu":
            x = x.contiguous(memory_format=torch.channels_last)
        a = torch.from_numpy(vectors).to(self.device, self.dtype)
        a_src = None if sources is None else torch.from_numpy(sources).to(self.device, self.dtype)
        image, mask = net(x, a, a_src)
        return image, mask


_editor: type[Editor] = AmeeEditor  # mypy: the class meets the bake's Editor protocol
