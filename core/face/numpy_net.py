"""A converted MediaPipe network run with numpy alone: a photo analysed without loading torch.

``import torch`` alone costs about 1.4 s of CPU, and tracing the two networks about 0.9 s
more: three times the whole analysis of a photo. :class:`NumpyNet` runs the same layer list
(the architecture in the weights manifest, ``tflite_net.py``) on NHWC float32 arrays, TFLite's
own layout, so nothing is transposed: 1×1 convolutions are one matrix product, depthwise
3×3 convolutions nine shifted multiply-adds, the strided dense first layer an im2col product.
The numbers equal the torch reference within float rounding (tested); per call it is slower
than the traced torch network, so videos keep torch and one-off photos use this
(``AnalyzerConfig.engine``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import WeightsError
from ..manifest import REEXPORT_FIX, load_weights_numpy
from .netspec import ModelSpec, manifest_path

F32 = NDArray[np.float32]
MAX_ACTIVATIONS = 1 << 25
"""Most tensor elements one pass may hold (the shipped networks: 2.4 M and 3.2 M): a layer
list from a tampered manifest cannot make the engine allocate without bound."""


def same_pads(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TFLite SAME padding (before, after) for one spatial axis."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def _pads(spec: Mapping[str, Any]) -> tuple[int, int, int, int]:
    kh, kw = (int(v) for v in spec["kernel"])
    h, w = (int(v) for v in spec["in_hw"])
    if spec["padding"] != "same":
        return 0, 0, 0, 0
    stride = int(spec["stride"])
    return (*same_pads(h, kh, stride), *same_pads(w, kw, stride))


class _Conv:
    def __init__(self, spec: Mapping[str, Any], weight: F32, bias: F32) -> None:
        self.kh, self.kw = (int(v) for v in spec["kernel"])
        self.stride = int(spec["stride"])
        self.pads = _pads(spec)
        self.depthwise = int(spec["groups"]) > 1
        self.relu = spec.get("act", "none") == "relu"
        self.bias = bias.astype(np.float32)
        if self.depthwise:  # (C, 1, kh, kw) -> (kh, kw, C)
            self.w = np.ascontiguousarray(weight[:, 0].transpose(1, 2, 0), dtype=np.float32)
        else:  # (Cout, Cin, kh, kw) -> (kh * kw * Cin, Cout), im2col order
            self.w = np.ascontiguousarray(
                weight.transpose(2, 3, 1, 0).reshape(-1, weight.shape[0]), dtype=np.float32
            )

    def out_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """Output shape for an NHWC input ``shape`` (ValueError where the channels differ)."""
        n, h, w, c = shape
        cin = self.w.shape[2] if self.depthwise else self.w.shape[0] // (self.kh * self.kw)
        if c != cin:
            raise ValueError(f"convolution of {cin} input channels on {c}")
        pt, pb, pl, pr = self.pads
        s = self.stride
        oh, ow = (h + pt + pb - self.kh) // s + 1, (w + pl + pr - self.kw) // s + 1
        return n, oh, ow, (c if self.depthwise else self.w.shape[1])

    def __call__(self, x: F32) -> F32:
        pt, pb, pl, pr = self.pads
        if any(self.pads):
            x = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
        n, h, w, c = x.shape
        s = self.stride
        oh, ow = (h - self.kh) // s + 1, (w - self.kw) // s + 1
        if self.depthwise:
            y = np.empty((n, oh, ow, c), dtype=np.float32)
            y[:] = self.bias
            tmp = np.empty_like(y)
            for i in range(self.kh):
                for j in range(self.kw):
                    win = x[:, i : i + s * (oh - 1) + 1 : s, j : j + s * (ow - 1) + 1 : s]
                    np.multiply(win, self.w[i, j], out=tmp)
                    y += tmp
        elif self.kh == 1 and self.kw == 1 and s == 1:
            y = (x.reshape(-1, c) @ self.w).reshape(n, oh, ow, -1)
            y += self.bias
        else:
            cols = np.empty((n, oh, ow, self.kh, self.kw, c), dtype=np.float32)
            for i in range(self.kh):
                for j in range(self.kw):
                    cols[:, :, :, i, j] = x[
                        :, i : i + s * (oh - 1) + 1 : s, j : j + s * (ow - 1) + 1 : s
                    ]
            y = (cols.reshape(n * oh * ow, -1) @ self.w).reshape(n, oh, ow, -1)
            y += self.bias
        return np.maximum(y, 0, out=y) if self.relu else y


def _maxpool(x: F32, spec: Mapping[str, Any]) -> F32:
    kh, kw = (int(v) for v in spec["kernel"])
    stride = int(spec["stride"])
    pt, pb, pl, pr = _pads(spec)
    if (kh, kw) != (stride, stride) or any((pt, pb, pl, pr)) or x.shape[1] % kh or x.shape[2] % kw:
        raise ValueError(
            f"layer {spec['name']}: only non-overlapping max pooling without padding is supported"
        )
    n, h, w, c = x.shape
    out: F32 = x.reshape(n, h // kh, kh, w // kw, kw, c).max(axis=(2, 4))
    return out


class NumpyNet:
    """Runs a converted layer list. ``net(x)``: x is (N, H, W, C) float32; outputs are in the
    TFLite output shapes (as :class:`~.tflite_net.TfliteNet` returns them)."""

    def __init__(
        self, architecture: Mapping[str, Any], tensors: Mapping[str, NDArray[np.floating[Any]]]
    ) -> None:
        self.input_id = int(architecture["input"])
        self.output_ids = [int(v) for v in architecture["outputs"]]
        self.output_shapes = [[int(v) for v in s] for s in architecture["output_shapes"]]
        self.plan: list[tuple[str, list[int], int, Any]] = []
        used: set[str] = set()

        def t(name: str) -> F32:
            used.add(name)
            return np.asarray(tensors[name], dtype=np.float32)

        for spec in architecture["layers"]:
            op, name = str(spec["op"]), str(spec["name"])
            ins, out = [int(v) for v in spec["in"]], int(spec["out"])
            arg: Any = None
            if op == "conv":
                arg = _Conv(spec, t(f"{name}.weight"), t(f"{name}.bias"))
            elif op == "prelu":
                arg = t(f"{name}.weight")
            elif op == "maxpool":
                arg = spec
            elif op == "add":
                arg = spec.get("act", "none") == "relu"
            elif op == "pad":
                p = [(int(a), int(b)) for a, b in spec["pads"]]
                if p[0] != (0, 0):
                    raise ValueError(f"layer {name}: padding the batch axis is not supported")
                arg = p
            elif op == "reshape":
                arg = [int(v) for v in spec["shape"]]
            elif op == "concat":
                arg = int(spec["axis"])
            elif op != "relu":
                raise ValueError(f"layer {name}: unknown op '{op}'")
            self.plan.append((op, ins, out, arg))
        if used != set(tensors):
            raise ValueError(
                f"tensors not used by the architecture: {sorted(set(tensors) - used)[:3]}"
            )

    def activations(self, input_size: int) -> int:
        """Tensor elements one pass over a 1 × ``input_size``² × 3 image holds, from the layer
        list alone (nothing is allocated). ValueError where shapes do not fit together."""
        shapes: dict[int, tuple[int, ...]] = {self.input_id: (1, input_size, input_size, 3)}
        total = 0
        for op, ins, out, arg in self.plan:
            if any(i not in shapes for i in ins):
                raise ValueError(f"a layer reads tensor {ins}, which no earlier layer makes")
            a = shapes[ins[0]]
            if op == "conv":
                y = arg.out_shape(a)
            elif op == "prelu":
                if a[-1] != len(arg):
                    raise ValueError(f"prelu of {len(arg)} channels on {a[-1]}")
                y = a
            elif op == "maxpool":
                k = int(arg["stride"])
                y = (a[0], a[1] // k, a[2] // k, a[3])
            elif op == "add":
                if shapes[ins[1]] != a:
                    raise ValueError(f"add of shapes {a} and {shapes[ins[1]]}")
                y = a
            elif op == "pad":
                y = tuple(d + lo + hi for d, (lo, hi) in zip(a, arg, strict=True))
            elif op == "reshape":
                if math.prod(arg[1:]) != math.prod(a[1:]):
                    raise ValueError(f"reshape of {a} to {arg}")
                y = (a[0], *arg[1:])
            elif op == "concat":
                parts = [shapes[i] for i in ins]
                y = (*a[:arg], sum(p[arg] for p in parts), *a[arg + 1 :])
            else:
                y = a
            if min(y) < 1:
                raise ValueError(f"a layer makes the empty shape {y}")
            shapes[out] = y
            total += math.prod(y)
            if total > MAX_ACTIVATIONS:
                raise ValueError(f"one pass would hold more than {MAX_ACTIVATIONS} tensor elements")
        return total

    def __call__(self, x: F32) -> tuple[F32, ...]:
        env: dict[int, F32] = {self.input_id: np.asarray(x, dtype=np.float32)}
        for op, ins, out, arg in self.plan:
            a = env[ins[0]]
            if op == "conv":
                y = arg(a)
            elif op == "prelu":
                y = np.where(a > 0, a, a * arg)
            elif op == "relu":
                y = np.maximum(a, 0)
            elif op == "maxpool":
                y = _maxpool(a, arg)
            elif op == "add":
                y = a + env[ins[1]]
                if arg:
                    np.maximum(y, 0, out=y)
            elif op == "pad":
                y = np.pad(a, arg)
            elif op == "reshape":  # TFLite shapes say batch 1; any batch runs
                y = a.reshape([a.shape[0], *arg[1:]])
            else:  # concat
                y = np.concatenate([env[i] for i in ins], axis=arg)
            env[out] = y
        return tuple(
            env[oid].reshape([env[oid].shape[0], *shape[1:]])
            for oid, shape in zip(self.output_ids, self.output_shapes, strict=True)
        )


def load_numpy_net(spec: ModelSpec, folder: Path | None = None) -> NumpyNet:
    """Verified load (size, sha256, shapes, then the layer list: every stored tensor used,
    shapes that fit together, at most ``MAX_ACTIVATIONS`` elements for one pass); a
    ``WeightsError`` with a fix on any problem, before anything runs."""
    mpath = manifest_path(spec, folder)
    tensors, manifest = load_weights_numpy(mpath, model=spec.model, model_version=spec.version)
    try:
        net = NumpyNet(manifest["architecture"], tensors)
        net.activations(spec.input_size)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise WeightsError(
            mpath, f"architecture does not fit its tensors ({exc})", REEXPORT_FIX
        ) from exc
    return net


@functools.lru_cache(maxsize=4)
def cached_numpy_net(spec: ModelSpec) -> NumpyNet:
    return load_numpy_net(spec)
