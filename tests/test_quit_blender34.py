"""Quitting Debian's Blender 3.4 with moodrig enabled and torch loaded: a clean exit (code 0)
and nothing printed by unregister. Blender 3.x's ``addon_utils.disable_all()`` reads every
module in ``sys.modules`` at quit: torch's namespace modules answered as enabled add-ons, and
multiprocessing's ``__mp_main__`` alias of a freed script namespace crashed it (exit 139)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from addon_builds import blender34_env, build_zip

pytestmark = pytest.mark.gui

SCRIPT = r"""
import sys, addon_utils, bpy
zip_path, when = sys.argv[sys.argv.index("--") + 1:]
if when == "torch first":
    import torch
bpy.ops.preferences.addon_install(filepath=zip_path)
addon_utils.enable("moodrig", default_set=True)
import torch
torch.nn.Conv2d(3, 4, 3)(torch.rand(1, 3, 16, 16))  # torch really used, threads started
print("moodrig-test: leaving the script", flush=True)
"""


@pytest.mark.parametrize("when", ["torch first", "add-on first"])
def test_quit_with_torch_loaded_is_clean(tmp_path: Path, when: str) -> None:
    env = blender34_env(tmp_path)
    zip_path = build_zip(tmp_path / "dist")
    script = tmp_path / "script.py"
    script.write_text(SCRIPT)
    proc = subprocess.run(
        ["blender", "-b", "--factory-startup", "--python", str(script), "--", str(zip_path), when],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    output = proc.stdout + proc.stderr
    assert "moodrig-test: leaving the script" in output, output[-3000:]
    assert "Exception in module unregister" not in output, output[-3000:]
    assert proc.returncode == 0, f"exit {proc.returncode}\n{output[-3000:]}"
