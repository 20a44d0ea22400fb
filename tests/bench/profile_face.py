"""Profile of the landmark analysis miss: where one tracking pass spends its time.

    python tests/bench/profile_face.py --frames 24

cProfile (Python level: mesh network vs crop vs describe/expression/LBP) and torch.profiler
(operator level inside the networks) over tracking passes after warm-up. Prints both tables
and emits a BENCH_RESULT with the top entries (bench/profile_face.json via run_all --profile).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time

import torch
from common import emit
from make_clips import make_clip, read_frames
from torch.profiler import ProfilerActivity, profile


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=24)
    ap.add_argument("--jit", type=int, default=1)
    a = ap.parse_args()
    from moodrig.core.face import AnalyzerConfig, FaceAnalyzer
    from moodrig.core.face.netspec import engine_threads

    frames = read_frames(make_clip(10), a.frames)
    an = FaceAnalyzer(AnalyzerConfig(jit=bool(a.jit)))

    net_s = {"mesh": 0.0, "detector": 0.0}
    mesh_raw, det_raw = an.mesh.raw, an.detector.raw_batch

    def timed(key, fn):  # type: ignore[no-untyped-def]
        def wrapper(x):  # type: ignore[no-untyped-def]
            t = time.perf_counter()
            try:
                return fn(x)
            finally:
                net_s[key] += time.perf_counter() - t

        return wrapper

    an.mesh.raw = timed("mesh", mesh_raw)  # type: ignore[method-assign]
    an.detector.raw_batch = timed("detector", det_raw)  # type: ignore[method-assign]

    def one_pass() -> None:  # the product's tracking pass (Face Mesh batched over frames)
        with engine_threads(an.config.engine, an.config.threads):
            for _ in an.track_stream(frames, pipelined=False):
                pass

    t0 = time.perf_counter()
    one_pass()
    warm = time.perf_counter() - t0
    one_pass()
    net_s.update(mesh=0.0, detector=0.0)
    t0 = time.perf_counter()
    one_pass()
    steady = time.perf_counter() - t0
    net_share = {k: v / steady for k, v in net_s.items()}
    pr = cProfile.Profile()
    pr.enable()
    one_pass()
    pr.disable()
    s = io.StringIO()
    ps = pstats.Stats(pr, stream=s).sort_stats("cumulative")
    ps.print_stats(25)
    py_table = s.getvalue()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        one_pass()
    ops = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15)
    print(py_table)
    print(ops)
    top = [
        {"op": e.key, "self_cpu_ms": e.self_cpu_time_total / 1e3, "calls": e.count}
        for e in sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)[:12]
    ]
    total_ops_ms = sum(e.self_cpu_time_total for e in prof.key_averages()) / 1e3
    ev = prof.key_averages()
    tot = sum(e.self_cpu_time_total for e in ev) or 1.0
    share = {e.key: e.self_cpu_time_total / tot for e in ev}
    emit(
        {
            "frames": len(frames),
            "jit": a.jit,
            "first_pass_s": warm,
            "steady_pass_s": steady,
            "network_share": net_share,
            "op_share": {k: v for k, v in sorted(share.items(), key=lambda kv: -kv[1])[:12]},
            "steady_fps": len(frames) / steady,
            "torch_threads": torch.get_num_threads(),
            "torch_ops_total_ms": total_ops_ms,
            "top_ops": top,
            "cprofile_top": py_table[:6000],
        }
    )


if __name__ == "__main__":
    main()
