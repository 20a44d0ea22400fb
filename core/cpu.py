"""CPU threads on a shared machine: how many cores are free, and how torch's threads wait.

A user's machine is rarely idle (Blender itself, a render, other jobs). torch's CPU ops run on
OpenMP threads; by default a thread that finishes its share of an op *spins* for the next one
instead of sleeping. With as many threads as cores and other processes holding some of them,
every op waits for a thread that is not running, and throughput collapses instead of falling
in proportion to the load (``make bench``'s contention section measures it). Two rules:

* **passive waiting**: ``OMP_WAIT_POLICY=PASSIVE`` makes idle OpenMP threads sleep. GNU
  OpenMP (torch's ``libgomp``) reads it once, when the library is loaded, i.e. at
  ``import torch``; :func:`passive_openmp` sets it (unless the user set it) and is called
  by ``moodrig/core/__init__.py``, so every entry point that imports moodrig before torch
  gets it (the add-on, ``python -m moodrig.core.face``, the bake). Where torch was imported
  first (another add-on, a user script that imports torch before moodrig) it is too late
  and the function says so; set the variable in the environment that starts Blender or
  Python instead.
* **threads from the free cores**: :func:`intra_op_threads` gives one thread per core that
  is idle now (at least one), so a loaded machine gets fewer threads, not more waiting.
  Small per-frame networks (the face networks) use one thread whatever the machine.
* **no spinning BLAS threads**: :func:`one_blas_thread` gives OpenBLAS (numpy's and OpenCV's)
  one thread for a block; the face analysis runs its numpy work inside one.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, MutableMapping
from pathlib import Path

WAIT_POLICY = "OMP_WAIT_POLICY"


def passive_openmp(environ: MutableMapping[str, str] | None = None) -> bool:
    """Ask OpenMP threads to sleep rather than spin while waiting (``OMP_WAIT_POLICY``).

    Returns True when the setting can still take effect (torch not imported yet) and is
    PASSIVE now; a value the user set is left alone (True only if it is PASSIVE)."""
    env = os.environ if environ is None else environ
    env.setdefault(WAIT_POLICY, "PASSIVE")
    return "torch" not in sys.modules and env[WAIT_POLICY].upper() == "PASSIVE"


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS reports one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _cpu_ticks(stat: Path) -> tuple[int, int] | None:
    """(busy, total) jiffies of all CPUs from /proc/stat, or None where there is none."""
    try:
        fields = stat.read_text().split("\n", 1)[0].split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu":
        return None
    ticks = [int(v) for v in fields[1:]]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return sum(ticks) - idle, sum(ticks)


def busy_cores(window_s: float = 0.05, stat: Path = Path("/proc/stat")) -> float:
    """Cores kept busy by all processes over a short window (Linux: /proc/stat; elsewhere
    the 1-minute load average; 0 where neither exists). Call it before starting work, so
    that this process's own load is not counted."""
    a = _cpu_ticks(stat)
    if a is None:
        try:
            return float(os.getloadavg()[0])
        except (AttributeError, OSError):
            return 0.0
    time.sleep(window_s)
    b = _cpu_ticks(stat)
    if b is None or b[1] <= a[1]:
        return 0.0
    n_cpu = os.cpu_count() or 1
    return n_cpu * (b[0] - a[0]) / (b[1] - a[1])


def free_cores(window_s: float = 0.05) -> float:
    """Usable cores that nothing else is running on right now (≥ 0)."""
    return max(0.0, usable_cores() - busy_cores(window_s))


def intra_op_threads(limit: int | None = None, free: float | None = None) -> int:
    """Torch intra-op threads for a large network: one per free core (rounded down, at least
    one), at most ``limit``. ``free`` overrides the measurement (tests, callers that
    measured already)."""
    idle = free_cores() if free is None else free
    n = max(1, math.floor(idle + 1e-9))
    return min(n, limit) if limit is not None else n


# OpenBLAS (numpy's, and the copy OpenCV wheels bundle) starts one thread per core and, after
# each call, lets them spin for the next one: a process that makes many small numpy calls
# keeps a second core busy doing nothing (measured: the face tracking pass used 2.0 cores
# instead of 1.0, at the same speed) and takes it from the rest of the machine.
_OPENBLAS_SYMBOLS = (
    ("openblas_get_num_threads", "openblas_set_num_threads"),
    ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
    ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
    ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
)


def _openblas_paths() -> list[Path]:
    """OpenBLAS libraries this process has loaded (Linux: its memory map), or else the copies
    bundled with the numpy and OpenCV wheels that are imported."""
    maps = Path("/proc/self/maps")
    if maps.exists():
        found = {line.split()[-1] for line in maps.read_text().splitlines() if "openblas" in line}
        return sorted(Path(p) for p in found if p.startswith("/"))
    paths: set[Path] = set()
    for name in ("numpy", "cv2"):
        mod = sys.modules.get(name)
        file = getattr(mod, "__file__", None)
        if not file:
            continue
        pkg = Path(file).parent
        for folder in (pkg / ".dylibs", pkg / ".libs", pkg.parent / f"{name}.libs"):
            if folder.is_dir():
                paths.update(folder.glob("*openblas*"))
    return sorted(paths)


def _openblas_controls() -> tuple[tuple[Callable[[], int], Callable[[int], None]], ...]:
    """(get, set) thread-count functions of each loaded OpenBLAS, looked up again only when
    numpy or OpenCV has been imported since (reading the memory map for every frame would
    cost more than the frame's BLAS calls)."""
    return _openblas_controls_for(tuple(name in sys.modules for name in ("numpy", "cv2")))


@functools.lru_cache(maxsize=4)
def _openblas_controls_for(
    imported: tuple[bool, ...],
) -> tuple[tuple[Callable[[], int], Callable[[int], None]], ...]:
    controls = []
    for path in _openblas_paths():
        try:
            lib = ctypes.CDLL(str(path))
        except OSError:
            continue
        for get_name, set_name in _OPENBLAS_SYMBOLS:
            if hasattr(lib, get_name) and hasattr(lib, set_name):
                getter, setter = getattr(lib, get_name), getattr(lib, set_name)
                getter.restype, setter.argtypes, setter.restype = ctypes.c_int, [ctypes.c_int], None
                controls.append((getter, setter))
                break
    return tuple(controls)


_blas_lock = threading.Lock()
_blas_users = 0
_blas_before: list[tuple[Callable[[int], None], int]] = []


@contextlib.contextmanager
def one_blas_thread() -> Iterator[int]:
    """Run the block with one thread in every OpenBLAS the process has loaded; yields how
    many libraries that is (0 where there is none to set). Blocks may nest and run on several
    threads at once: the first to enter sets the count, the last to leave restores each
    library's own (the count is process-wide, so it is never restored under a running block).

    The setting costs two calls into each library when no block is running, so it can wrap
    one frame's work; between blocks the libraries are as the user left them."""
    global _blas_users, _blas_before
    with _blas_lock:
        controls = _openblas_controls()
        if _blas_users == 0:
            _blas_before = [(set_, get()) for get, set_ in controls]
            for _, set_ in controls:
                set_(1)
        _blas_users += 1
    try:
        yield len(controls)
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0:
                for set_, n in _blas_before:
                    set_(n)
