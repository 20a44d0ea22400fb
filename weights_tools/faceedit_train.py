"""Train the face editor (AMEE-GAN with field heads) on every style family (CPU-friendly).

    python -m moodrig.weights_tools.faceedit_train --out runs/faceedit/editor --steps 12000

Each step draws pairs (a neutral or expressive face of one style → another expression of the
same style) from the cached families (``faceedit_data.py``), aligns each face to the canonical
frame with its true feature points (jittered, as a locator would find them), runs the
generator on the canonical crop, and applies the predicted fields to the face at the cache's
resolution with ``core/appearance/fields.render``: the very code that edits a user's texture.

Generator loss:
  λ_rec·L1_w(out, ground truth) + λ_msup·BCE(mask, changed) + λ_mask·mean(mask)
  + λ_tv·TV(flow) + r(t)·(λ_adv·LSGAN(D(out)) + λ_mag·MSE(D_mag(out), a_tgt)),
with L1_w weighting each pixel 1 + changed_weight·changed and ``changed`` the pixels (dilated)
where source and ground truth differ. The discriminator (real/fake and magnitude heads, as in
AMEE-GAN) reads canonical crops. The exported generator is an EMA of the trained one.
The run folder gets config.json, log.jsonl, samples/, a resumable checkpoint and export/.
"""

from __future__ import annotations

import copy
import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray
from PIL import Image

from moodrig.core.amee.config import AmeeConfig
from moodrig.core.amee.model import Discriminator
from moodrig.core.appearance.align import FaceFrame
from moodrig.core.appearance.fields import EditFields, canonical_grid, render
from moodrig.core.appearance.model import (
    PAINT_CHANNELS,
    FieldConfig,
    FieldGenerator,
    condition,
)
from moodrig.core.appearance.weights_io import EDITOR_WEIGHTS
from moodrig.core.editing.losses import changed_map, total_variation, weighted_l1
from moodrig.core.fileio import atomic_write_text

from . import faceedit_data
from .checkpoint import load_checkpoint, save_checkpoint
from .training import config_parser, parse_config


@dataclass(frozen=True)
class TrainConfig:
    """Everything a run depends on (saved as config.json)."""

    out: str = "runs/faceedit/editor"
    """Run folder; rerunning the same command resumes it."""
    cache: str = "runs/faceedit/cache"
    """Family cache folder (faceedit_data.py)."""
    families: tuple[str, ...] = ("anime", "flat", "painter", "painterly", "pixel")
    """Style families to train on."""
    styles: int = 1000
    """Styles per family in the training cache."""
    targets: int = 6
    """Expressions per style in the cache."""
    size: int = 128
    """Side of the cached faces; the loss is computed at this resolution."""
    seed: int = 0
    steps: int = 12000
    """Steps of the learning-rate schedule."""
    stop_at: int = 0
    """Stop at this step (checkpoint and export there) while keeping the schedule of ``steps``
    (0: run to ``steps``); a later run starts from the checkpoint with ``--init-from``."""
    batch: int = 16
    lr_g: float = 4e-4
    lr_d: float = 2e-4
    lr_decay_from: float = 0.6
    """Fraction of the steps after which both learning rates decay linearly to 0."""
    lambda_rec: float = 50.0
    pyramid: int = 4
    """Scales of the reconstruction loss (1: full resolution only). Coarser scales see a moved
    shape from farther away, so the flow is pulled toward it instead of painting over it."""
    init_from: str = ""
    """Run folder whose checkpoint initialises the networks (the step count starts at 0)."""
    init_weights: str = ""
    """Exported face-editor manifest (e.g. the shipped ``weights/appearance/face_editor``)
    whose generator initialises the generator and its EMA; the discriminator starts fresh
    (the adversarial terms ramp in over ``adv_ramp`` steps while it learns). For continuing
    a model whose run folder is gone."""
    changed_weight: float = 10.0
    lambda_msup: float = 1.0
    mask_pos_weight: float = 5.0
    lambda_mask: float = 0.05
    lambda_tv: float = 0.5
    lambda_paint: float = 0.0
    """Weight of the painted area (mean paint probability inside the mask): what a warp can
    make should be warped, not painted over."""
    lambda_novel: float = 0.0
    """Weight of the paint-logit supervision by :func:`novel_map`: paint where the truth shows
    a colour that no source pixel near it has (an open mouth's inside), and nowhere else."""
    novel_radius: float = 0.08
    """How far (canonical units) :func:`novel_map` looks for a source pixel of the colour."""
    novel_threshold: float = 0.1
    """Mean RGB difference above which a truth pixel is new content."""
    reset_paint: bool = False
    """Restart the paint heads as "paint nothing" after ``init_from``/``init_weights``: for a
    run that turns painting on from a warp-only model, whose paint heads were never trained
    with the features it has now."""
    lambda_adv: float = 0.5
    lambda_mag: float = 5.0
    """Generator's magnitude term: D's expression estimate of the edit should be the target."""
    lambda_mag_d: float = 50.0
    """Discriminator's magnitude regression on real faces."""
    adv_ramp: int = 1000
    """Steps over which the adversarial and magnitude terms ramp in."""
    neutral_source: float = 0.8
    """Share of pairs whose source is the neutral face (the add-on's case)."""
    identity: float = 0.1
    """Share of pairs whose target is the source itself (teaches 'change nothing')."""
    source_known: float = 0.95
    """Share of pairs whose source expression the generator is told."""
    point_jitter: float = 0.01
    """Std of the feature-point jitter, in canonical units (a locator's error)."""
    ema: float = 0.999
    sample_every: int = 500
    export_every: int = 2000
    threads: int = 1
    model: FieldConfig = field(default_factory=FieldConfig)


