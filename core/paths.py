"""Where moodrig's own files live, identically in the source tree and in the built add-on.

Source tree: ``core/`` and ``weights/`` are siblings at the repository root.
Built add-on: ``moodrig/core/`` and ``moodrig/weights/`` are siblings inside the package.
``MOODRIG_WEIGHTS_DIR`` overrides (tests, custom installs).
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def weights_dir() -> Path:
    """Folder holding the shipped weights and their manifests."""
    override = os.environ.get("MOODRIG_WEIGHTS_DIR")
    return Path(override) if override else PACKAGE_ROOT / "weights"


def data_dir() -> Path:
    """Folder holding shipped data files (behavior library, sample face)."""
    return Path(__file__).resolve().parent / "data"
