"""The batch itself: check the job file, skip what is done, run the rest on the embedded pool
or on Ray, keep ``batch_status.json`` up to date, show a progress bar and end with a summary.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .checks import ListObjects, check_batch, check_objects
from .jobs import Job, JobFileError, job_hash, parse_jobs, read_rows
from .local import available_memory, cpu_count, default_threads, default_workers, run_local
from .status import STATUS_NAME, BatchStatus, exclusive
from .worker import Outcome

EXIT_OK, EXIT_JOBS_FAILED, EXIT_BAD_FILE, EXIT_INTERRUPTED = 0, 1, 2, 130
STAGE = re.compile(r"^moodrig: +([\d.]+%.*)$")
"""A worker's progress line (``moodrig: 45.0% textures 3/10``)."""


@dataclass(frozen=True)
class BatchOptions:
    """How a batch runs (the ``batch`` command's flags)."""

    workers: int | None = None
    """Worker processes on this machine; None: one per core, as many as the memory holds."""
    threads: int | None = None
    """Torch threads per job; None: the cores shared out between the workers (Ray: 1, also
    the CPU slots a task holds)."""
    ray: str | None = None
    """Ray cluster address (``auto``, ``host:port``, ``ray://…``) or ``local``; None: the
    embedded pool."""
    retries: int = 2
    """Times a job runs again after its worker was lost (killed, crashed)."""
    status: Path | None = None
    """Status file; None: ``batch_status.json`` beside the job file."""


@dataclass
class Plan:
    """A checked batch: its jobs, which of them are done already, and how the rest run."""

    jobs_file: Path
    jobs: list[Job]
    hashes: dict[Path, str]
    """Job hash per output."""
    done: set[Path]
    """Outputs of the jobs done before (skipped)."""
    status: BatchStatus
    options: BatchOptions
    workers: int
    threads: int

    @property
    def to_run(self) -> list[Job]:
        return [job for job in self.jobs if job.out not in self.done]


def plan_batch(jobs_file: Path, options: BatchOptions, list_objects: ListObjects | None) -> Plan:
    """Read and check the whole job file (raises :class:`JobFileError` with every problem:
    nothing runs then), and decide what runs."""
    jobs_file = jobs_file.resolve()
    jobs, problems = parse_jobs(jobs_file, read_rows(jobs_file))
    status = BatchStatus.load((options.status or jobs_file.parent / STATUS_NAME).resolve())
    problems += check_batch(jobs, status.outputs())
    if list_objects is not None:
        problems += check_objects(jobs, list_objects)
    if not jobs and not problems:
        problems.append("no jobs")
    if problems:
        raise JobFileError(jobs_file, problems)
    hashes = {job.out: job_hash(job) for job in jobs}
    done = {job.out for job in jobs if status.is_done(job, hashes[job.out])}
    n_run = max(1, len(jobs) - len(done))
    cores = cpu_count()
    if options.ray is not None:
        workers, threads = n_run, options.threads or 1
    else:
        workers = options.workers or default_workers(n_run, cores, available_memory())
        threads = options.threads or default_threads(workers, cores)
    return Plan(jobs_file, jobs, hashes, done, status, options, workers, threads)


def execute(plan: Plan, argv: list[str], stream: TextIO = sys.stderr) -> list[dict[str, Any]]:
    """Run the plan's jobs (``argv`` starts a worker on this machine); returns one summary
    row per job. The status file is locked while the batch runs."""
    with exclusive(plan.status.path):
        ray = None
        if plan.options.ray is not None:
            from .ray_engine import connect, run_ray

            ray = connect(plan.options.ray)
        tasks = []
        for job in plan.to_run:
            plan.status.update(
                job,
                plan.hashes[job.out],
                plan.jobs_file,
                state="pending",
                error=None,
                attempts=None,
                seconds=None,
                frames=None,
                textures=None,
                made_textures=None,
                resumed=None,
                worker=None,
            )
            tasks.append((job, {"job": job.to_json(), "threads": plan.threads}))
        events = _Events(plan, len(tasks), stream)
        try:
            if ray is not None:
                run_ray(
                    ray,
                    tasks,
                    events,
                    threads=plan.threads,
                    retries=plan.options.retries,
                    cwd=plan.jobs_file.parent,
                )
            else:
                run_local(
                    tasks,
                    events,
                    argv=argv,
                    workers=plan.workers,
                    threads=plan.threads,
                    retries=plan.options.retries,
                    cwd=plan.jobs_file.parent,
                )
        except KeyboardInterrupt:
            events.interrupted()
            raise
        finally:
            events.close()
        return [_summary_row(plan, job) for job in plan.jobs]


def _summary_row(plan: Plan, job: Job) -> dict[str, Any]:
    entry = plan.status.entry(job)
    state = "skipped" if job.out in plan.done else entry.get("state", "pending")
    return {
        "row": job.row,
        "state": state,
        "out": job.out,
        "seconds": entry.get("seconds"),
        "frames": entry.get("frames"),
        "textures": entry.get("textures"),
        "attempts": entry.get("attempts"),
        "error": entry.get("error"),
    }


