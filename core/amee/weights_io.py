"""Generator weights ⇄ safetensors + manifest (core/weights.py does the verified I/O).

Only the generator ships; the discriminator exists for training. Floating tensors are stored
as float16 (``STORAGE_DTYPE``) to keep the file small; :func:`storage_round_trip` applies the
same rounding to an in-memory generator, so what runs is always exactly what is (or will be)
on disk. :func:`weights_id` hashes the stored tensors themselves (names, dtypes, shapes,
bytes), not the file: safetensors does not fix the order of its metadata header, so two
exports of the same tensors can differ in bytes (and file sha256) while holding the same model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ..errors import WeightsError
from ..expression import EXPRESSION_NAMES
from ..paths import weights_dir
from ..weights import (
    REEXPORT_FIX,
    content_id,
    export_weights,
    half_storage_tensors,
    load_stored_state,
    load_weights,
    round_to_storage,
)
from .config import AmeeConfig
from .model import Generator

MODEL_NAME = "amee-gan"
MODEL_VERSION = 1
STORAGE_DTYPE = torch.float16
MASK_THRESHOLD = 0.01
"""Mask values below this are set to exactly 0 before upsampling and compositing."""
SHIPPED_STEM = "amee_gan"


def shipped_manifest() -> Path:
    """Manifest of the weights shipped with moodrig: ``weights/amee/amee_gan.manifest.json``."""
    return weights_dir() / "amee" / f"{SHIPPED_STEM}.manifest.json"


def storage_tensors(generator: Generator) -> dict[str, torch.Tensor]:
    """State dict as stored: float tensors in float16, BN step counters dropped."""
    return half_storage_tensors(generator, STORAGE_DTYPE)


def storage_round_trip(generator: Generator) -> None:
    """Round the generator's float tensors to the storage precision, in place."""
    round_to_storage(generator, STORAGE_DTYPE)


def weights_id(generator: Generator) -> str:
    """Content id of the stored tensors plus the architecture; equal for a generator and its
    export/reload."""
    return content_id(generator.cfg.to_dict(), storage_tensors(generator))


def export_generator(path: str | Path, generator: Generator, *, training: dict[str, Any] | None = None,
                     extra: dict[str, Any] | None = None) -> Path:
    """Write ``<stem>.safetensors`` + ``<stem>.manifest.json``; returns the manifest path."""
    cfg = generator.cfg
    meta: dict[str, Any] = {
        "resolution": cfg.resolution,
        "expression_names": list(EXPRESSION_NAMES),
        "mask_threshold": MASK_THRESHOLD,
        "normalisation": "RGB NCHW float32 in [-1, 1] = 2 * texture - 1",
        "storage_dtype": str(STORAGE_DTYPE).removeprefix("torch."),
    }
    meta.update(extra or {})
    return export_weights(path, storage_tensors(generator), model=MODEL_NAME, model_version=MODEL_VERSION,
                          architecture=cfg.to_dict(), training=training, extra=meta)


def load_generator(manifest_path: str | Path) -> tuple[Generator, dict[str, Any]]:
    """Verify (sha256, size, version, shapes) and build the generator in eval mode, float32."""
    mpath = Path(manifest_path)
    tensors, manifest = load_weights(mpath, model=MODEL_NAME, model_version=MODEL_VERSION)
    try:
        cfg = AmeeConfig.from_dict(dict(manifest.get("architecture", {})))
    except (TypeError, ValueError) as exc:
        raise WeightsError(mpath, f"architecture config is invalid ({exc})", REEXPORT_FIX) from exc
    if list(manifest.get("expression_names", [])) != list(EXPRESSION_NAMES):
        raise WeightsError(mpath, "weights were trained for another expression vocabulary", REEXPORT_FIX)
    gen = Generator(cfg)
    load_stored_state(gen, tensors, mpath)
    gen.eval()
    return gen, manifest
