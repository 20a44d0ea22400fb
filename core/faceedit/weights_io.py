"""The field generator's and the locator's weights ⇄ safetensors + manifest (verified I/O in
``core/weights.py``). Floating tensors are stored as float16; what runs is what is stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

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
)
from .align import FEATURE_NAMES
from .locator import Locator, LocatorConfig
from .model import FieldConfig, FieldGenerator

EDITOR_MODEL, EDITOR_VERSION = "amee-gan-fields", 1
LOCATOR_MODEL, LOCATOR_VERSION = "face-feature-locator", 1
STORAGE_DTYPE = torch.float16
MASK_THRESHOLD = 0.01
"""Mask values below this become exactly 0: those pixels are returned untouched."""


def shipped_editor_manifest() -> Path:
    return weights_dir() / "faceedit" / "face_editor.manifest.json"


def shipped_locator_manifest() -> Path:
    return weights_dir() / "faceedit" / "face_locator.manifest.json"


def model_id(module: FieldGenerator | Locator) -> str:
    """Content id of the stored tensors and the architecture (the texture cache's key)."""
    return content_id(module.cfg.to_dict(), half_storage_tensors(module, STORAGE_DTYPE))


def round_to_storage(module: nn.Module) -> None:
    with torch.no_grad():
        for t in list(module.parameters()) + list(module.buffers()):
            if t.is_floating_point():
                t.copy_(t.to(STORAGE_DTYPE).to(t.dtype))


def _meta() -> dict[str, Any]:
    return {"expression_names": list(EXPRESSION_NAMES), "feature_names": list(FEATURE_NAMES),
            "storage_dtype": str(STORAGE_DTYPE).removeprefix("torch.")}


def export_editor(path: str | Path, generator: FieldGenerator, *, training: dict[str, Any] | None = None,
                  extra: dict[str, Any] | None = None) -> Path:
    meta = {**_meta(), "mask_threshold": MASK_THRESHOLD, **(extra or {})}
    return export_weights(path, half_storage_tensors(generator, STORAGE_DTYPE), model=EDITOR_MODEL,
                          model_version=EDITOR_VERSION, architecture=generator.cfg.to_dict(), training=training,
                          extra=meta)


def export_locator(path: str | Path, locator: Locator, *, training: dict[str, Any] | None = None) -> Path:
    return export_weights(path, half_storage_tensors(locator, STORAGE_DTYPE), model=LOCATOR_MODEL,
                          model_version=LOCATOR_VERSION, architecture=locator.cfg.to_dict(), training=training,
                          extra=_meta())


def _check_vocabulary(mpath: Path, manifest: dict[str, Any]) -> None:
    if list(manifest.get("expression_names", [])) != list(EXPRESSION_NAMES):
        raise WeightsError(mpath, "weights were trained for another expression vocabulary", REEXPORT_FIX)
    if list(manifest.get("feature_names", [])) != list(FEATURE_NAMES):
        raise WeightsError(mpath, "weights were trained for other feature points", REEXPORT_FIX)


def load_editor(manifest_path: str | Path) -> tuple[FieldGenerator, dict[str, Any]]:
    mpath = Path(manifest_path)
    tensors, manifest = load_weights(mpath, model=EDITOR_MODEL, model_version=EDITOR_VERSION)
    _check_vocabulary(mpath, manifest)
    try:
        cfg = FieldConfig.from_dict(dict(manifest.get("architecture", {})))
    except (TypeError, ValueError) as exc:
        raise WeightsError(mpath, f"architecture config is invalid ({exc})", REEXPORT_FIX) from exc
    gen = FieldGenerator(cfg)
    load_stored_state(gen, tensors, mpath)
    return gen.eval(), manifest


def load_locator(manifest_path: str | Path) -> tuple[Locator, dict[str, Any]]:
    mpath = Path(manifest_path)
    tensors, manifest = load_weights(mpath, model=LOCATOR_MODEL, model_version=LOCATOR_VERSION)
    _check_vocabulary(mpath, manifest)
    try:
        cfg = LocatorConfig.from_dict(dict(manifest.get("architecture", {})))
    except (TypeError, ValueError) as exc:
        raise WeightsError(mpath, f"architecture config is invalid ({exc})", REEXPORT_FIX) from exc
    loc = Locator(cfg)
    load_stored_state(loc, tensors, mpath)
    return loc.eval(), manifest
