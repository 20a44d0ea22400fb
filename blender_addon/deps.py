"""Runtime dependencies (torch, numpy, OpenCV, safetensors) for a Blender that lacks them.

They are installed with Blender's own Python into a folder that belongs to the add-on (the
extension's user folder on 4.2+, a ``moodrig_deps`` folder in the user's scripts otherwise),
never into Blender's installation, and that folder is put on ``sys.path`` at registration.
On Blender 4.2+ the installer refuses to run while "Allow Online Access" is off.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import bpy

REQUIREMENTS = ("numpy>=1.24,<2", "opencv-python-headless>=4.8", "safetensors>=0.4", "pyyaml>=6.0", "torch>=2.1")
MODULES = {"numpy": "numpy", "cv2": "opencv-python-headless", "torch": "torch", "safetensors": "safetensors", "yaml": "pyyaml"}


def deps_folder(create: bool = False) -> Path:
    package = __package__ or "moodrig"
    if bpy.app.version >= (4, 2, 0) and package.startswith("bl_ext."):
        return Path(bpy.utils.extension_path_user(package, path="site-packages", create=create))
    return Path(bpy.utils.user_resource("SCRIPTS", path="moodrig_deps", create=create))


def add_to_path() -> None:
    folder = deps_folder()
    if folder.is_dir() and str(folder) not in sys.path:
        sys.path.append(str(folder))


def status() -> dict[str, bool]:
    """Importable or not, per module (without importing heavy modules)."""
    return {module: importlib.util.find_spec(module) is not None for module in MODULES}


def online_access_allowed() -> bool:
    return bool(getattr(bpy.app, "online_access", True))


def install_command(target: Path, requirements: tuple[str, ...] = REQUIREMENTS) -> list[str]:
    """pip, run by Blender's own Python, into the add-on's folder. The torch CPU wheel index is
    not forced: pip picks the right build for the platform."""
    return [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
            "--target", str(target), "--upgrade", *requirements]


def start_install() -> subprocess.Popen[str]:
    if not online_access_allowed():
        raise PermissionError("Online access is disabled in Blender's preferences (System → Network)")
    target = deps_folder(create=True)
    subprocess.run([sys.executable, "-m", "ensurepip"], capture_output=True, check=False)
    return subprocess.Popen(install_command(target), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
