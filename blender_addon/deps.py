"""Runtime dependencies (torch, numpy, OpenCV, safetensors, PyYAML) for a Blender that lacks
them.

They are installed with Blender's own Python into a folder that belongs to the add-on (the
extension's user folder on 4.2+, a ``moodrig_deps`` folder in the user's scripts otherwise),
never into Blender's installation, and that folder is put on ``sys.path`` at registration.
pip runs in a subprocess polled from a ``bpy.app.timers`` callback, so Blender stays
responsive; the logic (builds, commands, progress, failures) is in :mod:`.installer`. On
Blender 4.2+ the online install refuses to run while "Allow Online Access" is off; installing
from a folder of wheels needs no network.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from pathlib import Path

import bpy

from . import installer, pkg_requirements, torch_builds

REQUIREMENTS = pkg_requirements.requirements()
MODULES = {
    pkg_requirements.IMPORT_NAMES[
        pkg_requirements.requirement_name(r)
    ]: pkg_requirements.requirement_name(r)
    for r in REQUIREMENTS
}
"""Module moodrig imports → the distribution that provides it (from :data:`REQUIREMENTS`)."""

POLL_SECONDS = 0.2
_job: dict[str, installer.Installer | None] = {"installer": None}
_detected: dict[str, torch_builds.Recommendation | None] = {"gpu": None}
_shown: dict[str, tuple[int, str] | None] = {"progress": None}


def deps_folder(create: bool = False) -> Path:
    package = __package__ or "moodrig"
    if bpy.app.version >= (4, 2, 0) and package.startswith("bl_ext."):
        return Path(bpy.utils.extension_path_user(package, path="site-packages", create=create))
    return Path(bpy.utils.user_resource("SCRIPTS", path="moodrig_deps", create=create))


def log_path() -> Path:
    folder = deps_folder()
    return folder.parent / f"{folder.name}-install.log"


def add_to_path() -> None:
    folder = deps_folder()
    if folder.is_dir() and str(folder) not in sys.path:
        sys.path.append(str(folder))
    importlib.invalidate_caches()


def status() -> dict[str, bool]:
    """Importable or not, per module (without importing heavy modules)."""
    return {module: importlib.util.find_spec(module) is not None for module in MODULES}


def missing_requirements() -> tuple[str, ...]:
    ok = status()
    return tuple(
        r
        for r in REQUIREMENTS
        if not ok[pkg_requirements.IMPORT_NAMES[pkg_requirements.requirement_name(r)]]
    )


def online_access_allowed() -> bool:
    return bool(getattr(bpy.app, "online_access", True))


def blender_python() -> Path:
    """Blender's own interpreter (``bpy.app.binary_path_python`` is gone since 2.92, and
    ``sys.executable`` may name another Python found on PATH): see
    :func:`installer.own_interpreter`."""
    legacy = getattr(bpy.app, "binary_path_python", "")
    return installer.own_interpreter(legacy or sys.executable, sys.prefix, sys.version_info[:2])


# --- GPU detection, off the UI thread ------------------------------------------------------


def recommendation() -> torch_builds.Recommendation | None:
    """The build suggested for this computer; None while the probe runs."""
    return _detected["gpu"]


def start_detection() -> None:
    if _detected["gpu"] is not None:
        return

    def probe() -> None:
        try:
            _detected["gpu"] = torch_builds.detect()
        except Exception as exc:  # a broken driver must not break the preferences
            _detected["gpu"] = torch_builds.Recommendation(
                torch_builds.default_build(), f"GPU detection failed: {exc}"
            )

    threading.Thread(target=probe, daemon=True).start()


# --- The running install -------------------------------------------------------------------


def current() -> installer.Installer | None:
    """The install running now, or the last one (for its result and log)."""
    return _job["installer"]


def running() -> bool:
    job = _job["installer"]
    return job is not None and job.state == "running"


def start_install(torch_build: str, folder: Path | None = None) -> installer.Installer:
    """Start installing what is missing: online (the chosen PyTorch build's index, then the
    default index) or from ``folder`` (a wheelhouse, no network). Returns at once."""
    if running():
        raise RuntimeError("An install is already running")
    if folder is None and not online_access_allowed():
        raise PermissionError(
            "Online access is disabled in Blender's preferences (System → "
            "Network); allow it, or Install from Folder"
        )
    if folder is not None and not folder.is_dir():
        raise FileNotFoundError(f"{folder}: not a folder of wheels")
    missing = missing_requirements()
    if not missing:
        raise RuntimeError("All dependencies are installed already")
    target = deps_folder(create=False)
    staging = target.parent / f"{target.name}.partial"
    steps = installer.plan(
        blender_python(),
        staging,
        missing,
        torch_build=torch_builds.build(torch_build),
        folder=folder,
    )
    job = installer.Installer(steps, staging, target, log_path())
    _job["installer"] = job
    bpy.app.timers.register(_tick, first_interval=POLL_SECONDS, persistent=True)
    return job


def cancel_install() -> bool:
    job = _job["installer"]
    if job is None or job.state != "running":
        return False
    job.cancel()
    _redraw({"PREFERENCES", "VIEW_3D"})
    return True


def _tick() -> float | None:
    job = _job["installer"]
    if job is None:
        return None
    still = job.poll()
    if not still:
        if job.state == "done":
            add_to_path()
        print(f"moodrig: dependency install {job.state}: {job.message} (log: {job.log_path})")
        _redraw({"PREFERENCES", "VIEW_3D"})  # the sidebar's dependency notice changes too
        return None
    shown = (round(100 * job.fraction), job.activity)
    if shown != _shown["progress"]:  # redraw the preferences only when the line changes
        _shown["progress"] = shown
        _redraw({"PREFERENCES"})
    return POLL_SECONDS


def _redraw(area_types: set[str]) -> None:
    wm = getattr(bpy.context, "window_manager", None)
    for window in getattr(wm, "windows", ()):
        for area in window.screen.areas:
            if area.type in area_types:
                area.tag_redraw()


def stop() -> None:
    """At unregister: end a running install (its staging folder is removed)."""
    cancel_install()
    if bpy.app.timers.is_registered(_tick):
        bpy.app.timers.unregister(_tick)
