"""Installing moodrig's dependencies without blocking Blender (no bpy here).

Blender's own interpreter, the pip commands of one install (:func:`plan`), and an
:class:`Installer` that runs them in a subprocess into a staging folder which becomes the
dependency folder only on success. What to install: :mod:`.pkg_requirements`; which PyTorch:
:mod:`.torch_builds`; pip's output: :mod:`.pip_output`.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Generator, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .pip_output import PIP_MISSING, PipProgress, explain_failure
from .pkg_requirements import requirement_name
from .torch_builds import TorchBuild


def own_interpreter(
    executable: str, prefix: str, version: tuple[int, int], platform: str = sys.platform
) -> Path:
    """The Python that runs Blender: the binary in ``prefix`` (Blender's ``sys.prefix``).

    ``sys.executable`` is used only when it lies in that prefix: a Blender linked against the
    system Python (Debian's) finds ``sys.executable`` on PATH, which may be another Python.
    """
    root = Path(prefix)
    exe = Path(executable) if executable else None
    if exe is not None and exe.is_file() and _inside(exe, root):
        return exe
    names = (
        ("bin/python.exe", "python.exe")
        if platform == "win32"
        else (f"bin/python{version[0]}.{version[1]}", f"bin/python{version[0]}", "bin/python")
    )
    for name in names:
        if (root / name).is_file():
            return root / name
    raise FileNotFoundError(
        f"Blender's Python was not found in {root} (sys.executable is "
        f"{executable or 'empty'}); moodrig cannot install into it"
    )


def _inside(path: Path, root: Path) -> bool:
    try:
        path.absolute().relative_to(root.absolute())
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Step:
    """One subprocess of an install."""

    label: str
    """What the preferences show while it runs ('Installing PyTorch (CPU)')."""
    argv: tuple[str, ...]
    """The command."""
    env: Mapping[str, str] | None = None
    """Environment (None: Blender's)."""
    share: tuple[float, float] = (0.0, 0.0)
    """Part of the overall percentage it covers (from, to), in [0, 1]."""


@dataclass(frozen=True)
class StepResult:
    returncode: int
    lines: tuple[str, ...]


def pip_install(
    python: Path,
    target: Path,
    requirements: Iterable[str],
    *,
    folder: Path | None = None,
    index_url: str | None = None,
    raw_progress: bool = False,
) -> tuple[str, ...]:
    """``pip install --target`` with Blender's Python; only wheels (Blender has no compiler).
    ``folder``: a wheelhouse, with no index at all."""
    argv = [
        str(python),
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-input",
        "--no-warn-script-location",
        "--only-binary=:all:",
        "--target",
        str(target),
        "--progress-bar",
        "raw" if raw_progress else "off",
    ]
    if folder is not None:
        argv += ["--no-index", "--find-links", str(folder)]
    elif index_url is not None:
        argv += ["--index-url", index_url]
    return (*argv, *requirements)


def offline_env(base: Mapping[str, str]) -> dict[str, str]:
    """No pip configuration or PIP_* variable of the machine: the folder alone is used."""
    env = {k: v for k, v in base.items() if not k.startswith("PIP_")}
    env.update(PIP_CONFIG_FILE=os.devnull, PYTHONNOUSERSITE="1", PYTHONUNBUFFERED="1")
    return env


def pip_version(lines: Iterable[str]) -> tuple[int, int] | None:
    for line in lines:
        match = re.match(r"pip (\d+)\.(\d+)", line.strip())
        if match:
            return int(match.group(1)), int(match.group(2))
    return None


def plan(
    python: Path,
    staging: Path,
    missing: Iterable[str],
    *,
    torch_build: TorchBuild,
    folder: Path | None = None,
    base_env: Mapping[str, str] | None = None,
) -> Generator[Step, StepResult, None]:
    """The steps of one install: check pip (bootstrap it if absent), then torch from the
    chosen build's index and the rest from the default index, or everything from ``folder``.
    Raises :class:`InstallError` when a step fails."""
    base = dict(os.environ if base_env is None else base_env)
    env = offline_env(base) if folder is not None else {**base, "PYTHONUNBUFFERED": "1"}
    missing = tuple(missing)
    check = Step("Checking pip", (str(python), "-m", "pip", "--version"), env, (0.0, 0.02))
    result = yield check
    if result.returncode != 0:
        boot = yield Step(
            "Installing pip", (str(python), "-m", "ensurepip", "--default-pip"), env, (0.02, 0.04)
        )
        if boot.returncode != 0:
            raise InstallError(PIP_MISSING, boot.lines)
        result = yield check
        if result.returncode != 0:
            raise InstallError(PIP_MISSING, result.lines)
    raw = (pip_version(result.lines) or (0, 0)) >= (24, 1)
    torch = tuple(r for r in missing if requirement_name(r) == "torch")
    rest = tuple(r for r in missing if requirement_name(r) != "torch")
    if folder is not None:
        groups = [("Installing from the folder", missing, None)]
    else:
        groups = [
            (f"Installing PyTorch ({torch_build.label})", torch, torch_build.index_url),
            ("Installing " + ", ".join(requirement_name(r) for r in rest), rest, None),
        ]
    groups = [g for g in groups if g[1]]
    # torch is most of the download: its step gets most of the bar.
    weights = [(0.8 if g[1] == torch else 0.2) if len(groups) > 1 else 1.0 for g in groups]
    start = 0.04
    for (label, reqs, index), weight in zip(groups, weights, strict=True):
        stop = start + 0.94 * weight
        res = yield Step(
            label,
            pip_install(python, staging, reqs, folder=folder, index_url=index, raw_progress=raw),
            env,
            (start, stop),
        )
        if res.returncode != 0:
            raise InstallError(explain_failure(res.lines, folder=folder), res.lines)
        start = stop


class InstallError(Exception):
    """A step failed; ``str(error)`` is the sentence for the user."""

    def __init__(self, sentence: str, lines: Iterable[str] = ()) -> None:
        super().__init__(sentence)
        self.lines = tuple(lines)


def merge_into(staging: Path, target: Path) -> None:
    """Move what pip installed into ``target``: one rename when ``target`` is new, else one
    rename per top-level entry (each package appears whole or not at all)."""
    if not target.exists():
        staging.rename(target)
        return
    for entry in sorted(staging.iterdir()):
        dest = target / entry.name
        if dest.is_dir() and not dest.is_symlink():
            shutil.rmtree(dest)
        elif dest.exists() or dest.is_symlink():
            dest.unlink()
        entry.rename(dest)
    shutil.rmtree(staging)


class Installer:
    """Runs the steps of :func:`plan` one subprocess at a time; :meth:`poll` never blocks.

    pip writes into ``staging`` (a sibling of ``target`` on the same disk); on success it is
    merged into ``target``, on failure or :meth:`cancel` it is deleted. Every line goes to
    ``log_path``."""

    def __init__(
        self, steps: Generator[Step, StepResult, None], staging: Path, target: Path, log_path: Path
    ) -> None:
        self.state = "running"
        """running, done, failed or cancelled."""
        self.message = ""
        """The sentence shown when it ends."""
        self.step_label = ""
        self.progress = PipProgress()
        self.log_path = log_path
        self._steps = steps
        self._staging = staging
        self._target = target
        self._share = (0.0, 0.0)
        self._proc: subprocess.Popen[str] | None = None
        self._lines: list[str] = []
        self._pending: list[str] = []
        self._lock = threading.Lock()
        self._reader: threading.Thread | None = None
        if staging.exists():
            shutil.rmtree(staging)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "w", encoding="utf-8")  # noqa: SIM115 (closed in _end)
        self._next(None)

    @property
    def fraction(self) -> float:
        lo, hi = self._share
        return 1.0 if self.state == "done" else lo + (hi - lo) * self.progress.fraction

    @property
    def activity(self) -> str:
        return self.progress.activity or self.step_label

    def _next(self, result: StepResult | None) -> None:
        try:
            step = self._steps.send(result) if result is not None else next(self._steps)
        except StopIteration:
            self._finish()
            return
        except InstallError as exc:
            self._end("failed", str(exc))
            return
        self.step_label, self._share = step.label, step.share
        self.progress = PipProgress()
        self._lines = []
        self._log.write(f"$ {' '.join(step.argv)}\n")
        self._log.flush()
        try:
            self._proc = subprocess.Popen(
                step.argv,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                encoding="utf-8",
                errors="replace",
                env=dict(step.env) if step.env else None,
                stdin=subprocess.DEVNULL,
                **_new_group(),
            )
        except OSError as exc:
            self._end("failed", f"Could not start {step.argv[0]}: {exc.strerror or exc}")
            return
        _lower_priority(self._proc)
        self._reader = threading.Thread(target=self._read, args=(self._proc,), daemon=True)
        self._reader.start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            with self._lock:
                self._pending.append(line.rstrip("\r\n"))

    def poll(self) -> bool:
        """Take pip's new output, move on when a step ends; True while running."""
        if self.state != "running" or self._proc is None:
            return self.state == "running"
        self._drain()
        code = self._proc.poll()
        if code is not None:
            if self._reader is not None:
                self._reader.join(timeout=5)
            self._drain()
            self._log.write(f"(exit {code})\n")
            self._next(StepResult(code, tuple(self._lines)))
        return self.state == "running"

    def _drain(self) -> None:
        with self._lock:
            new, self._pending = self._pending, []
        for line in new:
            self._lines.append(line)
            self._log.write(line + "\n")
            self.progress.feed(line)
        if new:
            self._log.flush()

    def cancel(self) -> None:
        if self.state != "running":
            return
        if self._proc is not None and self._proc.poll() is None:
            _stop(self._proc)
        self._end("cancelled", "Cancelled; nothing was installed")

    def _finish(self) -> None:
        try:
            if self._staging.exists():
                merge_into(self._staging, self._target)
        except OSError as exc:
            self._end(
                "failed",
                f"Could not move the installed packages into {self._target}: {exc.strerror or exc}",
            )
            return
        self._end("done", "Dependencies installed")

    def _end(self, state: str, message: str) -> None:
        self.state, self.message = state, message
        self._log.write(f"moodrig: {state}: {message}\n")
        self._log.close()
        self._proc = None
        if state != "done" and self._staging.exists():
            shutil.rmtree(self._staging, ignore_errors=True)


def _new_group() -> dict[str, object]:
    """Start pip in its own process group, so Cancel also ends what pip started (and, on
    Windows, below normal priority)."""
    if sys.platform == "win32":
        return {
            "creationflags": subprocess.CREATE_NEW_PROCESS_GROUP
            | subprocess.BELOW_NORMAL_PRIORITY_CLASS
        }
    return {"start_new_session": True}


def _lower_priority(proc: subprocess.Popen[str]) -> None:
    """pip unpacking torch must not take the CPU from Blender's window."""
    if hasattr(os, "setpriority"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, proc.pid, 10)


def _stop(proc: subprocess.Popen[str]) -> None:
    try:
        if sys.platform == "win32":
            proc.terminate()
        else:
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        proc.kill()
        proc.wait(timeout=5)
