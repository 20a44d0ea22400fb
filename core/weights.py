"""Safetensors weights with a JSON manifest, verified before use.

Layout on disk: ``<stem>.safetensors`` and ``<stem>.manifest.json`` side by side. The manifest
records the format version, model name, architecture config, training config, tensor shapes
and dtypes, byte size and sha256 of the tensor file. Loading hashes the exact bytes it then
parses, so a file swapped in between cannot slip through. Nothing is ever unpickled.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from .errors import WeightsError
from .fileio import atomic_write_bytes, atomic_write_text

MANIFEST_FORMAT = 1
REEXPORT_FIX = "Reinstall the moodrig add-on, or re-export the weights with weights_tools"


def manifest_path_for(weights_path: Path) -> Path:
    return weights_path.with_name(weights_path.name.removesuffix(".safetensors") + ".manifest.json")


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
        "tensors": {k: {"shape": list(v.shape), "dtype": str(v.dtype).removeprefix("torch.")} for k, v in contiguous.items()},
        **dict(extra or {}),
    }
    mpath = manifest_path_for(path)
    atomic_write_text(mpath, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return mpath


MAX_MANIFEST_BYTES = 1 << 20
"""A manifest is a few kB of JSON (the face networks' layer lists: about 60 kB); anything past
1 MiB is refused from its size, before it is read."""
MAX_WEIGHTS_BYTES = 160 << 20
"""Hard cap on a tensor file (the shipped ones are 0.07 to 3.8 MB); the file is also bounded
by what its manifest's tensors need (:func:`declared_size`)."""
MAX_PARAMETERS = 32_000_000
"""Most tensor elements a manifest may declare (the shipped networks hold 0.02 M to 1.9 M):
the model built from it, the file and the loaded tensors then stay within a few hundred MB."""
HEADER_BYTES = 4096
HEADER_BYTES_PER_TENSOR = 1024
"""Room for the safetensors JSON header: a base plus this much per tensor (name, dtype, shape,
offsets and alignment take about 100 bytes)."""
DTYPE_BYTES = {"bool": 1, "uint8": 1, "int8": 1, "int16": 2, "int32": 4, "int64": 8,
               "float16": 2, "bfloat16": 2, "float32": 4, "float64": 8}
"""Bytes per element of the dtypes a manifest may name."""


def _read_regular(path: Path, what: str, size_problem: Callable[[int], str | None]) -> bytes:
    """The bytes of a regular file, opened without blocking (a FIFO or device is refused, never
    waited on) and refused from its size, before anything is read, when ``size_problem(size)``
    names a problem. Never reads more bytes than that size (the file may grow meanwhile)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError as exc:
        raise WeightsError(path, f"{what} is missing", REEXPORT_FIX) from exc
    except OSError as exc:
        raise WeightsError(path, f"{what} cannot be opened ({exc.strerror})", REEXPORT_FIX) from exc
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise WeightsError(path, f"{what} is not a regular file", REEXPORT_FIX)
    with os.fdopen(fd, "rb") as fh:
        problem = size_problem(st.st_size)
        if problem:
            raise WeightsError(path, problem, REEXPORT_FIX)
        data = fh.read(st.st_size)
        if fh.read(1):
            raise WeightsError(path, f"{what} changed while it was read", REEXPORT_FIX)
    problem = size_problem(len(data))
    if problem:
        raise WeightsError(path, problem, REEXPORT_FIX)
    return data


def read_manifest(manifest_path: str | Path) -> dict[str, Any]:
    """The manifest's JSON object, read only when it is a regular file within
    :data:`MAX_MANIFEST_BYTES`, with its required fields present."""
    mpath = Path(manifest_path)
    raw = _read_regular(mpath, "manifest file", lambda n: None if n <= MAX_MANIFEST_BYTES else
                        f"manifest file is {n} bytes, more than the limit of {MAX_MANIFEST_BYTES}")
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # bad UTF-8 or JSON, a 5000-digit number
        problem = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise WeightsError(mpath, f"manifest is not valid JSON ({problem})", REEXPORT_FIX) from exc
    if not isinstance(manifest, dict):
        raise WeightsError(mpath, "manifest must be a JSON object", REEXPORT_FIX)
    for key in ("format_version", "model", "model_version", "file", "sha256", "bytes", "tensors"):
        if key not in manifest:
            raise WeightsError(mpath, f"manifest lacks the field '{key}'", REEXPORT_FIX)
    version = manifest["format_version"]
    if version != MANIFEST_FORMAT or isinstance(version, bool):
        raise WeightsError(
            mpath,
            f"manifest format version {manifest['format_version']!r} is not the supported {MANIFEST_FORMAT}",
            REEXPORT_FIX,
        )
    return manifest


def declared_size(manifest: Mapping[str, Any], mpath: Path) -> tuple[int, int]:
    """(elements, data bytes) of the tensors the manifest declares, checked from the manifest
    alone: every shape a list of whole numbers >= 0, every dtype known, and at most
    :data:`MAX_PARAMETERS` elements in all."""
    tensors = manifest["tensors"]
    if not isinstance(tensors, dict):
        raise WeightsError(mpath, "manifest field 'tensors' must be an object", REEXPORT_FIX)
    elements = data = 0
    for name, spec in tensors.items():
        shape = spec.get("shape") if isinstance(spec, dict) else None
        dtype = spec.get("dtype") if isinstance(spec, dict) else None
        if not isinstance(shape, list) or len(shape) > 8 or not all(
                isinstance(d, int) and not isinstance(d, bool) and 0 <= d < 1 << 62
                for d in shape):
            raise WeightsError(mpath, f"tensor '{name}' has no valid shape in the manifest",
                               REEXPORT_FIX)
        if dtype not in DTYPE_BYTES:
            raise WeightsError(mpath, f"tensor '{name}' has an unknown dtype {dtype!r}",
                               REEXPORT_FIX)
        n = math.prod(shape)
        elements += n
        if elements > MAX_PARAMETERS:
            raise WeightsError(mpath, f"manifest declares more than {MAX_PARAMETERS} tensor "
                                      "elements, the limit for a moodrig model", REEXPORT_FIX)
        data += n * DTYPE_BYTES[dtype]
    return elements, data


def verify_file(manifest_path: str | Path) -> tuple[dict[str, Any], bytes]:
    """Check size and sha256 of the tensor file against its manifest; return (manifest, bytes).

    Every size is checked before a byte of the tensor file is read: the manifest's tensors
    against :data:`MAX_PARAMETERS`, the manifest's ``bytes`` against what those tensors need
    and :data:`MAX_WEIGHTS_BYTES`, the file's own size against ``bytes``."""
    mpath = Path(manifest_path)
    manifest = read_manifest(mpath)
    name = manifest["file"]
    if (not isinstance(name, str) or not name or name in {".", ".."} or "/" in name
            or "\\" in name or Path(name).name != name):
        raise WeightsError(mpath, "manifest names a weights file outside its own folder", REEXPORT_FIX)
    size = manifest["bytes"]
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise WeightsError(mpath, f"manifest field 'bytes' must be a whole number, got {size!r}",
                           REEXPORT_FIX)
    if not isinstance(manifest["sha256"], str):
        raise WeightsError(mpath, "manifest field 'sha256' must be a string", REEXPORT_FIX)
    _, data = declared_size(manifest, mpath)
    bound = min(MAX_WEIGHTS_BYTES,
                data + HEADER_BYTES + HEADER_BYTES_PER_TENSOR * len(manifest["tensors"]))
    if size > bound:
        raise WeightsError(mpath, f"manifest says the weights file is {size} bytes, more than "
                                  f"its tensors can need ({bound})", REEXPORT_FIX)
    wpath = mpath.with_name(name)
    blob = _read_regular(wpath, "weights file", lambda n: None if n == size else
                         f"weights file is {n} bytes, manifest says {size} (truncated or replaced)")
    digest = hashlib.sha256(blob).hexdigest()
    if digest != manifest["sha256"]:
        raise WeightsError(wpath, f"sha256 {digest[:12]}… does not match the manifest's {str(manifest['sha256'])[:12]}… (file was modified)", REEXPORT_FIX)
    return manifest, blob


def load_weights(
    manifest_path: str | Path, *, model: str, model_version: int
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Verify and load; refuses the wrong model, the wrong version or mismatched shapes."""
    mpath = Path(manifest_path)
    manifest, blob = verify_file(mpath)
    if manifest["model"] != model:
        raise WeightsError(mpath, f"holds weights for '{manifest['model']}', not '{model}'", REEXPORT_FIX)
    if manifest["model_version"] != model_version:
        raise WeightsError(
            mpath,
            f"weights are version {manifest['model_version']}, this moodrig expects {model_version}",
            REEXPORT_FIX,
        )
    try:
        tensors = st_load(blob)
    except Exception as exc:  # safetensors raises its own error types
        raise WeightsError(mpath, f"tensor file cannot be parsed ({exc})", REEXPORT_FIX) from exc
    declared = manifest["tensors"]
    if set(declared) != set(tensors):
        raise WeightsError(mpath, "tensor names differ from the manifest", REEXPORT_FIX)
    for name, tensor in tensors.items():
        if list(tensor.shape) != list(declared[name]["shape"]):
            raise WeightsError(mpath, f"tensor '{name}' has shape {list(tensor.shape)}, manifest says {declared[name]['shape']}", REEXPORT_FIX)
    return tensors, manifest


def half_storage_tensors(module: torch.nn.Module, dtype: torch.dtype = torch.float16) -> dict[str, torch.Tensor]:
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


def content_id(architecture: Mapping[str, Any], tensors: Mapping[str, torch.Tensor], *salt: str) -> str:
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


def check_state(module: torch.nn.Module, tensors: Mapping[str, torch.Tensor],
                manifest_path: Path) -> None:
    """WeightsError unless ``tensors`` are exactly the module's state (names and shapes;
    BatchNorm step counters are not stored). Works on a module on the meta device."""
    expected = {name: t.shape for name, t in module.state_dict().items() if not name.endswith("num_batches_tracked")}
    if set(expected) != set(tensors):
        differ = sorted(set(expected) ^ set(tensors))[:3]
        raise WeightsError(manifest_path, f"tensors do not match the architecture (e.g. {differ})", REEXPORT_FIX)
    for name, t in tensors.items():
        if t.shape != expected[name]:
            raise WeightsError(manifest_path, f"tensor '{name}' has shape {list(t.shape)}, architecture needs "
                               f"{list(expected[name])}", REEXPORT_FIX)


def check_architecture(build: Callable[[], torch.nn.Module], tensors: Mapping[str, torch.Tensor],
                       manifest_path: Path, check: Callable[[Any], None] | None = None) -> None:
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
        raise WeightsError(manifest_path, f"architecture config is invalid ({problem})",
                           REEXPORT_FIX) from exc


def load_stored_state(module: torch.nn.Module, tensors: Mapping[str, torch.Tensor],
                      manifest_path: Path) -> None:
    """Load stored tensors into ``module`` as float32, after checking that names and shapes are
    exactly the architecture's (BatchNorm step counters are not stored)."""
    check_state(module, tensors, manifest_path)
    module.load_state_dict({k: (v.float() if v.is_floating_point() else v) for k, v in tensors.items()}, strict=False)
