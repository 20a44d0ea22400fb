"""The linux-x64 platform build of the add-on, made offline from the test wheelhouse, for the
tests that install it (every bpy version, Debian's Blender 3.4 without network)."""

from __future__ import annotations

import os
import shutil
import site
import sys
from pathlib import Path

from components import require_component

REPO = Path(__file__).resolve().parent.parent
TEST_WHEELHOUSE = REPO / "build" / "wheelhouse-linux-x64-cpu"
"""Made by `make test-wheelhouse` (wheelhouse.py, linux-x64, the CPU torch)."""


def require_wheelhouse() -> Path:
    require_component(
        (TEST_WHEELHOUSE / ".moodrig-complete").is_file(),
        f"the test wheelhouse {TEST_WHEELHOUSE} (`make test-wheelhouse`)",
    )
    return TEST_WHEELHOUSE


def _build_addon():  # type: ignore[no-untyped-def]
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    import build_addon

    return build_addon


def build_zip(out: Path) -> Path:
    """``moodrig-<version>.zip`` from this tree."""
    return _build_addon().build(REPO, out)


def build_platform_zip(out: Path) -> Path:
    """``moodrig-<version>-linux-x64.zip`` from this tree, its wheels from the wheelhouse."""
    return _build_addon().build(REPO, out, "linux-x64", require_wheelhouse())


def blender34_env(profile: Path) -> dict[str, str]:
    """For Debian's Blender 3.4 (skip, or fail under CI, where it is missing): a throwaway user
    profile, one thread, and moodrig's dependencies from this venv, as the add-on's dependency
    folder would provide them."""
    require_component(shutil.which("blender") is not None, "Debian's blender (`make system-deps`)")
    return {
        **os.environ,
        "BLENDER_USER_SCRIPTS": str(profile / "scripts"),
        "BLENDER_USER_CONFIG": str(profile / "config"),
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": site.getsitepackages()[0],
    }
