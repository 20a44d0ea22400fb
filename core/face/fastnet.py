"""The inference form of a converted MediaPipe network: the same numbers, fewer and cheaper ops.

:class:`~moodrig.core.face.tflite_net.TfliteNet` mirrors the ``.tflite`` layer list one op at
a time (it is what the LiteRT parity test checks). Run as is, on channels-last tensors, a
Face Mesh call spends a third of its time outside arithmetic: explicit pad ops, bias copies,
separate residual adds and torch's ``_slow_conv2d_forward`` fallback. :func:`plan` rewrites
the layer list, :class:`FastNet` runs the rewritten list:

* **Asymmetric SAME padding folded into the kernel.** TFLite pads one pixel more after than
  before (p, p + 1) on even inputs of strided convolutions; torch pads symmetrically. A k×k
  depthwise kernel with a zero row and column prepended, run with symmetric padding p + 1,
  reads exactly TFLite's windows, so no pad op (and no zero fill) runs. The dense first layer
  keeps its explicit pad (its 3-channel input is cheap to pad; a bigger dense kernel is not).
* **1×1 convolutions as GEMMs on the channels-last view.** torch sends batch-1, stride-1 1×1
  kernels on one thread (and the 3×3 stride-3 output heads on a 3×3 input) to the
  ``_slow_conv2d_forward`` fallback, which copies the bias into the output first. Here the
  (N·H·W, C) view is multiplied in place into the residual operand when that tensor is dead
  afterwards (``addmm_``), the bias is added once; the output heads are one ``linear``.
* **Channel-padding residuals without the pad.** MediaPipe zero-pads the channels of a
  pooled shortcut before adding it to a wider block output; adding the shortcut to the first
  channels of the output in place gives the same sum without building the padded tensor.
* **ReLU in place** on tensors nothing else reads.

The module is traced and frozen for inference (``models.inference_copy``); channels-last
input is expected. Results equal the reference within float rounding (tests check ≤ 1e-4
against ``TfliteNet`` and the LiteRT tolerances against MediaPipe's own interpreter).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .tflite_net import same_pads, tflite_outputs


@dataclass
class Step:
    """One op of the rewritten network (``kind`` decides which fields matter)."""

    kind: str
    """"conv", "gemm", "head", "prelu", "relu", "maxpool", "add", "pad", "reshape", "concat"."""
    name: str
    """Layer name in the architecture (parameter prefix)."""
    ins: list[int]
    """Input tensor ids (gemm: [input]; its residual is ``residual``)."""
    out: int
    """Output tensor id."""
    relu: bool = False
    """Apply ReLU to the result (fused from a following RELU op or an add's activation)."""
    residual: int | None = None
    """gemm: tensor id added to the product (a residual shortcut), or None."""
    residual_channels: int | None = None
    """gemm: the shortcut has this many channels (fewer than the output: MediaPipe's
    channel-padding shortcut), added to the first channels only."""
    in_place: bool = False
    """gemm: accumulate into the residual tensor itself (it is read by nothing later);
    add: overwrite the first operand."""
    args: dict[str, Any] = field(default_factory=dict)
    """Per-kind settings: conv stride/padding/groups/extend, maxpool kernel/stride, pad
    widths, reshape shape, concat axis."""


def _conv_padding(
    spec: Mapping[str, Any],
) -> tuple[tuple[int, int], bool, tuple[int, int, int, int] | None]:
    """How one conv reproduces TFLite's padding: (symmetric padding (rows, cols), extend the
    kernel by a leading zero row and column, explicit pad (left, right, top, bottom) or None).

    Depthwise kernels are extended (measured: a 4×4 depthwise conv costs less than a pad op
    plus the 3×3 conv); dense ones (the first layer, 3 input channels) keep an explicit pad
    (measured: the padded 3-channel input is cheap, a larger dense kernel is not)."""
    kh, kw = (int(v) for v in spec["kernel"])
    stride = int(spec["stride"])
    h, w = (int(v) for v in spec["in_hw"])
    if spec["padding"] != "same":
        return (0, 0), False, None
    pt, pb = same_pads(h, kh, stride)
    pl, pr = same_pads(w, kw, stride)
    if pt == pb and pl == pr:
        return (pt, pl), False, None
    depthwise = int(spec.get("groups", 1)) == int(spec.get("cin", 0)) > 1
    if depthwise and pb == pt + 1 and pr == pl + 1:
        return (pt + 1, pl + 1), True, None
    return (0, 0), False, (pl, pr, pt, pb)


def _is_pointwise(spec: Mapping[str, Any]) -> bool:
    return (
        [int(v) for v in spec["kernel"]] == [1, 1]
        and int(spec["stride"]) == 1
        and int(spec["groups"]) == 1
    )


def _is_head(spec: Mapping[str, Any]) -> bool:
    """A VALID conv whose kernel covers its whole input (one output pixel): a dense layer."""
    return (
        spec["padding"] == "valid"
        and int(spec["groups"]) == 1
        and [int(v) for v in spec["kernel"]] == [int(v) for v in spec["in_hw"]]
    )


def plan(architecture: Mapping[str, Any]) -> list[Step]:
    """The rewritten op list of a converted architecture (pure: no tensors involved)."""
    layers = list(architecture["layers"])
    input_id = int(architecture["input"])
    outputs = {int(v) for v in architecture["outputs"]}
    readers: dict[int, list[int]] = {}
    for i, spec in enumerate(layers):
        for t in spec["in"]:
            readers.setdefault(int(t), []).append(i)
    producer = {int(spec["out"]): i for i, spec in enumerate(layers)}

    def only_reader(t: int) -> int | None:
        r = readers.get(t, [])
        return r[0] if len(r) == 1 and t not in outputs else None

    steps: list[Step] = []
    absorbed: set[int] = set()  # layer indices folded into an earlier or later step
    deferred: dict[int, Step] = {}  # a gemm fused with a later add runs at the add's place
    for i, spec in enumerate(layers):
        if i in deferred:
            steps.append(deferred.pop(i))
            continue
        if i in absorbed:
            continue
        op, name = str(spec["op"]), str(spec["name"])
        ins = [int(v) for v in spec["in"]]
        out = int(spec["out"])
        if op == "conv":
            relu = spec.get("act", "none") == "relu"
            nxt = only_reader(out)
            if not relu and nxt is not None and layers[nxt]["op"] == "relu":
                relu, out = True, int(layers[nxt]["out"])
                absorbed.add(nxt)
            if _is_head(spec):
                steps.append(Step("head", name, ins, out, relu=relu))
                continue
            if not _is_pointwise(spec):
                padding, extend, pre_pad = _conv_padding(spec)
                args = {
                    "stride": int(spec["stride"]),
                    "padding": padding,
                    "groups": int(spec["groups"]),
                    "extend": extend,
                    "pre_pad": pre_pad,
                }
                steps.append(Step("conv", name, ins, out, relu=relu, args=args))
                continue
            step = Step("gemm", name, ins, out, relu=relu, args={"cout": int(spec["cout"])})
            if not relu and nxt is not None and layers[nxt]["op"] == "add":
                add = layers[nxt]
                other = next(int(t) for t in add["in"] if int(t) != out)
                step.out = int(add["out"])
                step.relu = add.get("act", "none") == "relu"
                src = producer.get(other)
                if src is not None and layers[src]["op"] == "pad" and only_reader(other) == nxt:
                    pads = [[int(a), int(b)] for a, b in layers[src]["pads"]]
                    if pads[:3] == [[0, 0]] * 3 and pads[3][0] == 0:
                        absorbed.add(src)
                        other = int(layers[src]["in"][0])
                        step.residual_channels = int(spec["cout"]) - pads[3][1]
                step.residual = other
                after = only_reader(step.out)
                if not step.relu and after is not None and layers[after]["op"] == "relu":
                    step.relu, step.out = True, int(layers[after]["out"])
                    absorbed.add(after)
                deferred[nxt] = step
                continue
            steps.append(step)
        elif op == "relu":
            steps.append(Step("relu", name, ins, out))
        elif op == "prelu":
            steps.append(Step("prelu", name, ins, out))
        elif op == "maxpool":
            padding, _, pre_pad = _conv_padding(spec)
            if padding != (0, 0) or pre_pad is not None:
                raise ValueError(f"layer {name}: padded max pooling is not supported")
            steps.append(
                Step(
                    "maxpool",
                    name,
                    ins,
                    out,
                    args={
                        "kernel": [int(v) for v in spec["kernel"]],
                        "stride": int(spec["stride"]),
                    },
                )
            )
        elif op == "add":
            steps.append(Step("add", name, ins, out, relu=spec.get("act", "none") == "relu"))
        elif op == "pad":
            p = [[int(a), int(b)] for a, b in spec["pads"]]
            if p[0] != [0, 0]:
                raise ValueError(f"layer {name}: padding the batch axis is not supported")
            steps.append(
                Step(
                    "pad",
                    name,
                    ins,
                    out,
                    args={"pads": (p[2][0], p[2][1], p[1][0], p[1][1], p[3][0], p[3][1])},
                )
            )
        elif op == "reshape":
            steps.append(
                Step("reshape", name, ins, out, args={"shape": [int(v) for v in spec["shape"]]})
            )
        elif op == "concat":
            steps.append(Step("concat", name, ins, out, args={"axis": int(spec["axis"])}))
        else:
            raise ValueError(f"layer {name}: unknown op '{op}'")
    _mark_in_place(steps, input_id, outputs)
    return steps


def _mark_in_place(steps: list[Step], input_id: int, outputs: set[int]) -> None:
    """In-place accumulation where the overwritten tensor is read by no later step (and is
    neither the caller's input nor a network output)."""
    last_read: dict[int, int] = {}
    for k, s in enumerate(steps):
        for t in [*s.ins, *([s.residual] if s.residual is not None else [])]:
            last_read[t] = k
    for k, s in enumerate(steps):
        if s.kind == "gemm" and s.residual is not None and s.residual_channels is None:
            t = s.residual
            s.in_place = last_read[t] == k and t != input_id and t not in outputs and t not in s.ins
        elif s.kind == "add":
            t = s.ins[0]
            s.in_place = last_read[t] == k and t != input_id and t not in outputs and s.ins[1] != t


class FastNet(nn.Module):
    """Runs :func:`plan`'s steps. ``forward(x)``: x is (N, C, H, W) float32, channels-last
    for speed; outputs in the TFLite output shapes, like ``TfliteNet``."""

    def __init__(
        self, architecture: Mapping[str, Any], tensors: Mapping[str, torch.Tensor]
    ) -> None:
        super().__init__()
        self.input_id = int(architecture["input"])
        self.output_ids = [int(v) for v in architecture["outputs"]]
        self.output_shapes = [list(map(int, s)) for s in architecture["output_shapes"]]
        self.steps = plan(architecture)
        self.params = nn.ParameterDict()
        for s in self.steps:
            if s.kind in ("conv", "gemm", "head"):
                w = tensors[f"{s.name}.weight"].float()
                if s.kind == "conv" and s.args["extend"]:
                    w = F.pad(w, (1, 0, 1, 0))
                elif s.kind == "gemm":
                    w = w.reshape(w.shape[0], w.shape[1]).t().contiguous()  # (cin, cout)
                elif s.kind == "head":
                    # NHWC flattening of the input patch: weight (cout, kh, kw, cin) flattened.
                    w = w.permute(0, 2, 3, 1).reshape(w.shape[0], -1).contiguous()
                self.params[f"{s.name}_w"] = nn.Parameter(w, requires_grad=False)
                self.params[f"{s.name}_b"] = nn.Parameter(
                    tensors[f"{s.name}.bias"].float(), requires_grad=False
                )
            elif s.kind == "prelu":
                a = tensors[f"{s.name}.weight"].float()
                self.params[f"{s.name}_w"] = nn.Parameter(a, requires_grad=False)

    def _gemm(self, s: Step, x: torch.Tensor, env: Mapping[int, torch.Tensor]) -> torch.Tensor:
        n, c, h, w = x.shape
        wt, b = self.params[f"{s.name}_w"], self.params[f"{s.name}_b"]
        x2 = x.permute(0, 2, 3, 1).reshape(n * h * w, c)
        cout = int(s.args["cout"])
        if s.residual is not None and s.in_place:
            res = env[s.residual]
            y2 = res.permute(0, 2, 3, 1).view(n * h * w, cout)  # view: never a silent copy
            y2.addmm_(x2, wt).add_(b)
            y = res
        else:
            y2 = torch.addmm(b, x2, wt)
            if s.residual is not None:
                r = env[s.residual]
                if s.residual_channels is None:
                    y2.add_(r.permute(0, 2, 3, 1).reshape(n * h * w, cout))
                else:
                    rc = s.residual_channels
                    y2[:, :rc].add_(r.permute(0, 2, 3, 1).reshape(n * h * w, rc))
            y = y2.reshape(n, h, w, cout).permute(0, 3, 1, 2)
        return y.relu_() if s.relu else y

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        env: dict[int, torch.Tensor] = {
            self.input_id: x.contiguous(memory_format=torch.channels_last)
        }
        for s in self.steps:
            a = env[s.ins[0]]
            if s.kind == "gemm":
                y = self._gemm(s, a, env)
            elif s.kind == "conv":
                if s.args["pre_pad"] is not None:
                    a = F.pad(a, s.args["pre_pad"])
                y = F.conv2d(
                    a,
                    self.params[f"{s.name}_w"],
                    self.params[f"{s.name}_b"],
                    s.args["stride"],
                    s.args["padding"],
                    1,
                    s.args["groups"],
                )
                if s.relu:
                    y = y.relu_()
            elif s.kind == "head":
                flat = a.permute(0, 2, 3, 1).reshape(a.shape[0], -1)
                y = F.linear(flat, self.params[f"{s.name}_w"], self.params[f"{s.name}_b"])
                y = y.reshape(a.shape[0], 1, 1, -1).permute(0, 3, 1, 2)
                if s.relu:
                    y = y.relu_()
            elif s.kind == "prelu":
                y = F.prelu(a, self.params[f"{s.name}_w"])
            elif s.kind == "relu":
                y = F.relu(a)
            elif s.kind == "maxpool":
                y = F.max_pool2d(a, s.args["kernel"], s.args["stride"])
            elif s.kind == "add":
                b = env[s.ins[1]]
                y = a.add_(b) if s.in_place else a + b
                if s.relu:
                    y = y.relu_()
            elif s.kind == "pad":
                y = F.pad(a, s.args["pads"])
            elif s.kind == "reshape":
                y = (a.permute(0, 2, 3, 1) if a.dim() == 4 else a).reshape(
                    [a.shape[0], *s.args["shape"][1:]]
                )
            else:  # concat
                y = torch.cat([env[i] for i in s.ins], dim=s.args["axis"])
            env[s.out] = y
        return tflite_outputs(env, self.output_ids, self.output_shapes)


def step_kinds(steps: Sequence[Step]) -> dict[str, int]:
    """How many steps of each kind (for reports and tests)."""
    out: dict[str, int] = {}
    for s in steps:
        out[s.kind] = out.get(s.kind, 0) + 1
    return out
