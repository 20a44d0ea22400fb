"""Train AMEE-GAN on painter expression sheets (CPU-friendly, resumable, seeded).

    python -m moodrig.weights_tools.amee_train --out runs/amee/full --steps 6000
    python -m moodrig.weights_tools.amee_train --out runs/amee/no_mask --no-mask ...   # ablation
    python -m moodrig.weights_tools.amee_train --out runs/amee/no_mag --no-magnitude ...  # ablation

The run folder gets ``config.json`` (resolved config), ``log.jsonl`` (losses, mean mask),
``samples/step_XXXXXX.png`` (rows: input | output | ground truth | mask), ``ckpt.*`` (resume:
rerun the same command) and ``export/amee_gan_stepXXXXXX.{safetensors,manifest.json}``.

Losses (METHOD.md §3 "Our choice" plus paired terms): generator
  r(t)·(λ_adv·LSGAN + λ_mag_g·MSE(D_mag(final), a_tgt)) + λ_rec·L1_w(final, ground truth)
  + λ_int·L1_w(I_m, ground truth) + λ_cyc·L1(G(final, a_src), I_src)
  + λ_mask·mean(M) + λ_tv·TV(M) + λ_msup·BCE(M, changed),
where ``changed`` marks the pixels (dilated by 1) where source and ground truth differ: the
painter tells us exactly which pixels an edit must touch. L1_w weights each pixel by
1 + changed_weight·changed. r(t) ramps the adversarial and magnitude terms in linearly over
the first ``adv_ramp`` steps, so the exact paired supervision dominates early. Discriminator:
LSGAN on real (source and target renders) vs fake, plus λ_mag·MSE of its magnitude head on
real images. The exported generator is an exponential moving average of the trained one.
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray
from PIL import Image

from moodrig.core.amee.config import AmeeConfig
from moodrig.core.amee.model import Discriminator, Generator
from moodrig.core.amee.weights_io import AMEE_WEIGHTS
from moodrig.core.editing.losses import changed_map, compose, total_variation, weighted_l1
from moodrig.core.fileio import atomic_write_text

from .amee_ckpt import load_checkpoint, save_checkpoint
from .amee_data import ensure_cache
from .amee_widen import widen_generator


@dataclass(frozen=True)
class TrainConfig:
    """Everything a run depends on; saved as config.json next to the run."""

    out: str = "runs/amee/full"
    """Run folder (created; rerunning resumes from its checkpoint)."""
    seed: int = 0
    """Seeds the data stream (styles), the pair sampler and weight init."""
    steps: int = 6000
    """Optimiser steps in total."""
    batch: int = 16
    """Pairs per step."""
    lr_g: float = 5e-4
    """Adam learning rate of the generator (above METHOD's 1e-4..2e-4: the CPU budget allows
    only some ten thousand steps, and the paired L1 terms keep it stable)."""
    lr_d: float = 2e-4
    """Adam learning rate of the discriminator."""
    beta1: float = 0.5
    """Adam β1."""
    beta2: float = 0.999
    """Adam β2."""
    lr_decay_from: float = 0.5
    """Fraction of ``steps`` after which both learning rates decay linearly to 0."""
    lambda_adv: float = 1.0
    """Adversarial (LSGAN) weight."""
    lambda_mag: float = 160.0
    """Expression-magnitude regression weight (per-element MSE) of the discriminator's head on
    real images (METHOD: 160)."""
    lambda_mag_g: float = 10.0
    """Weight of the generator's magnitude term, MSE(D_mag(final), a_tgt). METHOD's 160 (stage 1
    of ``make amee-train``) made it the largest term of the generator loss, and by 1500 steps
    the generator had learned to paint bright dots around the face that move D's magnitude
    estimate (docs/amee.md); with the exact paired ground truth 10 keeps the term a regulariser."""
    lambda_rec: float = 100.0
    """Paired L1 reconstruction of the final image against the painter's ground truth (images in [-1, 1])."""
    lambda_int: float = 50.0
    """Paired L1 of the intermediate image I_m against the ground truth (same pixel weights).
    Through the final image I_m only gets gradient in proportion to M, and the mask starts
    closed, so without this term the decoder learns to paint only as fast as the mask opens."""
    adv_ramp: int = 2000
    """Steps over which the generator's adversarial and magnitude terms ramp linearly from 0 to
    their full weights (0: full from the start). The discriminator trains from step 0."""
    ema: float = 0.999
    """Decay of the exponential moving average of the generator's parameters (BatchNorm
    statistics are copied); the EMA is what gets exported and sampled. 0: export the raw weights."""
    lambda_cyc: float = 0.0
    """Cycle L1: G(G(I, a_tgt), a_src) ≈ I. Off by default: the paired L1 against the exact
    ground truth is the reconstruction term, and the cycle's second generator pass costs ~35 %
    of a step on the shared 2-core CPU. METHOD's weight is 10 (``--lambda-cyc 10``)."""
    lambda_mask: float = 0.1
    """Mask sparsity: λ·mean(M)."""
    lambda_tv: float = 1e-3
    """Total variation of the mask."""
    lambda_mask_sup: float = 1.0
    """BCE of M against the painter's exact change map (0 disables)."""
    mask_bias_init: float = -5.0
    """Initial bias of the mask head's conv (sigmoid(-5) ≈ 0.007, below the 0.01 threshold):
    the mask starts closed and opens only where the losses ask for an edit."""
    changed_weight: float = 10.0
    """Extra weight of the paired L1 terms on pixels the edit must change (the change map): the
    L1 is averaged with per-pixel weights 1 + changed_weight·changed (the changed pixels are
    ~5 % of the image; unweighted, the model learned to copy the input). 0: plain mean."""
    mask_pos_weight: float = 5.0
    """Weight of the changed pixels in the mask BCE (they are ~5 % of the image)."""
    init_from: str = ""
    """Generator manifest to start from (a previous stage's export); "" = random init.
    The discriminator and the optimisers start fresh. An export with narrower
    ``enc_channels`` is widened first without changing its output (``amee_widen.py``)."""
    identity_prob: float = 0.1
    """Probability that a pair's target expression is its source expression."""
    styles: int = 4000
    """Training styles (split 'train'); held-out evaluation styles come from split 'eval'."""
    per_style: int = 8
    """Expression renders per style (index 0 neutral)."""
    resolution: int = 64
    """Model resolution, pixels."""
    enc_channels: tuple[int, ...] = (16, 32, 64, 96, 128)
    """Generator encoder widths (AmeeConfig.enc_channels)."""
    disc_channels: tuple[int, ...] = (16, 32, 64, 128)
    """Discriminator trunk widths (AmeeConfig.disc_channels). Narrower than the generator: the
    paired L1 terms carry most of the signal and D's step was a third of the CPU time at
    (32, 64, 128, 128)."""
    use_mask: bool = True
    """False: ablation without the mask head (M = 1)."""
    magnitude_head: bool = True
    """False: ablation without the discriminator's magnitude head (λ_mag unused)."""
    source_input: bool = False
    """Give the generator the source's expression too (AmeeConfig.source_input). An export
    without it (``init_from``) gets the input with zero weights, so it starts as it was."""
    source_known_prob: float = 0.5
    """With ``source_input``: probability that a pair's source expression is given (known = 1);
    the others train the unknown-source case (known = 0), which the same weights must keep."""
    threads: int = 2
    """torch.set_num_threads."""
    channels_last: bool = True
    """Run the networks in channels-last memory format (faster transposed convs on CPU; the
    weights and results do not depend on it beyond float rounding)."""
    log_every: int = 50
    """Steps between log lines."""
    sample_every: int = 500
    """Steps between sample grids."""
    ckpt_every: int = 250
    """Steps between resumable checkpoints."""
    export_at: tuple[int, ...] = ()
    """Extra steps at which to export weights (the final step is always exported)."""
    stop_at: int = 0
    """Stop (and export) at this step while keeping the schedule of ``steps`` (0: run to ``steps``);
    used to compare ablations with the full model at an equal step count."""
    cache_dir: str = "runs/amee/cache"
    """Where the pre-rendered painter cache lives."""

    def arch(self) -> AmeeConfig:
        return AmeeConfig(resolution=self.resolution, enc_channels=self.enc_channels, disc_channels=self.disc_channels,
                          use_mask=self.use_mask, magnitude_head=self.magnitude_head, source_input=self.source_input)


