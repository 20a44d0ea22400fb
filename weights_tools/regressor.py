"""The independent regressors that measure the editors' expression accuracy (evaluation only).

    python -m moodrig.weights_tools.regressor --target expression    # AMEE-GAN's 8 values
    python -m moodrig.weights_tools.regressor --target detail        # the transfer model's 11

They share nothing with the editors or their discriminators: their own architecture, trained
separately on painter renders of split 'regressor' (styles disjoint from every editor's
training and evaluation styles). A regressor reads an image *together with the same
character's neutral texture*: from a single image some entries are confounded with the style
(a wide-open eye vs a style with tall eyes, a smile vs a wide mouth), which would put a floor
under any measured error that has nothing to do with the editor. The difference image −
neutral is fed as well: it is zero wherever the expression changed nothing, so the first layer
does not have to learn the subtraction. Input: neutral, image, image − neutral concatenated,
(N, 9, R, R); output (N, n) in [0, 1].

Training: AdamW with a linear warm-up and cosine decay; mild blur / noise augmentation of the
second image on part of the batch, so it reads slightly soft generated images the way it reads
clean ones. The held-out check on painter images of split 'eval' (ground truth, no editor
involved) is the floor under any error measured with the regressor; it goes to the manifest.
AMEE-GAN's evaluation regressor is kept in ``weights_tools/weights/`` (outside the add-on).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray
from torch import Tensor, nn

from moodrig.core.detail import DETAIL_NAMES
from moodrig.core.expression import EXPRESSION_NAMES
from moodrig.core.weights import export_weights, load_stored_state, load_weights, read_manifest

from . import amee_data, transfer_data

F32 = NDArray[np.float32]

EXPRESSION_REGRESSOR = (
    Path(__file__).resolve().parent / "weights" / "expression_regressor.manifest.json"
)
"""AMEE-GAN's evaluation regressor (``make amee-regressor``)."""

CONVS_PER_STAGE = (1, 1, 2, 2)
"""3x3 convs in each of the four stages (R, R/2, R/4, R/8): the second convs sit at the coarse
scales, where they are cheap and where eyes, brows and mouth span the receptive field."""


def _conv(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]


class ExpressionRegressor(nn.Module):
    """Four stages of 3x3 conv-BN-ReLU + 2x2 max-pool (R → R/16), then an MLP with a sigmoid."""

    def __init__(self, resolution: int = 64, width: int = 16, n_expression: int = 8) -> None:
        super().__init__()
        chans = [9, width, 2 * width, 4 * width, 4 * width]
        layers: list[nn.Module] = []
        for (cin, cout), n in zip(pairwise(chans), CONVS_PER_STAGE, strict=True):
            layers += _conv(cin, cout)
            for _ in range(n - 1):
                layers += _conv(cout, cout)
            layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        side = resolution // 16
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(chans[-1] * side * side, 256),
            nn.ReLU(),
            nn.Linear(256, n_expression),
        )

    def forward(self, neutral: Tensor, image: Tensor) -> Tensor:
        """neutral, image: (N, 3, R, R) in [-1, 1] → (N, n) in [0, 1]."""
        return torch.sigmoid(
            self.head(self.features(torch.cat([neutral, image, image - neutral], 1)))
        )


