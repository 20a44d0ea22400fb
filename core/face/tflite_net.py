"""A torch network rebuilt from the layer list of a MediaPipe ``.tflite`` graph.

Both MediaPipe models moodrig uses (the short-range face detector and Face Mesh) are plain
feed-forward graphs of CONV_2D, DEPTHWISE_CONV_2D, PRELU/RELU, ADD, PAD, MAX_POOL_2D,
RESHAPE and CONCATENATION. ``weights_tools/convert_mediapipe.py`` turns each ``.tflite``
into an *architecture* (the layer list, stored in the weights manifest) plus float32
tensors (safetensors); :class:`TfliteNet` is the one module definition that runs both.

Layouts: the network takes NCHW float32 (TFLite itself is NHWC); outputs are returned in the
TFLite output shapes (NHWC order for 4-D tensors), so raw outputs can be compared 1:1 with
the LiteRT interpreter. TFLite "SAME" padding is asymmetric (extra pixel after), which is
reproduced exactly with an explicit pad where needed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


def same_pads(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TFLite SAME padding (before, after) for one spatial axis."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class _Conv(nn.Module):
    def __init__(self, spec: Mapping[str, Any]) -> None:
        super().__init__()
        kh, kw = (int(v) for v in spec["kernel"])
        stride = int(spec["stride"])
        h, w = (int(v) for v in spec["in_hw"])
        if spec["padding"] == "same":
            pt, pb = same_pads(h, kh, stride)
            pl, pr = same_pads(w, kw, stride)
        else:
            pt = pb = pl = pr = 0
        symmetric = pt == pb and pl == pr
        self.pre_pad: tuple[int, int, int, int] | None = None if symmetric else (pl, pr, pt, pb)
        groups = int(spec["groups"])
        self.weight = nn.Parameter(
            torch.zeros(int(spec["cout"]), int(spec["cin"]) // groups, kh, kw)
        )
        self.bias = nn.Parameter(torch.zeros(int(spec["cout"])))
        self.stride = stride
        self.padding = (pt, pl) if symmetric else (0, 0)
        self.groups = groups
        self.relu = spec.get("act", "none") == "relu"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pre_pad is not None:
            x = F.pad(x, self.pre_pad)
        y: torch.Tensor = F.conv2d(
            x, self.weight, self.bias, self.stride, self.padding, 1, self.groups
        )
        return F.relu(y) if self.relu else y


class _PReLU(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = F.prelu(x, self.weight)
        return out


class _MaxPool(nn.Module):
    def __init__(self, spec: Mapping[str, Any]) -> None:
        super().__init__()
        kh, kw = (int(v) for v in spec["kernel"])
        stride = int(spec["stride"])
        h, w = (int(v) for v in spec["in_hw"])
        if spec["padding"] == "same":
            pt, pb = same_pads(h, kh, stride)
            pl, pr = same_pads(w, kw, stride)
        else:
            pt = pb = pl = pr = 0
        self.pad = (pl, pr, pt, pb)
        self.needs_pad = any(self.pad)
        self.pool = nn.MaxPool2d((kh, kw), stride=stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.needs_pad:
            x = F.pad(x, self.pad, value=float("-inf"))
        y: torch.Tensor = self.pool(x)
        return y


class TfliteNet(nn.Module):
    """Runs a converted layer list. ``forward(x)``: x is (N, C, H, W) float32."""

    def __init__(self, architecture: Mapping[str, Any]) -> None:
        super().__init__()
        self.input_id = int(architecture["input"])
        self.output_ids = [int(v) for v in architecture["outputs"]]
        self.output_shapes = [list(map(int, s)) for s in architecture["output_shapes"]]
        self.plan: list[tuple[str, str, list[int], int, Any]] = []
        modules: dict[str, nn.Module] = {}
        for spec in architecture["layers"]:
            op, name = str(spec["op"]), str(spec["name"])
            ins = [int(v) for v in spec["in"]]
            out = int(spec["out"])
            arg: Any = None
            if op == "conv":
                modules[name] = _Conv(spec)
            elif op == "prelu":
                modules[name] = _PReLU(int(spec["channels"]))
            elif op == "maxpool":
                modules[name] = _MaxPool(spec)
            elif op == "add":
                arg = spec.get("act", "none") == "relu"
            elif op == "pad":
                p = [[int(a), int(b)] for a, b in spec["pads"]]
                if p[0] != [0, 0]:
                    raise ValueError(f"layer {name}: padding the batch axis is not supported")
                arg = (p[2][0], p[2][1], p[1][0], p[1][1], p[3][0], p[3][1])
            elif op == "reshape":
                arg = [int(v) for v in spec["shape"]]
            elif op == "concat":
                arg = int(spec["axis"])
            elif op != "relu":
                raise ValueError(f"layer {name}: unknown op '{op}'")
            self.plan.append((op, name, ins, out, arg))
        self.layers = nn.ModuleDict(modules)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return tflite_outputs(self.activations(x), self.output_ids, self.output_shapes)

    def activations(self, x: torch.Tensor) -> dict[int, torch.Tensor]:
        """Every tensor of the graph by id (all alive at once, as ``forward`` keeps them)."""
        env: dict[int, torch.Tensor] = {self.input_id: x}
        # 4-D tensors live as NCHW; after a RESHAPE they are plain TFLite-order tensors.
        for op, name, ins, out, arg in self.plan:
            a = env[ins[0]]
            if op in ("conv", "prelu", "maxpool"):
                y = self.layers[name](a)
            elif op == "relu":
                y = F.relu(a)
            elif op == "add":
                y = a + env[ins[1]]
                if arg:
                    y = F.relu(y)
            elif op == "pad":
                y = F.pad(a, arg)
            elif op == "reshape":
                y = (a.permute(0, 2, 3, 1) if a.dim() == 4 else a).reshape(arg)
            else:  # concat
                y = torch.cat([env[i] for i in ins], dim=arg)
            env[out] = y
        return env


def tflite_outputs(
    env: Mapping[int, torch.Tensor], ids: Sequence[int], shapes: Sequence[Sequence[int]]
) -> tuple[torch.Tensor, ...]:
    """The network outputs in the TFLite output shapes (4-D tensors NHWC), batch kept."""
    outs: list[torch.Tensor] = []
    for oid, shape in zip(ids, shapes, strict=True):
        t = env[oid]
        if t.dim() == 4 and len(shape) == 4:
            t = t.permute(0, 2, 3, 1)
        outs.append(t.reshape([t.shape[0], *shape[1:]]))
    return tuple(outs)


MAX_ACTIVATIONS = 1 << 25
"""Most tensor elements one pass over one input image may hold (Face Mesh at 192 px holds
about 5 M): the architecture's pads and pools are bounded by running it once on the meta
device before it is built."""


def check_activations(net: TfliteNet, input_size: int) -> None:
    """ValueError when a pass over one ``input_size``² image would hold more than
    :data:`MAX_ACTIVATIONS` elements (run on a meta-device copy: nothing is allocated)."""
    x = torch.empty(1, 3, input_size, input_size, device="meta")
    total = sum(t.numel() for t in net.activations(x).values())
    if total > MAX_ACTIVATIONS:
        raise ValueError(
            f"one pass would hold {total} tensor elements, more than {MAX_ACTIVATIONS}"
        )


def build(architecture: Mapping[str, Any], tensors: Mapping[str, torch.Tensor]) -> TfliteNet:
    """Module from architecture + tensors (strict: every parameter present, shapes equal)."""
    net = TfliteNet(architecture)
    state = {f"layers.{k}": v for k, v in tensors.items()}
    net.load_state_dict(state, strict=True)
    net.eval()
    return net


def param_names(architecture: Mapping[str, Any]) -> Sequence[str]:
    """Parameter names (without the ``layers.`` prefix) that an architecture needs."""
    net = TfliteNet(architecture)
    return [k.removeprefix("layers.") for k in net.state_dict()]
