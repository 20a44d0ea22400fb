"""The two converted MediaPipe networks: where their weights live and how they are loaded.

Weights are verified (size + sha256) by :func:`moodrig.core.weights.load_weights` before
use; a module is built once per process and cached. Torch threads are left to the caller.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..paths import weights_dir
from ..weights import check_architecture, load_weights
from .tflite_net import TfliteNet, build, check_activations


@dataclass(frozen=True)
class ModelSpec:
    """One converted network."""

    name: str
    """File stem under ``weights/face/``."""
    model: str
    """Model name recorded in (and checked against) the manifest."""
    version: int
    """Manifest model version this code expects."""
    wheel_member: str
    """Path of the ``.tflite`` inside the mediapipe wheel."""
    input_size: int
    """Square input side in pixels."""
    input_range: tuple[float, float]
    """Value range the network expects for RGB input (MediaPipe's graph settings)."""


DETECTOR = ModelSpec(
    name="face_detector",
    model="mediapipe_face_detection_short_range",
    version=1,
    wheel_member="mediapipe/modules/face_detection/face_detection_short_range.tflite",
    input_size=128,
    input_range=(-1.0, 1.0),
)
MESH = ModelSpec(
    name="face_mesh",
    model="mediapipe_face_landmark",
    version=1,
    wheel_member="mediapipe/modules/face_landmark/face_landmark.tflite",
    input_size=192,
    input_range=(0.0, 1.0),
)


def manifest_path(spec: ModelSpec, folder: Path | None = None) -> Path:
    return (folder or weights_dir() / "face") / f"{spec.name}.manifest.json"


def check_parts(spec: ModelSpec, manifest: Path, tensors: Mapping[str, torch.Tensor],
                architecture: Mapping[str, Any]) -> None:
    """The layer list comes from the manifest: refuse it (WeightsError) unless an empty
    meta-device copy holds exactly the stored tensors and one pass over a ``spec`` input stays
    within the activation budget, before any network is built."""
    check_architecture(lambda: TfliteNet(architecture),
                       {f"layers.{k}": v for k, v in tensors.items()}, manifest,
                       lambda probe: check_activations(probe, spec.input_size))


def load_net(spec: ModelSpec, folder: Path | None = None) -> TfliteNet:
    """Verified load of one network (raises ``WeightsError`` with a fix on any problem)."""
    mpath = manifest_path(spec, folder)
    tensors, manifest = load_weights(mpath, model=spec.model, model_version=spec.version)
    arch: Mapping[str, Any] = manifest.get("architecture") or {}
    check_parts(spec, mpath, tensors, arch)
    net = build(arch, tensors)
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
