"""Tiny untrained face-editor and locator weights, exported like the shipped ones, for tests of
the plumbing around them (region, points, bake, cache): never for the quality of an edit."""

from __future__ import annotations

from pathlib import Path

import torch

from moodrig.core.appearance.locator import Locator, LocatorConfig
from moodrig.core.appearance.model import FieldConfig, FieldGenerator
from moodrig.core.appearance.weights_io import EDITOR_WEIGHTS, LOCATOR_WEIGHTS


def tiny_networks(presence: float = 4.0) -> tuple[FieldGenerator, Locator]:
    """A generator whose mask is open everywhere and whose flow is constant (every edit
    changes the whole face crop), and a locator sure there is a face (``presence`` > 0)."""
    torch.manual_seed(0)
    gen = FieldGenerator(FieldConfig(resolution=32, channels=(8, 8, 8, 8, 8), n_residual=1))
    with torch.no_grad():
        bias = gen.head.bias
        assert bias is not None
        gen.head.weight.mul_(0.0)
        bias[2] = 4.0  # mask logit: open
        bias[0:2] = 0.3  # some flow
    loc = Locator(LocatorConfig(resolution=32, channels=(4, 4, 4, 4)))
    with torch.no_grad():
        loc.presence.bias.fill_(presence)
    return gen.eval(), loc.eval()


def export_tiny_weights(weights_dir: Path, presence: float = 4.0) -> Path:
    """Write both networks where ``MOODRIG_WEIGHTS_DIR=weights_dir`` finds them as the shipped
    weights; returns ``weights_dir``."""
    gen, loc = tiny_networks(presence)
    EDITOR_WEIGHTS.export(
        weights_dir / f"{EDITOR_WEIGHTS.shipped}.safetensors", gen, training={"trained_steps": 0}
    )
    LOCATOR_WEIGHTS.export(
        weights_dir / f"{LOCATOR_WEIGHTS.shipped}.safetensors", loc, training={"trained_steps": 0}
    )
    return weights_dir
