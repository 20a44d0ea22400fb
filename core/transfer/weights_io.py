"""The transfer model's weights: K_t, K_s and J as safetensors + manifest
(core/editing/weights_io.py).

The discriminator exists for training only. The manifest records the content-drawing layout
the model was trained on (content.py); weights of another layout are refused, and the layout
is part of the content id.
"""

from __future__ import annotations

from ..editing.batch import DETAILS
from ..editing.weights_io import WeightsFormat
from .config import TransferConfig
from .content import LAYOUT_VERSION
from .model import TransferModel

TRANSFER_WEIGHTS: WeightsFormat[TransferModel] = WeightsFormat(
    model="moodrig-style-transfer",
    version=1,
    vocabulary=DETAILS,
    shipped="transfer/style_transfer",
    normalisation="RGB NCHW float32 in [-1, 1] = 2 * image - 1 (content drawings and textures)",
    build=lambda arch: TransferModel(TransferConfig.from_dict(dict(arch))),
    architecture=lambda model: model.cfg.to_dict(),
    fixed={"content_layout_version": LAYOUT_VERSION},
    salt=(f"content-layout-{LAYOUT_VERSION}",),
)
