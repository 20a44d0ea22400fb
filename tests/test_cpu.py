"""core/cpu.py: free cores, thread counts from them, and OpenMP's passive wait policy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from moodrig.core import cpu


def test_thread_count_follows_the_free_cores() -> None:
    assert cpu.intra_op_threads(free=0.0) == 1  # a fully loaded machine still gets one
    assert cpu.intra_op_threads(free=1.7) == 1
    assert cpu.intra_op_threads(free=3.2) == 3
    assert cpu.intra_op_threads(limit=2, free=7.9) == 2


def test_busy_cores_from_proc_stat(tmp_path: Path) -> None:
    """Two snapshots of /proc/stat 100 ticks apart, 25 of them busy, on this many CPUs."""
    stat = tmp_path / "stat"
    stat.write_text("cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 1 2 3 4\n")
    import threading

    def later() -> None:
        stat.write_text("cpu  110 0 115 875 0 0 0 0 0 0\n")

    t = threading.Timer(0.02, later)
    t.start()
    busy = cpu.busy_cores(window_s=0.2, stat=stat)
    t.join()
    n = cpu.os.cpu_count() or 1
    assert abs(busy - n * 25 / 100) < 1e-9


def test_passive_wait_policy_is_set_before_torch_and_never_overrides_the_user() -> None:
    code = (
        "import os, sys\n"
        "import moodrig.core\n"
        "print(os.environ.get('OMP_WAIT_POLICY'), 'torch' in sys.modules)\n"
        "import torch\n"
        "from moodrig.core.cpu import passive_openmp\n"
        "print(passive_openmp())\n"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k != "OMP_WAIT_POLICY"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.split() == ["PASSIVE", "False", "False"]  # set before torch; too late after
    env["OMP_WAIT_POLICY"] = "ACTIVE"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.split()[0] == "ACTIVE"


def test_one_blas_thread_sets_every_loaded_openblas_and_the_last_block_restores_it() -> None:
    import threading

    import cv2  # noqa: F401  (OpenCV's wheel loads its own OpenBLAS beside numpy's)
    import numpy  # noqa: F401

    controls = cpu._openblas_controls()
    if sys.platform.startswith("linux"):
        assert len(controls) >= 1  # the pip numpy wheel bundles OpenBLAS
    for _, set_ in controls:
        set_(2)  # as numpy starts on a 2-core machine: one thread per core
    before = [get() for get, _ in controls]
    inner_started, outer_left = threading.Event(), threading.Event()
    seen: list[list[int]] = []

    def other_thread() -> None:
        with cpu.one_blas_thread():
            inner_started.set()
            outer_left.wait(5)
            seen.append([get() for get, _ in controls])  # the first block has ended

    with cpu.one_blas_thread() as n:
        assert n == len(controls)
        with cpu.one_blas_thread():  # nested
            assert [get() for get, _ in controls] == [1] * n
        assert [get() for get, _ in controls] == [1] * n
        t = threading.Thread(target=other_thread)
        t.start()
        inner_started.wait(5)
    outer_left.set()
    t.join()
    assert seen == [[1] * len(controls)]  # still one while another block runs
    assert [get() for get, _ in controls] == before
