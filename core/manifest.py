"""Weights manifests: read, verify and load tensors without torch.

Layout and fields: ``weights.py``. Everything here is numpy + safetensors only, so code that
needs no network (a photo's calibration, the numpy face networks) starts without importing
torch (about 1.4 s of CPU).
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

from numpy.typing import NDArray

from .errors import WeightsError

T = TypeVar("T")

MANIFEST_FORMAT = 1
REEXPORT_FIX = "Reinstall the moodrig add-on, or re-export the weights with weights_tools"


def manifest_path_for(weights_path: Path) -> Path:
    return weights_path.with_name(weights_path.name.removesuffix(".safetensors") + ".manifest.json")


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
DTYPE_BYTES = {
    "bool": 1,
    "uint8": 1,
    "int8": 1,
    "int16": 2,
    "int32": 4,
    "int64": 8,
    "float16": 2,
    "bfloat16": 2,
    "float32": 4,
    "float64": 8,
}
"""Bytes per element of the dtypes a manifest may name."""


def read_regular(path: Path, what: str, size_problem: Callable[[int], str | None]) -> bytes:
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
    raw = read_regular(
        mpath,
        "manifest file",
        lambda n: (
            None
            if n <= MAX_MANIFEST_BYTES
            else f"manifest file is {n} bytes, more than the limit of {MAX_MANIFEST_BYTES}"
        ),
    )
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
            f"manifest format version {manifest['format_version']!r} "
            f"is not the supported {MANIFEST_FORMAT}",
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
        if (
            not isinstance(shape, list)
            or len(shape) > 8
            or not all(
                isinstance(d, int) and not isinstance(d, bool) and 0 <= d < 1 << 62 for d in shape
            )
        ):
            raise WeightsError(
                mpath, f"tensor '{name}' has no valid shape in the manifest", REEXPORT_FIX
            )
        if dtype not in DTYPE_BYTES:
            raise WeightsError(
                mpath, f"tensor '{name}' has an unknown dtype {dtype!r}", REEXPORT_FIX
            )
        n = math.prod(shape)
        elements += n
        if elements > MAX_PARAMETERS:
            raise WeightsError(
                mpath,
                f"manifest declares more than {MAX_PARAMETERS} tensor "
                "elements, the limit for a moodrig model",
                REEXPORT_FIX,
            )
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
    if (
        not isinstance(name, str)
        or not name
        or name in {".", ".."}
        or "/" in name
        or "\\" in name
        or Path(name).name != name
    ):
        raise WeightsError(
            mpath, "manifest names a weights file outside its own folder", REEXPORT_FIX
        )
    size = manifest["bytes"]
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise WeightsError(
            mpath, f"manifest field 'bytes' must be a whole number, got {size!r}", REEXPORT_FIX
        )
    if not isinstance(manifest["sha256"], str):
        raise WeightsError(mpath, "manifest field 'sha256' must be a string", REEXPORT_FIX)
    _, data = declared_size(manifest, mpath)
    bound = min(
        MAX_WEIGHTS_BYTES, data + HEADER_BYTES + HEADER_BYTES_PER_TENSOR * len(manifest["tensors"])
    )
    if size > bound:
        raise WeightsError(
            mpath,
            f"manifest says the weights file is {size} bytes, more than "
            f"its tensors can need ({bound})",
            REEXPORT_FIX,
        )
    wpath = mpath.with_name(name)
    blob = read_regular(
        wpath,
        "weights file",
        lambda n: (
            None
            if n == size
            else f"weights file is {n} bytes, manifest says {size} (truncated or replaced)"
        ),
    )
    digest = hashlib.sha256(blob).hexdigest()
    if digest != manifest["sha256"]:
        raise WeightsError(
            wpath,
            f"sha256 {digest[:12]}… does not match the manifest's "
            f"{str(manifest['sha256'])[:12]}… (file was modified)",
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
