"""Quitting Debian's Blender 3.4 with moodrig enabled and torch loaded: a clean exit (code 0)
and nothing printed by unregister. Blender 3.x's ``addon_utils.disable_all()`` reads every
module in ``sys.modules`` at quit: torch's namespace modules answered as enabled add-ons, and
multiprocessing's ``__mp_main__`` alias of a freed script namespace crashed it (exit 139)."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest
from components import require_component

pytestmark = pytest.mark.gui
REPO = Path(__file__).resolve().parent.parent

SCRIPT = r'''
import sys, addon_utils, bpy
zip_path, when = sys.argv[sys.argv.index("--") + 1:]
if when == "torch first":
    import torch
bpy.ops.preferences.addon_install(filepath=zip_path)
addon_utils.enable("moodrig", default_set=True)
import torch
torch.nn.Conv2d(3, 4, 3)(torch.rand(1, 3, 16, 16))  # torch really used, threads started
print("moodrig-test: leaving the script", flush=True)
'''


@pytest.mark.parametrize("when", ["torch first", "add-on first"])
def test_quit_with_torch_loaded_is_clean(tmp_path: Path, when: str) -> None:
    require_component(shutil.which("blender") is not None, "Debian's blender (`make system-deps`)")
    build = subprocess.run([sys.executable, str(REPO / "build_addon.py"), "--out", str(tmp_path / "dist")],
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    (zip_path,) = (tmp_path / "dist").glob("moodrig-*.zip")
    script = tmp_path / "script.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "BLENDER_USER_SCRIPTS": str(tmp_path / "scripts"),
           "BLENDER_USER_CONFIG": str(tmp_path / "config"), "OMP_NUM_THREADS": "1",
           # torch from moodrig's venv, as the add-on's dependency folder would provide it
           "PYTHONPATH": site.getsitepackages()[0]}
    proc = subprocess.run(["blender", "-b", "--factory-startup", "--python", str(script), "--",
                           str(zip_path), when],
                          capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    output = proc.stdout + proc.stderr
    assert "moodrig-test: leaving the script" in output, output[-3000:]
    assert "Exception in module unregister" not in output, output[-3000:]
    assert proc.returncode == 0, f"exit {proc.returncode}\n{output[-3000:]}"
