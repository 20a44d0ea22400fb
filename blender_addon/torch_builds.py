"""The PyTorch builds the installer offers (CPU, CUDA, ROCm, macOS) and which one suits this
computer, from ``nvidia-smi``, ``/dev/kfd`` and the platform (no bpy)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

TORCH_INDEX = "https://download.pytorch.org/whl/"


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
