"""core/ never needs Blender: every module imports in a Python where ``bpy`` cannot be imported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parent.parent / "core"

SNIPPET = r"""
import importlib, pkgutil, sys
class BlockBlender:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in {'bpy', 'mathutils', 'bpy_extras', 'bmesh'}:
            raise ImportError(f'{name} is blocked: core must not import Blender modules')
        return None
sys.meta_path.insert(0, BlockBlender())
import moodrig.core as core
names = []
for info in pkgutil.walk_packages(core.__path__, 'moodrig.core.'):
    if info.name.endswith('__main__'):
        continue
    importlib.import_module(info.name)
    names.append(info.name)
assert not any(m.split('.')[0] == 'bpy' for m in sys.modules), 'bpy got imported'
print(len(names))
print('\n'.join(names))
"""


def test_every_core_module_imports_without_bpy() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", SNIPPET], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.split()
    count, names = int(lines[0]), lines[1:]
    # Every module file of core/ (walk_packages skips none: a package it failed to enter would
    # leave its modules out), not just a few.
    files = {
        ".".join(("moodrig.core", *p.relative_to(CORE).with_suffix("").parts))
        for p in CORE.rglob("*.py")
        if "__pycache__" not in p.parts
    }
    expected = {m.removesuffix(".__init__") for m in files if not m.endswith("__main__")}
    assert count == len(names) and set(names) == expected - {"moodrig.core"}


def test_importing_the_package_does_not_import_bpy() -> None:
    code = (
        "import sys, moodrig, moodrig.core; assert 'bpy' not in sys.modules; "
        "print(moodrig.bl_info['name'])"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "moodrig"
