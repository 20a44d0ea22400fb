"""Safetensors weights with a JSON manifest, verified before use.

Layout on disk: ``<stem>.safetensors`` and ``<stem>.manifest.json`` side by side. The manifest
records the format version, model name, architecture config, training config, tensor shapes
and dtypes, byte size and sha256 of the tensor file. Loading hashes the exact bytes it then
parses, so a file swapped in between cannot slip through. Nothing is ever unpickled.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from .errors import WeightsError
from .fileio import atomic_write_bytes, atomic_write_text
from .manifest import (
    DTYPE_BYTES,
    HEADER_BYTES,
    HEADER_BYTES_PER_TENSOR,
    MANIFEST_FORMAT,
    MAX_MANIFEST_BYTES,
    MAX_PARAMETERS,
    MAX_WEIGHTS_BYTES,
    REEXPORT_FIX,
    declared_size,
    load_verified,
    manifest_path_for,
    read_manifest,
    verify_file,
)

__all__ = [
    "DTYPE_BYTES",
    "HEADER_BYTES",
    "HEADER_BYTES_PER_TENSOR",
    "MANIFEST_FORMAT",
    "MAX_MANIFEST_BYTES",
    "MAX_PARAMETERS",
    "MAX_WEIGHTS_BYTES",
    "REEXPORT_FIX",
    "content_id",
    "declared_size",
    "export_weights",
    "half_storage_tensors",
    "load_stored_state",
    "load_weights",
    "manifest_path_for",
    "read_manifest",
    "round_to_storage",
    "verify_file",
]


def export_weights(
    weights_path: str | Path,
    tensors: Mapping[str, torch.Tensor],
    *,
    model: str,
    model_version: int,
    architecture: Mapping[str, Any],
    training: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write tensors + manifest atomically; returns the manifest path.

    Output is byte-identical for identical tensors and metadata (sorted keys, no timestamps),
    so committed weights only change when the model does.
    """
    path = Path(weights_path)
    if path.suffix != ".safetensors":
        raise ValueError(f"{path}: weights must be written as .safetensors")
    contiguous = {k: v.detach().cpu().contiguous() for k, v in sorted(tensors.items())}
    # One metadata key: safetensors keeps metadata in a hash map, so several keys would be
    # written in a random order and the file would not be byte-reproducible.
    blob = st_save(contiguous, metadata={"moodrig": f"{model}@{model_version}"})
    atomic_write_bytes(path, blob)
    manifest = {
        "format_version": MANIFEST_FORMAT,
        "model": model,
        "model_version": model_version,
        "file": path.name,
        "bytes": len(blob),
        "sha256": hashlib.sha256(blob).hexdigest(),
        "architecture": dict(architecture),
        "training": dict(training or {}),
        "tensors": {
            k: {"shape": list(v.shape), "dtype": str(v.dtype).removeprefix("torch.")}
            for k, v in contiguous.items()
        },
        **dict(extra or {}),
    }
    mpath = manifest_path_for(path)
    atomic_write_text(mpath, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return mpath


def load_weights(
    manifest_path: str | Path, *, model: str, model_version: int
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Verify and load as torch tensors; refuses the wrong model, the wrong version or
    mismatched shapes (``manifest.load_verified``)."""
    return load_verified(manifest_path, model=model, model_version=model_version, parse=st_load)


def half_storage_tensors(
    module: torch.nn.Module, dtype: torch.dtype = torch.float16
) -> dict[str, torch.Tensor]:
    """A module's state dict as it is stored: float tensors in ``dtype`` (small files), BatchNorm
    step counters dropped (training bookkeeping, not part of the model)."""
    out: dict[str, torch.Tensor] = {}
    for name, t in module.state_dict().items():
        if name.endswith("num_batches_tracked"):
            continue
        t = t.detach().cpu()
        out[name] = t.to(dtype) if t.is_floating_point() else t
    return out


def round_to_storage(module: torch.nn.Module, dtype: torch.dtype = torch.float16) -> None:
    """Round the module's float tensors to the storage precision in place, so what is evaluated
    in memory is exactly what is (or will be) on disk."""
    with torch.no_grad():
        for t in list(module.parameters()) + list(module.buffers()):
            if t.is_floating_point():
                t.copy_(t.to(dtype).to(t.dtype))


def content_id(
    architecture: Mapping[str, Any], tensors: Mapping[str, torch.Tensor], *salt: str
) -> str:
    """sha256[:12] over the architecture, ``salt`` and the tensors (sorted names, dtype, shape,
    bytes): the tensors themselves, not the file, because safetensors does not fix the order of
    its header, so two exports of one model can differ in bytes."""
    h = hashlib.sha256(json.dumps(dict(architecture), sort_keys=True).encode())
    for part in salt:
        h.update(part.encode())
    for name, t in sorted(tensors.items()):
        h.update(f"{name}|{t.dtype}|{list(t.shape)}|".encode())
        h.update(t.contiguous().numpy().tobytes())
    return h.hexdigest()[:12]


def check_state(
    module: torch.nn.Module, tensors: Mapping[str, torch.Tensor], manifest_path: Path
) -> None:
    """WeightsError unless ``tensors`` are exactly the module's state (names and shapes;
    BatchNorm step counters are not stored). Works on a module on the meta device."""
    expected = {
        name: t.shape
        for name, t in module.state_dict().items()
        if not name.endswith("num_batches_tracked")
    }
    if set(expected) != set(tensors):
        differ = sorted(set(expected) ^ set(tensors))[:3]
        raise WeightsError(
            manifest_path, f"tensors do not match the architecture (e.g. {differ})", REEXPORT_FIX
        )
    for name, t in tensors.items():
        if t.shape != expected[name]:
            raise WeightsError(
                manifest_path,
                f"tensor '{name}' has shape {list(t.shape)}, architecture needs "
                f"{list(expected[name])}",
                REEXPORT_FIX,
            )


def check_architecture(
    build: Callable[[], torch.nn.Module],
    tensors: Mapping[str, torch.Tensor],
    manifest_path: Path,
    check: Callable[[Any], None] | None = None,
) -> None:
    """Refuse a manifest's architecture before the network is built: ``build()`` runs on
    torch's meta device (shapes, no memory), and that empty copy must hold exactly the stored
    ``tensors`` and pass ``check`` (e.g. an activation budget). So an architecture that asks
    for more than the file holds is refused before anything is allocated, and any error the
    builder raises on a malformed architecture becomes a WeightsError."""
    with torch.device("meta"):
        probe = _architecture_step(build, manifest_path)
        check_state(probe, tensors, manifest_path)
        if check is not None:
            _architecture_step(lambda: check(probe), manifest_path)


T = TypeVar("T")


def _architecture_step(step: Callable[[], T], manifest_path: Path) -> T:
    """``step()``, any exception turned into 'architecture config is invalid'."""
    try:
        return step()
    except Exception as exc:  # the architecture comes from a file: any failure is its fault
        plain = isinstance(exc, (TypeError, ValueError))
        problem = (str(exc) if plain else f"{type(exc).__name__}: {exc}")[:200]
        raise WeightsError(
            manifest_path, f"architecture config is invalid ({problem})", REEXPORT_FIX
        ) from exc


def load_stored_state(
    module: torch.nn.Module, tensors: Mapping[str, torch.Tensor], manifest_path: Path
) -> None:
    """Load stored tensors into ``module`` as float32, after checking that names and shapes are
    exactly the architecture's (BatchNorm step counters are not stored)."""
    check_state(module, tensors, manifest_path)
    module.load_state_dict(
        {k: (v.float() if v.is_floating_point() else v) for k, v in tensors.items()}, strict=False
    )
