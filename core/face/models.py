"""The two converted MediaPipe networks: where their weights live and how they are loaded.

Weights are verified (size + sha256) by :func:`moodrig.core.weights.load_weights` before
use; a module is built once per process and cached. Torch threads are left to the caller.
Where the weights are and what each network expects: ``netspec.py`` (no torch); the same
networks run without torch: ``numpy_net.py``.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import warnings
from collections.abc import Iterator
from pathlib import Path

import torch

from ..weights import load_weights
from .netspec import DETECTOR, MESH, ModelSpec, manifest_path
from .tflite_net import TfliteNet, build

__all__ = [
    "DETECTOR", "MESH", "ModelSpec", "cached_net", "cached_traced", "load_net", "manifest_path",
    "torch_threads", "traced",
]


def load_net(spec: ModelSpec, folder: Path | None = None) -> TfliteNet:
    """Verified load of one network (raises ``WeightsError`` with a fix on any problem)."""
    tensors, manifest = load_weights(manifest_path(spec, folder), model=spec.model, model_version=spec.version)
    net = build(manifest["architecture"], tensors)
    for p in net.parameters():
        p.requires_grad_(False)
    return net


@functools.lru_cache(maxsize=4)
def cached_net(spec: ModelSpec) -> TfliteNet:
    return load_net(spec)


@functools.lru_cache(maxsize=4)
def cached_traced(spec: ModelSpec) -> torch.jit.ScriptModule:
    """One traced copy per network per process: tracing again for every analyser left ~10 MB
    resident per call in long-running pipelines (tests/test_reliability_memory.py)."""
    return traced(cached_net(spec), spec)


def traced(net: TfliteNet, spec: ModelSpec) -> torch.jit.ScriptModule:
    """TorchScript-traced + frozen channels-last copy for fast inference (same numbers as
    ``net`` within float rounding; ``net`` itself is not modified). Feed it channels-last
    input (``x.contiguous(memory_format=torch.channels_last)``); NCHW works too, slower."""
    net = copy.deepcopy(net).to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    example = torch.zeros(1, 3, spec.input_size, spec.input_size).contiguous(memory_format=torch.channels_last)
    # torch 2.13 marks the TorchScript API deprecated; it still gives the fastest CPU inference
    # for these small networks (measured in docs/face_eval.md), so the warnings are muted here.
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore", DeprecationWarning)
        mod = torch.jit.trace(net, example, check_trace=False)  # type: ignore[no-untyped-call]
        frozen: torch.jit.ScriptModule = torch.jit.freeze(mod.eval())
    return frozen


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
