"""Registers the add-on's modules in a fixed order and unregisters them in reverse."""

from __future__ import annotations

import sys
from types import ModuleType

from . import (
    bone_map_ui,
    face_region,
    face_region_view,
    operators,
    panels,
    preferences,
    properties,
    shape_key_operators,
)

MODULES: tuple[ModuleType, ...] = (
    preferences,
    properties,
    operators,
    shape_key_operators,
    face_region,
    face_region_view,
    panels,
    bone_map_ui,
)
_ALIAS = "moodrig"
_ANSWER_ANY_ATTRIBUTE = ("torch.ops", "torch.classes")
"""Modules of torch that create any attribute asked for, ``__addon_enabled__`` included."""


def prepare_for_quit() -> None:
    """Let Blender 3.x quit cleanly once moodrig has imported torch.

    At quit, 3.x's ``addon_utils.disable_all()`` reads ``__addon_enabled__`` from every module
    in ``sys.modules`` and calls ``unregister()`` where it is true:

    * ``torch.ops`` and ``torch.classes`` answer any attribute with a namespace object, so it
      printed "Exception in module unregister(): '_OpNamespace' object is not callable". A
      real ``False`` makes it skip them. moodrig is disabled before them (it imports torch
      after it registers), so doing this at unregister is in time; at register it covers a
      torch that something else imported first.
    * ``multiprocessing`` (imported by torch) aliases ``__main__`` as ``__mp_main__``; in
      Blender that ``__main__`` is a script namespace Blender frees, and reading the stale
      alias at quit crashed Blender (exit 139). Importing ``multiprocessing`` here and giving
      the alias a module of its own keeps it valid (only child processes of the spawn start
      method use it, and they set their own).
    """
    for name in _ANSWER_ANY_ATTRIBUTE:
        module = sys.modules.get(name)
        if module is not None and module.__dict__.get("__addon_enabled__") is not False:
            module.__addon_enabled__ = False  # type: ignore[attr-defined]
    import multiprocessing  # noqa: F401 (sets the alias now, never again later)

    alias = sys.modules.get("__mp_main__")
    if alias is None or alias.__name__ != "__mp_main__":
        sys.modules["__mp_main__"] = ModuleType("__mp_main__")


def register() -> None:
    prepare_for_quit()
    for module in MODULES:
        module.register()  # type: ignore[attr-defined]
    # Installed as an extension the package is ``bl_ext.<repo>.moodrig``; scripts written against
    # ``import moodrig`` (the documented API) keep working through this alias.
    package = sys.modules[__package__ or _ALIAS]
    if __package__ != _ALIAS and _ALIAS not in sys.modules:
        sys.modules[_ALIAS] = package


def unregister() -> None:
    prepare_for_quit()
    for module in reversed(MODULES):
        module.unregister()  # type: ignore[attr-defined]
    if __package__ != _ALIAS and sys.modules.get(_ALIAS) is sys.modules.get(__package__ or ""):
        del sys.modules[_ALIAS]
