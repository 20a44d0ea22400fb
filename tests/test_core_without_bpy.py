"""core/ never needs Blender: every module imports in a Python where ``bpy`` cannot be imported."""

from __future__ import annotations

import subprocess
import sys

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
    proc = subprocess.run([sys.executable, "-c", SNIPPET], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.split()
    count, names = int(lines[0]), lines[1:]
    assert count == len(names) >= 8
    assert "moodrig.core.painter" in names and "moodrig.core.weights" in names


def test_importing_the_package_does_not_import_bpy() -> None:
    code = "import sys, moodrig, moodrig.core; assert 'bpy' not in sys.modules; print(moodrig.bl_info['name'])"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "moodrig"
