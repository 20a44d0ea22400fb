"""The field generator's and the locator's weights formats (verified safetensors + manifest,
``core/editing/weights_io.py``): floats stored as float16, what runs is what is stored."""

from __future__ import annotations

from typing import Any

from ..editing.batch import EXPRESSIONS
from ..editing.weights_io import WeightsFormat
from .align import FEATURE_NAMES
from .locator import Locator, LocatorConfig
from .model import FieldConfig, FieldGenerator

_FEATURES = {"feature_names": list(FEATURE_NAMES)}


def _editor(arch: Any) -> FieldGenerator:
    return FieldGenerator(FieldConfig.from_dict(dict(arch)))


def _locator(arch: Any) -> Locator:
    return Locator(LocatorConfig.from_dict(dict(arch)))


EDITOR_WEIGHTS: WeightsFormat[FieldGenerator] = WeightsFormat(
    model="amee-gan-fields",
    version=1,
    vocabulary=EXPRESSIONS,
    shipped="appearance/face_editor",
    normalisation="canonical face crop, RGBA NCHW float32 in [-1, 1] = 2 * texture - 1",
    build=_editor,
    architecture=lambda net: net.cfg.to_dict(),
    fixed=_FEATURES,
)
"""AMEE-GAN with field heads (core/appearance/model.py)."""

LOCATOR_WEIGHTS: WeightsFormat[Locator] = WeightsFormat(
    model="face-feature-locator",
    version=1,
    vocabulary=EXPRESSIONS,
    shipped="appearance/face_locator",
    normalisation="face region squashed to R x R, RGBA NCHW float32 in [-1, 1] = 2 * texture - 1",
    build=_locator,
    architecture=lambda net: net.cfg.to_dict(),
    fixed=_FEATURES,
)
"""The feature-point locator (core/appearance/locator.py)."""