@dataclass(frozen=True)
class RegressorConfig:
    """Regressor training settings (saved in its manifest). The defaults are the expression
    regressor's; ``for_target`` gives each target's."""

    target: str = "expression"
    """What it reads: 'expression' (AMEE-GAN's 8 values) or 'detail' (the 11 per-side values)."""
    seed: int = 0
    """Data and init seed."""
    styles: int = 4000
    """Styles of split 'regressor'."""
    per_style: int = 8
    """Renders per style (index 0 neutral)."""
    resolution: int = 64
    """Input resolution, pixels (= the editors')."""
    steps: int = 8000
    """AdamW steps."""
    batch: int = 32
    """Images per step."""
    lr: float = 2e-3
    """Peak learning rate (linear warm-up over ``warmup`` steps, then cosine to 0)."""
    warmup: int = 200
    """Warm-up steps (0: cosine decay from the first step)."""
    weight_decay: float = 1e-4
    """AdamW weight decay (0: plain Adam)."""
    width: int = 16
    """First conv width (stages: w, 2w, 4w, 4w)."""
    augment_frac: float = 0.5
    """Fraction of each batch that gets the blur / noise augmentation (the rest is clean)."""
    threads: int = 1
    """torch.set_num_threads."""
    cache_dir: str = "runs/amee/cache"
    """Where the painter cache lives."""

    @classmethod
    def for_target(cls, target: str, **overrides: Any) -> RegressorConfig:
        """``target``'s default settings with ``overrides``."""
        if target not in TARGETS:
            raise ValueError(f"unknown regressor target {target!r}; known: {sorted(TARGETS)}")
        return replace(TARGETS[target].defaults, **overrides)


Cache = Callable[..., tuple[NDArray[np.uint8], F32]]
Render = Callable[[int, str, int, int, int], tuple[F32, F32]]


@dataclass(frozen=True)
class Target:
    """One regressor: what it reads, from which painter data, with which loss."""

    model: str
    """Manifest ``model`` name."""
    version: int
    """Manifest ``model_version``."""
    kind: str
    """Vocabulary kind; the manifest lists the names under ``<kind>_names``."""
    names: tuple[str, ...]
    """The values it reads, in order."""
    cache: Cache
    """(path, seed=, split=, n_styles=, per_style=, size=) → uint8 renders, their values."""
    render: Render
    """(seed, split, styles, per_style, size) → float renders in [0, 1], their values."""
    loss: Callable[[Tensor, Tensor], Tensor]
    """Training loss (prediction, truth)."""
    salt: int
    """Second word of the batch sampler's seed."""
    heldout_neutral: bool
    """Whether the held-out check reads the neutral renders too."""
    heldout_per_style: int
    """Renders per held-out style."""
    channels_last: bool
    """Training batches as channels-last views of the uint8 cache (else contiguous NCHW): the
    same numbers, rounded differently by the convolutions; kept as each regressor was trained,
    so a rerun reproduces it bit for bit."""
    defaults: RegressorConfig
    """Training settings."""


def _detail_cache(path: Path, **kw: Any) -> tuple[NDArray[np.uint8], F32]:
    images, _, details = transfer_data.ensure_cache(path, **kw)
    return images, details


def _detail_render(
    seed: int, split: str, n_styles: int, per_style: int, size: int
) -> tuple[F32, F32]:
    images, _, details = transfer_data.render_split(seed, split, n_styles, per_style, size)
    return images, details


EXPRESSION = Target(
    "amee-expression-regressor",
    3,
    "expression",
    EXPRESSION_NAMES,
    amee_data.ensure_cache,
    amee_data.render_split,
    F.l1_loss,
    300,
    False,
    8,
    True,
    RegressorConfig(),
)
"""Reads AMEE-GAN's 8 expression values; L1 (the measured quantity is an MAE). Version 3: the
neutral, the image and their difference as input."""
DETAIL = Target(
    "transfer-detail-regressor",
    2,
    "detail",
    DETAIL_NAMES,
    _detail_cache,
    _detail_render,
    F.mse_loss,
    301,
    True,
    6,
    False,
    RegressorConfig(
        target="detail",
        styles=1500,
        per_style=6,
        steps=3000,
        lr=1e-3,
        warmup=0,
        weight_decay=0.0,
        cache_dir="runs/transfer/cache",
    ),
)
"""Reads the transfer model's 11 per-side detail values, asymmetric ones included. Version 2:
the version-3 expression regressor's architecture."""
TARGETS = {t.kind: t for t in (EXPRESSION, DETAIL)}


