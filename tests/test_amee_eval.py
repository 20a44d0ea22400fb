"""The evaluation CLI end to end on a tiny untrained generator and regressor (plumbing only)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from amee_tiny import tiny_exports
from PIL import Image

from moodrig.weights_tools import amee_eval
from moodrig.weights_tools.metrics import psnr, ssim


def test_metrics_behave() -> None:
    rng = np.random.default_rng(0)
    a = rng.uniform(0, 1, (32, 32, 3)).astype(np.float32)
    assert psnr(a, a) == float("inf") and ssim(a, a) == 1.0
    noisy = np.clip(a + rng.normal(0, 0.1, a.shape), 0, 1).astype(np.float32)
    assert 15 < psnr(a, noisy) < 25 and ssim(a, noisy) < 0.95
    assert abs(psnr(a, a + 0.01) - 40.0) < 1e-3


@pytest.mark.parametrize("source_input", [False, True])
def test_eval_cli_writes_report(tmp_path: Path, source_input: bool) -> None:
    weights, reg_m = tiny_exports(tmp_path, source_input=source_input)
    out = tmp_path / "report.md"
    amee_eval.main(
        [
            "--weights",
            str(weights),
            "--regressor",
            str(reg_m),
            "--styles",
            "1",
            "--full-res",
            "48",
            "--ablation",
            f"same={weights}",
            "--ft-styles",
            "1",
            "--ft-heldout",
            "2",
            "--ft-steps",
            "2",
            "--threads",
            "1",
            "--speed-threads",
            "1",
            "--speed-repeats",
            "1",
            "--out",
            str(out),
            "--json",
            str(tmp_path / "r.json"),
            "--sheet",
            str(tmp_path / "sheet.png"),
            "--sheet-styles",
            "2",
        ]
    )
    text = out.read_text()
    assert (
        "## Held-out styles" in text
        and "## Ablations" in text
        and "## Per-character fine-tuning" in text
    )
    raw = json.loads((tmp_path / "r.json").read_text())
    assert raw["ablations"]["same"]["psnr"] == raw["model"]["psnr"]  # same weights → same numbers
    m = raw[
        "model"
    ]  # 7 pairs from the neutral, 7 from non-neutral renders: the halves average to the whole
    assert (
        abs(m["expr_mae"] - (m["expr_mae_neutral_src"] + m["expr_mae_expressive_src"]) / 2) < 1e-9
    )
    assert (
        m["expr_mae_neutral_src"] != m["expr_mae_expressive_src"]
        and "from the neutral texture" in text
    )
    assert raw["speed"]["tex_per_s_128_b16"] > 0 and raw["speed"]["threads"] == 1
    sheet = np.asarray(Image.open(tmp_path / "sheet.png"))
    assert sheet.shape == (2 * 32 * 2, (1 + 3 * len(amee_eval.SHEET_TARGETS)) * 32 * 2, 3)
    assert "sheet.png" in text and "per entry" in text
    # weights with the source input are also measured without it, in their own column
    assert ("source_unknown" in raw) == source_input and (
        "source not given" in text
    ) == source_input
    if source_input:
        assert raw["source_unknown"]["expr_mae"] != m["expr_mae"]


def test_regressor_trains_exports_and_reloads(tmp_path: Path) -> None:
    from moodrig.weights_tools.regressor import (
        RegressorConfig,
        load_regressor,
        lr_factor,
        train,
    )

    cfg = RegressorConfig(
        styles=3,
        per_style=3,
        resolution=32,
        steps=6,
        batch=4,
        warmup=2,
        width=4,
        cache_dir=str(tmp_path / "cache"),
    )
    assert lr_factor(cfg, 0) == 0.5 and lr_factor(cfg, 2) == 1.0 and lr_factor(cfg, 6) == 0.0
    manifest = train(cfg, tmp_path / "reg")
    man = json.loads(manifest.read_text())
    assert (
        man["architecture"] == {"resolution": 32, "width": 4}
        and 0 <= man["heldout_painter_mae"] <= 1
    )
    reg = load_regressor(manifest)
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    with torch.no_grad():
        y = reg(x, x)
    assert y.shape == (2, 8) and bool(((y > 0) & (y < 1)).all())
