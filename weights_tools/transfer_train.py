"""Train the style-consistent transfer model on painter data (CPU-friendly, resumable, seeded).

    python -m moodrig.weights_tools.transfer_train --out runs/transfer/full --steps 4000
    python -m moodrig.weights_tools.transfer_train --out runs/transfer/global_only --no-spatial-style ...  # ablation

Data (``transfer_data.py``): random training styles × random asymmetric detail vectors; the
content is the line drawing of the detail vector, the style reference the style's neutral
texture, the target the painter's exact render of (style, detail). Losses: METHOD eqs. 2–7 with
the α weights of ``core/transfer/config.LossWeights`` plus the paired L1 and mask terms
(``core/transfer/losses.py``).

The run folder gets ``config.json`` (resolved config; resuming with other settings is refused),
``log.jsonl`` (every loss term, mean mask, training PSNR, s/step), ``samples/step_XXXXXX.png``
(rows: content | reference | output | ground truth | mask), ``ckpt.*`` (resume: rerun the same
command; pickle-free, ``amee_ckpt.py``) and ``export/style_transfer_stepXXXXXX.*``.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from moodrig.core.fileio import atomic_write_text
from moodrig.core.transfer.config import LossWeights, TransferConfig
from moodrig.core.transfer.losses import Batch, discriminator_loss, generator_loss, transfer
from moodrig.core.transfer.model import TransferModel, TwoScaleDiscriminator
from moodrig.core.transfer.weights_io import TRANSFER_WEIGHTS

from .amee_ckpt import load_checkpoint, save_checkpoint
from .amee_train import save_grid
from .transfer_data import ensure_cache


@dataclass(frozen=True)
class TrainConfig:
    """Everything a run depends on; saved as config.json next to the run."""

    out: str = "runs/transfer/full"
    """Run folder (created; rerunning resumes from its checkpoint)."""
    seed: int = 0
    """Seeds the data stream, the sampler and weight init."""
    steps: int = 4000
    """Optimiser steps in total (the learning-rate schedule's length)."""
    stop_at: int = 0
    """Stop (and export) at this step, keeping the schedule of ``steps`` (0: run to ``steps``)."""
    batch: int = 8
    """(content, reference, target) triples per step."""
    lr_g: float = 4e-4
    """Adam learning rate of K_t, K_s and J (above MUNIT's 1e-4: the CPU budget allows a few
    thousand steps; the paired L1 keeps it stable, as for AMEE-GAN)."""
    lr_d: float = 2e-4
    """Adam learning rate of the two-scale discriminator."""
    beta1: float = 0.5
    beta2: float = 0.999
    lr_decay_from: float = 0.6
    """Fraction of ``steps`` after which both learning rates decay linearly to 0."""
    weights: LossWeights = field(default_factory=LossWeights)
    """The α weights of eqs. 2–7 and the paired / mask terms."""
    recon_batch: int = 4
    """Samples of each batch that the eq. 4–5 and latent terms are computed on (0: all)."""
    identity_prob: float = 0.1
    """Probability that a sample's geometry is the neutral one (output must equal the reference)."""
    mask_bias_init: float = -5.0
    """Initial bias of the mask head (sigmoid(−5) ≈ 0.007, below the threshold: starts closed)."""
    styles: int = 2000
    """Training styles (split 'train')."""
    per_style: int = 6
    """Renders per style (index 0 neutral)."""
    resolution: int = 64
    """Model resolution, pixels."""
    channels: tuple[int, int, int] = (16, 32, 64)
    """TransferConfig.channels."""
    spatial_style: bool = True
    """False: ablation with the global 8-d style code only."""
    use_mask: bool = True
    """False: ablation without the mask head."""
    init_from: str = ""
    """Model manifest to start from ("" = random init); discriminator and optimisers start fresh."""
    threads: int = 1
    """torch.set_num_threads."""
    log_every: int = 25
    sample_every: int = 500
    ckpt_every: int = 100
    export_at: tuple[int, ...] = ()
    """Extra steps at which to export (the last step always is)."""
    cache_dir: str = "runs/transfer/cache"

    def arch(self) -> TransferConfig:
        return TransferConfig(resolution=self.resolution, channels=self.channels,
                              spatial_style=self.spatial_style, use_mask=self.use_mask)


class TripleSampler:
    """Draws (content drawing, neutral reference, ground truth) from the uint8 cache."""

    def __init__(self, images: NDArray[np.uint8], drawings: NDArray[np.uint8], identity_prob: float) -> None:
        self.images = images
        self.drawings = drawings
        self.identity_prob = identity_prob
        neutral = drawings[:, 0]
        if not np.all(neutral == neutral[:1]):
            raise ValueError("neutral drawings differ between styles; the cache is inconsistent")
        self.drawing_reference = self._to_tensor(neutral[:1, ..., None].repeat(3, axis=-1))

    @staticmethod
    def _to_tensor(arr: NDArray[np.uint8]) -> torch.Tensor:
        return torch.from_numpy(arr.astype(np.float32) / 127.5 - 1.0).permute(0, 3, 1, 2).contiguous()

    def sample(self, rng: np.random.Generator, n: int) -> Batch:
        s_count, p = self.images.shape[:2]
        s = rng.integers(0, s_count, n)
        k = rng.integers(1, p, n)
        k = np.where(rng.uniform(size=n) < self.identity_prob, 0, k)
        content = self.drawings[s, k][..., None].repeat(3, axis=-1)
        return Batch(self._to_tensor(content), self._to_tensor(self.images[s, 0]), self._to_tensor(self.images[s, k]),
                     self.drawing_reference)


def lr_factor(cfg: TrainConfig, step: int) -> float:
    start = int(cfg.lr_decay_from * cfg.steps)
    if step < start:
        return 1.0
    return max(0.0, 1.0 - (step - start) / max(1, cfg.steps - start))


def config_dict(cfg: TrainConfig) -> dict[str, Any]:
    d = asdict(cfg)
    d["channels"] = list(cfg.channels)
    d["export_at"] = list(cfg.export_at)
    return d


def train(cfg: TrainConfig, *, quiet: bool = False) -> Path:
    """Run (or resume) training; returns the manifest of the last export."""
    torch.set_num_threads(cfg.threads)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    cfg_dict = config_dict(cfg)
    cfg_path = out / "config.json"
    if cfg_path.is_file():
        old = json.loads(cfg_path.read_text())
        free = ("steps", "threads", "export_at", "stop_at", "log_every", "sample_every", "ckpt_every")
        changed = {k for k in cfg_dict if k not in free and json.dumps(old.get(k)) != json.dumps(cfg_dict[k])}
        if changed:
            raise SystemExit(f"{cfg_path} exists with different settings {sorted(changed)}; use a new --out")
    atomic_write_text(cfg_path, json.dumps(cfg_dict, indent=2) + "\n")

    images, drawings, _ = ensure_cache(
        Path(cfg.cache_dir) / f"train_s{cfg.seed}_{cfg.styles}x{cfg.per_style}_{cfg.resolution}.npz",
        seed=cfg.seed, split="train", n_styles=cfg.styles, per_style=cfg.per_style, size=cfg.resolution)
    sampler = TripleSampler(images, drawings, cfg.identity_prob)
    arch = cfg.arch()
    torch.manual_seed(cfg.seed)  # weight init only
    model, disc = TransferModel(arch), TwoScaleDiscriminator(arch)
    if model.decoder.mask_head is not None:
        with torch.no_grad():
            model.decoder.mask_head.bias.fill_(cfg.mask_bias_init)
    if cfg.init_from:
        init, _ = TRANSFER_WEIGHTS.load(cfg.init_from)
        if init.cfg != arch:
            raise SystemExit(f"{cfg.init_from}: architecture {init.cfg} differs from this run's {arch}")
        model.load_state_dict(init.state_dict())
    opt_g = torch.optim.Adam(model.parameters(), lr=cfg.lr_g, betas=(cfg.beta1, cfg.beta2))
    opt_d = torch.optim.Adam(disc.parameters(), lr=cfg.lr_d, betas=(cfg.beta1, cfg.beta2))
    rng = np.random.default_rng([cfg.seed, 100])
    tgen = torch.Generator().manual_seed(cfg.seed)
    step = load_checkpoint(out, gen=model, disc=disc, opt_g=opt_g, opt_d=opt_d, np_rng=rng, torch_gen=tgen)
    fixed = sampler.sample(np.random.default_rng([cfg.seed, 200]), 6)
    last = cfg.stop_at if 0 < cfg.stop_at < cfg.steps else cfg.steps
    manifest = out / "export" / f"style_transfer_step{last:06d}.manifest.json"
    t0 = t_last = time.time()
    with (out / "log.jsonl").open("a") as log:
        while step < last:
            f = lr_factor(cfg, step)
            for g in opt_g.param_groups:
                g["lr"] = cfg.lr_g * f
            for g in opt_d.param_groups:
                g["lr"] = cfg.lr_d * f
            model.train()
            batch = sampler.sample(rng, cfg.batch)
            loss_g, terms, outs = generator_loss(model, batch, cfg.weights, disc, cfg.recon_batch)
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()  # type: ignore[no-untyped-call]
            opt_g.step()
            loss_d = discriminator_loss(disc, batch.target, outs.final)
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()  # type: ignore[no-untyped-call]
            opt_d.step()
            step += 1

            if step % cfg.log_every == 0 or step == last:
                with torch.no_grad():
                    mse = ((outs.final - batch.target) ** 2).mean().clamp_min(1e-10)
                    psnr = float(10 * torch.log10(4.0 / mse))
                rec: dict[str, Any] = {"step": step, "loss_d": float(loss_d.detach()), **terms,
                                       "mask_zero_frac": float((outs.mask < 0.01).float().mean()),
                                       "train_psnr": psnr, "lr_factor": f,
                                       "s_per_step": (time.time() - t_last) / cfg.log_every, "elapsed_s": time.time() - t0}
                t_last = time.time()
                log.write(json.dumps(rec) + "\n")
                log.flush()
                if not quiet:
                    print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in rec.items()), flush=True)
            if step % cfg.sample_every == 0 or step == last:
                model.eval()
                with torch.no_grad():
                    o = transfer(model, fixed.content, fixed.reference)
                    save_grid(out / "samples" / f"step_{step:06d}.png",
                              [fixed.content, fixed.reference, o.final, fixed.target, o.mask])
            if step % cfg.ckpt_every == 0 or step == last:
                save_checkpoint(out, step=step, gen=model, disc=disc, opt_g=opt_g, opt_d=opt_d, np_rng=rng, torch_gen=tgen)
            if step in cfg.export_at or step == last:
                manifest = export_snapshot(cfg, model, step)
    return manifest


