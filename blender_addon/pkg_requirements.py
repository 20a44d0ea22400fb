"""moodrig's runtime requirements (no bpy): one list, pyproject's [project].dependencies,
written into the add-on as requirements.txt by build_addon.py, and the module each provides."""

from __future__ import annotations

import re
from pathlib import Path

REQUIREMENTS_FILE = "requirements.txt"
"""Written into the add-on by build_addon.py from pyproject's [project].dependencies."""

IMPORT_NAMES = {
    "numpy": "numpy",
    "opencv-python-headless": "cv2",
    "torch": "torch",
    "safetensors": "safetensors",
    "pyyaml": "yaml",
    "tqdm": "tqdm",
}
"""Distribution name (normalised) → the module moodrig imports from it."""


def normalise(name: str) -> str:
    """PEP 503 name: lower case, runs of ``-_.`` become ``-``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if not match:
        raise ValueError(f"not a requirement: {requirement!r}")
    return normalise(match.group(1))


def parse_requirements(text: str) -> tuple[str, ...]:
    """One requirement a line; blank lines and ``#`` comments ignored."""
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return tuple(line for line in lines if line)


def requirements(package_dir: Path | None = None) -> tuple[str, ...]:
    """The runtime requirements: the add-on's requirements.txt (generated at build time), or
    pyproject.toml when running from the source tree."""
    package_dir = package_dir or Path(__file__).resolve().parent
    bundled = package_dir / REQUIREMENTS_FILE
    if bundled.is_file():
        return parse_requirements(bundled.read_text(encoding="utf-8"))
    pyproject = package_dir.parent / "pyproject.toml"
    if pyproject.is_file():
        import tomllib

        project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
        return tuple(project["dependencies"])
    raise FileNotFoundError(f"{bundled}: missing; rebuild the add-on with build_addon.py")
