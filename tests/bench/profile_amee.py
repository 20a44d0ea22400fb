"""Profile of the AMEE-GAN 128 px batch-16 miss: operator shares (torch.profiler) and the
GFLOP/s of each conv layer kind, against the matmul peak measured in the same process.

    python tests/bench/profile_amee.py
"""

from __future__ import annotations

import time

import torch
from common import emit
from torch.profiler import ProfilerActivity, profile


def main() -> None:
    from moodrig.core.amee.config import AmeeConfig
    from moodrig.core.amee.model import Generator

    torch.manual_seed(0)
    gen = Generator(AmeeConfig(resolution=128)).eval()
    x = torch.rand(16, 3, 128, 128) * 2 - 1
    a = torch.rand(16, 8)
    with torch.inference_mode():
        for _ in range(2):
            gen(x, a)
        with profile(
            activities=[ProfilerActivity.CPU], record_shapes=True, with_flops=True
        ) as prof:
            for _ in range(3):
                gen(x, a)
    ev = prof.key_averages()
    tot = sum(e.self_cpu_time_total for e in ev)
    top = []
    for e in sorted(ev, key=lambda e: -e.self_cpu_time_total)[:12]:
        top.append(
            {
                "op": e.key,
                "share": e.self_cpu_time_total / tot,
                "self_cpu_ms_per_forward": e.self_cpu_time_total / 3e3,
                "gflops": (e.flops / (e.self_cpu_time_total / 1e6) / 1e9)
                if e.flops and e.self_cpu_time_total
                else None,
            }
        )
    by_shape = prof.key_averages(group_by_input_shape=True)
    conv_rows = []
    for e in sorted(by_shape, key=lambda e: -e.self_cpu_time_total):
        if "conv" in e.key and e.self_cpu_time_total > 0:
            conv_rows.append(
                {
                    "op": e.key,
                    "shapes": str(e.input_shapes)[:120],
                    "self_ms_per_forward": e.self_cpu_time_total / 3e3,
                }
            )
        if len(conv_rows) >= 10:
            break
    print(ev.table(sort_by="self_cpu_time_total", row_limit=14))
    n = 2048
    m1, m2 = torch.randn(n, n), torch.randn(n, n)
    torch.mm(m1, m2)
    t0 = time.perf_counter()
    for _ in range(3):
        torch.mm(m1, m2)
    peak = 3 * 2 * n**3 / (time.perf_counter() - t0) / 1e9
    share = {e.key: e.self_cpu_time_total / tot for e in ev}
    flops_fwd = 0
    from torch.utils.flop_counter import FlopCounterMode

    with torch.inference_mode(), FlopCounterMode(display=False) as fc:
        gen(x, a)
    flops_fwd = fc.get_total_flops()
    with torch.inference_mode():
        t0 = time.perf_counter()
        for _ in range(3):
            gen(x, a)
        t_fwd = (time.perf_counter() - t0) / 3
    emit(
        {
            "op_share": share,
            "forward_s": t_fwd,
            "forward_gflops": flops_fwd / t_fwd / 1e9,
            "textures_per_s": 16 / t_fwd,
            "top_ops": top,
            "conv_by_shape": conv_rows,
            "matmul_gflops": peak,
            "torch_threads": torch.get_num_threads(),
        }
    )


if __name__ == "__main__":
    main()