def augment(x: Tensor, gen: torch.Generator, frac: float) -> Tensor:
    """A ``frac`` of the batch: 3x3 binomial blur of random strength and Gaussian noise
    σ ≤ 0.02 (of the [0, 1] range; 0.04 in [-1, 1]); the rest stays clean."""
    n = x.shape[0]
    k = torch.tensor([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]) / 16.0
    blurred = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), k.expand(3, 1, 3, 3), groups=3)
    on = (torch.rand(n, 1, 1, 1, generator=gen) < frac).float()
    w = torch.rand(n, 1, 1, 1, generator=gen) * on
    x = x * (1 - w) + blurred * w
    return (
        x + torch.randn(x.shape, generator=gen) * 0.04 * torch.rand(n, 1, 1, 1, generator=gen) * on
    )


def lr_factor(cfg: RegressorConfig, step: int) -> float:
    """Linear warm-up to 1 over ``cfg.warmup`` steps, then cosine decay to 0 at ``cfg.steps``."""
    if step < cfg.warmup:
        return (step + 1) / cfg.warmup
    t = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, t)))


def _batch_images(arr: NDArray[np.uint8], channels_last: bool) -> Tensor:
    x = torch.from_numpy(arr.astype(np.float32) / 127.5 - 1.0).permute(0, 3, 1, 2)
    return x if channels_last else x.contiguous()


def heldout_error(model: ExpressionRegressor, target: Target, cfg: RegressorConfig) -> Tensor:
    """Mean absolute error per entry on the painter images of 32 styles of split 'eval'."""
    images, values = target.render(cfg.seed, "eval", 32, target.heldout_per_style, cfg.resolution)
    first = 0 if target.heldout_neutral else 1
    r = cfg.resolution
    with torch.no_grad():
        x = torch.from_numpy(images * 2 - 1).permute(0, 1, 4, 2, 3)[:, first:]  # (S, P, 3, R, R)
        neutral = torch.from_numpy(images[:, :1] * 2 - 1).permute(0, 1, 4, 2, 3).expand_as(x)
        pred = model(neutral.reshape(-1, 3, r, r), x.reshape(-1, 3, r, r))
        return (
            (pred - torch.from_numpy(values[:, first:].reshape(-1, len(target.names))))
            .abs()
            .mean(0)
        )


def train(cfg: RegressorConfig, out: Path) -> Path:
    """Train, check on held-out styles, export ``out`` + ``.safetensors`` / ``.manifest.json``."""
    target = TARGETS[cfg.target]
    torch.set_num_threads(cfg.threads)
    images, values = target.cache(
        Path(cfg.cache_dir)
        / f"regressor_s{cfg.seed}_{cfg.styles}x{cfg.per_style}_{cfg.resolution}.npz",
        seed=cfg.seed,
        split="regressor",
        n_styles=cfg.styles,
        per_style=cfg.per_style,
        size=cfg.resolution,
    )
    torch.manual_seed(cfg.seed)
    n_out = len(target.names)
    model = ExpressionRegressor(cfg.resolution, cfg.width, n_out)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: lr_factor(cfg, i))
    rng = np.random.default_rng([cfg.seed, target.salt])
    tgen = torch.Generator().manual_seed(cfg.seed)
    t0 = time.time()
    for step in range(1, cfg.steps + 1):
        s = rng.integers(0, images.shape[0], cfg.batch)
        k = rng.integers(0, images.shape[1], cfg.batch)
        neutral = _batch_images(images[s, 0], target.channels_last)
        x = augment(_batch_images(images[s, k], target.channels_last), tgen, cfg.augment_frac)
        loss = target.loss(model(neutral, x), torch.from_numpy(values[s, k]))
        opt.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        opt.step()
        sched.step()
        if step % 250 == 0:
            print(f"step {step} loss {loss.item():.5f} {time.time() - t0:.0f} s", flush=True)
    model.eval()
    per_dim = heldout_error(model, target, cfg)
    mae = float(per_dim.mean())
    print(
        f"{target.kind} regressor MAE on held-out painter images: {mae:.4f} "
        f"per entry {[round(float(v), 3) for v in per_dim]}"
    )
    tensors = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    arch: dict[str, int] = {"resolution": cfg.resolution, "width": cfg.width}
    if n_out != len(EXPRESSION_NAMES):
        arch["outputs"] = n_out  # absent: the expression head (as its manifests always were)
    return export_weights(
        out.with_suffix(".safetensors"),
        tensors,
        model=target.model,
        model_version=target.version,
        architecture=arch,
        training=asdict(cfg),
        extra={
            f"{target.kind}_names": list(target.names),
            "heldout_painter_mae": mae,
            "heldout_painter_mae_per_entry": [float(v) for v in per_dim],
            "train_seconds": round(time.time() - t0),
        },
    )


