# ruff: noqa: B023  (the timed closures are called inside the loop that binds them)
"""Worker: AMEE-GAN textures/s (64 and 128 px, batch 1 and 16), compositing onto 1024² and
2048² textures, and the share of the CPU's measured matmul peak.

    python tests/bench/bench_amee.py --repeats 7

Shipped weights (weights/amee/amee_gan.manifest.json) are used when present for their own
resolution; every other configuration runs the same architecture (core/amee/model.py, default
AmeeConfig widths) with randomly initialised weights, which costs the same FLOPs (recorded
per figure as ``weights``). textures/s goes through ``AmeeEditor.edit`` with textures already
at model resolution (validation, model, mask threshold, composite). The matmul peak is a
2048x2048x2048 fp32 ``torch.mm`` timed in the same process, interleaved with the model runs.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from common import emit, rate_stats, stats
from torch.utils.flop_counter import FlopCounterMode

from moodrig.weights_tools.metrics import time_repeats


def editor_for(res: int) -> tuple[object, str]:
    from moodrig.core.amee.config import AmeeConfig
    from moodrig.core.amee.infer import AmeeEditor
    from moodrig.core.amee.model import Generator
    from moodrig.core.amee.weights_io import AMEE_WEIGHTS

    try:
        if AMEE_WEIGHTS.shipped_manifest().is_file():
            ed = AmeeEditor.load(device="cpu")
            if ed.resolution == res:
                return ed, "shipped"
    except Exception as exc:
        print(f"shipped weights unusable: {exc}")
    torch.manual_seed(0)
    gen = Generator(AmeeConfig(resolution=res))
    editor = AmeeEditor.from_network(
        gen, {"random_init": True}, device="cpu", model_id=f"random-{res}"
    )
    return editor, "random init"


def model_flops(ed: object, res: int) -> int:
    gen = ed.network  # type: ignore[attr-defined]
    x = torch.zeros(1, 3, res, res)
    a = torch.zeros(1, 8)
    with torch.inference_mode(), FlopCounterMode(display=False) as fc:
        gen(x, a)
    return int(fc.get_total_flops())


def matmul_once(n: int = 2048) -> float:
    a = torch.randn(n, n)
    b = torch.randn(n, n)
    torch.mm(a, b)
    t0 = time.perf_counter()
    for _ in range(3):
        torch.mm(a, b)
    return 3 * 2 * n**3 / (time.perf_counter() - t0) / 1e9


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    rng = np.random.default_rng(0)
    out: dict[str, object] = {"torch_threads": torch.get_num_threads()}
    peaks: list[float] = [matmul_once()]
    figures = {}
    for res in (64, 128):
        ed, kind = editor_for(res)
        flops = model_flops(ed, res)
        params = sum(p.numel() for p in ed.network.parameters())  # type: ignore[attr-defined]
        for batch in (1, 16):
            tex = rng.random((batch, res, res, 3), dtype=np.float32)
            ex = rng.random((batch, 8), dtype=np.float32)
            reps = a.repeats if batch == 16 else a.repeats * 3
            ts = time_repeats(lambda: ed.edit(tex, ex), reps, warmup=2)  # type: ignore[attr-defined]
            peaks.append(matmul_once())
            # the generator alone (what the FLOP count covers)
            x = torch.from_numpy(tex).permute(0, 3, 1, 2).contiguous() * 2 - 1
            at = torch.from_numpy(ex)
            with torch.inference_mode():
                tg = time_repeats(lambda: ed.network(x, at), reps, warmup=1)  # type: ignore[attr-defined]
            gflops = [batch * flops / t / 1e9 for t in tg]
            figures[f"{res}px_b{batch}"] = {
                "resolution": res,
                "batch": batch,
                "weights": kind,
                "params": params,
                "gflop_per_texture": flops / 1e9,
                "textures_per_s": rate_stats(ts, batch),
                "generator_only_textures_per_s": rate_stats(tg, batch),
                "generator_gflops": stats(gflops),
            }
    out["figures"] = figures
    # compositing onto large textures (batch 1): the full edit, the composite step alone, and a
    # memory-bound baseline (one numpy lerp over the same pixels)
    from moodrig.core.editing.composite import composite, upsample

    ed, kind = editor_for(64)
    comp = {}
    for size in (1024, 2048):
        tex = rng.random((1, size, size, 3), dtype=np.float32)
        ex = rng.random((1, 8), dtype=np.float32)
        t_edit = time_repeats(lambda: ed.edit(tex, ex), a.repeats, warmup=1)  # type: ignore[attr-defined]
        rgb = torch.from_numpy(tex).permute(0, 3, 1, 2)
        small_img = torch.rand(1, 3, ed.resolution, ed.resolution)  # type: ignore[attr-defined]
        small_mask = torch.rand(1, 1, ed.resolution, ed.resolution)  # type: ignore[attr-defined]

        def comp_only() -> None:
            with torch.inference_mode():
                composite(
                    rgb, upsample(small_img, size, size), upsample(small_mask, size, size)
                ).permute(0, 2, 3, 1).numpy()

        t_comp = time_repeats(comp_only, a.repeats, warmup=1)
        x = tex[0]
        e = rng.random((size, size, 3), dtype=np.float32)
        m = rng.random((size, size, 1), dtype=np.float32)
        t_base = time_repeats(lambda: x + m * (e - x), a.repeats, warmup=1)
        comp[str(size)] = {
            "edit_ms": stats([t * 1e3 for t in t_edit]),
            "composite_ms": stats([t * 1e3 for t in t_comp]),
            "numpy_lerp_ms": stats([t * 1e3 for t in t_base]),
            "weights": kind,
            "model_resolution": ed.resolution,  # type: ignore[attr-defined]
        }
    out["composite"] = comp
    peaks.append(matmul_once())
    out["matmul_gflops"] = stats(peaks)
    peak = out["matmul_gflops"]["median"]  # type: ignore[index]
    for f in figures.values():
        f["share_of_matmul_peak"] = f["generator_gflops"]["median"] / peak
    emit(out)


if __name__ == "__main__":
    main()
