"""The two converted MediaPipe networks: where their weights live and how they are loaded.

Weights are verified (size + sha256) by :func:`moodrig.core.weights.load_weights` before
use; a module is built once per process and device and cached. Two forms: the reference
:class:`~.tflite_net.TfliteNet` (op for op the ``.tflite`` graph; the LiteRT parity tests run
it) and the inference form (:class:`~.fastnet.FastNet`, traced and frozen on the CPU) that
the analyser runs. Torch threads are left to the caller (:func:`torch_threads`).
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import torch

from ..weights import check_architecture, load_weights
from .fastnet import FastNet
from .netspec import DETECTOR, MESH, ModelSpec, manifest_path
from .tflite_net import TfliteNet, build, check_activations

__all__ = [
    "DETECTOR",
    "MESH",
    "ModelSpec",
    "cached_inference",
    "cached_net",
    "check_parts",
    "full_float32",
    "inference_net",
    "load_net",
    "load_parts",
    "manifest_path",
    "resolve_device",
    "torch_threads",
]


def resolve_device(device: str | torch.device) -> torch.device:
    """The torch device of a device setting ("cpu", "cuda", "mps", "auto")."""
    if isinstance(device, torch.device):
        return device
    from ..editing.device import pick_device

    return pick_device(device)


def check_parts(
    spec: ModelSpec,
    manifest: Path,
    tensors: Mapping[str, torch.Tensor],
    architecture: Mapping[str, Any],
) -> None:
    """The layer list comes from the manifest: refuse it (WeightsError) unless an empty
    meta-device copy holds exactly the stored tensors and one pass over a ``spec`` input stays
    within the activation budget, before any network is built."""
    check_architecture(
        lambda: TfliteNet(architecture),
        {f"layers.{k}": v for k, v in tensors.items()},
        manifest,
        lambda probe: check_activations(probe, spec.input_size),
    )


def load_parts(
    spec: ModelSpec, folder: Path | None = None
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Verified tensors and the architecture (layer list) of one network (raises
    ``WeightsError`` with a fix on any problem, before any network is built)."""
    mpath = manifest_path(spec, folder)
    tensors, manifest = load_weights(mpath, model=spec.model, model_version=spec.version)
    architecture: Mapping[str, Any] = manifest.get("architecture") or {}
    check_parts(spec, mpath, tensors, architecture)
    return dict(tensors), dict(architecture)


def load_net(spec: ModelSpec, folder: Path | None = None) -> TfliteNet:
    """The reference module: the ``.tflite`` layer list one op at a time (parity-checked)."""
    tensors, architecture = load_parts(spec, folder)
    net = build(architecture, tensors)
    for p in net.parameters():
        p.requires_grad_(False)
    return net


def inference_net(
    spec: ModelSpec,
    device: torch.device | str = "cpu",
    folder: Path | None = None,
    *,
    trace: bool | None = None,
) -> torch.nn.Module:
    """The rewritten network (``fastnet.py``) on ``device``, in eval mode. ``trace`` (None: on
    the CPU only) traces and freezes it (TorchScript), which removes the Python overhead of
    ~80 ops per call on the CPU; on a GPU the eager module runs (its kernels are queued
    asynchronously, so that overhead overlaps them). ``trace=False`` on the CPU runs exactly
    what a GPU runs (the tests do). Same numbers as :func:`load_net` within float rounding.
    Feed it channels-last input."""
    tensors, architecture = load_parts(spec, folder)
    dev = torch.device(device)
    net = FastNet(architecture, tensors).eval().to(dev)
    if not (dev.type == "cpu" if trace is None else trace):
        return net
    example = torch.zeros(1, 3, spec.input_size, spec.input_size, device=dev)
    example = example.contiguous(memory_format=torch.channels_last)
    # torch 2.13 marks the TorchScript API deprecated; it still gives the fastest CPU inference
    # for these small networks (measured in docs/face_eval.md), so the warnings are muted here.
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore", DeprecationWarning)
        mod = torch.jit.trace(net, example, check_trace=False)  # type: ignore[no-untyped-call]
        frozen: torch.jit.ScriptModule = torch.jit.freeze(mod.eval())
    return frozen


@functools.lru_cache(maxsize=4)
def cached_net(spec: ModelSpec) -> TfliteNet:
    return load_net(spec)


@functools.lru_cache(maxsize=8)
def cached_inference(
    spec: ModelSpec, device: str = "cpu", trace: bool | None = None
) -> torch.nn.Module:
    """One inference copy per network, device and form per process: tracing again for every
    analyser left ~10 MB resident per call in long-running pipelines
    (tests/test_reliability_memory.py)."""
    return inference_net(spec, device, trace=trace)


@contextlib.contextmanager
def full_float32() -> Iterator[None]:
    """Run the block's float32 convolutions and matrix products at full float32 precision,
    then restore the settings. CUDA would otherwise use TF32 for convolutions (a 10-bit
    mantissa, on by default), and the landmarks are held to 0.01 px of MediaPipe's; the
    networks are too small for it to matter to their speed. No effect on the CPU or MPS."""
    conv, matmul = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32 = conv
        torch.backends.cuda.matmul.allow_tf32 = matmul


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``n`` torch CPU threads (None: leave as is), then restore.

    These networks are small: one thread avoids OpenMP synchronisation, which on a busy
    2-core machine costs more than the second thread gains (docs/face_eval.md)."""
    if n is None:
        yield
        return
    if n < 1:
        raise ValueError(f"torch threads must be at least 1, got {n}")
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def infer(
    net: torch.nn.Module, x: torch.Tensor, threads: int | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """A converted network's two outputs for a batch ``x``, with ``threads`` torch threads at
    full float32 (:func:`torch_threads`, :func:`full_float32`). The op-for-op reference
    (:class:`TfliteNet`) reads one image per call, so it runs the batch one by one."""
    with torch_threads(threads), full_float32(), torch.inference_mode():
        if x.shape[0] > 1 and isinstance(net, TfliteNet):
            parts = [net(x[i : i + 1]) for i in range(x.shape[0])]
            return torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])
        a, b = net(x)
        return a, b
