"""Train AMEE-GAN on painter expression sheets (CPU-friendly, resumable, seeded).

    python -m moodrig.weights_tools.amee_train --out runs/amee/full --steps 6000
    python -m moodrig.weights_tools.amee_train --out runs/amee/no_mask --no-mask ...   # ablation
    python -m moodrig.weights_tools.amee_train --out runs/amee/no_mag --no-magnitude ...  # ablation

The run folder gets ``config.json`` (resolved config), ``log.jsonl`` (losses, mean mask),
``samples/step_XXXXXX.png`` (rows: input | output | ground truth | mask), ``ckpt.*`` (resume:
rerun the same command) and ``export/amee_gan_stepXXXXXX.{safetensors,manifest.json}``.

Losses (docs/method.md §3 "Our choice" plus paired terms): generator
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

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray

from moodrig.core.amee.config import AmeeConfig
from moodrig.core.amee.model import Discriminator, Generator
from moodrig.core.amee.weights_io import AMEE_WEIGHTS
from moodrig.core.editing.losses import changed_map, compose, total_variation, weighted_l1

from .amee_data import ensure_cache
from .amee_widen import widen_generator
from .training import ABLATIONS, Run, RunConfig, Terms, config_parser, parse_config, save_grid


@dataclass(frozen=True)
class TrainConfig(RunConfig):
    """Everything a run depends on (training.RunConfig plus AMEE-GAN's settings); saved as
    config.json next to the run."""

    out: str = "runs/amee/full"
    steps: int = 6000
    batch: int = 16
    lr_g: float = 5e-4
    lr_decay_from: float = 0.5
    styles: int = 4000
    per_style: int = 8
    threads: int = 2
    log_every: int = 50
    ckpt_every: int = 250
    cache_dir: str = "runs/amee/cache"
    lambda_adv: float = 1.0
    """Adversarial (LSGAN) weight."""
    lambda_mag: float = 160.0
    """Expression-magnitude regression weight (per-element MSE) of the discriminator's head on
    real images (METHOD: 160)."""
    lambda_mag_g: float = 10.0
    """Weight of the generator's magnitude term, MSE(D_mag(final), a_tgt). METHOD's 160 (the
    first run of ``weights_tools/recipes/amee_gan.toml``) made it the largest term of the
    generator loss, and by 1500 steps the generator had learned to paint bright dots around the
    face that move D's magnitude estimate (docs/history/amee.md); with the exact paired ground
    truth 10 keeps the term a regulariser."""
    lambda_rec: float = 100.0
    """Paired L1 reconstruction of the final image against the painter's ground truth (images in
    [-1, 1])."""
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
    changed_weight: float = 10.0
    """Extra weight of the paired L1 terms on pixels the edit must change (the change map): the
    L1 is averaged with per-pixel weights 1 + changed_weight·changed (the changed pixels are
    ~5 % of the image; unweighted, the model learned to copy the input). 0: plain mean."""
    mask_pos_weight: float = 5.0
    """Weight of the changed pixels in the mask BCE (they are ~5 % of the image)."""
    enc_channels: tuple[int, ...] = (16, 32, 64, 96, 128)
    """Generator encoder widths (AmeeConfig.enc_channels). ``init_from`` an export with narrower
    ones widens it first without changing its output (``amee_widen.py``)."""
    disc_channels: tuple[int, ...] = (16, 32, 64, 128)
    """Discriminator trunk widths (AmeeConfig.disc_channels). Narrower than the generator: the
    paired L1 terms carry most of the signal and D's step was a third of the CPU time at
    (32, 64, 128, 128)."""
    magnitude_head: bool = True
    """False: ablation without the discriminator's magnitude head (λ_mag unused)."""
    source_input: bool = False
    """Give the generator the source's expression too (AmeeConfig.source_input). An export
    without it (``init_from``) gets the input with zero weights, so it starts as it was."""
    source_known_prob: float = 0.5
    """With ``source_input``: probability that a pair's source expression is given (known = 1);
    the others train the unknown-source case (known = 0), which the same weights must keep."""
    channels_last: bool = True
    """Run the networks in channels-last memory format (faster transposed convs on CPU; the
    weights and results do not depend on it beyond float rounding)."""

    RUNTIME: ClassVar[tuple[str, ...]] = (*RunConfig.RUNTIME, "channels_last")
    UNRECORDED: ClassVar[tuple[str, ...]] = (*RunConfig.UNRECORDED, "channels_last")

    def arch(self) -> AmeeConfig:
        return AmeeConfig(
            resolution=self.resolution,
            enc_channels=self.enc_channels,
            disc_channels=self.disc_channels,
            use_mask=self.use_mask,
            magnitude_head=self.magnitude_head,
            source_input=self.source_input,
        )


