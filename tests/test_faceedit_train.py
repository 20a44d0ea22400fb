"""The face editor's trainer (weights_tools/faceedit_train.py): starting a run from exported
weights, the way a shipped model whose run folder is gone is continued."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from faceedit_tiny import tiny_networks

from moodrig.core.appearance.model import FieldConfig, FieldGenerator
from moodrig.core.appearance.weights_io import EDITOR_WEIGHTS
from moodrig.weights_tools.faceedit_train import init_generator, parse_args


def test_init_weights_loads_the_exported_generator_into_the_generator_and_its_ema(
    tmp_path: Path,
) -> None:
    trained, _ = tiny_networks()
    manifest = EDITOR_WEIGHTS.export(tmp_path / "e.safetensors", trained, training={"step": 1})
    torch.manual_seed(1)
    gen, ema = FieldGenerator(trained.cfg), FieldGenerator(trained.cfg)
    init_generator(manifest, trained.cfg, gen, ema)
    stored = EDITOR_WEIGHTS.load(manifest)[0].state_dict()  # as stored (rounded) in the file
    assert any(
        not torch.equal(a, stored[k]) for k, a in FieldGenerator(trained.cfg).state_dict().items()
    )
    for net in (gen, ema):
        for name, a in net.state_dict().items():
            assert torch.equal(a, stored[name]), name


def test_init_weights_of_another_architecture_is_refused(tmp_path: Path) -> None:
    trained, _ = tiny_networks()
    manifest = EDITOR_WEIGHTS.export(tmp_path / "e.safetensors", trained, training={"step": 1})
    other = FieldConfig(resolution=32, channels=(8, 8, 8, 8, 8), n_residual=1, paint=False)
    gen, ema = FieldGenerator(other), FieldGenerator(other)
    with pytest.raises(ValueError, match="--no-paint"):
        init_generator(manifest, other, gen, ema)


def test_the_flag_reaches_the_run_config() -> None:
    cfg = parse_args(["--init-weights", "w.manifest.json", "--coarse-flow", "--no-paint"])
    assert cfg.init_weights == "w.manifest.json"
    assert cfg.model.coarse_flow and not cfg.model.paint
