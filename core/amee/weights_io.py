"""AMEE-GAN's weights: the generator as safetensors + manifest (core/editing/weights_io.py).

Only the generator ships; the discriminator exists for training.
"""

from __future__ import annotations

from ..editing.batch import EXPRESSIONS
from ..editing.weights_io import WeightsFormat
from .config import AmeeConfig
from .model import Generator

AMEE_WEIGHTS: WeightsFormat[Generator] = WeightsFormat(
    model="amee-gan",
    version=1,
    vocabulary=EXPRESSIONS,
    shipped="amee/amee_gan",
    normalisation="RGB NCHW float32 in [-1, 1] = 2 * texture - 1",
    build=lambda arch: Generator(AmeeConfig.from_dict(dict(arch))),
    architecture=lambda generator: generator.cfg.to_dict(),
)
