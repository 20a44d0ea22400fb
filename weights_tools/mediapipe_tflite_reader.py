"""Read a MediaPipe ``.tflite`` file into a layer list + torch-layout weights (dev tool).

Runs in the throwaway parity venv (``.venv-parity``, which has the ``tflite`` flatbuffer
package); moodrig's own environment never imports ``tflite``. Usage::

    .venv-parity/bin/python weights_tools/mediapipe_tflite_reader.py MODEL.tflite OUT_PREFIX

writes ``OUT_PREFIX.json`` (the architecture understood by ``moodrig.core.face.tflite_net``)
and ``OUT_PREFIX.npz`` (float32 weights keyed by the torch parameter names). Only the
operators these two models use are accepted; anything else stops with an error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import tflite  # type: ignore[import-not-found]

PADDING = {0: "same", 1: "valid"}
ACT = {0: "none", 1: "relu"}


def _opnames() -> dict[int, str]:
    return {v: k for k, v in tflite.BuiltinOperator.__dict__.items() if not k.startswith("_")}


def _tensor_array(model: Any, graph: Any, idx: int) -> np.ndarray | None:
    t = graph.Tensors(idx)
    buf = model.Buffers(t.Buffer())
    if buf is None or buf.DataLength() == 0:
        return None
    raw = buf.DataAsNumpy().tobytes()
    dtype = {0: np.float32, 1: np.float16, 2: np.int32, 4: np.int64}[t.Type()]
    return np.frombuffer(raw, dtype=dtype).reshape(t.ShapeAsNumpy())


def _options(op: Any, cls: Any) -> Any:
    tab = op.BuiltinOptions()
    opt = cls()
    opt.Init(tab.Bytes, tab.Pos)
    return opt


def read(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    buf = path.read_bytes()
    model = tflite.Model.GetRootAsModel(buf, 0)
    if model.SubgraphsLength() != 1:
        raise SystemExit(f"{path}: expected one subgraph, found {model.SubgraphsLength()}")
    g = model.Subgraphs(0)
    names = _opnames()
    consts: dict[int, np.ndarray] = {}
    shapes = {
        i: [int(s) for s in g.Tensors(i).ShapeAsNumpy()]
        for i in range(g.TensorsLength())
        if g.Tensors(i).ShapeLength()
    }

    def const(idx: int) -> np.ndarray:
        if idx in consts:
            return consts[idx]
        arr = _tensor_array(model, g, idx)
        if arr is None:
            raise SystemExit(f"{path}: tensor {idx} is not a constant")
        return arr.astype(np.float32) if arr.dtype == np.float16 else arr

    layers: list[dict[str, Any]] = []
    params: dict[str, np.ndarray] = {}
    for k in range(g.OperatorsLength()):
        op = g.Operators(k)
        code = model.OperatorCodes(op.OpcodeIndex())
        name = names[max(code.BuiltinCode(), code.DeprecatedBuiltinCode())]
        ins = [op.Inputs(i) for i in range(op.InputsLength())]
        out = op.Outputs(0)
        lname = f"l{k:03d}"
        if name == "DEQUANTIZE":
            arr = _tensor_array(model, g, ins[0])
            if arr is None:
                raise SystemExit(f"{path}: DEQUANTIZE of a non-constant at op {k}")
            consts[out] = arr.astype(np.float32)
            continue
        if name in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            depthwise = name == "DEPTHWISE_CONV_2D"
            opt = _options(op, tflite.DepthwiseConv2DOptions if depthwise else tflite.Conv2DOptions)
            if (
                opt.DilationHFactor() != 1
                or opt.DilationWFactor() != 1
                or opt.StrideH() != opt.StrideW()
            ):
                raise SystemExit(f"{path}: op {k} uses dilation or unequal strides")
            w = const(ins[1])
            bias = (
                const(ins[2])
                if len(ins) > 2 and ins[2] >= 0
                else np.zeros(w.shape[0 if not depthwise else 3], np.float32)
            )
            if depthwise:
                if opt.DepthMultiplier() != 1:
                    raise SystemExit(f"{path}: op {k} depth multiplier {opt.DepthMultiplier()}")
                wt = np.transpose(w, (3, 0, 1, 2))  # [1,H,W,C] -> [C,1,H,W]
                cin = cout = groups = int(w.shape[3])
            else:
                wt = np.transpose(w, (0, 3, 1, 2))  # [O,H,W,I] -> [O,I,H,W]
                cout, cin, groups = int(w.shape[0]), int(w.shape[3]), 1
            act = ACT.get(opt.FusedActivationFunction())
            if act is None:
                raise SystemExit(f"{path}: op {k} fused activation {opt.FusedActivationFunction()}")
            layers.append(
                {
                    "op": "conv",
                    "name": lname,
                    "in": [ins[0]],
                    "out": out,
                    "cin": cin,
                    "cout": cout,
                    "kernel": [int(wt.shape[2]), int(wt.shape[3])],
                    "stride": int(opt.StrideH()),
                    "padding": PADDING[opt.Padding()],
                    "groups": groups,
                    "act": act,
                    "in_hw": shapes[ins[0]][1:3],
                }
            )
            params[f"{lname}.weight"] = np.ascontiguousarray(wt, dtype=np.float32)
            params[f"{lname}.bias"] = np.ascontiguousarray(bias, dtype=np.float32)
        elif name == "RELU":
            layers.append({"op": "relu", "name": lname, "in": [ins[0]], "out": out})
        elif name == "PRELU":
            alpha = const(ins[1]).reshape(-1)
            layers.append(
                {
                    "op": "prelu",
                    "name": lname,
                    "in": [ins[0]],
                    "out": out,
                    "channels": int(alpha.size),
                }
            )
            params[f"{lname}.weight"] = np.ascontiguousarray(alpha, dtype=np.float32)
        elif name == "ADD":
            act = ACT.get(_options(op, tflite.AddOptions).FusedActivationFunction())
            if act is None:
                raise SystemExit(f"{path}: op {k} ADD with an unsupported fused activation")
            layers.append({"op": "add", "name": lname, "in": ins[:2], "out": out, "act": act})
        elif name == "PAD":
            pads = const(ins[1]).astype(int).tolist()  # NHWC [[b0,b1],[t,b],[l,r],[c0,c1]]
            layers.append({"op": "pad", "name": lname, "in": [ins[0]], "out": out, "pads": pads})
        elif name == "MAX_POOL_2D":
            opt = _options(op, tflite.Pool2DOptions)
            layers.append(
                {
                    "op": "maxpool",
                    "name": lname,
                    "in": [ins[0]],
                    "out": out,
                    "kernel": [opt.FilterHeight(), opt.FilterWidth()],
                    "stride": opt.StrideH(),
                    "padding": PADDING[opt.Padding()],
                    "in_hw": shapes[ins[0]][1:3],
                }
            )
        elif name == "RESHAPE":
            layers.append(
                {"op": "reshape", "name": lname, "in": [ins[0]], "out": out, "shape": shapes[out]}
            )
        elif name == "CONCATENATION":
            opt = _options(op, tflite.ConcatenationOptions)
            layers.append(
                {"op": "concat", "name": lname, "in": ins, "out": out, "axis": opt.Axis()}
            )
        else:
            raise SystemExit(f"{path}: operator {name} at {k} is not supported by the converter")
    arch = {
        "input": g.Inputs(0),
        "input_shape_nhwc": shapes[g.Inputs(0)],
        "outputs": [g.Outputs(i) for i in range(g.OutputsLength())],
        "output_shapes": [shapes[g.Outputs(i)] for i in range(g.OutputsLength())],
        "output_names": [g.Tensors(g.Outputs(i)).Name().decode() for i in range(g.OutputsLength())],
        "layers": layers,
    }
    return arch, params


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    arch, params = read(Path(argv[0]))
    prefix = Path(argv[1])
    prefix.with_suffix(".json").write_text(json.dumps(arch, indent=1), encoding="utf-8")
    np.savez(prefix.with_suffix(".npz"), **params)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