def export_snapshot(cfg: TrainConfig, model: TransferModel, step: int) -> Path:
    """Export K_t, K_s, J at ``step`` (float16 storage)."""
    snap = TransferModel(model.cfg)
    snap.load_state_dict(model.state_dict())
    TRANSFER_WEIGHTS.storage_round_trip(snap)
    training = {k: v for k, v in config_dict(cfg).items() if k not in ("out", "cache_dir", "threads", "stop_at")}
    training["trained_steps"] = step
    return TRANSFER_WEIGHTS.export(Path(cfg.out) / "export" / f"style_transfer_step{step:06d}.safetensors", snap, training=training)


def parse_args(argv: list[str] | None = None) -> TrainConfig:
    p = argparse.ArgumentParser(description="Train the style-consistent transfer model on painter data.")
    defaults = TrainConfig()
    skip = {"weights", "spatial_style", "use_mask"}
    for f in fields(TrainConfig):
        if f.name in skip:
            continue
        flag = "--" + f.name.replace("_", "-")
        val = getattr(defaults, f.name)
        if isinstance(val, tuple):
            p.add_argument(flag, type=int, nargs="*", default=list(val))
        else:
            p.add_argument(flag, type=type(val), default=val)
    for f in fields(LossWeights):
        p.add_argument("--w-" + f.name.replace("_", "-"), dest="w_" + f.name, type=float, default=getattr(LossWeights(), f.name),
                       help=f"LossWeights.{f.name}")
    p.add_argument("--no-spatial-style", action="store_true", help="ablation: global 8-d style code only")
    p.add_argument("--no-mask", action="store_true", help="ablation: no mask head (M = 1)")
    p.add_argument("--dry-run", action="store_true", help="print the resolved config and exit")
    a = vars(p.parse_args(argv))
    dry = a.pop("dry_run")
    w = LossWeights(**{k[2:]: a.pop(k) for k in list(a) if k.startswith("w_")})
    kw: dict[str, Any] = {k: (tuple(v) if isinstance(v, list) else v) for k, v in a.items()
                          if k not in ("no_spatial_style", "no_mask")}
    if len(kw["channels"]) != 3:
        raise SystemExit("--channels takes 3 widths")
    kw["channels"] = (kw["channels"][0], kw["channels"][1], kw["channels"][2])
    cfg = TrainConfig(weights=w, spatial_style=not a["no_spatial_style"], use_mask=not a["no_mask"], **kw)
    if dry:
        print(json.dumps(config_dict(cfg), indent=2))
        raise SystemExit(0)
    return cfg


def main(argv: list[str] | None = None) -> None:
    cfg = parse_args(argv)
    print(f"exported {train(cfg)}")


if __name__ == "__main__":
    main()
