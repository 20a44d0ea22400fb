"""Generator weights ⇄ safetensors + manifest (core/weights.py does the verified I/O).

Only the generator ships; the discriminator exists for training. Floating tensors are stored
as float16 (``STORAGE_DTYPE``) to keep the file small; :func:`storage_round_trip` applies the
same rounding to an in-memory generator, so what runs is always exactly what is (or will be)
on disk. :func:`weights_id` hashes the stored tensors themselves (names, dtypes, shapes,
bytes), not the file: safetensors does not fix the order of its metadata header, so two
exports of the same tensors can differ in bytes (and file sha256) while holding the same model.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch

from ..errors import WeightsError
from ..expression import EXPRESSION_NAMES
from ..paths import weights_dir
from ..weights import REEXPORT_FIX, export_weights, load_weights
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
    out: dict[str, torch.Tensor] = {}
    for name, t in generator.state_dict().items():
        if name.endswith("num_batches_tracked"):
            continue
        t = t.detach().cpu()
        out[name] = t.to(STORAGE_DTYPE) if t.is_floating_point() else t
    return out


def storage_round_trip(generator: Generator) -> None:
    """Round the generator's float tensors to the storage precision, in place."""
    with torch.no_grad():
        for t in list(generator.parameters()) + list(generator.buffers()):
            if t.is_floating_point():
                t.copy_(t.to(STORAGE_DTYPE).to(t.dtype))


def weights_id(generator: Generator) -> str:
    """Content id: sha256[:12] over the stored tensors (sorted names, dtype, shape, bytes)
    plus the architecture; equal for a generator and its export/reload."""
    h = hashlib.sha256(json.dumps(generator.cfg.to_dict(), sort_keys=True).encode())
    for name, t in sorted(storage_tensors(generator).items()):
        h.update(f"{name}|{t.dtype}|{list(t.shape)}|".encode())
        h.update(t.contiguous().numpy().tobytes())
    return h.hexdigest()[:12]


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
    expected = storage_tensors(gen)
    if set(expected) != set(tensors):
        missing = sorted(set(expected) - set(tensors))[:3]
        raise WeightsError(mpath, f"tensors do not match the architecture (e.g. missing {missing})", REEXPORT_FIX)
    for name, t in tensors.items():
        if t.shape != expected[name].shape:
            raise WeightsError(mpath, f"tensor '{name}' has shape {list(t.shape)}, architecture needs {list(expected[name].shape)}", REEXPORT_FIX)
    state = {k: (v.float() if v.is_floating_point() else v) for k, v in tensors.items()}
    gen.load_state_dict(state, strict=False)
    gen.eval()
    return gen, manifest