def load_regressor(manifest: Path) -> ExpressionRegressor:
    """Either regressor, verified (sha256, version, every layer present with its shape), in eval
    mode; which one the manifest's ``model`` says."""
    name = read_manifest(manifest)["model"]
    target = next((t for t in TARGETS.values() if t.model == name), None)
    if target is None:
        raise ValueError(
            f"{manifest}: '{name}' is not a regressor ({[t.model for t in TARGETS.values()]})"
        )
    tensors, man = load_weights(manifest, model=target.model, model_version=target.version)
    arch = man["architecture"]
    model = ExpressionRegressor(
        int(arch["resolution"]), int(arch["width"]), int(arch.get("outputs", 8))
    )
    load_stored_state(model, tensors, manifest)
    return model.eval()


def model_input(images: F32, resolution: int) -> Tensor:
    """(N, H, W, 3|4) in [0, 1] → (N, 3, R, R) in [-1, 1], antialiased when resized."""
    x = torch.from_numpy(np.ascontiguousarray(images[..., :3])).permute(0, 3, 1, 2)
    if x.shape[2] != resolution:
        x = F.interpolate(
            x, size=(resolution, resolution), mode="bilinear", antialias=True, align_corners=False
        )
    return x * 2 - 1


class Reader:
    """A loaded regressor that reads values off images of one character."""

    def __init__(self, manifest: Path) -> None:
        self.model = load_regressor(manifest)
        meta = json.loads(manifest.read_text())
        self.resolution = int(meta["architecture"]["resolution"])
        """The regressor's input side, pixels."""
        self.heldout_mae = float(meta.get("heldout_painter_mae", float("nan")))
        """Its own error on held-out painter images (the floor under what it measures)."""

    def __call__(self, images: F32, neutral: F32) -> F32:
        """Estimates for ``images`` (N, H, W, 3|4) of the character whose neutral texture is
        ``neutral`` (H, W, 3|4): (N, n)."""
        x = model_input(images, self.resolution)
        n = model_input(neutral[None], self.resolution).expand_as(x)
        with torch.inference_mode():
            out: F32 = self.model(n, x).numpy()
        return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Train an independent evaluation regressor.")
    p.add_argument("--target", choices=sorted(TARGETS), default="expression")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output stem (default: weights_tools/weights/expression_regressor for "
        "'expression', runs/transfer/detail_regressor for 'detail')",
    )
    for f in fields(RegressorConfig):
        if f.name != "target":
            p.add_argument("--" + f.name.replace("_", "-"), type=type(f.default), default=None)
    a = vars(p.parse_args(argv))
    target, out = a.pop("target"), a.pop("out")
    cfg = RegressorConfig.for_target(target, **{k: v for k, v in a.items() if v is not None})
    if out is None:
        out = (
            EXPRESSION_REGRESSOR.with_name("expression_regressor")
            if target == "expression"
            else Path("runs/transfer/detail_regressor")
        )
    print(json.dumps(asdict(cfg)))
    print(f"wrote {train(cfg, out)}")


if __name__ == "__main__":
    main()
