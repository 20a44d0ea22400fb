"""Fine-tune the style-transfer model to one character from its neutral texture and a few labelled expressions.

    python -m moodrig.weights_tools.transfer_finetune --neutral face_neutral.png \
        --sheet labels.json --out DIR [--weights BASE.manifest.json] [--steps 200]

``labels.json``: the same sheet AMEE-GAN's fine-tuning reads (``core/amee/sheet.py``):
``[{"image": "smile.png", "expression": {"smile": 0.8}}, {"image": ..., "vector": [8 floats]}]``;
labels are symmetric (both sides take the shared value). Writes
``DIR/style_transfer_character.{safetensors,manifest.json}`` and ``DIR/finetune_config.json``;
the bake uses it with ``--appearance detailed --transfer-weights DIR/style_transfer_character.manifest.json``.
The work is done by ``core.transfer.finetune.finetune_transfer``, which the add-on calls directly.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from moodrig.core.amee.sheet import MAX_EXAMPLES, MIN_EXAMPLES, read_sheet
from moodrig.core.amee.sheet import read_texture as read_image
from moodrig.core.fileio import atomic_write_text
from moodrig.core.transfer.finetune import TransferFinetuneConfig, finetune_transfer
from moodrig.core.transfer.infer import TransferEditor


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Fine-tune the style-transfer model to one character.")
    p.add_argument("--neutral", type=Path, required=True)
    p.add_argument("--sheet", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--weights", type=Path, default=None, help="base manifest (default: shipped)")
    p.add_argument("--stem", default="style_transfer_character")
    defaults = TransferFinetuneConfig()
    for f in fields(TransferFinetuneConfig):
        p.add_argument("--" + f.name.replace("_", "-"), type=type(getattr(defaults, f.name)),
                       default=getattr(defaults, f.name), help=f"TransferFinetuneConfig.{f.name}")
    a = p.parse_args(argv)
    cfg = TransferFinetuneConfig(**{f.name: getattr(a, f.name) for f in fields(TransferFinetuneConfig)})
    neutral = read_image(a.neutral)
    examples = read_sheet(a.sheet)
    if not MIN_EXAMPLES <= len(examples) <= MAX_EXAMPLES:
        raise SystemExit(f"{a.sheet}: give {MIN_EXAMPLES} to {MAX_EXAMPLES} labelled textures (got {len(examples)})")
    base = TransferEditor.load(a.weights, device="cpu")
    t0 = time.time()

    def progress(step: int, total: int, loss: float) -> None:
        if step % 50 == 0 or step == total:
            print(f"step {step}/{total} loss {loss:.4f} {time.time() - t0:.0f} s", flush=True)

    tuned = finetune_transfer(base, neutral, examples, cfg, progress)
    info: dict[str, Any] = {"neutral": str(a.neutral), "sheet": str(a.sheet), "base_model_id": base.model_id,
                            "config": asdict(cfg)}
    manifest = tuned.save(a.out, a.stem, training=info, extra={"finetuned_from": base.model_id})
    atomic_write_text(a.out / "finetune_config.json", json.dumps(info, indent=2) + "\n")
    print(f"wrote {manifest} (model_id {tuned.model_id}) in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
