"""Transfer-model weights ⇄ safetensors + manifest (core/weights.py does the verified I/O).

K_t, K_s and J ship; the discriminator exists for training only. Floating tensors are stored as
float16 like AMEE-GAN's (``storage_round_trip`` applies the same rounding in memory, so what
is evaluated is what ships). ``weights_id`` hashes the stored tensors and the architecture.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ..detail import DETAIL_NAMES
from ..errors import WeightsError
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
from .config import TransferConfig
from .content import LAYOUT_VERSION
from .model import TransferModel

MODEL_NAME = "moodrig-style-transfer"
MODEL_VERSION = 1
STORAGE_DTYPE = torch.float16
MASK_THRESHOLD = 0.01
"""Mask values below this are set to exactly 0 before upsampling and compositing (as AMEE-GAN)."""
SHIPPED_STEM = "style_transfer"


def shipped_manifest() -> Path:
    """``weights/transfer/style_transfer.manifest.json``."""
    return weights_dir() / "transfer" / f"{SHIPPED_STEM}.manifest.json"


def storage_tensors(model: TransferModel) -> dict[str, torch.Tensor]:
    """State dict as stored: float tensors in float16."""
    return half_storage_tensors(model, STORAGE_DTYPE)


def storage_round_trip(model: TransferModel) -> None:
    """Round the model's float tensors to the storage precision, in place."""
    round_to_storage(model, STORAGE_DTYPE)


def weights_id(model: TransferModel) -> str:
    """Content id of the stored tensors, the architecture and the content-drawing layout."""
    return content_id(model.cfg.to_dict(), storage_tensors(model), f"content-layout-{LAYOUT_VERSION}")


def export_model(path: str | Path, model: TransferModel, *, training: dict[str, Any] | None = None,
                 extra: dict[str, Any] | None = None) -> Path:
    """Write ``<stem>.safetensors`` + ``<stem>.manifest.json``; returns the manifest path."""
    cfg = model.cfg
    meta: dict[str, Any] = {
        "resolution": cfg.resolution,
        "detail_names": list(DETAIL_NAMES),
        "content_layout_version": LAYOUT_VERSION,
        "mask_threshold": MASK_THRESHOLD,
        "normalisation": "RGB NCHW float32 in [-1, 1] = 2 * image - 1 (content drawings and textures)",
        "storage_dtype": str(STORAGE_DTYPE).removeprefix("torch."),
    }
    meta.update(extra or {})
    return export_weights(path, storage_tensors(model), model=MODEL_NAME, model_version=MODEL_VERSION,
                          architecture=cfg.to_dict(), training=training, extra=meta)


def load_model(manifest_path: str | Path) -> tuple[TransferModel, dict[str, Any]]:
    """Verify (sha256, size, version, vocabulary, shapes) and build the model in eval mode, float32."""
    mpath = Path(manifest_path)
    tensors, manifest = load_weights(mpath, model=MODEL_NAME, model_version=MODEL_VERSION)
    try:
        cfg = TransferConfig.from_dict(dict(manifest.get("architecture", {})))
    except (TypeError, ValueError) as exc:
        raise WeightsError(mpath, f"architecture config is invalid ({exc})", REEXPORT_FIX) from exc
    if list(manifest.get("detail_names", [])) != list(DETAIL_NAMES):
        raise WeightsError(mpath, "weights were trained for another detail vocabulary", REEXPORT_FIX)
    if manifest.get("content_layout_version") != LAYOUT_VERSION:
        raise WeightsError(mpath, f"weights were trained on content drawings of layout version "
                           f"{manifest.get('content_layout_version')!r}, this moodrig draws version {LAYOUT_VERSION}", REEXPORT_FIX)
    model = TransferModel(cfg)
    load_stored_state(model, tensors, mpath)
    model.eval()
    return model, manifest
