"""The generated corpora under tests/data/bad/ are scripts, not a package: load one by name."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BAD = Path(__file__).resolve().parent / "data" / "bad"


def load_corpus(name: str) -> ModuleType:
    """``tests/data/bad/<name>.py`` as the module ``name`` (registered in ``sys.modules``, so
    its dataclasses and child processes can find it again)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BAD / f"{name}.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod
