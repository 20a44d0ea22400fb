"""``batch_status.json``: which jobs of a batch are done, failed (with the error) or pending.

Only the coordinating process writes it, after every change, atomically (``core/fileio.py``),
so it is always whole. Entries are keyed by output .blend: several job files may share one
status file and each keeps the others' entries. A job is done, and skipped when the batch runs
again, when its entry says ``done`` with the same job hash (``jobs.job_hash``: options and
input files) and its .blend exists, and its texture folder where the bake made textures.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import InputError, MoodrigError
from ..fileio import atomic_write_text
from .jobs import Job

STATUS_NAME = "batch_status.json"
"""Default file name, beside the job file."""
FORMAT = 1
STATES = ("pending", "running", "done", "failed")


class BatchStatus:
    """The status file of a batch, as entries keyed by output path (thread-safe)."""

    def __init__(self, path: Path, entries: dict[str, dict[str, Any]] | None = None) -> None:
        self.path = path
        self.entries: dict[str, dict[str, Any]] = entries or {}
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: Path) -> BatchStatus:
        if not path.exists():
            return cls(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            entries = data["jobs"]
            if data.get("format") != FORMAT or not isinstance(entries, dict):
                raise ValueError("unknown format")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(
                path,
                f"not a moodrig batch status file ({exc}); move it away to start the batch afresh",
            ) from None
        return cls(path, entries)

    def outputs(self) -> set[Path]:
        """The .blend files this status file has recorded as outputs."""
        return {Path(out) for out in self.entries}

    def entry(self, job: Job) -> dict[str, Any]:
        return dict(self.entries.get(str(job.out), {}))

    def is_done(self, job: Job, job_hash: str) -> bool:
        entry = self.entries.get(str(job.out), {})
        textures = entry.get("made_textures") is False or job.texture_folder.is_dir()
        return (
            entry.get("state") == "done"
            and entry.get("hash") == job_hash
            and job.out.is_file()
            and textures
        )

    def update(self, job: Job, job_hash: str, jobs_file: Path, **fields: Any) -> None:
        """Set fields of ``job``'s entry (``state`` among them) and save the file."""
        with self._lock:
            entry = self.entries.setdefault(str(job.out), {})
            entry.update(
                row=job.row,
                jobs_file=str(jobs_file),
                out=str(job.out),
                texture_folder=str(job.texture_folder),
                hash=job_hash,
                **fields,
            )
            entry["updated"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            self._save()

    def _save(self) -> None:
        counts = {
            state: sum(e.get("state") == state for e in self.entries.values()) for state in STATES
        }
        data = {"format": FORMAT, "counts": counts, "jobs": dict(sorted(self.entries.items()))}
        atomic_write_text(self.path, json.dumps(data, indent=1) + "\n")


@contextlib.contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold a lock beside the status file for the batch's lifetime, so two batches never run
    the same jobs at once (no lock where the platform has no ``fcntl``)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f".{path.name}.lock"), "a") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise MoodrigError(
                f"{path}: another moodrig batch is running with this status file"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
