"""Where moodrig's own files live, identically in the source tree and in the built add-on.

Source tree: ``core/`` and ``weights/`` are siblings at the repository root.
Built add-on: ``moodrig/core/`` and ``moodrig/weights/`` are siblings inside the package.
``MOODRIG_WEIGHTS_DIR`` overrides (tests, custom installs).
"""

from __future__ import annotations

import hashlib
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


_WINDOWS_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}


def safe_folder_name(name: str, fallback: str = "object") -> str:
    """A single path component derived from a user-chosen name (object, character).

    Keeps letters, digits, '-', '_' and '.', replaces everything else with '_', refuses '.'/'..',
    leading dots and Windows reserved device names, and limits the length, so the result can
    never climb out of (or point outside) the folder it is joined to.
    """
    cleaned = "".join(c if (c.isascii() and c.isalnum()) or c in "-_." else "_" for c in name)
    cleaned = cleaned.strip(". ") or fallback
    if cleaned.split(".")[0].upper() in _WINDOWS_RESERVED:
        cleaned = f"_{cleaned}"
    if cleaned != name or len(cleaned) > 65:
        # Two names that clean to the same text ('Face L', 'Face_L') must not share a folder;
        # an already-safe name comes back unchanged, so the function is idempotent.
        cleaned = f"{cleaned[:56]}-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:8]}"
    return cleaned


def contained_path(root: str | Path, *parts: str) -> Path:
    """``root / parts`` with each part made safe; raises ValueError if it still escapes ``root``."""
    base = Path(root).resolve()
    target = base.joinpath(*(safe_folder_name(p) for p in parts)).resolve()
    if target != base and base not in target.parents:
        raise ValueError(f"{target} lies outside {base}")
    return target
