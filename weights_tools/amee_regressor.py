"""Train the independent expression regressor that measures AMEE-GAN's expression error.

    python -m moodrig.weights_tools.amee_regressor --out weights/amee/regressor

Trained on painter renders of split 'regressor' (styles disjoint from AMEE training and
evaluation): input = (the style's neutral render, a render of expression k), target = the
expression k (k = 0 included). Mild blur / noise augmentation of the second image so it reads
slightly soft generated images the way it reads clean ones. Exported as safetensors + manifest; eval loads it verified.
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

from moodrig.core.amee.regressor import REGRESSOR_NAME, REGRESSOR_VERSION, ExpressionRegressor
from moodrig.core.expression import EXPRESSION_NAMES
from moodrig.core.weights import export_weights, load_weights

from .amee_data import ensure_cache, render_split


@dataclass(frozen=True)
class RegressorConfig:
    """Regressor training settings (saved in its manifest)."""

    seed: int = 0
    """Data and init seed."""
    styles: int = 1500
    """Styles of split 'regressor'."""
    per_style: int = 8
    """Renders per style."""
    resolution: int = 64
    """Input resolution, pixels (= AMEE-GAN's)."""
    steps: int = 3000
    """Adam steps."""
    batch: int = 32
    """Images per step."""
    lr: float = 1e-3
    """Adam learning rate (cosine-decayed to 0)."""
    width: int = 16
    """First conv width."""
    threads: int = 1
    """torch.set_num_threads."""
    cache_dir: str = "runs/amee/cache"
    """Where the painter cache lives."""


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Half the batch: 3x3 box-ish blur of random strength; all: Gaussian noise σ ≤ 0.02."""
    n = x.shape[0]
    k = torch.tensor([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]) / 16.0
    blurred = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), k.expand(3, 1, 3, 3), groups=3)
    w = torch.rand(n, 1, 1, 1, generator=gen) * (torch.rand(n, 1, 1, 1, generator=gen) < 0.5)
    x = x * (1 - w) + blurred * w
    return x + torch.randn(x.shape, generator=gen) * 0.04 * torch.rand(n, 1, 1, 1, generator=gen)


def train(cfg: RegressorConfig, out: Path) -> Path:
    torch.set_num_threads(cfg.threads)
    images, exprs = ensure_cache(Path(cfg.cache_dir) / f"regressor_s{cfg.seed}_{cfg.styles}x{cfg.per_style}_{cfg.resolution}.npz",
                                 seed=cfg.seed, split="regressor", n_styles=cfg.styles, per_style=cfg.per_style, size=cfg.resolution)
    torch.manual_seed(cfg.seed)
    model = ExpressionRegressor(cfg.resolution, cfg.width)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, cfg.steps)
    rng = np.random.default_rng([cfg.seed, 300])
    tgen = torch.Generator().manual_seed(cfg.seed)
    t0 = time.time()
    for step in range(1, cfg.steps + 1):
        s = rng.integers(0, images.shape[0], cfg.batch)
        k = rng.integers(0, images.shape[1], cfg.batch)
        neutral = torch.from_numpy(images[s, 0].astype(np.float32) / 127.5 - 1.0).permute(0, 3, 1, 2)
        x = torch.from_numpy(images[s, k].astype(np.float32) / 127.5 - 1.0).permute(0, 3, 1, 2)
        y = torch.from_numpy(exprs[s, k])
        loss = F.mse_loss(model(neutral, augment(x, tgen)), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if step % 250 == 0:
            print(f"step {step} mse {loss.item():.5f} {time.time() - t0:.0f} s", flush=True)
    model.eval()
    # Held-out check on painter images of the 'eval' split (ground truth, no generator involved).
    ev_imgs, ev_ex = render_split(cfg.seed, "eval", 32, 8, cfg.resolution)
    with torch.no_grad():
        x = torch.from_numpy(ev_imgs * 2 - 1).permute(0, 1, 4, 2, 3)  # (S, P, 3, R, R)
        neutral = x[:, :1].expand_as(x).reshape(-1, 3, cfg.resolution, cfg.resolution)
        pred = model(neutral, x.reshape(-1, 3, cfg.resolution, cfg.resolution))
        per_dim = (pred - torch.from_numpy(ev_ex.reshape(-1, 8))).abs().mean(0)
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
    model.load_state_dict(tensors, strict=False)
    return model.eval()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Train the independent expression regressor.")
    p.add_argument("--out", type=Path, default=Path("weights/amee/expression_regressor"))
    p.add_argument("--steps", type=int, default=RegressorConfig.steps)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    cfg = RegressorConfig(steps=a.steps, seed=a.seed)
    print(json.dumps(asdict(cfg)))
    print(f"wrote {train(cfg, a.out)}")


if __name__ == "__main__":
    main()
