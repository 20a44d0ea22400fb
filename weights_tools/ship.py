"""Copy a run's exported weights to the shipped location, re-verified.

    python -m moodrig.weights_tools.ship --model amee \
        --from runs/amee/full_stage14/export/amee_gan_step007000.manifest.json
    python -m moodrig.weights_tools.ship --model transfer \
        --from runs/transfer/stage3/export/style_transfer_step002000.manifest.json
    python -m moodrig.weights_tools.ship --model face_editor \
        --from runs/faceedit/editor4/export/face_editor_step004000.manifest.json
    python -m moodrig.weights_tools.ship --model face_locator \
        --from runs/faceedit/locator1/export/face_locator_step002500.manifest.json

Loads the export through the verified path (sha256, vocabulary, shapes), then re-exports it as
the model's shipped weights (``weights/amee/amee_gan.*``, ``weights/transfer/style_transfer.*``,
``weights/appearance/face_editor.*``, ``weights/appearance/face_locator.*``, or ``--to``) with
the same training record and manifest fields.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from moodrig.core.amee.weights_io import AMEE_WEIGHTS
from moodrig.core.appearance.weights_io import EDITOR_WEIGHTS, LOCATOR_WEIGHTS
from moodrig.core.editing.weights_io import WeightsFormat
from moodrig.core.transfer.weights_io import TRANSFER_WEIGHTS

MODELS: dict[str, WeightsFormat[Any]] = {
    "amee": AMEE_WEIGHTS,
    "transfer": TRANSFER_WEIGHTS,
    "face_editor": EDITOR_WEIGHTS,
    "face_locator": LOCATOR_WEIGHTS,
}
"""Model name on the command line → its weights format."""


def ship(fmt: WeightsFormat[Any], source: Path, target_manifest: Path) -> Path:
    """Re-export ``source`` at ``target_manifest``; returns the written manifest."""
    net, manifest = fmt.load(source)
    extra = {k: manifest[k] for k in fmt.meta(net) if k in manifest}
    stem = target_manifest.name.removesuffix(".manifest.json")
    return fmt.export(
        target_manifest.with_name(stem + ".safetensors"),
        net,
        training=dict(manifest.get("training", {})),
        extra=extra,
    )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Ship a run's export as the add-on's weights.")
    p.add_argument("--model", choices=sorted(MODELS), required=True)
    p.add_argument("--from", dest="source", type=Path, required=True, help="exported manifest")
    p.add_argument(
        "--to", type=Path, default=None, help="target manifest (default: the shipped one)"
    )
    a = p.parse_args(argv)
    fmt = MODELS[a.model]
    print(f"wrote {ship(fmt, a.source, a.to or fmt.shipped_manifest())}")


if __name__ == "__main__":
    main()