class PairSampler:
    """Draws (source, target) render pairs of the same style from the uint8 cache."""

    def __init__(self, images: NDArray[np.uint8], exprs: NDArray[np.float32], identity_prob: float) -> None:
        self.images = images
        self.exprs = exprs
        self.identity_prob = identity_prob

    def sample(self, rng: np.random.Generator, n: int) -> tuple[torch.Tensor, ...]:
        s_count, p = self.images.shape[:2]
        s = rng.integers(0, s_count, n)
        i = rng.integers(0, p, n)
        j = rng.integers(0, p, n)
        same = rng.uniform(size=n) < self.identity_prob
        j = np.where(same, i, j)
        def img(idx: NDArray[np.int64]) -> torch.Tensor:
            arr = self.images[s, idx].astype(np.float32) / 127.5 - 1.0
            return torch.from_numpy(arr).permute(0, 3, 1, 2).contiguous()
        return img(i), torch.from_numpy(self.exprs[s, i]), img(j), torch.from_numpy(self.exprs[s, j])


def save_grid(path: Path, rows: list[torch.Tensor]) -> None:
    """rows: list of (N, C, H, W) in [-1, 1] (C = 3) or [0, 1] masks (C = 1) → one PNG."""
    cols = []
    for t in rows:
        t = t.detach().float()
        if t.shape[1] == 1:
            t = t.expand(-1, 3, -1, -1) * 2 - 1
        cols.append(torch.cat(list(t), dim=2))  # (3, H, N*W)
    grid = torch.cat(cols, dim=1)
    arr = ((grid.clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).numpy()
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path)


