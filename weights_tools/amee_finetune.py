"""Fine-tune AMEE-GAN to one character from its neutral texture and a few labelled expressions.

    python -m moodrig.weights_tools.amee_finetune --neutral face_neutral.png \
        --sheet labels.json --out DIR [--weights BASE.manifest.json] [--steps 300]

``labels.json``: a list of {"image": "smile.png", "expression": {"smile": 0.8, ...}} (names
from the expression vocabulary, missing entries 0) or {"image": ..., "vector": [8 floats]};
image paths are relative to the sheet. Writes ``DIR/amee_gan_character.{safetensors,manifest.json}``
and ``DIR/finetune_config.json``. The work is done by core.amee.finetune.finetune, which the
add-on calls directly.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from moodrig.core.amee.finetune import FinetuneConfig, finetune
from moodrig.core.amee.infer import AmeeEditor
from moodrig.core.amee.sheet import read_sheet
from moodrig.core.amee.sheet import read_texture as read_image
from moodrig.core.fileio import atomic_write_text


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Fine-tune AMEE-GAN to one character.")
    p.add_argument("--neutral", type=Path, required=True)
    p.add_argument("--sheet", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--weights", type=Path, default=None, help="base manifest (default: shipped)")
    p.add_argument("--stem", default="amee_gan_character")
    for f in fields(FinetuneConfig):
        p.add_argument("--" + f.name.replace("_", "-"), type=type(getattr(FinetuneConfig(), f.name)),
                       default=getattr(FinetuneConfig(), f.name), help=f"FinetuneConfig.{f.name}")
    a = p.parse_args(argv)
    cfg = FinetuneConfig(**{f.name: getattr(a, f.name) for f in fields(FinetuneConfig)})
    neutral = read_image(a.neutral)
    examples = read_sheet(a.sheet)
    if not 1 <= len(examples) <= 16:
        raise SystemExit(f"{a.sheet}: give 3 to 8 labelled textures (got {len(examples)})")
    base = AmeeEditor.load(a.weights, device="cpu")
    t0 = time.time()
    def progress(step: int, total: int, loss: float) -> None:
        if step % 50 == 0 or step == total:
            print(f"step {step}/{total} loss {loss:.4f} {time.time() - t0:.0f} s", flush=True)
    tuned = finetune(base, neutral, examples, cfg, progress)
    info: dict[str, Any] = {"neutral": str(a.neutral), "sheet": str(a.sheet), "base_model_id": base.model_id,
                            "config": asdict(cfg)}
    manifest = tuned.save(a.out, a.stem, training=info, extra={"finetuned_from": base.model_id})
    atomic_write_text(a.out / "finetune_config.json", json.dumps(info, indent=2) + "\n")
    print(f"wrote {manifest} (model_id {tuned.model_id}) in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
