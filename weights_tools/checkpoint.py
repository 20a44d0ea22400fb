"""Resumable GAN training checkpoints without pickle: safetensors + JSON.

Tensors (generator, its EMA copy when the run keeps one, discriminator, Adam moments, torch RNG
state) go to ``ckpt.safetensors``; scalars (step, Adam step counts, numpy RNG state) to
``ckpt.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from moodrig.core.fileio import atomic_write_text


def _opt_tensors(
    prefix: str, opt: torch.optim.Optimizer
) -> tuple[dict[str, torch.Tensor], dict[str, float]]:
    tensors: dict[str, torch.Tensor] = {}
    steps: dict[str, float] = {}
    for i, (_, st) in enumerate(sorted(opt.state_dict()["state"].items())):
        for k, v in st.items():
            if k == "step":
                steps[f"{prefix}.{i}"] = float(v)
            else:
                tensors[f"{prefix}.{i}.{k}"] = v.contiguous()
    return tensors, steps


def _opt_load(
    prefix: str,
    opt: torch.optim.Optimizer,
    tensors: dict[str, torch.Tensor],
    steps: dict[str, float],
) -> None:
    sd = opt.state_dict()
    n = len(sd["param_groups"][0]["params"])
    state: dict[int, dict[str, Any]] = {}
    for i in range(n):
        key = f"{prefix}.{i}"
        if key not in steps:
            continue
        state[i] = {
            "step": torch.tensor(steps[key]),
            "exp_avg": tensors[f"{key}.exp_avg"],
            "exp_avg_sq": tensors[f"{key}.exp_avg_sq"],
        }
    sd["state"] = state
    opt.load_state_dict(sd)


def save_checkpoint(
    folder: Path,
    *,
    step: int,
    gen: torch.nn.Module,
    disc: torch.nn.Module,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    np_rng: np.random.Generator,
    torch_gen: torch.Generator,
    ema: torch.nn.Module | None = None,
) -> None:
    tensors = {f"G.{k}": v.contiguous() for k, v in gen.state_dict().items()}
    if ema is not None:
        tensors.update({f"E.{k}": v.contiguous() for k, v in ema.state_dict().items()})
    tensors.update({f"D.{k}": v.contiguous() for k, v in disc.state_dict().items()})
    tg, sg = _opt_tensors("optG", opt_g)
    td, sd = _opt_tensors("optD", opt_d)
    tensors.update(tg)
    tensors.update(td)
    tensors["torch_rng"] = torch_gen.get_state()
    tmp = folder / "ckpt.part.safetensors"
    save_file(tensors, str(tmp))
    tmp.replace(folder / "ckpt.safetensors")
    meta = {"step": step, "opt_steps": {**sg, **sd}, "np_rng": np_rng.bit_generator.state}
    atomic_write_text(folder / "ckpt.json", json.dumps(meta))


def load_checkpoint(
    folder: Path,
    *,
    gen: torch.nn.Module,
    disc: torch.nn.Module,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    np_rng: np.random.Generator,
    torch_gen: torch.Generator,
    ema: torch.nn.Module | None = None,
) -> int:
    """Restore everything; returns the step to continue from (0 when there is no checkpoint)."""
    if not (folder / "ckpt.json").is_file():
        return 0
    meta = json.loads((folder / "ckpt.json").read_text())
    tensors = load_file(str(folder / "ckpt.safetensors"))
    gen.load_state_dict({k[2:]: v for k, v in tensors.items() if k.startswith("G.")})
    disc.load_state_dict({k[2:]: v for k, v in tensors.items() if k.startswith("D.")})
    if ema is not None:
        ema.load_state_dict({k[2:]: v for k, v in tensors.items() if k.startswith("E.")})
    _opt_load("optG", opt_g, tensors, meta["opt_steps"])
    _opt_load("optD", opt_d, tensors, meta["opt_steps"])
    torch_gen.set_state(tensors["torch_rng"])
    np_rng.bit_generator.state = meta["np_rng"]
    return int(meta["step"])
