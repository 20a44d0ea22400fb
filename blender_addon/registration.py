"""Registers the add-on's modules in a fixed order and unregisters them in reverse."""

from __future__ import annotations

import sys
from types import ModuleType

from . import bone_map_ui, operators, panels, preferences, properties, shape_key_operators

MODULES: tuple[ModuleType, ...] = (preferences, properties, operators, shape_key_operators, panels,
                                   bone_map_ui)
_ALIAS = "moodrig"


def register() -> None:
    for module in MODULES:
        module.register()  # type: ignore[attr-defined]
    # Installed as an extension the package is ``bl_ext.<repo>.moodrig``; scripts written against
    # ``import moodrig`` (the documented API) keep working through this alias.
    package = sys.modules[__package__ or _ALIAS]
    if __package__ != _ALIAS and _ALIAS not in sys.modules:
        sys.modules[_ALIAS] = package


def unregister() -> None:
    for module in reversed(MODULES):
        module.unregister()  # type: ignore[attr-defined]
    if __package__ != _ALIAS and sys.modules.get(_ALIAS) is sys.modules.get(__package__ or ""):
        del sys.modules[_ALIAS]