def lr_factor(cfg: TrainConfig, step: int) -> float:
    start = int(cfg.lr_decay_from * cfg.steps)
    if step < start:
        return 1.0
    return max(0.0, 1.0 - (step - start) / max(1, cfg.steps - start))


def adv_factor(cfg: TrainConfig, step: int) -> float:
    """Ramp of the generator's adversarial and magnitude terms: 0 → 1 over ``adv_ramp`` steps."""
    return 1.0 if cfg.adv_ramp <= 0 else min(1.0, step / cfg.adv_ramp)


@torch.no_grad()
def ema_update(ema: Generator, gen: Generator, decay: float) -> None:
    """ema ← decay·ema + (1 − decay)·gen for parameters; buffers (BN statistics) are copied."""
    for pe, pg in zip(ema.parameters(), gen.parameters(), strict=True):
        pe.lerp_(pg, 1.0 - decay)
    for be, bg in zip(ema.buffers(), gen.buffers(), strict=True):
        be.copy_(bg)


def _fmt(t: torch.Tensor) -> torch.Tensor:
    return t.contiguous(memory_format=torch.channels_last)


def train(cfg: TrainConfig, *, quiet: bool = False) -> Path:
    """Run (or resume) training; returns the manifest of the final export."""
    torch.set_num_threads(cfg.threads)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    cfg_dict = asdict(cfg)
    cfg_path = out / "config.json"
    if cfg_path.is_file():
        old = json.loads(cfg_path.read_text())
        changed = {k for k in cfg_dict if k not in _RUNTIME_FIELDS and json.dumps(old.get(k)) != json.dumps(cfg_dict[k])}
        if changed:
            raise SystemExit(f"{cfg_path} exists with different settings {sorted(changed)}; use a new --out")
    atomic_write_text(cfg_path, json.dumps(cfg_dict, indent=2) + "\n")

    images, exprs = ensure_cache(Path(cfg.cache_dir) / f"train_s{cfg.seed}_{cfg.styles}x{cfg.per_style}_{cfg.resolution}.npz",
                                 seed=cfg.seed, split="train", n_styles=cfg.styles, per_style=cfg.per_style, size=cfg.resolution)
    sampler = PairSampler(images, exprs, cfg.identity_prob)
    arch = cfg.arch()
    torch.manual_seed(cfg.seed)  # weight init only; training randomness uses the generators below
    gen, disc = Generator(arch), Discriminator(arch)
    if gen.mask_head is not None:
        with torch.no_grad():
            gen.mask_head.bias.fill_(cfg.mask_bias_init)
    if cfg.init_from:
        init, _ = AMEE_WEIGHTS.load(cfg.init_from)
        if init.cfg != arch:
            try:  # a wider run from a narrower export: widen it without changing its output
                init = widen_generator(init, arch, seed=cfg.seed)
            except ValueError as exc:
                raise SystemExit(f"{cfg.init_from}: architecture {init.cfg} cannot start this run's {arch}: {exc}") from exc
        gen.load_state_dict(init.state_dict())
    ema = copy.deepcopy(gen).eval() if cfg.ema > 0 else None
    if cfg.channels_last:
        gen, disc = gen.to(memory_format=torch.channels_last), disc.to(memory_format=torch.channels_last)
        ema = ema.to(memory_format=torch.channels_last) if ema is not None else None
    opt_g = torch.optim.Adam(gen.parameters(), lr=cfg.lr_g, betas=(cfg.beta1, cfg.beta2))
    opt_d = torch.optim.Adam(disc.parameters(), lr=cfg.lr_d, betas=(cfg.beta1, cfg.beta2))
    rng = np.random.default_rng([cfg.seed, 100])
    tgen = torch.Generator().manual_seed(cfg.seed)
    step = load_checkpoint(out, gen=gen, disc=disc, opt_g=opt_g, opt_d=opt_d, np_rng=rng, torch_gen=tgen, ema=ema)
    fixed = sampler.sample(np.random.default_rng([cfg.seed, 200]), 6)
    log = (out / "log.jsonl").open("a")
    t0, t_last = time.time(), time.time()
    last = cfg.stop_at if 0 < cfg.stop_at < cfg.steps else cfg.steps
    manifest = out / "export" / f"amee_gan_step{last:06d}.manifest.json"
    while step < last:
        f = lr_factor(cfg, step)
        r = adv_factor(cfg, step)
        for g in opt_g.param_groups:
            g["lr"] = cfg.lr_g * f
        for g in opt_d.param_groups:
            g["lr"] = cfg.lr_d * f
        gen.train()
        src, a_src, tgt, a_tgt = sampler.sample(rng, cfg.batch)
        known = None  # drawn only with the source input, so other runs keep their random stream
        if cfg.source_input:
            known = torch.from_numpy((rng.uniform(size=cfg.batch) < cfg.source_known_prob).astype(np.float32))
        if cfg.channels_last:
            src, tgt = _fmt(src), _fmt(tgt)
        image, mask = gen(src, a_tgt, a_src, known)
        final = compose(src, image, mask)

        # --- discriminator (real = the target renders: the same distribution as the sources,
        # and half the images of real = sources + targets)
        real, a_real = tgt, a_tgt
        d_real, m_real = disc(real)
        d_fake, _ = disc(final.detach())
        loss_d = cfg.lambda_adv * (((d_real - 1) ** 2).mean() + (d_fake**2).mean())
        if m_real is not None:
            loss_d = loss_d + cfg.lambda_mag * F.mse_loss(m_real, a_real)
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()

        # --- generator
        g_fake, m_fake = disc(final)
        l_adv = ((g_fake - 1) ** 2).mean()
        l_mag = F.mse_loss(m_fake, a_tgt) if m_fake is not None else torch.zeros(())
        changed = changed_map(src, tgt)
        w = 1.0 + cfg.changed_weight * changed if cfg.changed_weight > 0 else None
        l_rec = weighted_l1(final, tgt, w)
        loss_g = r * (cfg.lambda_adv * l_adv + cfg.lambda_mag_g * l_mag) + cfg.lambda_rec * l_rec
        l_int = torch.zeros(())
        if cfg.lambda_int > 0 and arch.use_mask:
            l_int = weighted_l1(image, tgt, w)
            loss_g = loss_g + cfg.lambda_int * l_int
        l_cyc = torch.zeros(())
        if cfg.lambda_cyc > 0:
            image2, mask2 = gen(final, a_src, a_tgt, known)
            l_cyc = (compose(final, image2, mask2) - src).abs().mean()
            loss_g = loss_g + cfg.lambda_cyc * l_cyc
        l_msup = torch.zeros(())
        if arch.use_mask:
            loss_g = loss_g + cfg.lambda_mask * mask.mean() + cfg.lambda_tv * total_variation(mask)
            if cfg.lambda_mask_sup > 0:
                l_msup = F.binary_cross_entropy(mask.clamp(1e-6, 1 - 1e-6), changed,
                                                weight=1.0 + (cfg.mask_pos_weight - 1.0) * changed)
                loss_g = loss_g + cfg.lambda_mask_sup * l_msup
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        step += 1
        if ema is not None:
            ema_update(ema, gen, min(cfg.ema, (1.0 + step) / (10.0 + step)))

        if step % cfg.log_every == 0 or step == last:
            with torch.no_grad():
                psnr = (10 * torch.log10(4.0 / ((final - tgt) ** 2).mean().clamp_min(1e-10))).item()
            rec = {"step": step, "loss_d": loss_d.item(), "loss_g": loss_g.item(), "adv": l_adv.item(),
                   "mag": l_mag.item(), "rec_l1": l_rec.item(), "int_l1": l_int.item(), "cyc_l1": l_cyc.item(),
                   "mask_bce": l_msup.item(), "mean_mask": mask.mean().item(),
                   "mask_zero_frac": (mask < 0.01).float().mean().item(), "train_psnr": psnr, "lr_factor": f,
                   "adv_factor": r, "s_per_step": (time.time() - t_last) / cfg.log_every, "elapsed_s": time.time() - t0}
            t_last = time.time()
            log.write(json.dumps(rec) + "\n")
            log.flush()
            if not quiet:
                print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in rec.items()), flush=True)
        shown = ema if ema is not None else gen
        if step % cfg.sample_every == 0 or step == last:
            shown.eval()
            with torch.no_grad():
                im, mk = shown(fixed[0], fixed[3], fixed[1])
                save_grid(out / "samples" / f"step_{step:06d}.png", [fixed[0], compose(fixed[0], im, mk), fixed[2], mk])
        if step % cfg.ckpt_every == 0 or step == last:
            save_checkpoint(out, step=step, gen=gen, disc=disc, opt_g=opt_g, opt_d=opt_d, np_rng=rng, torch_gen=tgen, ema=ema)
        if step in cfg.export_at or step == last:
            manifest = export_snapshot(cfg, shown, step)
    log.close()
    return manifest


