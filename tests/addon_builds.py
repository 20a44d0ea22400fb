"""The linux-x64 platform build of the add-on, made offline from the test wheelhouse, for the
tests that install it (every bpy version, Debian's Blender 3.4 without network)."""

from __future__ import annotations

import sys
from pathlib import Path

from components import require_component

REPO = Path(__file__).resolve().parent.parent
TEST_WHEELHOUSE = REPO / "build" / "wheelhouse-linux-x64-cpu"
"""Made by `make test-wheelhouse` (wheelhouse.py, linux-x64, the CPU torch)."""


def require_wheelhouse() -> Path:
    require_component((TEST_WHEELHOUSE / ".moodrig-complete").is_file(),
                      f"the test wheelhouse {TEST_WHEELHOUSE} (`make test-wheelhouse`)")
    return TEST_WHEELHOUSE


def build_platform_zip(out: Path) -> Path:
    """``moodrig-<version>-linux-x64.zip`` from this tree, its wheels from the wheelhouse."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    import build_addon

    return build_addon.build(REPO, out, "linux-x64", require_wheelhouse())
