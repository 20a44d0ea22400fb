"""Installing moodrig's dependencies without blocking Blender (no bpy here).

What to install (the requirements shared with pyproject.toml), which PyTorch build suits this
computer (GPU detection), the pip commands run with Blender's own Python, pip's output read
into a percentage, a failure told in one sentence, and an :class:`Installer` that runs pip in
a subprocess into a staging folder which becomes the dependency folder only on success.
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
from dataclasses import dataclass, field
from pathlib import Path

REQUIREMENTS_FILE = "requirements.txt"
"""Written into the add-on by build_addon.py from pyproject's [project].dependencies."""

IMPORT_NAMES = {
    "numpy": "numpy",
    "opencv-python-headless": "cv2",
    "torch": "torch",
    "safetensors": "safetensors",
    "pyyaml": "yaml",
}
"""Distribution name (normalised) → the module moodrig imports from it."""

TORCH_INDEX = "https://download.pytorch.org/whl/"


def normalise(name: str) -> str:
    """PEP 503 name: lower case, runs of ``-_.`` become ``-``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if not match:
        raise ValueError(f"not a requirement: {requirement!r}")
    return normalise(match.group(1))


def parse_requirements(text: str) -> tuple[str, ...]:
    """One requirement a line; blank lines and ``#`` comments ignored."""
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return tuple(line for line in lines if line)


def requirements(package_dir: Path | None = None) -> tuple[str, ...]:
    """The runtime requirements: the add-on's requirements.txt (generated at build time), or
    pyproject.toml when running from the source tree."""
    package_dir = package_dir or Path(__file__).resolve().parent
    bundled = package_dir / REQUIREMENTS_FILE
    if bundled.is_file():
        return parse_requirements(bundled.read_text(encoding="utf-8"))
    pyproject = package_dir.parent / "pyproject.toml"
    if pyproject.is_file():
        import tomllib

        project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
        return tuple(project["dependencies"])
    raise FileNotFoundError(f"{bundled}: missing; rebuild the add-on with build_addon.py")


# --- PyTorch builds and GPU detection ------------------------------------------------------


@dataclass(frozen=True)
class TorchBuild:
    """One PyTorch build the installer can fetch."""

    key: str
    """Enum identifier: ``cpu``, ``cu126``, ``rocm6.2``, ``macos``."""
    label: str
    """Short name shown in the preferences."""
    description: str
    """Tooltip: what it needs and about how much it downloads."""
    index_url: str | None
    """pip index that holds this build; None = the default index (PyPI)."""
    platforms: tuple[str, ...]
    """``sys.platform`` values it exists for."""
    gpu_version: tuple[int, int] | None = None
    """CUDA or ROCm version the build is made for (the driver must support it)."""


_CUDA = ((11, 8), (12, 1), (12, 4), (12, 6), (12, 8))
_ROCM = ((6, 2), (6, 4))
BUILDS: tuple[TorchBuild, ...] = (
    TorchBuild(
        "cpu", "CPU", "Runs everywhere; about 200 MB", TORCH_INDEX + "cpu", ("linux", "win32")
    ),
    *(
        TorchBuild(
            f"cu{a}{b}",
            f"CUDA {a}.{b}",
            f"NVIDIA GPU, driver for CUDA {a}.{b} or newer; about 2.5 GB",
            f"{TORCH_INDEX}cu{a}{b}",
            ("linux", "win32"),
            (a, b),
        )
        for a, b in _CUDA
    ),
    *(
        TorchBuild(
            f"rocm{a}.{b}",
            f"ROCm {a}.{b}",
            f"AMD GPU with ROCm {a}.{b}; about 3 GB",
            f"{TORCH_INDEX}rocm{a}.{b}",
            ("linux",),
            (a, b),
        )
        for a, b in _ROCM
    ),
    TorchBuild(
        "macos",
        "macOS (MPS/CPU)",
        "The standard macOS build: Apple GPU (MPS) on Apple silicon, else CPU",
        None,
        ("darwin",),
    ),
)


def builds_for(platform: str = sys.platform) -> tuple[TorchBuild, ...]:
    return tuple(b for b in BUILDS if platform in b.platforms)


def build(key: str) -> TorchBuild:
    for candidate in BUILDS:
        if candidate.key == key:
            return candidate
    raise KeyError(f"unknown PyTorch build {key!r}")