_RUNTIME_FIELDS = ("steps", "threads", "export_at", "stop_at", "channels_last", "log_every", "sample_every", "ckpt_every")
"""Settings that may differ when a run is resumed: they do not change what is trained."""


def export_snapshot(cfg: TrainConfig, gen: Generator, step: int) -> Path:
    """Export the generator at ``step`` (eval-mode BN statistics, float16 storage)."""
    snap = Generator(gen.cfg)
    snap.load_state_dict({k: v.contiguous() for k, v in gen.state_dict().items()})
    AMEE_WEIGHTS.storage_round_trip(snap)
    training = {k: v for k, v in asdict(cfg).items() if k not in ("out", "cache_dir", "threads", "stop_at", "channels_last")}
    training["trained_steps"] = step
    return AMEE_WEIGHTS.export(Path(cfg.out) / "export" / f"amee_gan_step{step:06d}.safetensors", snap, training=training)


def parse_args(argv: list[str] | None = None) -> TrainConfig:
    p = argparse.ArgumentParser(description="Train AMEE-GAN on painter expression sheets.")
    defaults = TrainConfig()
    for f in fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        val = getattr(defaults, f.name)
        if f.name in ("use_mask", "magnitude_head"):
            continue
        if isinstance(val, bool):
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=val)
        elif isinstance(val, tuple):
            p.add_argument(flag, type=int, nargs="*", default=list(val))
        else:
            p.add_argument(flag, type=type(val), default=val)
    p.add_argument("--no-mask", action="store_true", help="ablation: no mask head (M = 1)")
    p.add_argument("--no-magnitude", action="store_true", help="ablation: no magnitude head")
    p.add_argument("--dry-run", action="store_true", help="print the resolved config and exit")
    a = vars(p.parse_args(argv))
    dry = a.pop("dry_run")
    kw: dict[str, Any] = {k: (tuple(v) if isinstance(v, list) else v) for k, v in a.items() if k not in ("no_mask", "no_magnitude")}
    kw["use_mask"] = not a["no_mask"]
    kw["magnitude_head"] = not a["no_magnitude"]
    cfg = TrainConfig(**kw)
    if dry:
        print(json.dumps(asdict(cfg), indent=2))
        raise SystemExit(0)
    return cfg


def main(argv: list[str] | None = None) -> None:
    cfg = parse_args(argv)
    manifest = train(cfg)
    print(f"exported {manifest}")


if __name__ == "__main__":
    main()
