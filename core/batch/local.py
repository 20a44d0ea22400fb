"""The embedded engine: the jobs run on this machine, each in a fresh worker process, at most
N at a time, every worker limited to its share of the cores."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

from .jobs import Job
from .worker import Outcome, run_worker

WORKER_MEMORY = 1 << 30
"""Memory to plan per worker: a bake peaks at about 750 MB (``make bench``), plus headroom."""


class Events(Protocol):
    """What the engines tell the batch while jobs run (called from several threads)."""

    def started(self, job: Job, attempt: int, pid: int) -> None: ...

    def line(self, job: Job, text: str) -> None: ...

    def retrying(self, job: Job, outcome: Outcome, attempt: int) -> None: ...

    def finished(self, job: Job, outcome: Outcome, attempts: int | None) -> None: ...


def cpu_count() -> int:
    """Cores this process may use (its affinity where the platform says)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def available_memory() -> int | None:
    """Bytes of memory available to new processes (Linux: MemAvailable), None if unknown."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def default_workers(n_jobs: int, cores: int, memory: int | None) -> int:
    """One worker per core, no more than the jobs, and no more than the memory holds."""
    by_memory = cores if memory is None else max(1, memory // WORKER_MEMORY)
    return max(1, min(n_jobs, cores, by_memory))


def default_threads(workers: int, cores: int) -> int:
    """Torch threads per worker: the cores shared out between the workers."""
    return max(1, cores // max(1, workers))


def run_local(
    tasks: Sequence[tuple[Job, dict[str, Any]]],
    events: Events,
    *,
    argv: list[str],
    workers: int,
    threads: int,
    retries: int,
    cwd: Path,
) -> None:
    """Run every (job, spec) in worker processes started with ``argv``, ``workers`` at a
    time; a lost worker's job runs again, up to ``retries`` more times."""

    def one(job: Job, spec: dict[str, Any]) -> None:
        for attempt in range(1, retries + 2):

            def started(pid: int, attempt: int = attempt) -> None:
                events.started(job, attempt, pid)

            def line(text: str) -> None:
                events.line(job, text)

            outcome = run_worker(
                argv, spec, threads=threads, cwd=cwd, on_start=started, on_line=line
            )
            if outcome.state != "lost" or attempt > retries:
                events.finished(job, outcome, attempt)
                return
            events.retrying(job, outcome, attempt)

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="moodrig-batch")
    try:
        futures = [pool.submit(one, job, spec) for job, spec in tasks]
        for future in futures:
            future.result()
    finally:  # on Ctrl-C no job starts any more; the running ones end with the terminal's signal
        pool.shutdown(wait=True, cancel_futures=True)
