"""A Ray head on 127.0.0.1 for the batch tests and the batch benchmark.

``ray start --head --block`` runs in a session of its own; it is ended by that session's
process ids (``ray stop`` would stop every Ray of this user on the machine). Token
authentication is off (``RAY_AUTH_MODE=disabled``: loopback only, and nothing is written to
``~/.ray``); Ray's temporary folder is short, as its socket paths must fit in 107 bytes.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

RAY_ENV = {"RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}


def processes() -> Iterator[tuple[int, int, str]]:
    """(pid, parent pid, command line) of the processes on this machine (Linux)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        yield int(entry.name), ppid, cmdline


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def ray_folder() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="mr-ray-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def ray_head(temp: Path, log: Path, cpus: int = 2) -> Iterator[str]:
    """Start a head with ``cpus`` CPU slots; yields its address (``127.0.0.1:PORT``)."""
    port = free_port()
    ray = Path(sys.executable).with_name("ray")
    with open(log, "w") as fh:
        head = subprocess.Popen(
            # Through this interpreter, not the script's #! line: the head and its workers
            # then import the moodrig under test even from a copied virtual environment.
            [
                sys.executable,
                str(ray),
                "start",
                "--head",
                "--block",
                "--node-ip-address",
                "127.0.0.1",
                "--port",
                str(port),
                "--num-cpus",
                str(cpus),
                "--include-dashboard=false",
                "--disable-usage-stats",
                "--temp-dir",
                str(temp),
            ],
            stdout=fh,
            stderr=subprocess.STDOUT,
            env={**os.environ, **RAY_ENV},
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 180
        while "Ray runtime started" not in log.read_text():
            if head.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("ray start failed:\n" + log.read_text()[-3000:])
            time.sleep(0.5)
        yield f"127.0.0.1:{port}"
    finally:
        end_session(head)


def end_session(head: subprocess.Popen[bytes]) -> None:
    """SIGTERM the head's session, then SIGKILL what is left of it after 10 s."""

    def members() -> list[int]:
        found = []
        for pid, _, _ in processes():
            with contextlib.suppress(OSError):
                if os.getsid(pid) == head.pid:
                    found.append(pid)
        return found

    with contextlib.suppress(ProcessLookupError):
        os.killpg(head.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while members() and time.monotonic() < deadline:
        time.sleep(0.5)
    for pid in members():
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    head.wait(timeout=60)
