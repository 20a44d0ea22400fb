"""Copy a run's exported generator to the shipped location, re-verified.

    python -m moodrig.weights_tools.amee_ship --from runs/amee/full/export/amee_gan_step001800.manifest.json

Loads the export through the verified path (sha256, shapes), then re-exports it as
``weights/amee/amee_gan.{safetensors,manifest.json}`` with the same training record.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from moodrig.core.amee.weights_io import export_generator, load_generator, shipped_manifest


def ship(source: Path, target_manifest: Path) -> Path:
    gen, manifest = load_generator(source)
    extra = {k: v for k, v in manifest.items() if k in ("resolution", "expression_names", "mask_threshold", "normalisation", "storage_dtype")}
    stem = target_manifest.name.removesuffix(".manifest.json")
    return export_generator(target_manifest.with_name(stem + ".safetensors"), gen,
                            training=dict(manifest.get("training", {})), extra=extra)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Ship a run's AMEE-GAN export as the add-on's weights.")
    p.add_argument("--from", dest="source", type=Path, required=True)
    p.add_argument("--to", type=Path, default=shipped_manifest(), help="target manifest path")
    a = p.parse_args(argv)
    print(f"wrote {ship(a.source, a.to)}")


if __name__ == "__main__":
    main()