def lr_factor(step: int, cfg: TrainConfig) -> float:
    start = int(cfg.lr_decay_from * cfg.steps)
    return 1.0 if step < start else max(0.0, 1.0 - (step - start) / max(1, cfg.steps - start))


class PairSampler:
    """Batches of (source, target) faces of one style each, from the cached families."""

    def __init__(
        self, sets: dict[str, faceedit_data.StyleSet], cfg: TrainConfig, rng: np.random.Generator
    ) -> None:
        self.sets, self.cfg, self.rng = sets, cfg, rng
        self.names = sorted(sets)

    def batch(self, n: int) -> dict[str, Any]:
        rng, cfg = self.rng, self.cfg
        src, tgt, a_src, a_tgt, pts = [], [], [], [], []
        for _ in range(n):
            s = self.sets[self.names[int(rng.integers(len(self.names)))]]
            k = int(rng.integers(s.images.shape[0]))
            n_img = s.images.shape[1]
            i = 0 if rng.random() < cfg.neutral_source else int(rng.integers(1, n_img))
            j = i if rng.random() < cfg.identity else int(rng.integers(1, n_img))
            if j == i and cfg.identity == 0.0:
                j = (i % (n_img - 1)) + 1
            src.append(s.images[k, i])
            tgt.append(s.images[k, j])
            a_src.append(s.expressions[k, i])
            a_tgt.append(s.expressions[k, j])
            pts.append(s.points[k])

        def to_t(a: list[np.ndarray]) -> torch.Tensor:
            return torch.from_numpy(np.stack(a).astype(np.float32) / 255.0).permute(0, 3, 1, 2)

        return {
            "src": to_t(src),
            "tgt": to_t(tgt),
            "a_src": torch.from_numpy(np.stack(a_src)),
            "a_tgt": torch.from_numpy(np.stack(a_tgt)),
            "points": np.stack(pts).astype(np.float64),
        }


