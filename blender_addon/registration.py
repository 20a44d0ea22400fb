"""Registers the add-on's modules in a fixed order and unregisters them in reverse."""

from __future__ import annotations

import sys
from types import ModuleType

from . import operators, panels, preferences, properties

MODULES: tuple[ModuleType, ...] = (preferences, properties, operators, panels)
_ALIAS = "moodrig"
_ANSWER_ANY_ATTRIBUTE = ("torch.ops", "torch.classes")
"""Modules of torch that create any attribute asked for, ``__addon_enabled__`` included."""


def hide_torch_namespaces() -> None:
    """Keep Blender 3.x from taking ``torch.ops`` and ``torch.classes`` for enabled add-ons.

    At quit, 3.x's ``addon_utils.disable_all()`` calls ``unregister()`` on every module whose
    ``__addon_enabled__`` is true; these two answer any attribute with a namespace object, so
    it prints "Exception in module unregister(): '_OpNamespace' object is not callable". A
    real ``False`` makes it skip them. moodrig is disabled before them (it imports torch after
    it registers), so doing this at unregister is in time; at register it covers a torch that
    something else imported first.
    """
    for name in _ANSWER_ANY_ATTRIBUTE:
        module = sys.modules.get(name)
        if module is not None and module.__dict__.get("__addon_enabled__") is not False:
            module.__addon_enabled__ = False  # type: ignore[attr-defined]


def register() -> None:
    hide_torch_namespaces()
    for module in MODULES:
        module.register()  # type: ignore[attr-defined]
    # Installed as an extension the package is ``bl_ext.<repo>.moodrig``; scripts written against
    # ``import moodrig`` (the documented API) keep working through this alias.
    package = sys.modules[__package__ or _ALIAS]
    if __package__ != _ALIAS and _ALIAS not in sys.modules:
        sys.modules[_ALIAS] = package


def unregister() -> None:
    hide_torch_namespaces()
    for module in reversed(MODULES):
        module.unregister()  # type: ignore[attr-defined]
    if __package__ != _ALIAS and sys.modules.get(_ALIAS) is sys.modules.get(__package__ or ""):
        del sys.modules[_ALIAS]