@dataclass
class _Events:
    """Status file and progress bar updates from the engines (several threads)."""

    plan: Plan
    total: int
    stream: TextIO
    lock: threading.Lock = field(default_factory=threading.Lock)
    bar: Any = None
    finished_count: int = 0

    def __post_init__(self) -> None:
        try:
            from tqdm import tqdm
        except ImportError:  # the add-on's own dependencies do not include tqdm
            return
        self.bar = tqdm(
            total=self.total, unit="job", desc="moodrig batch", file=self.stream, dynamic_ncols=True
        )

    def _update(self, job: Job, **fields: Any) -> None:
        self.plan.status.update(job, self.plan.hashes[job.out], self.plan.jobs_file, **fields)

    def _say(self, text: str) -> None:
        if self.bar is not None:
            self.bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)

    def started(self, job: Job, attempt: int, pid: int) -> None:
        with self.lock:
            self._update(job, state="running", attempts=attempt, worker=pid)

    def line(self, job: Job, text: str) -> None:
        match = STAGE.match(text)
        if match and self.bar is not None:
            with self.lock:
                self.bar.set_postfix_str(f"row {job.row}: {match.group(1)}", refresh=True)

    def retrying(self, job: Job, outcome: Outcome, attempt: int) -> None:
        with self.lock:
            self._update(job, state="pending", error=outcome.error)
            self._say(
                f"moodrig: row {job.row}: {outcome.error}; running it again "
                f"(try {attempt + 1} of {self.plan.options.retries + 1})"
            )

    def finished(self, job: Job, outcome: Outcome, attempts: int | None) -> None:
        state = "done" if outcome.state == "done" else "failed"
        result = outcome.result
        with self.lock:
            fields: dict[str, Any] = {"state": state, "error": outcome.error, "worker": None}
            if attempts is not None:
                fields["attempts"] = attempts
            for key in ("seconds", "frames", "textures", "made_textures", "resumed"):
                if key in result:
                    fields[key] = result[key]
            self._update(job, **fields)
            self.finished_count += 1
            if state == "failed":
                self._say(f"moodrig: row {job.row} failed: {outcome.error}")
            if self.bar is not None:
                self.bar.update(1)
            else:
                self._say(
                    f"moodrig: batch {self.finished_count}/{self.total}: row {job.row} {state}"
                )

    def interrupted(self) -> None:
        with self.lock:
            for job in self.plan.to_run:
                if self.plan.status.entry(job).get("state") == "running":
                    self._update(job, state="pending", worker=None)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


# ----------------------------------------------------------------------------- tables


def _shown(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]
    lines = [
        "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in [header, *rows]
    ]
    return "\n".join(lines)


def format_plan(plan: Plan) -> str:
    """What ``--dry-run`` shows: the engine, then one line per job."""
    if plan.options.ray is not None:
        engine = (
            f"Ray at {plan.options.ray}: one task per job, {plan.threads} CPU slot(s), "
            "1 GPU for a cuda job"
        )
    else:
        engine = f"this machine: {plan.workers} worker process(es) × {plan.threads} torch thread(s)"
    head = (
        f"moodrig batch: {len(plan.jobs)} job(s) in {_shown(plan.jobs_file)}, "
        f"{len(plan.to_run)} to run, {len(plan.done)} done before (skipped); {engine}; "
        f"status {_shown(plan.status.path)}"
    )
    rows = []
    for job in plan.jobs:
        source = "demo timeline" if job.demo_timeline else _shown(job.request.source or Path())
        rows.append(
            [
                str(job.row),
                "skip (done)" if job.out in plan.done else "run",
                _shown(job.scene),
                source,
                job.face,
                job.armature,
                str(job.request.seed),
                job.request.device,
                _shown(job.out),
                _shown(job.texture_folder),
            ]
        )
    header = [
        "row",
        "plan",
        "scene",
        "source",
        "face",
        "armature",
        "seed",
        "device",
        "out",
        "textures",
    ]
    return head + "\n" + table(header, rows)


def format_summary(rows: list[dict[str, Any]]) -> str:
    """The table printed when a batch ends, and a count per state."""
    lines = []
    for r in rows:
        seconds = f"{r['seconds']:.1f} s" if isinstance(r["seconds"], (int, float)) else "-"
        lines.append(
            [
                str(r["row"]),
                r["state"],
                seconds,
                _dash(r["frames"]),
                _dash(r["textures"]),
                _dash(r["attempts"]),
                _shown(r["out"]),
                r["error"] or "" if r["state"] == "failed" else "",
            ]
        )
    text = table(["row", "state", "time", "frames", "textures", "tries", "out", "error"], lines)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["state"]] = counts.get(r["state"], 0) + 1
    return text + "\nmoodrig batch: " + ", ".join(f"{n} {s}" for s, n in counts.items())


def _dash(value: Any) -> str:
    return "-" if value is None else str(value)


def exit_code(rows: list[dict[str, Any]]) -> int:
    return EXIT_OK if all(r["state"] in ("done", "skipped") for r in rows) else EXIT_JOBS_FAILED
