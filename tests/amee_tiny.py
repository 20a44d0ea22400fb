"""Tiny untrained AMEE-GAN generator and expression regressor exports for CLI plumbing tests."""

from __future__ import annotations

from pathlib import Path

import torch

from moodrig.core.amee.config import AmeeConfig
from moodrig.core.amee.model import Generator
from moodrig.core.amee.weights_io import AMEE_WEIGHTS
from moodrig.core.weights import export_weights
from moodrig.weights_tools.regressor import EXPRESSION, ExpressionRegressor


def tiny_exports(
    folder: Path, resolution: int = 32, source_input: bool = False
) -> tuple[Path, Path]:
    """(generator manifest, regressor manifest), both seeded, at ``resolution`` px."""
    torch.manual_seed(0)
    gen = Generator(
        AmeeConfig(
            resolution=resolution,
            enc_channels=(4, 8, 8, 16, 16),
            n_residual=1,
            source_input=source_input,
        )
    ).eval()
    weights = AMEE_WEIGHTS.export(folder / "g.safetensors", gen, training={"trained_steps": 0})
    reg = ExpressionRegressor(resolution, 4).eval()
    reg_m = export_weights(
        folder / "r.safetensors",
        {k: v for k, v in reg.state_dict().items() if "num_batches" not in k},
        model=EXPRESSION.model,
        model_version=EXPRESSION.version,
        architecture={"resolution": resolution, "width": 4},
    )
    return weights, reg_m


def trained_like(cfg: AmeeConfig, seed: int = 1) -> Generator:
    """A generator with non-trivial BatchNorm statistics and affine parameters (train mode), so
    function-preserving edits are tested on more than a fresh initialisation."""
    torch.manual_seed(seed)
    g = Generator(cfg)
    with torch.no_grad():
        for m in g.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.3, 0.3)
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
    return g
