"""Weights manifests: read, verify and load tensors without torch.

Layout and fields: ``weights.py``. Everything here is numpy + safetensors only, so code that
needs no network (a photo's calibration, the numpy face networks) starts without importing
torch (about 1.4 s of CPU).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from numpy.typing import NDArray

from .errors import WeightsError

MANIFEST_FORMAT = 1
REEXPORT_FIX = "Reinstall the moodrig add-on, or re-export the weights with weights_tools"

T = TypeVar("T")


def manifest_path_for(weights_path: Path) -> Path:
    return weights_path.with_name(weights_path.name.removesuffix(".safetensors") + ".manifest.json")


def read_manifest(manifest_path: str | Path) -> dict[str, Any]:
    mpath = Path(manifest_path)
    if not mpath.is_file():
        raise WeightsError(mpath, "manifest file is missing", REEXPORT_FIX)
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WeightsError(mpath, f"manifest is not valid JSON ({exc})", REEXPORT_FIX) from exc
    if not isinstance(manifest, dict):
        raise WeightsError(mpath, "manifest must be a JSON object", REEXPORT_FIX)
    for key in ("format_version", "model", "model_version", "file", "sha256", "bytes", "tensors"):
        if key not in manifest:
            raise WeightsError(mpath, f"manifest lacks the field '{key}'", REEXPORT_FIX)
    if manifest["format_version"] != MANIFEST_FORMAT:
        raise WeightsError(
            mpath,
            f"manifest format version {manifest['format_version']!r} is not the supported "
            f"{MANIFEST_FORMAT}",
            REEXPORT_FIX,
        )
    return manifest


def verify_file(manifest_path: str | Path) -> tuple[dict[str, Any], bytes]:
    """Check size and sha256 of the tensor file against its manifest; return (manifest, bytes)."""
    mpath = Path(manifest_path)
    manifest = read_manifest(mpath)
    name = str(manifest["file"])
    if not name or name in {".", ".."} or "/" in name or "\\" in name or Path(name).name != name:
        raise WeightsError(
            mpath, "manifest names a weights file outside its own folder", REEXPORT_FIX
        )
    wpath = mpath.with_name(name)
    if not wpath.is_file():
        raise WeightsError(wpath, "weights file is missing", REEXPORT_FIX)
    blob = wpath.read_bytes()
    if len(blob) != manifest["bytes"]:
        raise WeightsError(
            wpath,
            f"weights file is {len(blob)} bytes, manifest says {manifest['bytes']} "
            "(truncated or replaced)",
            REEXPORT_FIX,
        )
    digest = hashlib.sha256(blob).hexdigest()
    if digest != manifest["sha256"]:
        raise WeightsError(
            wpath,
            f"sha256 {digest[:12]}… does not match the manifest's {str(manifest['sha256'])[:12]}… "
            "(file was modified)",
            REEXPORT_FIX,
        )
    return manifest, blob


def load_verified(
    manifest_path: str | Path,
    *,
    model: str,
    model_version: int,
    parse: Callable[[bytes], Mapping[str, T]],
) -> tuple[dict[str, T], dict[str, Any]]:
    """Verify the file, then parse it with ``parse`` (safetensors' torch or numpy loader);
    refuses the wrong model, the wrong version, other tensor names or mismatched shapes."""
    mpath = Path(manifest_path)
    manifest, blob = verify_file(mpath)
    if manifest["model"] != model:
        raise WeightsError(
            mpath, f"holds weights for '{manifest['model']}', not '{model}'", REEXPORT_FIX
        )
    if manifest["model_version"] != model_version:
        raise WeightsError(
            mpath,
            f"weights are version {manifest['model_version']}, "
            f"this moodrig expects {model_version}",
            REEXPORT_FIX,
        )
    try:
        tensors = dict(parse(blob))
    except Exception as exc:  # safetensors raises its own error types
        raise WeightsError(mpath, f"tensor file cannot be parsed ({exc})", REEXPORT_FIX) from exc
    declared = manifest["tensors"]
    if set(declared) != set(tensors):
        raise WeightsError(mpath, "tensor names differ from the manifest", REEXPORT_FIX)
    for name, tensor in tensors.items():
        shape = list(getattr(tensor, "shape", ()))
        if shape != list(declared[name]["shape"]):
            raise WeightsError(
                mpath,
                f"tensor '{name}' has shape {shape}, manifest says {declared[name]['shape']}",
                REEXPORT_FIX,
            )
    return tensors, manifest


def load_weights_numpy(
    manifest_path: str | Path, *, model: str, model_version: int
) -> tuple[dict[str, NDArray[Any]], dict[str, Any]]:
    """:func:`load_verified` into numpy arrays (no torch)."""
    from safetensors.numpy import load

    return load_verified(manifest_path, model=model, model_version=model_version, parse=load)