class PairSampler:
    """Draws (source, target) render pairs of the same style from the uint8 cache."""

    def __init__(
        self, images: NDArray[np.uint8], exprs: NDArray[np.float32], identity_prob: float
    ) -> None:
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

        return (
            img(i),
            torch.from_numpy(self.exprs[s, i]),
            img(j),
            torch.from_numpy(self.exprs[s, j]),
        )


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
    run = Run(cfg, AMEE_WEIGHTS, "amee_gan", quiet=quiet)
    images, exprs = ensure_cache(
        Path(cfg.cache_dir)
        / f"train_s{cfg.seed}_{cfg.styles}x{cfg.per_style}_{cfg.resolution}.npz",
        seed=cfg.seed,
        split="train",
        n_styles=cfg.styles,
        per_style=cfg.per_style,
        size=cfg.resolution,
    )
    sampler = PairSampler(images, exprs, cfg.identity_prob)
    arch = cfg.arch()
    torch.manual_seed(cfg.seed)  # weight init only; training randomness uses the run's generators
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
                raise SystemExit(
                    f"{cfg.init_from}: architecture {init.cfg} "
                    f"cannot start this run's {arch}: {exc}"
                ) from exc
        gen.load_state_dict(init.state_dict())
    ema = copy.deepcopy(gen).eval() if cfg.ema > 0 else None
    if cfg.channels_last:
        gen, disc = (
            gen.to(memory_format=torch.channels_last),
            disc.to(memory_format=torch.channels_last),
        )
        ema = ema.to(memory_format=torch.channels_last) if ema is not None else None
    run.start(gen, disc, ema)
    fixed = sampler.sample(np.random.default_rng([cfg.seed, 200]), 6)

    def step(done: int, f: float) -> Terms:
        r = adv_factor(cfg, done)
        gen.train()
        src, a_src, tgt, a_tgt = sampler.sample(run.rng, cfg.batch)
        known = None  # drawn only with the source input, so other runs keep their random stream
        if cfg.source_input:
            given = run.rng.uniform(size=cfg.batch) < cfg.source_known_prob
            known = torch.from_numpy(given.astype(np.float32))
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
        run.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        run.opt_d.step()

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
                l_msup = F.binary_cross_entropy(
                    mask.clamp(1e-6, 1 - 1e-6),
                    changed,
                    weight=1.0 + (cfg.mask_pos_weight - 1.0) * changed,
                )
                loss_g = loss_g + cfg.lambda_mask_sup * l_msup
        run.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        run.opt_g.step()
        if ema is not None:
            k = done + 1
            ema_update(ema, gen, min(cfg.ema, (1.0 + k) / (10.0 + k)))

        def terms() -> dict[str, Any]:
            with torch.no_grad():
                psnr = (10 * torch.log10(4.0 / ((final - tgt) ** 2).mean().clamp_min(1e-10))).item()
            return {
                "loss_d": loss_d.item(),
                "loss_g": loss_g.item(),
                "adv": l_adv.item(),
                "mag": l_mag.item(),
                "rec_l1": l_rec.item(),
                "int_l1": l_int.item(),
                "cyc_l1": l_cyc.item(),
                "mask_bce": l_msup.item(),
                "mean_mask": mask.mean().item(),
                "mask_zero_frac": (mask < 0.01).float().mean().item(),
                "train_psnr": psnr,
                "adv_factor": r,
            }

        return terms

    def sample(net: Generator, png: Path) -> None:
        im, mk = net(fixed[0], fixed[3], fixed[1])
        save_grid(png, [fixed[0], compose(fixed[0], im, mk), fixed[2], mk])

    return run.loop(step, sample)


def parse_args(argv: list[str] | None = None) -> TrainConfig:
    ablations = {**ABLATIONS, "no_magnitude": ("magnitude_head", "ablation: no magnitude head")}
    p = config_parser(
        TrainConfig, "Train AMEE-GAN on painter expression sheets.", ablations=ablations
    )
    return parse_config(TrainConfig, p, argv, ablations=ablations)


def main(argv: list[str] | None = None) -> None:
    cfg = parse_args(argv)
    manifest = train(cfg)
    print(f"exported {manifest}")


if __name__ == "__main__":
    main()
