"""AMEE-GAN's weights: the generator as safetensors + manifest (core/editing/weights_io.py).

Only the generator ships; the discriminator exists for training.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..editing.batch import EXPRESSIONS
from ..editing.weights_io import WeightsFormat
from .config import AmeeConfig
from .model import Generator


def _build(architecture: Mapping[str, Any]) -> Generator:
    return Generator(AmeeConfig.from_dict(dict(architecture)))


def _architecture(generator: Generator) -> dict[str, Any]:
    return generator.cfg.to_dict()


AMEE_WEIGHTS: WeightsFormat[Generator] = WeightsFormat(
    model="amee-gan",
    version=1,
    vocabulary=EXPRESSIONS,
    shipped="amee/amee_gan",
    normalisation="RGB NCHW float32 in [-1, 1] = 2 * texture - 1",
    build=_build,
    architecture=_architecture,
)
