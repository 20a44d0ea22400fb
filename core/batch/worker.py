"""One job in one fresh process, and what the way it ended means.

Every job runs in a new process: ``bpy`` is a process-wide singleton (one open .blend), so a
fresh process starts from the job's own scene with nothing left from an earlier job, returns
its memory when it ends, and a job that crashes or is killed takes only itself down. The
worker prints its result as one ``MOODRIG_JOB:<json>`` line and exits 0 (done) or 1 (failed:
a bad input or a bug, which would fail again, so it is not retried). Any other end (a signal,
a crash, no result) means the worker was lost, and the job runs again.
"""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RESULT_MARK = "MOODRIG_JOB:"
EXIT_DONE, EXIT_FAILED = 0, 1
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)
"""Read by the math libraries when they load, so they are set before the worker starts."""
THREADS_VARIABLE = "MOODRIG_BATCH_THREADS"
"""Torch threads of a worker (``torch.set_num_threads``)."""
WORKER_VARIABLE = "MOODRIG_BATCH_WORKER"
"""Set in a worker's environment: it was started by a batch and ends with its parent."""


@dataclass(frozen=True)
class Outcome:
    """How one run of a worker ended."""

    state: str
    """``done``, ``failed`` (an error the same job would meet again) or ``lost`` (killed or
    crashed: the job runs again)."""
    error: str | None = None
    result: dict[str, Any] = field(default_factory=dict)
    """What the worker reported: frames, textures, seconds, whether it resumed."""
    returncode: int = 0


def worker_env(threads: int, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a worker limited to ``threads`` threads (so N workers do not fight
    over the cores)."""
    env = dict(os.environ if base is None else base)
    for name in THREAD_VARIABLES:
        env[name] = str(threads)
    env[THREADS_VARIABLE] = str(threads)
    env[WORKER_VARIABLE] = "1"
    return env


def run_worker(
    argv: list[str],
    spec: Mapping[str, Any],
    *,
    threads: int,
    cwd: Path,
    on_start: Callable[[int], None] | None = None,
    on_line: Callable[[str], None] | None = None,
) -> Outcome:
    """Run ``argv + [spec as JSON]`` to its end; ``on_start(pid)`` once it runs, ``on_line``
    for each line of its output (progress)."""
    proc = subprocess.Popen(
        [*argv, json.dumps(dict(spec))],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        env=worker_env(threads),
        cwd=cwd,
    )
    if on_start is not None:
        on_start(proc.pid)
    tail: collections.deque[str] = collections.deque(maxlen=20)
    result: dict[str, Any] | None = None
    assert proc.stdout is not None
    with proc.stdout:
        for line in proc.stdout:
            if line.startswith(RESULT_MARK):
                try:
                    result = json.loads(line[len(RESULT_MARK) :])
                except ValueError:
                    result = None
                continue
            tail.append(line.rstrip())
            if on_line is not None:
                on_line(line.rstrip())
    return classify(proc.wait(), result, list(tail))


def classify(code: int, result: dict[str, Any] | None, tail: list[str]) -> Outcome:
    """A worker's exit code and result line → :class:`Outcome`."""
    if code == EXIT_DONE and result is not None and "error" not in result:
        return Outcome("done", None, result, code)
    if code == EXIT_FAILED:
        if result is not None and result.get("error"):
            return Outcome("failed", str(result["error"]), result, code)
        last = next((line for line in reversed(tail) if line.strip()), "no output")
        return Outcome("failed", f"the worker failed: {last}", result or {}, code)
    return Outcome("lost", f"worker lost ({describe_exit(code)})", result or {}, code)


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    if code == EXIT_DONE:
        return "it ended without a result"
    return f"exit code {code}"


def die_with_parent() -> None:
    """In a worker: end when the process that started it ends (Linux), so a killed batch or
    Ray worker never leaves a bake running on its own beside the retry."""
    if not os.environ.get(WORKER_VARIABLE) or not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def report(result: Mapping[str, Any]) -> None:
    """In a worker: print the result line the batch reads."""
    print(RESULT_MARK + json.dumps(dict(result)), flush=True)
