"""The command line both fine-tuning CLIs share (AMEE-GAN and the transfer model): one neutral
texture, a labelled sheet of 3 to 8 textures (``core/editing/sheet.py``), every field of the
model's fine-tuning config as an option; writes the adapted weights and ``finetune_config.json``."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from moodrig.core.editing.editor import ModelEditor
from moodrig.core.editing.sheet import MAX_EXAMPLES, MIN_EXAMPLES, read_sheet, read_texture
from moodrig.core.errors import InputError
from moodrig.core.fileio import atomic_write_text


def run_finetune_cli(
    argv: list[str] | None,
    *,
    description: str,
    config_cls: type[Any],
    default_stem: str,
    editor: type[ModelEditor[Any]],
    tune: Callable[..., Any],
) -> Path:
    """Parse ``argv``, fine-tune ``editor.load(--weights, --device)`` with ``tune(base, neutral,
    examples, config, progress)`` and save it; returns the manifest path."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--neutral", type=Path, required=True)
    p.add_argument("--sheet", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--weights", type=Path, default=None, help="base manifest (default: shipped)")
    p.add_argument("--stem", default=default_stem)
    p.add_argument("--device", default="auto",
                   help="auto (CUDA, then MPS, then CPU), cpu, cuda or mps")
    defaults = config_cls()
    for f in fields(config_cls):
        p.add_argument("--" + f.name.replace("_", "-"), type=type(getattr(defaults, f.name)),
                       default=getattr(defaults, f.name), help=f"{config_cls.__name__}.{f.name}")
    a = p.parse_args(argv)
    cfg = config_cls(**{f.name: getattr(a, f.name) for f in fields(config_cls)})
    neutral = read_texture(a.neutral)
    examples = read_sheet(a.sheet)
    if not MIN_EXAMPLES <= len(examples) <= MAX_EXAMPLES:
        raise InputError(a.sheet, f"give {MIN_EXAMPLES} to {MAX_EXAMPLES} labelled textures (got {len(examples)})")
    base = editor.load(a.weights, device=a.device)
    t0 = time.time()

    def progress(step: int, total: int, loss: float) -> None:
        if step % 50 == 0 or step == total:
            print(f"step {step}/{total} loss {loss:.4f} {time.time() - t0:.0f} s", flush=True)

    tuned = tune(base, neutral, examples, cfg, progress)
    info: dict[str, Any] = {"neutral": str(a.neutral), "sheet": str(a.sheet), "base_model_id": base.model_id,
                            "config": asdict(cfg)}
    manifest: Path = tuned.save(a.out, a.stem, training=info, extra={"finetuned_from": base.model_id})
    atomic_write_text(a.out / "finetune_config.json", json.dumps(info, indent=2) + "\n")
    print(f"wrote {manifest} (model_id {tuned.model_id}) in {time.time() - t0:.0f} s")
    return manifest