def default_build(platform: str = sys.platform) -> str:
    return "macos" if platform == "darwin" else "cpu"


@dataclass(frozen=True)
class Recommendation:
    """The build suggested for this computer, and why."""

    key: str
    """A :class:`TorchBuild` key."""
    reason: str
    """One line for the preferences, e.g. 'NVIDIA GeForce RTX 3060, driver for CUDA 12.6'."""


def _version(text: str) -> tuple[int, int] | None:
    match = re.search(r"(\d+)\.(\d+)", text)
    return (int(match.group(1)), int(match.group(2))) if match else None


def parse_nvidia_smi(table: str, listing: str) -> tuple[list[str], tuple[int, int] | None]:
    """GPU names from ``nvidia-smi -L`` and the newest CUDA version the driver supports, from
    the header of plain ``nvidia-smi``."""
    names = [m.group(1).strip() for m in re.finditer(r"GPU \d+: (.+?)(?: \(UUID|$)", listing, re.M)]
    match = re.search(r"CUDA Version:\s*([\d.]+)", table)
    return names, _version(match.group(1)) if match else None


def recommend(
    platform: str,
    *,
    nvidia: tuple[list[str], tuple[int, int] | None] | None,
    amd_kfd: bool,
    rocm_version: tuple[int, int] | None,
) -> Recommendation:
    """Pure: the newest build the detected GPU's driver supports, else CPU."""
    if platform == "darwin":
        return Recommendation("macos", "macOS: the standard build uses the Apple GPU (MPS)")
    if nvidia is not None:
        names, cuda = nvidia
        gpu = names[0] if names else "NVIDIA GPU"
        fitting = [
            b
            for b in builds_for(platform)
            if b.key.startswith("cu") and b.gpu_version and cuda and b.gpu_version <= cuda
        ]
        if fitting:
            return Recommendation(
                fitting[-1].key, f"{gpu}, driver for CUDA {cuda[0]}.{cuda[1]}" if cuda else gpu
            )
        why = f"driver for CUDA {cuda[0]}.{cuda[1]}" if cuda else "CUDA version unknown"
        return Recommendation("cpu", f"{gpu}: {why} is older than any CUDA build; update it")
    if amd_kfd and platform.startswith("linux"):
        rocm = [b for b in builds_for(platform) if b.key.startswith("rocm")]
        if rocm_version is None:
            choice, found = rocm[0], "ROCm driver (/dev/kfd)"
        else:
            fitting = [b for b in rocm if (b.gpu_version or (0, 0)) <= rocm_version]
            choice, found = (fitting or rocm)[-1], f"ROCm {rocm_version[0]}.{rocm_version[1]}"
        return Recommendation(choice.key, f"AMD GPU, {found}")
    return Recommendation(default_build(platform), "No NVIDIA or AMD GPU found")


def detect(timeout: float = 5.0) -> Recommendation:
    """Probe this computer (``nvidia-smi``, ``/dev/kfd``, ``/opt/rocm``): slow, run it off the
    UI thread."""
    nvidia = None
    smi = shutil.which("nvidia-smi")
    if smi:
        try:
            table = subprocess.run([smi], capture_output=True, text=True, timeout=timeout)
            listing = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=timeout)
            if table.returncode == 0:
                nvidia = parse_nvidia_smi(table.stdout, listing.stdout)
        except (OSError, subprocess.SubprocessError):
            nvidia = None
    rocm_file = Path("/opt/rocm/.info/version")
    rocm_version = _version(rocm_file.read_text()) if rocm_file.is_file() else None
    return recommend(
        sys.platform, nvidia=nvidia, amd_kfd=Path("/dev/kfd").exists(), rocm_version=rocm_version
    )


# --- Blender's own interpreter -------------------------------------------------------------


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


# --- pip commands --------------------------------------------------------------------------


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


# --- Progress and failures -----------------------------------------------------------------


_SIZE = re.compile(r"\(([\d.]+\s*[kMG]?B)\)")


def _file_package(token: str) -> str:
    name = token.rstrip("/").rsplit("/", 1)[-1].split("#", 1)[0]
    return requirement_name(name.split("-", 1)[0]) if name else ""


