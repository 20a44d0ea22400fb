#!/usr/bin/env python3
"""Make a wheelhouse: every wheel moodrig needs for one platform, in one folder.

A studio runs it once (``make wheelhouse PLATFORM=linux-x64 BUILD=cpu``) on a machine with
network, copies the folder to its artists, and each installs with *Preferences → Add-ons →
moodrig → Install from Folder…* (``pip install --no-index --find-links FOLDER``), offline.
PyTorch comes from the chosen build's index (``--build cpu``: the CPU wheels, about 200 MB;
``cu126`` etc. for NVIDIA, ``rocm6.2`` for AMD on Linux, ``macos`` for macOS), the rest from
the default index. A CPU or macOS wheelhouse that received a CUDA build is refused.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import build_addon
from build_addon import REPO, BuildError, pip_download, project_requirements
from moodrig.pkg_requirements import requirement_name
from moodrig.torch_builds import build as torch_build
from moodrig.torch_builds import builds_for

SYS_PLATFORM = {
    "linux-x64": "linux",
    "windows-x64": "win32",
    "macos-arm64": "darwin",
    "macos-x64": "darwin",
}
"""Blender's platform name → ``sys.platform`` there (which PyTorch builds exist)."""


def check_build(files: list[Path], build_key: str) -> None:
    """A CPU/macOS wheelhouse holds no CUDA or ROCm build of torch, nor NVIDIA libraries."""
    if build_key.startswith(("cu", "rocm")):
        return
    gpu = [
        f.name
        for f in files
        if f.name.lower().startswith(("nvidia_", "triton-"))
        or (f.name.startswith("torch-") and ("+cu" in f.name or "+rocm" in f.name))
    ]
    if gpu:
        raise BuildError(
            f"the {build_key} wheelhouse received GPU packages ({', '.join(gpu[:3])}"
            "…): pin torch (e.g. --torch torch==2.13.0) or check pip's extra "
            "indexes"
        )


def make(platform: str, build_key: str, out: Path, torch_spec: str | None = None) -> list[Path]:
    if platform not in SYS_PLATFORM:
        raise BuildError(f"unknown platform {platform!r}; one of {', '.join(SYS_PLATFORM)}")
    chosen = torch_build(build_key)
    if chosen not in builds_for(SYS_PLATFORM[platform]):
        raise BuildError(f"there is no {chosen.label} PyTorch for {platform}")
    requirements = project_requirements(REPO)
    torch = (
        [torch_spec] if torch_spec else [r for r in requirements if requirement_name(r) == "torch"]
    )
    rest = [r for r in requirements if requirement_name(r) != "torch"]
    out.mkdir(parents=True, exist_ok=True)
    pip_download(torch, platform, out, index_url=chosen.index_url)
    files = pip_download(rest, platform, out)
    check_build(files, build_key)
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--platform", choices=sorted(build_addon.PLATFORMS), default="linux-x64")
    parser.add_argument(
        "--build", default="cpu", help="PyTorch build: cpu, cu118 … cu128, rocm6.2/6.4, macos"
    )
    parser.add_argument("--out", type=Path, required=True, help="the wheelhouse folder")
    parser.add_argument(
        "--torch", default=None, help="torch requirement (default: pyproject's, e.g. torch>=2.1)"
    )
    args = parser.parse_args(argv)
    try:
        files = make(args.platform, args.build, args.out, args.torch)
    except (BuildError, KeyError) as exc:
        print(f"wheelhouse: error: {exc}", file=sys.stderr)
        return 1
    size = sum(f.stat().st_size for f in files) / 1e6
    print(f"wheelhouse: {len(files)} wheels ({size:.0f} MB) in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
