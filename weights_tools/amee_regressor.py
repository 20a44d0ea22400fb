"""Train the independent expression regressor that measures AMEE-GAN's expression error.

    python -m moodrig.weights_tools.amee_regressor --out weights/amee/regressor

Trained on painter renders of split 'regressor' (styles disjoint from AMEE training and
evaluation): input = (the style's neutral render, a render of expression k), target = the
expression k (k = 0 included). L1 loss (the measured quantity is an MAE), AdamW with a short
warm-up and cosine decay. Mild blur / noise augmentation of the second image on part of the
batch so it reads slightly soft generated images the way it reads clean ones. Exported as
safetensors + manifest; eval loads it verified.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from moodrig.core.amee.regressor import REGRESSOR_NAME, REGRESSOR_VERSION, ExpressionRegressor
from moodrig.core.expression import EXPRESSION_NAMES
from moodrig.core.weights import export_weights, load_stored_state, load_weights

from .amee_data import ensure_cache, render_split


@dataclass(frozen=True)
class RegressorConfig:
    """Regressor training settings (saved in its manifest)."""

    seed: int = 0
    """Data and init seed."""
    styles: int = 4000
    """Styles of split 'regressor'."""
    per_style: int = 8
    """Renders per style."""
    resolution: int = 64
    """Input resolution, pixels (= AMEE-GAN's)."""
    steps: int = 8000
    """AdamW steps."""
    batch: int = 32
    """Images per step."""
    lr: float = 2e-3
    """Peak AdamW learning rate (linear warm-up over ``warmup`` steps, then cosine to 0)."""
    warmup: int = 200
    """Warm-up steps."""
    weight_decay: float = 1e-4
    """AdamW weight decay."""
    width: int = 16
    """First conv width (stages: w, 2w, 4w, 4w)."""
    augment_frac: float = 0.5
    """Fraction of each batch that gets the blur / noise augmentation (the rest is clean)."""
    threads: int = 1
    """torch.set_num_threads."""
    cache_dir: str = "runs/amee/cache"
    """Where the painter cache lives."""


def augment(x: torch.Tensor, gen: torch.Generator, frac: float) -> torch.Tensor:
    """A ``frac`` of the batch: 3x3 binomial blur of random strength and Gaussian noise
    σ ≤ 0.02 (of the [0, 1] range; 0.04 in [-1, 1]); the rest stays clean."""
    n = x.shape[0]
    k = torch.tensor([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]) / 16.0
    blurred = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), k.expand(3, 1, 3, 3), groups=3)
    on = (torch.rand(n, 1, 1, 1, generator=gen) < frac).float()
    w = torch.rand(n, 1, 1, 1, generator=gen) * on
    x = x * (1 - w) + blurred * w
    return x + torch.randn(x.shape, generator=gen) * 0.04 * torch.rand(n, 1, 1, 1, generator=gen) * on


def lr_factor(cfg: RegressorConfig, step: int) -> float:
    """Linear warm-up to 1 over ``cfg.warmup`` steps, then cosine decay to 0 at ``cfg.steps``."""
    if step < cfg.warmup:
        return (step + 1) / cfg.warmup
    t = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, t)))


def train(cfg: RegressorConfig, out: Path) -> Path:
    torch.set_num_threads(cfg.threads)
    images, exprs = ensure_cache(Path(cfg.cache_dir) / f"regressor_s{cfg.seed}_{cfg.styles}x{cfg.per_style}_{cfg.resolution}.npz",
                                 seed=cfg.seed, split="regressor", n_styles=cfg.styles, per_style=cfg.per_style, size=cfg.resolution)
    torch.manual_seed(cfg.seed)
    model = ExpressionRegressor(cfg.resolution, cfg.width)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: lr_factor(cfg, i))
    rng = np.random.default_rng([cfg.seed, 300])
    tgen = torch.Generator().manual_seed(cfg.seed)
    t0 = time.time()
    for step in range(1, cfg.steps + 1):
        s = rng.integers(0, images.shape[0], cfg.batch)
        k = rng.integers(0, images.shape[1], cfg.batch)
        neutral = torch.from_numpy(images[s, 0].astype(np.float32) / 127.5 - 1.0).permute(0, 3, 1, 2)
        x = torch.from_numpy(images[s, k].astype(np.float32) / 127.5 - 1.0).permute(0, 3, 1, 2)
        y = torch.from_numpy(exprs[s, k])
        loss = F.l1_loss(model(neutral, augment(x, tgen, cfg.augment_frac)), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if step % 250 == 0:
            print(f"step {step} l1 {loss.item():.5f} {time.time() - t0:.0f} s", flush=True)
    model.eval()
    # Held-out check on the non-neutral painter images of the 'eval' split (ground truth, no
    # generator involved): the floor under any expression error measured with this regressor.
    ev_imgs, ev_ex = render_split(cfg.seed, "eval", 32, 8, cfg.resolution)
    with torch.no_grad():
        x = torch.from_numpy(ev_imgs * 2 - 1).permute(0, 1, 4, 2, 3)  # (S, P, 3, R, R)
        neutral = x[:, :1].expand(-1, x.shape[1] - 1, -1, -1, -1).reshape(-1, 3, cfg.resolution, cfg.resolution)
        pred = model(neutral, x[:, 1:].reshape(-1, 3, cfg.resolution, cfg.resolution))
        per_dim = (pred - torch.from_numpy(ev_ex[:, 1:].reshape(-1, 8))).abs().mean(0)
        mae = float(per_dim.mean())
    print(f"regressor MAE on held-out painter images: {mae:.4f} per entry {[round(float(v), 3) for v in per_dim]}")
    tensors = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    return export_weights(out.with_suffix(".safetensors"), tensors, model=REGRESSOR_NAME, model_version=REGRESSOR_VERSION,
                          architecture={"resolution": cfg.resolution, "width": cfg.width},
                          training=asdict(cfg), extra={"expression_names": list(EXPRESSION_NAMES),
                                                       "heldout_painter_mae": mae,
                                                       "heldout_painter_mae_per_entry": [float(v) for v in per_dim], "train_seconds": round(time.time() - t0)})


def load_regressor(manifest: Path) -> ExpressionRegressor:
    tensors, man = load_weights(manifest, model=REGRESSOR_NAME, model_version=REGRESSOR_VERSION)
    arch = man["architecture"]
    model = ExpressionRegressor(int(arch["resolution"]), int(arch["width"]))
    load_stored_state(model, tensors, manifest)  # every layer present with its shape, or refused
    return model.eval()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Train the independent expression regressor.")
    p.add_argument("--out", type=Path, default=Path("weights/amee/expression_regressor"))
    p.add_argument("--steps", type=int, default=RegressorConfig.steps)
    p.add_argument("--width", type=int, default=RegressorConfig.width)
    p.add_argument("--styles", type=int, default=RegressorConfig.styles)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=RegressorConfig.threads)
    a = p.parse_args(argv)
    cfg = RegressorConfig(steps=a.steps, seed=a.seed, width=a.width, styles=a.styles, threads=a.threads)
    print(json.dumps(asdict(cfg)))
    print(f"wrote {train(cfg, a.out)}")


if __name__ == "__main__":
    main()
