"""Shared helpers of the benchmark suite: timing statistics, machine info, subprocess workers.

Every worker script prints one line ``BENCH_RESULT:<json>`` on stdout; :func:`run_worker`
runs it in a fresh process and returns the parsed object. Workers add their own peak RSS
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``) so memory figures are per process.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / "bench" / "cache"
HERE = Path(__file__).resolve().parent
MARK = "BENCH_RESULT:"


def stats(samples: list[float]) -> dict[str, Any]:
    """Median, quartiles, min and max of raw samples."""
    s = sorted(samples)
    if len(s) >= 2:
        q = statistics.quantiles(s, n=4, method="inclusive")
        q1, q3 = q[0], q[2]
    else:
        q1 = q3 = s[0]
    return {
        "median": statistics.median(s),
        "q1": q1,
        "q3": q3,
        "min": s[0],
        "max": s[-1],
        "n": len(s),
        "samples": s,
    }


def rate_stats(seconds: list[float], units: float) -> dict[str, Any]:
    """units/second from repeated timings (median of the per-repeat rates)."""
    return stats([units / t for t in seconds])


def bulk_vs_insert(
    bulk: Callable[[], object],
    insert: Callable[[], object],
    clear: Callable[[], object],
    count: Callable[[], int],
    n_keys: int,
    repeats: int,
    insert_repeats: int = 0,
) -> dict[str, Any]:
    """keys/s of a bulk keyframe writer against ``keyframe_insert``: each repeat starts from
    ``clear()``, both are interleaved so they see the same machine load, the first round is a
    warm-up, and the keys written are counted back (``count()``)."""
    t_bulk: list[float] = []
    t_ins: list[float] = []
    keys: dict[str, int] = {}
    reps_ins = insert_repeats or repeats
    for r in range(max(repeats, reps_ins) + 1):
        for name, write, times, reps in (
            ("bulk", bulk, t_bulk, repeats),
            ("keyframe_insert", insert, t_ins, reps_ins),
        ):
            if r > reps:
                continue
            clear()
            t0 = time.perf_counter()
            write()
            dt = time.perf_counter() - t0
            keys[name] = count()
            assert keys[name] == n_keys, (name, keys[name], n_keys)
            if r:
                times.append(dt)
    return {
        "keys": n_keys,
        "keys_counted": keys,
        "bulk_keys_per_s": rate_stats(t_bulk, n_keys),
        "insert_keys_per_s": rate_stats(t_ins, n_keys),
        "bulk_s": t_bulk,
        "insert_s": t_ins,
    }


def peak_rss_mb() -> float:
    """Peak resident set size of this process, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def emit(obj: dict[str, Any]) -> None:
    obj = {**obj, "peak_rss_mb": peak_rss_mb()}
    print(MARK + json.dumps(obj), flush=True)


def run_worker(
    argv: list[str],
    *,
    timeout: float = 3600,
    env: dict[str, str] | None = None,
    python: str | None = None,
) -> dict[str, Any]:
    """Run ``python argv...`` in a fresh process; returns the worker's result plus wall time.
    Workers import this folder's helpers and the research scripts (research/bpfa_chain.py)."""
    cmd = [python or sys.executable, *argv]
    t0 = time.perf_counter()
    path = os.pathsep.join((str(HERE), str(REPO / "research")))
    proc = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": path, **(env or {})},
    )
    wall = time.perf_counter() - t0
    lines = [ln[len(MARK) :] for ln in proc.stdout.splitlines() if ln.startswith(MARK)]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(
            f"worker {argv} failed (exit {proc.returncode})\n--- stdout ---\n"
            f"{proc.stdout[-3000:]}\n--- stderr ---\n{proc.stderr[-5000:]}"
        )
    out: dict[str, Any] = json.loads(lines[-1])
    out["process_wall_s"] = wall
    return out


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cpu_flags() -> list[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                fl = set(line.split(":", 1)[1].split())
                return [f for f in ("avx2", "fma", "avx512f", "avx512_bf16", "amx_tile") if f in fl]
    except OSError:
        pass
    return []


def is_not_training(line: str) -> bool:
    """pgrep matches on 'train' that are no training run (e.g. `pip install -e .[dev,train]`)."""
    return "pip install" in line


def other_load() -> dict[str, Any]:
    """What else is running: load average and training processes (the machine is shared)."""
    procs = []
    try:
        out = subprocess.run(
            ["pgrep", "-af", "amee_train|train|regressor"], capture_output=True, text=True
        ).stdout
        me = str(os.getpid())
        procs = [
            ln
            for ln in out.splitlines()
            if ln and not ln.startswith(me + " ") and "pgrep" not in ln and not is_not_training(ln)
        ]
    except OSError:
        pass
    others = []
    try:
        out = subprocess.run(["pgrep", "-af", "python"], capture_output=True, text=True).stdout
        others = [
            ln[:200]
            for ln in out.splitlines()
            if ln
            and "tests/bench/" not in ln
            and "pgrep" not in ln
            and ln not in procs
            and ("moodrig" in ln or "pytest" in ln)
        ]
    except OSError:
        pass
    return {
        "loadavg": list(os.getloadavg()),
        "training_processes": procs,
        "other_processes": others,
    }


def machine_info() -> dict[str, Any]:
    import cv2
    import numpy as np
    import torch

    info: dict[str, Any] = {
        "cpu": cpu_model(),
        "cpu_flags": cpu_flags(),
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "numpy": np.__version__,
        "opencv": cv2.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "gpu": "none (no GPU lent to this task)",
    }
    try:
        import importlib.metadata as md

        info["bpy"] = md.version("bpy")
    except Exception:
        info["bpy"] = "not installed"
    try:
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        info["ram_gib"] = round(int(mem) / 1024 / 1024, 1)
    except OSError:
        pass
    return info