def frames(
    points: NDArray[np.float64], rng: np.random.Generator | None, jitter_units: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-item (to_canonical (N, 2, 3), to_pixels (N, 2, 3), canonical points (N, 7, 2))."""
    to_c, to_px, cpts = [], [], []
    for p in points:
        frame = FaceFrame.from_features(p)
        if rng is not None and jitter_units > 0:
            noisy = p + rng.normal(0.0, jitter_units * frame.pixels_per_unit(), p.shape)
            frame = FaceFrame.from_features(noisy)
        m = np.vstack([frame.matrix, [0.0, 0.0, 1.0]])
        to_px.append(frame.matrix)
        to_c.append(np.linalg.inv(m)[:2])
        cpts.append(frame.to_canonical(p))
    as_t = lambda a: torch.tensor(np.stack(a), dtype=torch.float32)  # noqa: E731
    return as_t(to_c), as_t(to_px), as_t(cpts)


def pyramid_l1(x: torch.Tensor, y: torch.Tensor, w: torch.Tensor, levels: int) -> torch.Tensor:
    """Weighted L1 averaged over ``levels`` scales (2×2 average pooling between them)."""
    total = weighted_l1(x, y, w)
    for _ in range(levels - 1):
        x, y, w = F.avg_pool2d(x, 2), F.avg_pool2d(y, 2), F.avg_pool2d(w, 2)
        total = total + weighted_l1(x, y, w)
    return total / levels


def forward(
    gen: FieldGenerator,
    batch: dict[str, Any],
    cfg: TrainConfig,
    rng: np.random.Generator | None,
    known: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor, EditFields, torch.Tensor]:
    """(edited RGB (N, 3, S, S), mask (N, 1, S, S), fields, canonical grid) for one batch."""
    r = gen.cfg.resolution
    to_c, to_px, cpts = frames(batch["points"], rng, cfg.point_jitter if rng is not None else 0.0)
    grid = canonical_grid(to_px, r, batch["src"].shape[2], batch["src"].shape[3])
    x = (
        F.grid_sample(
            batch["src"], grid, mode="bilinear", padding_mode="border", align_corners=False
        )
        * 2
        - 1
    )
    a_src = batch["a_src"]
    if known is not None:
        a_src = a_src * known[:, None]
    cond = condition(batch["a_tgt"], a_src, cpts)
    if known is not None:
        cond[:, 2 * a_src.shape[1]] = known
    f = gen(x, cond)
    out, mask = render(batch["src"][:, :3], to_c, to_px, f)
    return out, mask, f, grid


def train(cfg: TrainConfig) -> Path:
    torch.set_num_threads(cfg.threads)
    out = Path(cfg.out)
    (out / "samples").mkdir(parents=True, exist_ok=True)
    (out / "export").mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "config.json", json.dumps(asdict(cfg), indent=2, default=list))
    sets = faceedit_data.ensure(
        Path(cfg.cache), cfg.families, "train", cfg.styles, cfg.targets, cfg.size
    )
    rng = np.random.default_rng(cfg.seed)
    tgen = torch.Generator().manual_seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    gen = FieldGenerator(cfg.model)
    disc = Discriminator(AmeeConfig(resolution=cfg.model.resolution))
    ema = copy.deepcopy(gen).eval()
    opt_g = torch.optim.Adam(gen.parameters(), lr=cfg.lr_g, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(disc.parameters(), lr=cfg.lr_d, betas=(0.5, 0.999))
    step = load_checkpoint(
        out, gen=gen, disc=disc, opt_g=opt_g, opt_d=opt_d, np_rng=rng, torch_gen=tgen, ema=ema
    )
    if step == 0 and cfg.init_from:
        init_networks(Path(cfg.init_from), gen, disc, ema)
    if step == 0 and cfg.init_weights:
        init_generator(Path(cfg.init_weights), cfg.model, gen, ema)
    if step == 0 and cfg.reset_paint:
        for net in (gen, ema):
            reset_paint_heads(net)
    sampler = PairSampler(sets, cfg, rng)
    log = (out / "log.jsonl").open("a")
    t0 = time.time()
    end = cfg.stop_at if 0 < cfg.stop_at < cfg.steps else cfg.steps
    while step < end:
        f_lr = lr_factor(step, cfg)
        for opt, lr in ((opt_g, cfg.lr_g), (opt_d, cfg.lr_d)):
            for g in opt.param_groups:
                g["lr"] = lr * f_lr
        ramp = min(1.0, step / max(1, cfg.adv_ramp))
        b = sampler.batch(cfg.batch)
        known = torch.from_numpy((rng.random(cfg.batch) < cfg.source_known).astype(np.float32))
        gen.train()
        edited, mask, f, grid = forward(gen, b, cfg, rng, known)
        tgt = b["tgt"][:, :3]
        changed = changed_map(b["src"][:, :3], b["tgt"][:, :3])
        w = 1.0 + cfg.changed_weight * changed
        fake_c = (
            F.grid_sample(edited, grid, mode="bilinear", padding_mode="border", align_corners=False)
            * 2
            - 1
        )
        real_c = (
            F.grid_sample(tgt, grid, mode="bilinear", padding_mode="border", align_corners=False)
            * 2
            - 1
        )
        # Discriminator.
        d_real, mag_real = disc(real_c)
        d_fake, _ = disc(fake_c.detach())
        loss_d = 0.5 * ((d_real - 1) ** 2).mean() + 0.5 * (d_fake**2).mean()
        if mag_real is not None:
            loss_d = loss_d + cfg.lambda_mag_d * F.mse_loss(mag_real, b["a_tgt"])
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()  # type: ignore[no-untyped-call]
        opt_d.step()
        # Generator.
        g_fake, mag_fake = disc(fake_c)
        rec = pyramid_l1(edited, tgt, w, cfg.pyramid)
        msup = F.binary_cross_entropy(
            mask.clamp(1e-6, 1 - 1e-6), changed, weight=1.0 + (cfg.mask_pos_weight - 1.0) * changed
        )
        loss_g = (
            cfg.lambda_rec * rec
            + cfg.lambda_msup * msup
            + cfg.lambda_mask * mask.mean()
            + cfg.lambda_tv * total_variation(f.flow)
            + ramp * cfg.lambda_adv * ((g_fake - 1) ** 2).mean()
            + cfg.lambda_paint * (torch.sigmoid(f.paint_logit) * f.mask).mean()
        )
        if cfg.lambda_novel > 0:
            novel = novel_map(
                canonical_rgb(b["src"], grid),
                (real_c + 1) / 2,
                cfg.novel_radius,
                cfg.novel_threshold,
            )
            loss_g = loss_g + cfg.lambda_novel * F.binary_cross_entropy_with_logits(
                f.paint_logit, novel, weight=1.0 + (cfg.mask_pos_weight - 1.0) * novel
            )
        if mag_fake is not None:
            loss_g = loss_g + ramp * cfg.lambda_mag * F.mse_loss(mag_fake, b["a_tgt"])
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()  # type: ignore[no-untyped-call]
        opt_g.step()
        with torch.no_grad():
            for pe, pg in zip(ema.parameters(), gen.parameters(), strict=True):
                pe.lerp_(pg, 1.0 - cfg.ema)
            for be, bg in zip(ema.buffers(), gen.buffers(), strict=True):
                be.copy_(bg)
        step += 1
        if step % 50 == 0:
            with torch.no_grad():
                base = (b["src"][:, :3] - tgt).abs().mean().item()
                err = (edited - tgt).abs().mean().item()
            rec_info = {
                "step": step,
                "loss_g": round(loss_g.item(), 4),
                "loss_d": round(loss_d.item(), 4),
                "rec": round(rec.item(), 5),
                "msup": round(msup.item(), 4),
                "mask_mean": round(mask.mean().item(), 4),
                "l1_in": round(base, 5),
                "l1_out": round(err, 5),
                "s_per_step": round((time.time() - t0) / 50, 3),
            }
            log.write(json.dumps(rec_info) + "\n")
            log.flush()
            print(json.dumps(rec_info), flush=True)
            t0 = time.time()
        if step % cfg.sample_every == 0 or step == end:
            save_grid(out / "samples" / f"step_{step:06d}.png", b, edited, mask)
            save_checkpoint(
                out,
                step=step,
                gen=gen,
                disc=disc,
                opt_g=opt_g,
                opt_d=opt_d,
                np_rng=rng,
                torch_gen=tgen,
                ema=ema,
            )
        if step % cfg.export_every == 0 or step == end:
            export(out, ema, step, cfg)
    return out / "export" / f"face_editor_step{step:06d}.manifest.json"


def canonical_rgb(faces: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    """``faces``' RGB read on the canonical grid, in [0, 1] (as the discriminator reads them,
    before its shift to [-1, 1])."""
    return F.grid_sample(
        faces[:, :3], grid, mode="bilinear", padding_mode="border", align_corners=False
    )


def novel_map(
    src: torch.Tensor, tgt: torch.Tensor, radius: float, threshold: float
) -> torch.Tensor:
    """(N, 1, R, R) 1 where ``tgt`` (N, 3, R, R, canonical) shows a colour that no pixel of
    ``src`` within ``radius`` (canonical units, a square window) comes within ``threshold``
    of (mean absolute RGB difference): content a warp cannot bring, which only paint can."""
    r = max(1, round(radius * src.shape[-1]))
    h, w = src.shape[-2:]
    padded = F.pad(src, (r, r, r, r), mode="replicate")
    best = torch.full_like(tgt[:, :1], float("inf"))
    for dy in range(2 * r + 1):
        for dx in range(2 * r + 1):
            d = (tgt - padded[:, :, dy : dy + h, dx : dx + w]).abs().mean(1, keepdim=True)
            best = torch.minimum(best, d)
    return (best > threshold).float()


def init_networks(
    folder: Path, gen: FieldGenerator, disc: torch.nn.Module, ema: FieldGenerator
) -> None:
    """Networks (not optimisers, not the step) from another run's checkpoint."""
    from safetensors.torch import load_file

    tensors = load_file(str(folder / "ckpt.safetensors"))
    for prefix, module in (("G.", gen), ("D.", disc), ("E.", ema)):
        # New heads of a wider model keep their (zero) start; everything else must match.
        missing, unexpected = module.load_state_dict(
            {k[2:]: v for k, v in tensors.items() if k.startswith(prefix)}, strict=False
        )
        if unexpected or any(not k.startswith("coarse.") for k in missing):
            raise ValueError(f"{folder}: networks differ ({unexpected[:3]} {missing[:3]})")


