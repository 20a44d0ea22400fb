"""Run a snippet in a fresh Python with the real ``bpy`` (one Blender session per snippet).

Each Blender test gets its own process: bpy is a process-wide singleton, and a fresh process
is the only way to prove that registration, installation and file reload leave nothing behind.
The snippet reports by calling ``report(obj)``; the JSON comes back to the test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from components import require_component

REPO = Path(__file__).resolve().parent.parent
BPY_VENVS = {"5.0": None, "4.5": REPO / ".venv-bpy45", "4.2": REPO / ".venv-bpy42"}
"""Supported bpy versions → their venv (None: this one, bpy 5.0.1); `make bpy-venvs`."""

PRELUDE = """
import json, sys
def report(obj):
    print("MOODRIG_RESULT:" + json.dumps(obj), flush=True)
def demo_scene(texture_size):
    # A factory-fresh scene with moodrig registered and the demo character in it.
    import bpy, moodrig
    bpy.ops.wm.read_factory_settings(use_empty=True)
    moodrig.register()
    bpy.ops.moodrig.add_demo_character(texture_size=texture_size)
"""


def bpy_available() -> bool:
    try:
        import importlib.util

        return importlib.util.find_spec("bpy") is not None
    except ValueError:
        return False


def bpy_python(version: str) -> str:
    """The interpreter whose ``import bpy`` is that Blender version (skip or, under CI, fail
    when its venv is missing)."""
    venv = BPY_VENVS[version]
    if venv is None:
        return sys.executable
    python = venv / "bin" / "python"
    require_component(python.is_file(), f"bpy {version} in {venv.name} (`make bpy-venvs`)")
    return str(python)


def run_bpy(
    snippet: str,
    *,
    env: dict[str, str] | None = None,
    timeout: float = 300,
    cwd: Path | None = None,
    python: str | None = None,
) -> Any:
    if python is None and not bpy_available():
        if os.environ.get("CI", "").lower() in {"1", "true"}:
            pytest.fail("the bpy module is not installed; `make test` installs bpy==5.0.1")
        pytest.skip("bpy is not installed")
    code = PRELUDE + textwrap.dedent(snippet)
    proc = subprocess.run(
        [python or sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )
    results = [
        line[len("MOODRIG_RESULT:") :]
        for line in proc.stdout.splitlines()
        if line.startswith("MOODRIG_RESULT:")
    ]
    if proc.returncode != 0 or not results:
        raise AssertionError(
            f"bpy snippet failed (exit {proc.returncode})\n"
            f"--- stdout ---\n{proc.stdout[-4000:]}\n"
            f"--- stderr ---\n{proc.stderr[-4000:]}"
        )
    return json.loads(results[-1])