@dataclass
class PipProgress:
    """pip's output, line by line, read into how far it is (0–1) and what it is fetching."""

    fraction: float = 0.0
    activity: str = ""
    """'Downloading torch (191.8 MB)', 'Installing numpy, torch'."""
    known: set[str] = field(default_factory=set)
    downloads: int = 0
    file_fraction: float = 0.0

    def feed(self, line: str) -> None:
        text = line.strip()
        if text.startswith(("Collecting ", "Processing ")):
            token = text.split()[1]
            name = (
                _file_package(token)
                if text.startswith("Processing") or "/" in token
                else requirement_name(token)
            )
            self.known.add(name)
            self.activity = f"Resolving {name}"
            self._advance(0.1 * (1.0 - 0.5 ** len(self.known)))
        elif text.startswith(("Downloading ", "Using cached ")):
            token = text.split()[2] if text.startswith("Using") else text.split()[1]
            if token.endswith(".metadata"):
                return
            name = _file_package(token)
            self.known.add(name)
            self.downloads += 1
            self.file_fraction = 0.0
            size = _SIZE.search(text)
            self.activity = f"Downloading {name}" + (f" ({size.group(1)})" if size else "")
            self._download_fraction()
        elif text.startswith("Progress ") and " of " in text:
            parts = text.split()
            try:
                current, total = int(parts[1]), int(parts[3])
            except (IndexError, ValueError):
                return
            self.file_fraction = current / total if total > 0 else 0.0
            self._download_fraction()
        elif text.startswith("Installing collected packages:"):
            names = text.split(":", 1)[1].strip()
            self.activity = (
                f"Installing {names}"
                if len(names) < 60
                else f"Installing {len(names.split(','))} packages"
            )
            self._advance(0.85)
        elif text.startswith("Successfully installed"):
            self.activity = "Installed"
            self._advance(1.0)

    def _download_fraction(self) -> None:
        done = self.downloads - 1 + self.file_fraction
        self._advance(0.1 + 0.75 * done / max(len(self.known), self.downloads))

    def _advance(self, value: float) -> None:
        self.fraction = max(self.fraction, min(value, 1.0))


PIP_MISSING = (
    "Blender's Python has no pip and could not install it (ensurepip failed); "
    "install pip for that Python, or install from a folder with another Blender"
)
_NETWORK = (
    "ProxyError",
    "NewConnectionError",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
    "Could not fetch URL",
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "Connection refused",
    "nodename nor servname",
)


def explain_failure(lines: Iterable[str], *, folder: Path | None = None) -> str:
    """pip's output after a failure → one sentence that says what to do."""
    text = "\n".join(lines)
    missing = re.search(r"No matching distribution found for ([^\s]+)", text)
    package = requirement_name(missing.group(1)) if missing else None
    if folder is None and any(marker in text for marker in _NETWORK):
        return (
            "No network: pip could not reach the package index. Install from a folder "
            "instead (Install from Folder…, a wheelhouse made with `make wheelhouse`), or "
            "check the proxy settings"
        )
    if "No space left on device" in text:
        return "The disk is full: free some space and install again"
    if "Permission denied" in text or "Access is denied" in text:
        return "moodrig may not write its dependency folder (permission denied); see the log"
    if "do not match the hashes" in text.lower():
        return "A downloaded file was damaged (hash mismatch): install again"
    if package and folder is not None:
        return (
            f"The folder has no {package} wheel for this platform and Python "
            f"{sys.version_info[0]}.{sys.version_info[1]}: make it with `make wheelhouse "
            f"PLATFORM=...` for this computer"
        )
    if package:
        return (
            f"No matching wheel for this platform: pip found no {package} build for Python "
            f"{sys.version_info[0]}.{sys.version_info[1]} here; try another build or a "
            f"wheelhouse folder"
        )
    errors = [line.strip() for line in text.splitlines() if line.strip().startswith("ERROR:")]
    last = errors[-1] if errors else (text.strip().splitlines() or ["no output"])[-1]
    return f"pip failed: {last[:160]}"


class InstallError(Exception):
    """A step failed; ``str(error)`` is the sentence for the user."""

    def __init__(self, sentence: str, lines: Iterable[str] = ()) -> None:
        super().__init__(sentence)
        self.lines = tuple(lines)


# --- Running an install --------------------------------------------------------------------


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