def init_generator(
    manifest: Path, model: FieldConfig, gen: FieldGenerator, ema: FieldGenerator
) -> None:
    """Generator and EMA from an exported manifest (verified), which must have ``model``'s
    architecture."""
    net, _ = EDITOR_WEIGHTS.load(manifest)
    if net.cfg != model:
        raise ValueError(
            f"{manifest}: its architecture {net.cfg} is not this run's {model} (pass the same "
            "--resolution, --coarse-flow, --no-colour, --no-paint and --flat-paint)"
        )
    state = net.state_dict()
    gen.load_state_dict(state)
    ema.load_state_dict(state)


def reset_paint_heads(gen: FieldGenerator) -> None:
    """Paint colour and logit channels of the head back to their start, freshly drawn: small
    weights, a grey colour and nothing painted (the generator's own start for them)."""
    with torch.no_grad():
        torch.nn.init.kaiming_uniform_(gen.head.weight[PAINT_CHANNELS], a=math.sqrt(5))
    gen.quiet_head(PAINT_CHANNELS)


def export(out: Path, ema: FieldGenerator, step: int, cfg: TrainConfig) -> Path:
    snap = copy.deepcopy(ema).eval()
    EDITOR_WEIGHTS.storage_round_trip(snap)
    return EDITOR_WEIGHTS.export(
        out / "export" / f"face_editor_step{step:06d}.safetensors",
        snap,
        training={**json.loads(json.dumps(asdict(cfg), default=list)), "step": step},
    )


