"""Transfer-model weights ⇄ safetensors + manifest (core/weights.py does the verified I/O).

K_t, K_s and J ship; the discriminator exists for training only. Floating tensors are stored as
float16 like AMEE-GAN's (``storage_round_trip`` applies the same rounding in memory, so what
is evaluated is what ships). ``weights_id`` hashes the stored tensors and the architecture.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch

from ..detail import DETAIL_NAMES
from ..errors import WeightsError
from ..paths import weights_dir
from ..weights import REEXPORT_FIX, export_weights, load_weights
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
    out: dict[str, torch.Tensor] = {}
    for name, t in model.state_dict().items():
        t = t.detach().cpu()
        out[name] = t.to(STORAGE_DTYPE) if t.is_floating_point() else t
    return out


def storage_round_trip(model: TransferModel) -> None:
    """Round the model's float tensors to the storage precision, in place."""
    with torch.no_grad():
        for t in list(model.parameters()) + list(model.buffers()):
            if t.is_floating_point():
                t.copy_(t.to(STORAGE_DTYPE).to(t.dtype))


def weights_id(model: TransferModel) -> str:
    """sha256[:12] over the stored tensors (sorted names, dtype, shape, bytes) and the architecture."""
    h = hashlib.sha256(json.dumps(model.cfg.to_dict(), sort_keys=True).encode())
    h.update(f"content-layout-{LAYOUT_VERSION}".encode())
    for name, t in sorted(storage_tensors(model).items()):
        h.update(f"{name}|{t.dtype}|{list(t.shape)}|".encode())
        h.update(t.contiguous().numpy().tobytes())
    return h.hexdigest()[:12]


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
    expected = storage_tensors(model)
    if set(expected) != set(tensors):
        missing = sorted(set(expected) ^ set(tensors))[:3]
        raise WeightsError(mpath, f"tensors do not match the architecture (e.g. {missing})", REEXPORT_FIX)
    for name, t in tensors.items():
        if t.shape != expected[name].shape:
            raise WeightsError(mpath, f"tensor '{name}' has shape {list(t.shape)}, architecture needs {list(expected[name].shape)}", REEXPORT_FIX)
    model.load_state_dict({k: (v.float() if v.is_floating_point() else v) for k, v in tensors.items()})
    model.eval()
    return model, manifest
