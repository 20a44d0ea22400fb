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

PRELUDE = """
import json, sys
def report(obj):
    print("MOODRIG_RESULT:" + json.dumps(obj), flush=True)
"""


def bpy_available() -> bool:
    try:
        import importlib.util

        return importlib.util.find_spec("bpy") is not None
    except ValueError:
        return False


def run_bpy(snippet: str, *, env: dict[str, str] | None = None, timeout: float = 300, cwd: Path | None = None) -> Any:
    if not bpy_available():
        if os.environ.get("CI", "").lower() in {"1", "true"}:
            pytest.fail("the bpy module is not installed; `make test` installs bpy==5.0.1")
        pytest.skip("bpy is not installed")
    code = PRELUDE + textwrap.dedent(snippet)
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout,
        env={**os.environ, **(env or {})}, cwd=cwd,
    )
    results = [line[len("MOODRIG_RESULT:"):] for line in proc.stdout.splitlines() if line.startswith("MOODRIG_RESULT:")]
    if proc.returncode != 0 or not results:
        raise AssertionError(
            f"bpy snippet failed (exit {proc.returncode})\n--- stdout ---\n{proc.stdout[-4000:]}\n--- stderr ---\n{proc.stderr[-4000:]}"
        )
    return json.loads(results[-1])