def save_grid(
    path: Path, b: dict[str, Any], edited: torch.Tensor, mask: torch.Tensor, n: int = 8
) -> None:
    rows = []
    for i in range(min(n, edited.shape[0])):
        cells = [
            b["src"][i, :3],
            edited[i].detach(),
            b["tgt"][i, :3],
            mask[i].detach().expand(3, -1, -1),
        ]
        rows.append(torch.cat(cells, dim=2))
    img = torch.cat(rows, dim=1).clamp(0, 1).permute(1, 2, 0).numpy()
    Image.fromarray((img * 255).astype(np.uint8)).save(path)


def parse_args(argv: list[str] | None = None) -> TrainConfig:
    """Every ``TrainConfig`` setting as a flag, plus the model's ``--resolution``,
    ``--coarse-flow``, ``--no-colour``, ``--no-paint`` and ``--flat-paint``."""
    p = config_parser(TrainConfig, __doc__.split("\n\n")[0], skip=("model",), ablations={})
    p.add_argument("--resolution", type=int, default=FieldConfig().resolution)
    p.add_argument("--coarse-flow", action="store_true")
    p.add_argument("--no-colour", action="store_true")
    p.add_argument("--no-paint", action="store_true")
    p.add_argument("--flat-paint", action="store_true")

    def model(kw: dict[str, Any]) -> dict[str, Any]:
        kw["model"] = FieldConfig(
            resolution=kw.pop("resolution"),
            coarse_flow=kw.pop("coarse_flow"),
            colour=not kw.pop("no_colour"),
            paint=not kw.pop("no_paint"),
            flat_paint=kw.pop("flat_paint"),
        )
        return kw

    return parse_config(TrainConfig, p, argv, ablations={}, adapt=model)


def main(argv: list[str] | None = None) -> None:
    print(train(parse_args(argv)))


if __name__ == "__main__":
    main()
