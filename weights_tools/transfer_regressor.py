"""Train the independent detail regressor that measures the transfer model's expressions.

    python -m moodrig.weights_tools.transfer_regressor --out runs/transfer/detail_regressor

Same architecture as AMEE-GAN's evaluation regressor (``core/amee/regressor.py``: it reads the
character's neutral texture next to the image), but with 11 outputs, the per-side detail
vector, trained separately on painter renders of split 'regressor' (styles disjoint from the
transfer model's training and evaluation styles), asymmetric detail vectors included, with
the same blur / noise augmentation. Shares nothing with the transfer model or its discriminator.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from moodrig.core.amee.regressor import ExpressionRegressor
from moodrig.core.detail import DETAIL_NAMES, N_DETAIL
from moodrig.core.weights import export_weights, load_stored_state, load_weights

from .amee_regressor import augment
from .transfer_data import ensure_cache, render_split

NAME = "transfer-detail-regressor"
VERSION = 2
"""2: the v3 regressor architecture (neutral, image and their difference as input)."""


@dataclass(frozen=True)
class RegressorConfig:
    """Detail-regressor training settings (saved in its manifest)."""

    seed: int = 0
    styles: int = 1500
    """Styles of split 'regressor'."""
    per_style: int = 6
    """Renders per style (index 0 neutral)."""
    resolution: int = 64
    steps: int = 3000
    batch: int = 32
    lr: float = 1e-3
    """Adam, cosine-decayed to 0."""
    width: int = 16
    threads: int = 1
    cache_dir: str = "runs/transfer/cache"


def _images(arr: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(arr.astype(np.float32) / 127.5 - 1.0).permute(0, 3, 1, 2).contiguous()


def train(cfg: RegressorConfig, out: Path) -> Path:
    torch.set_num_threads(cfg.threads)
    images, _, details = ensure_cache(
        Path(cfg.cache_dir) / f"regressor_s{cfg.seed}_{cfg.styles}x{cfg.per_style}_{cfg.resolution}.npz",
        seed=cfg.seed, split="regressor", n_styles=cfg.styles, per_style=cfg.per_style, size=cfg.resolution)
    torch.manual_seed(cfg.seed)
    model = ExpressionRegressor(cfg.resolution, cfg.width, N_DETAIL)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, cfg.steps)
    rng = np.random.default_rng([cfg.seed, 301])
    tgen = torch.Generator().manual_seed(cfg.seed)
    t0 = time.time()
    for step in range(1, cfg.steps + 1):
        s = rng.integers(0, images.shape[0], cfg.batch)
        k = rng.integers(0, images.shape[1], cfg.batch)
        loss = F.mse_loss(model(_images(images[s, 0]), augment(_images(images[s, k]), tgen, 0.5)), torch.from_numpy(details[s, k]))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if step % 250 == 0:
            print(f"step {step} mse {loss.item():.5f} {time.time() - t0:.0f} s", flush=True)
    model.eval()
    ev_imgs, _, ev_d = render_split(cfg.seed, "eval", 32, 6, cfg.resolution)
    with torch.no_grad():
        x = torch.from_numpy(ev_imgs * 2 - 1).permute(0, 1, 4, 2, 3)
        neutral = x[:, :1].expand_as(x).reshape(-1, 3, cfg.resolution, cfg.resolution)
        pred = model(neutral, x.reshape(-1, 3, cfg.resolution, cfg.resolution))
        per_dim = (pred - torch.from_numpy(ev_d.reshape(-1, N_DETAIL))).abs().mean(0)
    mae = float(per_dim.mean())
    print(f"detail regressor MAE on held-out painter images: {mae:.4f} per entry {[round(float(v), 3) for v in per_dim]}")
    tensors = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    return export_weights(out.with_suffix(".safetensors"), tensors, model=NAME, model_version=VERSION,
                          architecture={"resolution": cfg.resolution, "width": cfg.width, "outputs": N_DETAIL},
                          training=asdict(cfg), extra={"detail_names": list(DETAIL_NAMES), "heldout_painter_mae": mae,
                                                       "heldout_painter_mae_per_entry": [float(v) for v in per_dim],
                                                       "train_seconds": round(time.time() - t0)})


def load_regressor(manifest: Path) -> ExpressionRegressor:
    tensors, man = load_weights(manifest, model=NAME, model_version=VERSION)
    arch = man["architecture"]
    model = ExpressionRegressor(int(arch["resolution"]), int(arch["width"]), int(arch["outputs"]))
    load_stored_state(model, tensors, manifest)  # every layer present with its shape, or refused
    return model.eval()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Train the independent detail regressor (evaluation only).")
    p.add_argument("--out", type=Path, default=Path("runs/transfer/detail_regressor"))
    p.add_argument("--steps", type=int, default=RegressorConfig.steps)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    cfg = RegressorConfig(steps=a.steps, seed=a.seed)
    print(json.dumps(asdict(cfg)))
    print(f"wrote {train(cfg, a.out)}")


if __name__ == "__main__":
    main()
