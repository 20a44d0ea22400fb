"""Tiny end-to-end runs: train → export → load → infer, resume = uninterrupted, fine-tuning, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from moodrig.core.appearance.cache import encode_png
from moodrig.core.detail import detail_vector
from moodrig.core.editing.sheet import read_texture
from moodrig.core.errors import InputError
from moodrig.core.expression import expression_vector
from moodrig.core.painter import paint_face, random_style
from moodrig.core.transfer.finetune import (
    TransferFinetuneConfig,
    finetune_transfer,
    finetune_transfer_from_sheet,
)
from moodrig.core.transfer.infer import TransferEditor
from moodrig.weights_tools import transfer_finetune
from moodrig.weights_tools.transfer_train import TrainConfig, parse_args, train

TINY = dict(
    styles=3,
    per_style=3,
    resolution=32,
    channels=(8, 8, 16),
    batch=2,
    recon_batch=1,
    log_every=1,
    sample_every=2,
    ckpt_every=2,
)


def _cfg(tmp: Path, out: str, **kw: object) -> TrainConfig:
    return TrainConfig(out=str(tmp / out), cache_dir=str(tmp / "cache"), **{**TINY, **kw})  # type: ignore[arg-type]


def test_tiny_training_exports_a_usable_model(tmp_path: Path) -> None:
    manifest = train(_cfg(tmp_path, "run", steps=3), quiet=True)
    assert manifest.is_file()
    run = tmp_path / "run"
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2, 3]
    assert {
        "gan",
        "L1",
        "L2",
        "style",
        "content",
        "pair",
        "mask_bce",
        "mask_mean",
        "loss_d",
        "train_psnr",
    } <= set(log[-1])
    assert (run / "samples" / "step_000002.png").is_file() and (run / "config.json").is_file()
    editor = TransferEditor.load(manifest, device="cpu")
    tex = paint_face(random_style(np.random.default_rng(0)), np.zeros(8), 64)[None]
    out = editor.edit(tex, detail_vector(smile_l=1.0)[None])
    assert out.shape == tex.shape and np.isfinite(out).all()
    assert json.loads(manifest.read_text())["training"]["trained_steps"] == 3


def test_resumed_run_equals_uninterrupted_run(tmp_path: Path) -> None:
    whole = train(_cfg(tmp_path, "whole", steps=4), quiet=True)
    train(_cfg(tmp_path, "parts", steps=4, stop_at=2), quiet=True)
    parts = train(_cfg(tmp_path, "parts", steps=4), quiet=True)
    a = TransferEditor.load(whole, device="cpu")
    b = TransferEditor.load(parts, device="cpu")
    assert a.model_id == b.model_id


def test_resuming_with_other_settings_is_refused(tmp_path: Path) -> None:
    train(_cfg(tmp_path, "run", steps=1), quiet=True)
    with pytest.raises(SystemExit, match="different settings"):
        train(_cfg(tmp_path, "run", steps=2, lr_g=1e-3), quiet=True)


def test_cli_flags_map_onto_the_config() -> None:
    cfg = parse_args(
        [
            "--out",
            "x",
            "--steps",
            "7",
            "--w-alpha-1",
            "3",
            "--no-spatial-style",
            "--channels",
            "4",
            "4",
            "8",
        ]
    )
    assert (
        cfg.steps == 7
        and cfg.weights.alpha_1 == 3.0
        and not cfg.spatial_style
        and cfg.channels == (4, 4, 8)
    )
    assert cfg.arch().spatial_style is False


def _sheet(tmp: Path, style_seed: int = 4) -> tuple[Path, np.ndarray]:
    style = random_style(np.random.default_rng(style_seed))
    neutral = paint_face(style, np.zeros(8), 64)
    entries = []
    for k, e in enumerate(
        [
            expression_vector(smile=0.9),
            expression_vector(jaw_open=0.7),
            expression_vector(brow_raise=1.0),
        ]
    ):
        name = f"e{k}.png"
        (tmp / name).write_bytes(encode_png(paint_face(style, e, 64)))
        entries.append({"image": name, "vector": e.tolist()})
    sheet = tmp / "labels.json"
    sheet.write_text(json.dumps(entries))
    (tmp / "neutral.png").write_bytes(encode_png(neutral))
    return sheet, neutral


def test_finetuning_lowers_the_error_on_the_character(tmp_path: Path) -> None:
    manifest = train(_cfg(tmp_path, "run", steps=2), quiet=True)
    base = TransferEditor.load(manifest, device="cpu")
    sheet, neutral = _sheet(tmp_path)
    from moodrig.core.editing.sheet import read_sheet

    examples = read_sheet(sheet)

    def err(ed: TransferEditor) -> float:
        from moodrig.core.detail import detail_from_expression

        outs = ed.edit(
            np.stack([neutral] * 3), np.stack([detail_from_expression(v) for _, v in examples])
        )
        return float(
            np.mean([np.abs(o - t).mean() for o, (t, _) in zip(outs, examples, strict=True)])
        )

    tuned = finetune_transfer(base, neutral, examples, TransferFinetuneConfig(steps=25, lr=1e-3))
    assert tuned.model_id != base.model_id and tuned.manifest["finetuned_from"] == base.model_id
    assert err(tuned) < err(base)
    saved = tuned.save(tmp_path / "ft")
    assert TransferEditor.load(saved, device="cpu").model_id == tuned.model_id
    with pytest.raises(InputError, match="label of example 0"):
        finetune_transfer(base, neutral, [(neutral, np.zeros(5, np.float32))])


def test_finetune_cli_and_sheet_entry_point(tmp_path: Path) -> None:
    manifest = train(_cfg(tmp_path, "run", steps=1), quiet=True)
    sheet, _ = _sheet(tmp_path)
    transfer_finetune.main(
        [
            "--neutral",
            str(tmp_path / "neutral.png"),
            "--sheet",
            str(sheet),
            "--out",
            str(tmp_path / "cli"),
            "--weights",
            str(manifest),
            "--steps",
            "2",
        ]
    )
    out = tmp_path / "cli" / "style_transfer_character.manifest.json"
    assert out.is_file() and (tmp_path / "cli" / "finetune_config.json").is_file()
    path = finetune_transfer_from_sheet(
        sheet,
        read_texture(tmp_path / "neutral.png"),
        tmp_path / "api",
        weights=manifest,
        config=TransferFinetuneConfig(steps=1),
    )
    base_id = TransferEditor.load(manifest, device="cpu").model_id
    assert TransferEditor.load(path, device="cpu").manifest["finetuned_from"] == base_id
