"""The built zip installs into a clean Blender both ways, enables, works and disables."""

from __future__ import annotations

from pathlib import Path

import pytest
from bpy_runner import run_bpy

pytestmark = pytest.mark.blender


# The snippet runs from a neutral folder with no path to the source tree, so only the installed
# copy can be imported; BLENDER_USER_RESOURCES keeps the install out of the machine's profile.
EXTENSION = """
import bpy, addon_utils, sys
sys.path[:] = [p for p in sys.path if 'site-packages' in p or 'python3' in p or p.endswith('.zip')]
zip_path = {zip!r}
res = bpy.ops.extensions.package_install_files(filepath=zip_path, repo='user_default',
                                               enable_on_install=True)
mod_name = 'bl_ext.user_default.moodrig'
mod = sys.modules.get(mod_name)
enabled = mod_name in {{a.module for a in bpy.context.preferences.addons}}
origin = mod.__file__ if mod else None
op = bpy.ops.moodrig.add_demo_character(texture_size=64)
rig = bpy.data.objects.get('moodrig_DemoRig')
alias = sys.modules.get('moodrig') is mod
addon_utils.disable(mod_name, default_set=True)
still = hasattr(bpy.types, 'MOODRIG_OT_add_demo_character')
report(dict(res=list(res), enabled=enabled, origin=origin, op=list(op),
            bones=len(rig.data.bones) if rig else 0, alias=alias, still=still))
"""

LEGACY = """
import bpy, addon_utils, sys
zip_path = {zip!r}
res = bpy.ops.preferences.addon_install(filepath=zip_path)
addon_utils.enable('moodrig', default_set=True)
mod = sys.modules.get('moodrig')
origin = mod.__file__ if mod else None
op = bpy.ops.moodrig.add_demo_character(texture_size=64)
rig = bpy.data.objects.get('moodrig_DemoRig')
addon_utils.disable('moodrig', default_set=True)
still = hasattr(bpy.types, 'MOODRIG_OT_add_demo_character')
report(dict(res=list(res), origin=origin, op=list(op), bones=len(rig.data.bones) if rig else 0,
            still=still))
"""


def _clean_env(tmp_path: Path) -> dict[str, str]:
    return {"BLENDER_USER_RESOURCES": str(tmp_path / "user"), "PYTHONNOUSERSITE": "1"}


def test_install_as_extension(built_zip: Path, tmp_path: Path) -> None:
    r = run_bpy(EXTENSION.format(zip=str(built_zip)), env=_clean_env(tmp_path), cwd=tmp_path)
    assert r["res"] == ["FINISHED"] and r["enabled"]
    assert str(tmp_path / "user") in r["origin"]
    assert r["op"] == ["FINISHED"] and r["bones"] == 19
    assert r["alias"], "scripts must be able to `import moodrig` when installed as an extension"
    assert not r["still"]


def test_install_as_legacy_addon(built_zip: Path, tmp_path: Path) -> None:
    r = run_bpy(LEGACY.format(zip=str(built_zip)), env=_clean_env(tmp_path), cwd=tmp_path)
    assert r["res"] == ["FINISHED"]
    assert str(tmp_path / "user") in r["origin"], (
        "the installed copy, not the source tree, must be imported"
    )
    assert r["op"] == ["FINISHED"] and r["bones"] == 19
    assert not r["still"]
