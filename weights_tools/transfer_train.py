"""Train the style-consistent transfer model on painter data (CPU-friendly, resumable, seeded).

    python -m moodrig.weights_tools.transfer_train --out runs/transfer/full --steps 4000
    python -m moodrig.weights_tools.transfer_train --out runs/transfer/global_only \\
        --no-spatial-style ...  # ablation

Data (``transfer_data.py``): random training styles × random asymmetric detail vectors; the
content is the line drawing of the detail vector, the style reference the style's neutral
texture, the target the painter's exact render of (style, detail). Losses: METHOD eqs. 2–7 with
the α weights of ``core/transfer/config.LossWeights`` plus the paired L1 and mask terms
(``core/transfer/losses.py``).

The run folder gets ``config.json`` (resolved config; resuming with other settings is refused),
``log.jsonl`` (every loss term, mean mask, training PSNR, s/step), ``samples/step_XXXXXX.png``
(rows: content | reference | output | ground truth | mask), ``ckpt.*`` (resume: rerun the same
command; pickle-free, ``checkpoint.py``) and ``export/style_transfer_stepXXXXXX.*``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from moodrig.core.transfer.config import LossWeights, TransferConfig
from moodrig.core.transfer.losses import Batch, discriminator_loss, generator_loss, transfer
from moodrig.core.transfer.model import TransferModel, TwoScaleDiscriminator
from moodrig.core.transfer.weights_io import TRANSFER_WEIGHTS

from .training import ABLATIONS, Run, RunConfig, Terms, config_parser, parse_config, save_grid
from .transfer_data import ensure_cache


@dataclass(frozen=True)
class TrainConfig(RunConfig):
    """Everything a run depends on (training.RunConfig plus the transfer model's settings);
    saved as config.json next to the run."""

    weights: LossWeights = field(default_factory=LossWeights)
    """The α weights of eqs. 2–7 and the paired / mask terms."""
    recon_batch: int = 4
    """Samples of each batch that the eq. 4–5 and latent terms are computed on (0: all)."""
    channels: tuple[int, int, int] = (16, 32, 64)
    """TransferConfig.channels."""
    spatial_style: bool = True
    """False: ablation with the global 8-d style code only."""

    def arch(self) -> TransferConfig:
        return TransferConfig(
            resolution=self.resolution,
            channels=self.channels,
            spatial_style=self.spatial_style,
            use_mask=self.use_mask,
        )


class TripleSampler:
    """Draws (content drawing, neutral reference, ground truth) from the uint8 cache."""

    def __init__(
        self, images: NDArray[np.uint8], drawings: NDArray[np.uint8], identity_prob: float
    ) -> None:
        self.images = images
        self.drawings = drawings
        self.identity_prob = identity_prob
        neutral = drawings[:, 0]
        if not np.all(neutral == neutral[:1]):
            raise ValueError("neutral drawings differ between styles; the cache is inconsistent")
        self.drawing_reference = self._to_tensor(neutral[:1, ..., None].repeat(3, axis=-1))

    @staticmethod
    def _to_tensor(arr: NDArray[np.uint8]) -> torch.Tensor:
        return (
            torch.from_numpy(arr.astype(np.float32) / 127.5 - 1.0).permute(0, 3, 1, 2).contiguous()
        )

    def sample(self, rng: np.random.Generator, n: int) -> Batch:
        s_count, p = self.images.shape[:2]
        s = rng.integers(0, s_count, n)
        k = rng.integers(1, p, n)
        k = np.where(rng.uniform(size=n) < self.identity_prob, 0, k)
        content = self.drawings[s, k][..., None].repeat(3, axis=-1)
        return Batch(
            self._to_tensor(content),
            self._to_tensor(self.images[s, 0]),
            self._to_tensor(self.images[s, k]),
            self.drawing_reference,
        )


def train(cfg: TrainConfig, *, quiet: bool = False) -> Path:
    """Run (or resume) training; returns the manifest of the last export."""
    run = Run(cfg, TRANSFER_WEIGHTS, "style_transfer", quiet=quiet)
    images, drawings, _ = ensure_cache(
        Path(cfg.cache_dir)
        / f"train_s{cfg.seed}_{cfg.styles}x{cfg.per_style}_{cfg.resolution}.npz",
        seed=cfg.seed,
        split="train",
        n_styles=cfg.styles,
        per_style=cfg.per_style,
        size=cfg.resolution,
    )
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
            raise SystemExit(
                f"{cfg.init_from}: architecture {init.cfg} differs from this run's {arch}"
            )
        model.load_state_dict(init.state_dict())
    run.start(model, disc)
    fixed = sampler.sample(np.random.default_rng([cfg.seed, 200]), 6)

    def step(done: int, f: float) -> Terms:
        model.train()
        batch = sampler.sample(run.rng, cfg.batch)
        loss_g, terms, outs = generator_loss(model, batch, cfg.weights, disc, cfg.recon_batch)
        run.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()  # type: ignore[no-untyped-call]
        run.opt_g.step()
        loss_d = discriminator_loss(disc, batch.target, outs.final)
        run.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()  # type: ignore[no-untyped-call]
        run.opt_d.step()

        def logged() -> dict[str, Any]:
            with torch.no_grad():
                mse = ((outs.final - batch.target) ** 2).mean().clamp_min(1e-10)
                psnr = float(10 * torch.log10(4.0 / mse))
            return {
                "loss_d": float(loss_d.detach()),
                **terms,
                "mask_zero_frac": float((outs.mask < 0.01).float().mean()),
                "train_psnr": psnr,
            }

        return logged

    def sample(net: TransferModel, png: Path) -> None:
        o = transfer(net, fixed.content, fixed.reference)
        save_grid(png, [fixed.content, fixed.reference, o.final, fixed.target, o.mask])

    return run.loop(step, sample)


def parse_args(argv: list[str] | None = None) -> TrainConfig:
    ablations = {
        **ABLATIONS,
        "no_spatial_style": ("spatial_style", "ablation: global 8-d style code only"),
    }
    p = config_parser(
        TrainConfig,
        "Train the style-consistent transfer model on painter data.",
        skip={"weights"},
        ablations=ablations,
    )
    for f in fields(LossWeights):
        p.add_argument(
            "--w-" + f.name.replace("_", "-"),
            dest="w_" + f.name,
            type=float,
            default=getattr(LossWeights(), f.name),
            help=f"LossWeights.{f.name}",
        )

    def adapt(kw: dict[str, Any]) -> dict[str, Any]:
        kw["weights"] = LossWeights(**{k[2:]: kw.pop(k) for k in list(kw) if k.startswith("w_")})
        if len(kw["channels"]) != 3:
            raise SystemExit("--channels takes 3 widths")
        return kw

    return parse_config(TrainConfig, p, argv, ablations=ablations, adapt=adapt)


def main(argv: list[str] | None = None) -> None:
    cfg = parse_args(argv)
    print(f"exported {train(cfg)}")


if __name__ == "__main__":
    main()
