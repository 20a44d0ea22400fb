"""AMEE-GAN tooling smoke tests on tiny data: train → export → load → infer, resume,
determinism, fine-tuning (function and CLI)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from moodrig.core.amee.config import AmeeConfig
from moodrig.core.amee.finetune import FinetuneConfig, finetune
from moodrig.core.amee.infer import AmeeEditor
from moodrig.core.amee.model import Generator
from moodrig.core.amee.weights_io import AMEE_WEIGHTS
from moodrig.core.errors import InputError
from moodrig.core.expression import expression_vector
from moodrig.core.image import to_uint8
from moodrig.core.painter import DEFAULT_STYLE, paint_face
from moodrig.weights_tools import amee_finetune
from moodrig.weights_tools.amee_train import TrainConfig, train

TINY_CH = (4, 8, 8, 16, 16)


def _cfg(tmp: Path, out: str, steps: int) -> TrainConfig:
    return TrainConfig(
        out=str(tmp / out),
        steps=steps,
        batch=2,
        styles=4,
        per_style=3,
        resolution=32,
        enc_channels=TINY_CH,
        threads=1,
        log_every=1,
        sample_every=2,
        ckpt_every=1,
        cache_dir=str(tmp / "cache"),
    )


def test_train_export_load_infer(tmp_path: Path) -> None:
    manifest = train(_cfg(tmp_path, "run", 3), quiet=True)
    run = tmp_path / "run"
    assert (run / "config.json").is_file() and (run / "samples" / "step_000002.png").is_file()
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2, 3]
    assert all(np.isfinite(r["loss_g"]) and 0 <= r["mean_mask"] <= 1 for r in log)
    man = json.loads(manifest.read_text())
    assert (
        man["resolution"] == 32
        and man["training"]["trained_steps"] == 3
        and len(man["expression_names"]) == 8
    )
    # stage 2 starts from the stage-1 export with the change-weighted losses
    stage2 = train(
        TrainConfig(
            **{
                **_cfg(tmp_path, "stage2", 1).__dict__,
                "init_from": str(manifest),
                "changed_weight": 10.0,
                "mask_pos_weight": 5.0,
            }
        ),
        quiet=True,
    )
    assert json.loads(stage2.read_text())["training"]["init_from"] == str(manifest)
    # a wider run widens the export; a narrower one is refused
    wide = train(
        TrainConfig(
            **{
                **_cfg(tmp_path, "wide", 1).__dict__,
                "init_from": str(manifest),
                "enc_channels": (8, 8, 8, 16, 16),
            }
        ),
        quiet=True,
    )
    assert json.loads(wide.read_text())["architecture"]["enc_channels"] == [8, 8, 8, 16, 16]
    with pytest.raises(SystemExit, match="architecture"):
        train(
            TrainConfig(
                **{
                    **_cfg(tmp_path, "bad", 1).__dict__,
                    "init_from": str(manifest),
                    "enc_channels": (4, 8, 8, 16, 8),
                }
            ),
            quiet=True,
        )
    editor = AmeeEditor.load(stage2, device="cpu")
    tex = paint_face(DEFAULT_STYLE, np.zeros(8, np.float32), 80)[None]
    out = editor.edit(tex, expression_vector(smile=1.0)[None])
    assert out.shape == tex.shape and np.isfinite(out).all()


def test_training_is_seeded_and_resumable(tmp_path: Path) -> None:
    one = train(_cfg(tmp_path, "a", 3), quiet=True)
    train(_cfg(tmp_path, "b", 2), quiet=True)
    resumed = train(_cfg(tmp_path, "b", 3), quiet=True)  # continues from step 2
    steps_b = [
        json.loads(line)["step"] for line in (tmp_path / "b" / "log.jsonl").read_text().splitlines()
    ]
    assert steps_b == [1, 2, 3]
    sha = [json.loads(p.read_text())["sha256"] for p in (one, resumed)]
    assert sha[0] == sha[1], "an interrupted + resumed run must equal an uninterrupted one"
    with pytest.raises(SystemExit):  # same folder, different settings: refused
        train(TrainConfig(**{**_cfg(tmp_path, "b", 3).__dict__, "lambda_rec": 1.0}), quiet=True)


def _tiny_base(tmp: Path) -> AmeeEditor:
    torch.manual_seed(0)
    gen = Generator(AmeeConfig(resolution=32, enc_channels=TINY_CH, n_residual=1)).eval()
    return AmeeEditor.load(AMEE_WEIGHTS.export(tmp / "base.safetensors", gen), device="cpu")


def _character(size: int = 32) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    exprs = [
        expression_vector(smile=1.0),
        expression_vector(jaw_open=0.8),
        expression_vector(eye_close_l=1.0, eye_close_r=1.0),
    ]
    neutral = paint_face(DEFAULT_STYLE, np.zeros(8, np.float32), size)
    return neutral, [(paint_face(DEFAULT_STYLE, e, size), e) for e in exprs]


def test_finetune_fits_the_character_and_saves(tmp_path: Path) -> None:
    base = _tiny_base(tmp_path)
    neutral, examples = _character()
    src = np.stack([neutral] * 3)
    tgt = np.stack([t for t, _ in examples])
    ex = np.stack([e for _, e in examples])
    err_before = np.abs(base.edit(src, ex) - tgt).mean()
    before_params = [p.clone() for p in base.network.parameters()]
    tuned = finetune(base, neutral, examples, FinetuneConfig(steps=60, batch=4, lr=2e-3, threads=1))
    err_after = np.abs(tuned.edit(src, ex) - tgt).mean()
    assert err_after < 0.25 * err_before  # measured 0.086 × (0.1104 → 0.0095)
    after_params = base.network.parameters()
    assert all(torch.equal(a, b) for a, b in zip(before_params, after_params, strict=True))
    assert tuned.model_id != base.model_id and tuned.manifest["finetuned_from"] == base.model_id
    manifest = tuned.save(tmp_path / "beside_blend")
    reloaded = AmeeEditor.load(manifest, device="cpu")
    assert reloaded.model_id == tuned.model_id
    assert np.array_equal(reloaded.edit(src, ex), tuned.edit(src, ex))
    with pytest.raises(InputError):
        finetune(base, neutral, [])
    with pytest.raises(InputError):
        finetune(base, neutral, [(examples[0][0], np.full(8, 2.0, np.float32))])


def test_finetune_cli(tmp_path: Path) -> None:
    base = _tiny_base(tmp_path)
    neutral, examples = _character(48)
    Image.fromarray(to_uint8(neutral)).save(tmp_path / "neutral.png")
    sheet = []
    for k, (img, e) in enumerate(examples):
        Image.fromarray(to_uint8(img[..., :3])).save(tmp_path / f"ex{k}.png")
        sheet.append({"image": f"ex{k}.png", "vector": [float(v) for v in e]})
    (tmp_path / "labels.json").write_text(json.dumps(sheet))
    out = tmp_path / "out"
    amee_finetune.main(
        [
            "--neutral",
            str(tmp_path / "neutral.png"),
            "--sheet",
            str(tmp_path / "labels.json"),
            "--out",
            str(out),
            "--weights",
            str(tmp_path / "base.manifest.json"),
            "--steps",
            "5",
            "--threads",
            "1",
        ]
    )
    tuned = AmeeEditor.load(out / "amee_gan_character.manifest.json", device="cpu")
    assert tuned.manifest["finetuned_from"] == base.model_id
    assert json.loads((out / "finetune_config.json").read_text())["config"]["steps"] == 5
    (tmp_path / "two.json").write_text(json.dumps(sheet[:2]))
    with pytest.raises(InputError, match=r"two\.json.*3 to 8"):
        amee_finetune.main(
            [
                "--neutral",
                str(tmp_path / "neutral.png"),
                "--sheet",
                str(tmp_path / "two.json"),
                "--out",
                str(out),
                "--weights",
                str(tmp_path / "base.manifest.json"),
            ]
        )
    (tmp_path / "bad.json").write_text(
        json.dumps([{"image": "ex0.png", "expression": {"grin": 1}}])
    )
    with pytest.raises(InputError):
        amee_finetune.main(
            [
                "--neutral",
                str(tmp_path / "neutral.png"),
                "--sheet",
                str(tmp_path / "bad.json"),
                "--out",
                str(out),
                "--weights",
                str(tmp_path / "base.manifest.json"),
            ]
        )
