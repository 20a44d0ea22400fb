"""Run a ``.tflite`` model with the ai-edge-litert interpreter on saved input tensors (dev tool).

Runs in the throwaway parity venv only. Usage::

    .venv-parity/bin/python weights_tools/mediapipe_litert_run.py MODEL.tflite IN.npy OUT.npz \\
        [--repeat N]

IN.npy holds a batch of NHWC float32 inputs (N, H, W, 3); each is run separately
(the models take batch 1). OUT.npz gets ``out0``, ``out1``, … (stacked over the batch, in
the model's output order) and ``seconds_per_call`` (median over ``--repeat`` passes).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from ai_edge_litert.interpreter import Interpreter  # type: ignore[import-not-found]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("inputs")
    ap.add_argument("out")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    it = Interpreter(model_path=args.model, num_threads=args.threads)
    it.allocate_tensors()
    inp = it.get_input_details()[0]["index"]
    outs = [d["index"] for d in it.get_output_details()]
    x = np.load(args.inputs).astype(np.float32)
    results: list[list[np.ndarray]] = [[] for _ in outs]
    times: list[float] = []
    for rep in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        for i in range(x.shape[0]):
            it.set_tensor(inp, x[i : i + 1])
            it.invoke()
            if rep == 0:
                for k, o in enumerate(outs):
                    results[k].append(it.get_tensor(o).copy())
        times.append((time.perf_counter() - t0) / x.shape[0])
    np.savez(
        args.out,
        **{f"out{k}": np.concatenate(r, axis=0) for k, r in enumerate(results)},
        seconds_per_call=np.float64(np.median(times)),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
