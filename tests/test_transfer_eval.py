"""The transfer evaluation CLI end to end on tiny untrained models and synthetic faces (plumbing),
and the real-photo geometry on the London data (skipped when the shared data is absent)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from moodrig.core.detail import N_DETAIL
from moodrig.core.face import calibration as calib
from moodrig.core.transfer.config import TransferConfig
from moodrig.core.transfer.model import TransferModel
from moodrig.core.transfer.weights_io import TRANSFER_WEIGHTS
from moodrig.core.weights import export_weights
from moodrig.weights_tools import transfer_eval
from moodrig.weights_tools.regressor import DETAIL, ExpressionRegressor


def _faces(path: Path) -> Path:
    """Two 'people' × neutral/smiling front views built from the canonical face (no photos)."""
    q = calib.cached().canonical
    rows: dict[str, list[object]] = {
        k: [] for k in ("photo", "face_id", "label", "view", "landmarks", "expression")
    }
    for pid in ("001", "002"):
        for label, lift in (("neutral", 0.0), ("smiling", 0.03)):
            lm = q.copy()
            lm[291, 1] -= lift
            lm[61, 1] -= lift * (0.5 if pid == "002" else 1.0)
            rows["photo"].append(f"{pid}_{label}.jpg")
            rows["face_id"].append(pid)
            rows["label"].append(label)
            rows["view"].append("front")
            rows["landmarks"].append((lm * 200 + 300).astype(np.float32))
            rows["expression"].append(
                np.array([0, 0.8 if label == "smiling" else 0, 0, 0.1, 0, 0, 0, 0], np.float32)
            )
    np.savez(path, **{k: np.asarray(v) for k, v in rows.items()})
    return path


def test_eval_cli_writes_report(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = TransferModel(
        TransferConfig(resolution=32, channels=(4, 4, 8), n_residual=1, mlp_dim=8)
    ).eval()
    weights = TRANSFER_WEIGHTS.export(
        tmp_path / "t.safetensors", model, training={"trained_steps": 0}
    )
    reg = ExpressionRegressor(32, 4, N_DETAIL).eval()
    reg_m = export_weights(
        tmp_path / "r.safetensors",
        {k: v for k, v in reg.state_dict().items() if "num_batches" not in k},
        model=DETAIL.model,
        model_version=DETAIL.version,
        architecture={"resolution": 32, "width": 4, "outputs": N_DETAIL},
        extra={"heldout_painter_mae": 0.5},
    )
    out = tmp_path / "report.md"
    transfer_eval.main(
        [
            "--model",
            str(weights),
            "--regressor",
            str(reg_m),
            "--ckpt",
            str(tmp_path / "none"),
            "--faces",
            str(_faces(tmp_path / "faces.npz")),
            "--styles",
            "1",
            "--full-res-styles",
            "1",
            "--face-styles",
            "1",
            "--ft-styles",
            "1",
            "--ft-steps",
            "1",
            "--ablation",
            f"same={weights}",
            "--speed-repeats",
            "1",
            "--out",
            str(out),
            "--json",
            str(tmp_path / "r.json"),
            "--figure",
            str(tmp_path / "fig.png"),
        ]
    )
    text = out.read_text()
    for heading in (
        "## Targets",
        "## 1. Held-out painter styles",
        "## 2. Real faces",
        "## 3. Ablations",
        "### METHOD eq. 2–7 terms",
        "## Per-character fine-tuning",
        "AMEE-GAN",
    ):
        assert heading in text, heading
    assert (tmp_path / "fig.png").stat().st_size > 0 and "![examples](fig.png)" in text
    raw = json.loads((tmp_path / "r.json").read_text())
    assert (
        raw["ablations"][0]["result"]["psnr"] == raw["painter"]["psnr"]
    )  # same weights → same numbers
    assert raw["london"]["readings"] == 4 and np.isfinite(raw["london"]["mae_out"])
    assert raw["geometry_fit"]["people"] == 2
    assert {"L1", "L2", "pair", "style", "content"} <= set(raw["losses"])


@pytest.mark.shared
def test_london_geometry_is_calibrated(shared_data: Path) -> None:
    """On the London front photos, the analysed smile rises from neutral to smiling and the
    measured per-side differences stay small at rest (the shipped neutral offsets hold)."""
    import csv

    from moodrig.core.face import analyze_image
    from moodrig.core.transfer.geometry import detail_from_face
    from moodrig.weights_tools.transfer_eval import mouth_brow_asymmetry

    root = shared_data / "london_faces_dev"
    with (root / "labels.csv").open(newline="", encoding="utf-8") as fh:
        front = [r for r in csv.DictReader(fh) if r["view"] == "front"]
    ids = sorted({r["face_id"] for r in front})[:6]
    neutral, smiling = [], []
    for r in front:
        if r["face_id"] in ids:
            res = analyze_image(root / r["file"])
            (smiling if r["expression"] == "smiling" else neutral).append(
                detail_from_face(res.expression, res.landmarks)
            )
    assert len(neutral) == len(smiling) == 6
    n, s = np.stack(neutral), np.stack(smiling)
    assert s[:, 1:3].mean() > n[:, 1:3].mean() + 0.3  # both smile sides rise
    assert np.abs(mouth_brow_asymmetry(n)).mean() < 0.3


def test_detail_regressor_trains_exports_and_reloads(tmp_path: Path) -> None:
    from moodrig.weights_tools.regressor import RegressorConfig, load_regressor, train

    cfg = RegressorConfig.for_target(
        "detail",
        styles=3,
        per_style=3,
        resolution=32,
        steps=4,
        batch=4,
        width=4,
        cache_dir=str(tmp_path / "cache"),
    )
    assert cfg.warmup == 0 and cfg.weight_decay == 0.0 and cfg.lr == 1e-3
    manifest = train(cfg, tmp_path / "reg")
    man = json.loads(manifest.read_text())
    assert man["model"] == DETAIL.model
    assert man["architecture"] == {"resolution": 32, "width": 4, "outputs": N_DETAIL}
    assert man["detail_names"][1] == "smile_l" and 0 <= man["heldout_painter_mae"] <= 1
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    with torch.no_grad():
        assert load_regressor(manifest)(x, x).shape == (2, N_DETAIL)
