"""torch's own graph optimisers on the Face Mesh network, against moodrig's frozen inference form.

    .venv/bin/python research/face_graph_fusers.py

On one torch thread and the same random channels-last input, prints calls/s (median of 5
rounds) of the shipped form (``models.inference_net``: ``fastnet.FastNet`` traced and frozen)
and of each optimiser applied to the rewritten network and to the layer-by-layer reference
(``TfliteNet``), with the largest output difference to the shipped form, or the error that
stopped it. Optimisers: XNNPACK's prepacked convolutions (what ``optimize_for_mobile``
inserts), oneDNN Graph fusion (``torch.jit.enable_onednn_fusion``),
``torch.jit.optimize_for_inference`` and, on the rewritten network only, inductor
(``torch.compile`` with weight freezing: C++ generated and compiled on this machine, as an
ahead-of-time build would ship it). A one-off question (docs/history/face.md): does torch ship
a fuser that closes the gap to LiteRT?
"""

from __future__ import annotations

import warnings

import torch
import torch.backends.xnnpack  # not imported by torch.backends itself
from opencv_dnn_face import rate

from moodrig.core.face.fastnet import FastNet
from moodrig.core.face.models import inference_net, load_net, load_parts
from moodrig.core.face.netspec import MESH


def _outputs(y: object) -> list[torch.Tensor]:
    return list(y) if isinstance(y, (list, tuple)) else [y]  # type: ignore[list-item]


def main() -> None:
    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    x = torch.rand(1, 3, MESH.input_size, MESH.input_size)
    x = x.contiguous(memory_format=torch.channels_last)
    shipped = inference_net(MESH)
    with torch.inference_mode():
        ref = _outputs(shipped(x))
        speed = rate(lambda: shipped(x), calls=300)
        print(f"shipped (FastNet, traced + frozen): {speed:.0f} calls/s")
    print(f"XNNPACK in this torch build: {torch.backends.xnnpack.enabled}")
    tensors, architecture = load_parts(MESH, None)
    nets = {
        "FastNet": lambda: FastNet(architecture, tensors).eval(),
        "TfliteNet": lambda: load_net(MESH).eval(),
    }

    def fused(net: torch.nn.Module) -> torch.jit.ScriptModule:
        torch.jit.enable_onednn_fusion(True)  # type: ignore[no-untyped-call]
        try:
            mod = torch.jit.freeze(torch.jit.trace(net, x, check_trace=False).eval())
            for _ in range(3):  # the fuser rewrites the graph on the first calls
                mod(x)
            return mod
        finally:
            torch.jit.enable_onednn_fusion(False)  # type: ignore[no-untyped-call]

    def for_inference(net: torch.nn.Module) -> torch.jit.ScriptModule:
        traced = torch.jit.trace(net, x, check_trace=False)
        return torch.jit.optimize_for_inference(torch.jit.freeze(traced.eval()))

    def inductor(net: torch.nn.Module) -> object:
        import torch._inductor.config as inductor_config

        inductor_config.freezing = True  # fold the weights in, prepack the convolutions
        compiled = torch.compile(net, backend="inductor")
        compiled(x)  # compiles here
        return compiled

    optimisers = {
        "oneDNN Graph": fused,
        "optimize_for_inference": for_inference,
        "inductor (frozen)": inductor,
    }
    for name, make in nets.items():
        for what, optimise in optimisers.items():
            if what.startswith("inductor") and name != "FastNet":
                continue  # minutes of compiling the layer-by-layer form for no new answer
            try:
                with torch.no_grad():
                    mod = optimise(make())
                    diff = max(
                        float((a - b).abs().max())
                        for a, b in zip(_outputs(mod(x)), ref, strict=True)
                    )
                    speed = rate(lambda m=mod: m(x), calls=300)
                    print(f"{name}, {what}: {speed:.0f} calls/s, diff {diff:.1e}")
            except RuntimeError as e:
                print(f"{name}, {what}: failed: {str(e).splitlines()[0][:120]}")


if __name__ == "__main__":
    main()
