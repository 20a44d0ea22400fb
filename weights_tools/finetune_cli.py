"""The command line both fine-tuning CLIs share (AMEE-GAN and the transfer model): one neutral
texture, a labelled sheet of 3 to 8 textures (``core/editing/sheet.py``), every field of the
model's fine-tuning config as an option; writes the adapted weights and ``finetune_config.json``.

The three output files are checked before training (``core/outputs.py``): ``--out`` must be a
writable folder (or creatable), and files there that moodrig did not write are replaced only
with ``--overwrite`` (kept as numbered backups). Run as a program (:func:`entry_point`), every
failure is one line, exit 1 (``core/failures.py``)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from moodrig.core import outputs
from moodrig.core.editing.editor import ModelEditor
from moodrig.core.editing.sheet import MAX_EXAMPLES, MIN_EXAMPLES, read_sheet, read_texture
from moodrig.core.errors import InputError
from moodrig.core.failures import ArgumentParser, run_command
from moodrig.core.paths import safe_folder_name


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
    p = ArgumentParser(description=description)
    p.add_argument("--neutral", type=Path, required=True)
    p.add_argument("--sheet", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--weights", type=Path, default=None, help="base manifest (default: shipped)")
    p.add_argument("--stem", default=default_stem)
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace files in --out that moodrig did not write (kept as name.1.json)",
    )
    p.add_argument(
        "--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda or mps"
    )
    defaults = config_cls()
    for f in fields(config_cls):
        p.add_argument(
            "--" + f.name.replace("_", "-"),
            type=type(getattr(defaults, f.name)),
            default=getattr(defaults, f.name),
            help=f"{config_cls.__name__}.{f.name}",
        )
    a = p.parse_args(argv)
    cfg = config_cls(**{f.name: getattr(a, f.name) for f in fields(config_cls)})
    if safe_folder_name(a.stem) != a.stem:
        raise InputError(
            None,
            f"--stem must be a plain file name (letters, digits, '-', '_', '.'), got {a.stem!r}",
        )
    outputs.check_folder(a.out, overwrite=a.overwrite, owned={})
    weights_out, manifest_out, config_out = (
        outputs.check_file(a.out / name, overwrite=a.overwrite)
        for name in (f"{a.stem}.safetensors", f"{a.stem}.manifest.json", "finetune_config.json")
    )
    neutral = read_texture(a.neutral)
    examples = read_sheet(a.sheet)
    if not MIN_EXAMPLES <= len(examples) <= MAX_EXAMPLES:
        raise InputError(
            a.sheet,
            f"give {MIN_EXAMPLES} to {MAX_EXAMPLES} labelled textures (got {len(examples)})",
        )
    base = editor.load(a.weights, device=a.device)
    t0 = time.time()

    def progress(step: int, total: int, loss: float) -> None:
        if step % 50 == 0 or step == total:
            print(f"step {step}/{total} loss {loss:.4f} {time.time() - t0:.0f} s", flush=True)

    tuned = tune(base, neutral, examples, cfg, progress)
    info: dict[str, Any] = {
        "neutral": str(a.neutral),
        "sheet": str(a.sheet),
        "base_model_id": base.model_id,
        "config": asdict(cfg),
    }
    for kept in (weights_out, manifest_out):
        outputs.keep_backup(kept)
    manifest: Path = tuned.save(
        a.out, a.stem, training=info, extra={"finetuned_from": base.model_id}
    )
    outputs.record(weights_out.path)
    outputs.record(manifest_out.path)
    outputs.write_text(config_out, json.dumps(info, indent=2) + "\n")
    print(f"wrote {manifest} (model_id {tuned.model_id}) in {time.time() - t0:.0f} s")
    return manifest


def entry_point(main: Callable[[list[str] | None], Any], prog: str) -> None:
    """Run a fine-tuning CLI as a program: every failure one line, exit 1 (Ctrl-C: 130)."""

    def run() -> int:
        main(None)
        return 0

    raise SystemExit(run_command(prog, run))
