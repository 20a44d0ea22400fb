"""Copy a run's exported transfer model to the shipped location, re-verified.

    python -m moodrig.weights_tools.transfer_ship --from runs/transfer/full/export/style_transfer_step002500.manifest.json

Loads the export through the verified path (sha256, vocabulary, shapes), then re-exports it as
``weights/transfer/style_transfer.{safetensors,manifest.json}`` with the same training record.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from moodrig.core.transfer.weights_io import export_model, load_model, shipped_manifest

KEEP = ("resolution", "detail_names", "content_layout_version", "mask_threshold", "normalisation", "storage_dtype")


def ship(source: Path, target_manifest: Path) -> Path:
    model, manifest = load_model(source)
    stem = target_manifest.name.removesuffix(".manifest.json")
    return export_model(target_manifest.with_name(stem + ".safetensors"), model,
                        training=dict(manifest.get("training", {})), extra={k: manifest[k] for k in KEEP if k in manifest})


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Ship a run's transfer-model export as the add-on's weights.")
    p.add_argument("--from", dest="source", type=Path, required=True)
    p.add_argument("--to", type=Path, default=shipped_manifest(), help="target manifest path")
    a = p.parse_args(argv)
    print(f"wrote {ship(a.source, a.to)}")


if __name__ == "__main__":
    main()
