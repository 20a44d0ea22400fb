"""What both GAN trainers share (amee_train.py, transfer_train.py): the settings every run has,
the run folder, the learning-rate schedule, the optimisers, resumable checkpoints, the log,
sample grids, snapshot exports and the command line.

A run folder holds ``config.json`` (the resolved settings; resuming with other settings is
refused), ``log.jsonl`` (one record per ``log_every`` steps), ``samples/step_XXXXXX.png``,
``ckpt.*`` (resume: rerun the same command; checkpoint.py) and
``export/<stem>_stepXXXXXX.{safetensors,manifest.json}``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

import numpy as np
import torch
from PIL import Image
from torch import nn

from moodrig.core.editing.weights_io import WeightsFormat
from moodrig.core.fileio import atomic_write_text

from .checkpoint import load_checkpoint, save_checkpoint


@dataclass(frozen=True)
class RunConfig:
    """The settings every training run has (defaults: the transfer model's recipe; each
    trainer's TrainConfig adds its own settings and overrides these defaults where they differ)."""

    out: str = "runs/transfer/full"
    """Run folder (created; rerunning resumes from its checkpoint)."""
    seed: int = 0
    """Seeds the data stream, the sampler and weight init."""
    steps: int = 4000
    """Optimiser steps in total (the learning-rate schedule's length)."""
    stop_at: int = 0
    """Stop (and export) at this step while keeping the schedule of ``steps`` (0: run to
    ``steps``); compares ablations with the full model at an equal step count."""
    batch: int = 8
    """Training examples per step."""
    lr_g: float = 4e-4
    """Adam learning rate of the generator (above the papers' 1e-4..2e-4: the CPU budget allows
    a few thousand steps, and the paired L1 terms keep it stable)."""
    lr_d: float = 2e-4
    """Adam learning rate of the discriminator."""
    beta1: float = 0.5
    """Adam β1."""
    beta2: float = 0.999
    """Adam β2."""
    lr_decay_from: float = 0.6
    """Fraction of ``steps`` after which both learning rates decay linearly to 0."""
    identity_prob: float = 0.1
    """Probability that a training example's target is its source (the output must equal it)."""
    mask_bias_init: float = -5.0
    """Initial bias of the mask head (sigmoid(−5) ≈ 0.007, below the 0.01 threshold): the mask
    starts closed and opens only where the losses ask for an edit."""
    init_from: str = ""
    """Manifest to start from ("" = random init); discriminator and optimisers start fresh."""
    styles: int = 2000
    """Training styles (split 'train'); held-out evaluation styles come from split 'eval'."""
    per_style: int = 6
    """Renders per style (index 0 neutral)."""
    resolution: int = 64
    """Model resolution, pixels."""
    use_mask: bool = True
    """False: ablation without the mask head (M = 1)."""
    threads: int = 1
    """torch.set_num_threads."""
    log_every: int = 25
    """Steps between log records."""
    sample_every: int = 500
    """Steps between sample grids."""
    ckpt_every: int = 100
    """Steps between resumable checkpoints."""
    export_at: tuple[int, ...] = ()
    """Extra steps at which to export weights (the last step always is)."""
    cache_dir: str = "runs/transfer/cache"
    """Where the pre-rendered painter cache lives."""

    RUNTIME: ClassVar[tuple[str, ...]] = (
        "steps",
        "threads",
        "export_at",
        "stop_at",
        "log_every",
        "sample_every",
        "ckpt_every",
    )
    """Settings that may differ when a run is resumed: they do not change what is trained."""
    UNRECORDED: ClassVar[tuple[str, ...]] = ("out", "cache_dir", "threads", "stop_at")
    """Settings left out of an export's training record."""

    @property
    def last_step(self) -> int:
        """The step this invocation stops at."""
        return self.stop_at if 0 < self.stop_at < self.steps else self.steps


def lr_factor(cfg: RunConfig, step: int) -> float:
    """1 until ``lr_decay_from · steps``, then linearly down to 0 at ``steps``."""
    start = int(cfg.lr_decay_from * cfg.steps)
    if step < start:
        return 1.0
    return max(0.0, 1.0 - (step - start) / max(1, cfg.steps - start))


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


Terms = Callable[[], dict[str, Any]]
"""Computes a step's log terms (called only on the steps that are logged)."""
Step = Callable[[int, float], Terms]
"""step(k, lr factor): the optimisation step after ``k`` done ones; returns its log terms."""


class Run:
    """One training run in its folder: settings, optimisers, schedule, log, checkpoints, exports."""

    def __init__(
        self, cfg: RunConfig, weights: WeightsFormat[Any], stem: str, *, quiet: bool = False
    ) -> None:
        """Check the settings against an existing run's ``config.json`` (refusing others) and
        write them; the data is loaded only after that."""
        torch.set_num_threads(cfg.threads)
        self.cfg, self.weights, self.stem, self.quiet = cfg, weights, stem, quiet
        self.out = Path(cfg.out)
        self.out.mkdir(parents=True, exist_ok=True)
        cfg_dict = asdict(cfg)
        cfg_path = self.out / "config.json"
        if cfg_path.is_file():
            old = json.loads(cfg_path.read_text())
            changed = {
                k
                for k in cfg_dict
                if k not in cfg.RUNTIME and json.dumps(old.get(k)) != json.dumps(cfg_dict[k])
            }
            if changed:
                raise SystemExit(
                    f"{cfg_path} exists with different settings {sorted(changed)}; use a new --out"
                )
        atomic_write_text(cfg_path, json.dumps(cfg_dict, indent=2) + "\n")

    def start(self, gen: nn.Module, disc: nn.Module, ema: nn.Module | None = None) -> None:
        """Adam for both networks, the run's random generators, and the checkpoint's state
        when there is one."""
        cfg = self.cfg
        self.gen, self.disc, self.ema = gen, disc, ema
        self.opt_g = torch.optim.Adam(gen.parameters(), lr=cfg.lr_g, betas=(cfg.beta1, cfg.beta2))
        self.opt_d = torch.optim.Adam(disc.parameters(), lr=cfg.lr_d, betas=(cfg.beta1, cfg.beta2))
        self.rng = np.random.default_rng([cfg.seed, 100])
        """Samples the training data."""
        self.tgen = torch.Generator().manual_seed(cfg.seed)
        """Torch-side training randomness."""
        self.step = load_checkpoint(
            self.out,
            gen=gen,
            disc=disc,
            opt_g=self.opt_g,
            opt_d=self.opt_d,
            np_rng=self.rng,
            torch_gen=self.tgen,
            ema=ema,
        )
        """Optimisation steps done."""

    def export_path(self, step: int) -> Path:
        return self.out / "export" / f"{self.stem}_step{step:06d}.safetensors"

    def export(self, net: nn.Module, step: int) -> Path:
        """Export ``net`` at ``step`` (eval-mode statistics, storage precision) with the run's
        settings as its training record; returns the manifest."""
        fmt = self.weights
        snap = fmt.build(fmt.architecture(net))
        snap.load_state_dict({k: v.contiguous() for k, v in net.state_dict().items()})
        fmt.storage_round_trip(snap)
        training = {k: v for k, v in asdict(self.cfg).items() if k not in self.cfg.UNRECORDED}
        training["trained_steps"] = step
        return fmt.export(self.export_path(step), snap, training=training)

    def loop(self, step: Step, sample: Callable[[Any, Path], None]) -> Path:
        """Train to ``cfg.last_step``: learning rates by ``lr_factor``, then ``step``; log,
        sample (``sample(net, png)`` with the exported network in eval mode), checkpoint and
        export on their schedules. Returns the manifest of the last export."""
        cfg = self.cfg
        last = cfg.last_step
        manifest = self.out / "export" / f"{self.stem}_step{last:06d}.manifest.json"
        shown = self.ema if self.ema is not None else self.gen
        t0 = t_last = time.time()
        with (self.out / "log.jsonl").open("a") as log:
            while self.step < last:
                f = lr_factor(cfg, self.step)
                for g in self.opt_g.param_groups:
                    g["lr"] = cfg.lr_g * f
                for g in self.opt_d.param_groups:
                    g["lr"] = cfg.lr_d * f
                terms = step(self.step, f)
                self.step += 1
                k = self.step
                if k % cfg.log_every == 0 or k == last:
                    rec = {
                        "step": k,
                        **terms(),
                        "lr_factor": f,
                        "s_per_step": (time.time() - t_last) / cfg.log_every,
                        "elapsed_s": time.time() - t0,
                    }
                    t_last = time.time()
                    log.write(json.dumps(rec) + "\n")
                    log.flush()
                    if not self.quiet:
                        print(
                            " ".join(
                                f"{n}={v:.4g}" if isinstance(v, float) else f"{n}={v}"
                                for n, v in rec.items()
                            ),
                            flush=True,
                        )
                if k % cfg.sample_every == 0 or k == last:
                    shown.eval()
                    with torch.no_grad():
                        sample(shown, self.out / "samples" / f"step_{k:06d}.png")
                if k % cfg.ckpt_every == 0 or k == last:
                    save_checkpoint(
                        self.out,
                        step=k,
                        gen=self.gen,
                        disc=self.disc,
                        opt_g=self.opt_g,
                        opt_d=self.opt_d,
                        np_rng=self.rng,
                        torch_gen=self.tgen,
                        ema=self.ema,
                    )
                if k in cfg.export_at or k == last:
                    manifest = self.export(shown, k)
        return manifest


class Dataclass(Protocol):
    """Any dataclass (what :func:`config_parser` and :func:`parse_config` read flags into)."""

    __dataclass_fields__: ClassVar[dict[str, Any]]


C = TypeVar("C", bound=Dataclass)

ABLATIONS: Mapping[str, tuple[str, str]] = {
    "no_mask": ("use_mask", "ablation: no mask head (M = 1)")
}
"""Flag → (boolean setting it turns off, help)."""


def config_parser(
    cls: type[Dataclass],
    description: str,
    *,
    skip: Collection[str] = (),
    ablations: Mapping[str, tuple[str, str]] = ABLATIONS,
) -> argparse.ArgumentParser:
    """Every setting of ``cls`` as a flag (booleans: --x / --no-x; tuples: lists of their
    elements' type, ints when empty) except ``skip`` and the settings that ``ablations`` turn
    off, those flags, and --dry-run."""
    p = argparse.ArgumentParser(description=description)
    hidden = set(skip) | {name for name, _ in ablations.values()}
    defaults = cls()
    for f in fields(cls):
        if f.name in hidden:
            continue
        flag = "--" + f.name.replace("_", "-")
        val = getattr(defaults, f.name)
        if isinstance(val, bool):
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=val)
        elif isinstance(val, tuple):
            p.add_argument(flag, type=type(val[0]) if val else int, nargs="*", default=list(val))
        else:
            p.add_argument(flag, type=type(val), default=val)
    for flag, (_, text) in ablations.items():
        p.add_argument("--" + flag.replace("_", "-"), action="store_true", help=text)
    p.add_argument("--dry-run", action="store_true", help="print the resolved config and exit")
    return p


def parse_config(
    cls: type[C],
    p: argparse.ArgumentParser,
    argv: list[str] | None,
    *,
    ablations: Mapping[str, tuple[str, str]] = ABLATIONS,
    adapt: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> C:
    """Parse ``argv`` with ``config_parser``'s parser into ``cls`` (``adapt`` may rewrite the
    keyword arguments first); --dry-run prints the resolved config and exits."""
    a = vars(p.parse_args(argv))
    dry = a.pop("dry_run")
    kw: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in a.items() if k not in ablations
    }
    for flag, (name, _) in ablations.items():
        kw[name] = not a[flag]
    cfg = cls(**(adapt(kw) if adapt else kw))
    if dry:
        print(json.dumps(asdict(cfg), indent=2))
        raise SystemExit(0)
    return cfg
