"""The face editor's trainer (weights_tools/faceedit_train.py): starting a run from exported
weights, the way a shipped model whose run folder is gone is continued."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from faceedit_tiny import tiny_networks

from moodrig.core.appearance.model import FieldConfig, FieldGenerator, flat_fill
from moodrig.core.appearance.weights_io import EDITOR_WEIGHTS
from moodrig.weights_tools.faceedit_train import (
    init_generator,
    novel_map,
    parse_args,
    reset_paint_heads,
)


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


def test_flat_paint_fills_the_drawn_shape_with_one_colour_from_inside_it() -> None:
    paint = torch.zeros(2, 3, 4, 4)
    paint[:, 0, :2] = 0.8  # red where the shape is drawn
    paint[:, 2, 2:] = 1.0  # blue elsewhere, which must not count
    logit = torch.full((2, 1, 4, 4), -3.0)
    logit[:, :, :2] = 2.0
    fill = flat_fill(paint, logit)
    assert fill.shape == paint.shape
    assert torch.allclose(fill[:, :, 3, 3], torch.tensor([[0.8, 0.0, 0.0]] * 2))
    assert torch.equal(fill, fill[:, :, :1, :1].expand_as(fill))


def test_flat_paint_model_paints_one_colour_per_face() -> None:
    cfg = FieldConfig(resolution=32, channels=(8, 8, 8, 8, 8), n_residual=1, flat_paint=True)
    gen = FieldGenerator(cfg).eval()
    f = gen(torch.rand(2, 4, 32, 32) * 2 - 1, torch.rand(2, cfg.condition_dim))
    for i in range(2):
        assert torch.allclose(f.paint[i], f.paint[i, :, :1, :1].expand_as(f.paint[i]))


def test_reset_paint_heads_paints_nothing_and_keeps_the_rest() -> None:
    trained, _ = tiny_networks()
    before = {k: v.clone() for k, v in trained.state_dict().items()}
    with torch.no_grad():
        trained.head.bias[9] = 5.0  # a head that paints everywhere
    reset_paint_heads(trained)
    side = trained.cfg.resolution
    with torch.no_grad():
        f = trained.eval()(torch.zeros(1, 4, side, side), torch.zeros(1, trained.cfg.condition_dim))
    assert float(f.paint_logit.max()) < 0.0
    after = trained.state_dict()
    assert torch.equal(after["head.weight"][:6], before["head.weight"][:6])
    assert torch.equal(after["head.bias"][:6], before["head.bias"][:6])
    assert all(torch.equal(after[k], v) for k, v in before.items() if not k.startswith("head."))


def test_flat_paint_and_reset_flags_reach_the_run_config() -> None:
    cfg = parse_args(["--flat-paint", "--reset-paint", "--lambda-paint", "1.0"])
    assert cfg.model.flat_paint and cfg.model.paint and cfg.reset_paint
    assert cfg.lambda_paint == 1.0


def test_novel_map_marks_only_colours_no_warp_within_reach_can_bring() -> None:
    src = torch.full((1, 3, 32, 32), 0.8)
    src[:, :, 10, 8:24] = 0.1  # a dark closed-mouth line
    tgt = src.clone()
    tgt[:, :, 10, 8:24] = 0.8
    tgt[:, :, 12, 8:24] = 0.1  # the line moved down two rows: a warp brings it
    tgt[:, 0, 14:17, 10:22] = 1.0  # a red the face does not have near: new content
    tgt[:, 1:, 14:17, 10:22] = 0.2
    novel = novel_map(src, tgt, radius=3 / 32, threshold=0.1)
    assert novel.shape == (1, 1, 32, 32)
    assert novel[0, 0, 14:17, 10:22].all()
    assert novel.sum() == 3 * 12
    far = src.clone()
    far[:, :, 25, 8:24] = 0.1  # the line's colour, but 15 rows away: farther than the reach
    assert novel_map(src, far, radius=3 / 32, threshold=0.1)[0, 0, 25, 8:24].all()
    assert not novel_map(src, src, radius=3 / 32, threshold=0.1).any()


def test_novel_supervision_flags_reach_the_run_config() -> None:
    cfg = parse_args(["--lambda-novel", "1.0", "--novel-radius", "0.05"])
    assert cfg.lambda_novel == 1.0 and cfg.novel_radius == 0.05
    assert parse_args([]).lambda_novel == 0.0
