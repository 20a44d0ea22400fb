"""The distributed engine: every job is a Ray task on an existing cluster (``--ray ADDRESS``),
or on a Ray started for this batch (``--ray local``).

Each task runs the job in a fresh worker process on its node, exactly as the embedded engine
does, so a batch gives the same files either way. The cluster must share paths with this
machine: the scene, the clip and the outputs are read and written where the job file says (a
shared filesystem mounted at the same path on every node, as render farms use), and every
node's Python has moodrig and ``bpy`` installed. A task holds one GPU when its job's device is
``cuda``, and ``threads`` CPU slots otherwise. A task whose worker process is lost, or whose
Ray worker or node dies, runs again (``max_retries``).

Ray is an optional extra (``pip install moodrig[ray]``); it is imported only here, only when a
batch asks for it, and never by the add-on.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import MoodrigError
from .jobs import Job
from .local import Events
from .worker import Outcome, run_worker

LOCAL = "local"
"""``--ray local``: start a Ray on this machine for the batch (``ray.init()``)."""
MISSING = "Ray is not installed: pip install moodrig[ray]"


class WorkerLost(RuntimeError):
    """A task's worker process was killed or crashed; Ray runs the task again."""


def check_installed() -> None:
    if importlib.util.find_spec("ray") is None:
        raise MoodrigError(MISSING)


def _ray() -> Any:
    check_installed()
    return importlib.import_module("ray")


def job_argv() -> list[str]:
    """How a node starts a worker: its own Python, ``-m moodrig batch-job``."""
    package = (__package__ or "moodrig.core.batch").rsplit(".core.batch", 1)[0]
    return [sys.executable, "-m", package, "batch-job"]


def _task(spec: dict[str, Any], threads: int, cwd: str) -> dict[str, Any]:
    """The Ray task: one job in a fresh worker process on this node."""
    outcome = run_worker(job_argv(), spec, threads=threads, cwd=Path(cwd))
    if outcome.state == "lost":
        raise WorkerLost(outcome.error)
    return dataclasses.asdict(outcome)


def connect(address: str) -> Any:
    """``ray.init`` for ``address`` (``auto``, ``host:port``, ``ray://…`` or ``local``)."""
    ray = _ray()
    try:
        if address == LOCAL:
            ray.init(include_dashboard=False, log_to_driver=False, logging_level="WARNING")
        else:
            ray.init(address=address, log_to_driver=False, logging_level="WARNING")
    except (ConnectionError, RuntimeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise MoodrigError(f"cannot reach the Ray cluster at {address}: {first}") from None
    return ray


def run_ray(
    ray: Any,
    tasks: Sequence[tuple[Job, dict[str, Any]]],
    events: Events,
    *,
    threads: int,
    retries: int,
    cwd: Path,
) -> None:
    """Run every (job, spec) as a Ray task on the connected ``ray`` (:func:`connect`), report
    each as it ends, and disconnect."""
    try:
        remote = ray.remote(_task)
        refs: dict[Any, Job] = {}
        for job, spec in tasks:
            options = {
                "num_cpus": threads,
                "num_gpus": 1 if job.request.device == "cuda" else 0,
                "max_retries": retries,
                "retry_exceptions": [WorkerLost],
            }
            refs[remote.options(**options).remote(spec, threads, str(cwd))] = job
        waiting = list(refs)
        while waiting:
            ready, waiting = ray.wait(waiting, num_returns=1)
            for ref in ready:
                try:
                    outcome = Outcome(**ray.get(ref))
                except ray.exceptions.RayError as exc:
                    outcome = Outcome("failed", _error_text(exc, retries))
                events.finished(refs[ref], outcome, None)
    finally:
        ray.shutdown()


def _error_text(exc: BaseException, retries: int) -> str:
    cause = getattr(exc, "cause", None)
    if isinstance(cause, WorkerLost):
        return f"{cause} on every try ({retries + 1})"
    if cause is not None:
        return f"{type(cause).__name__}: {cause}".splitlines()[0]
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''} (after {retries + 1} tries)"
