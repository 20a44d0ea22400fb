"""pip's output read as it runs (how far, which package) and, after a failure, told in one
sentence that says what to do (no bpy)."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .pkg_requirements import requirement_name

_SIZE = re.compile(r"\(([\d.]+\s*[kMG]?B)\)")


def _file_package(token: str) -> str:
    name = token.rstrip("/").rsplit("/", 1)[-1].split("#", 1)[0]
    return requirement_name(name.split("-", 1)[0]) if name else ""


@dataclass
class PipProgress:
    """pip's output, line by line, read into how far it is (0–1) and what it is fetching."""

    fraction: float = 0.0
    activity: str = ""
    """'Downloading torch (191.8 MB)', 'Installing numpy, torch'."""
    known: set[str] = field(default_factory=set)
    downloads: int = 0
    file_fraction: float = 0.0

    def feed(self, line: str) -> None:
        text = line.strip()
        if text.startswith(("Collecting ", "Processing ")):
            token = text.split()[1]
            name = (
                _file_package(token)
                if text.startswith("Processing") or "/" in token
                else requirement_name(token)
            )
            self.known.add(name)
            self.activity = f"Resolving {name}"
            self._advance(0.1 * (1.0 - 0.5 ** len(self.known)))
        elif text.startswith(("Downloading ", "Using cached ")):
            token = text.split()[2] if text.startswith("Using") else text.split()[1]
            if token.endswith(".metadata"):
                return
            name = _file_package(token)
            self.known.add(name)
            self.downloads += 1
            self.file_fraction = 0.0
            size = _SIZE.search(text)
            self.activity = f"Downloading {name}" + (f" ({size.group(1)})" if size else "")
            self._download_fraction()
        elif text.startswith("Progress ") and " of " in text:
            parts = text.split()
            try:
                current, total = int(parts[1]), int(parts[3])
            except (IndexError, ValueError):
                return
            self.file_fraction = current / total if total > 0 else 0.0
            self._download_fraction()
        elif text.startswith("Installing collected packages:"):
            names = text.split(":", 1)[1].strip()
            self.activity = (
                f"Installing {names}"
                if len(names) < 60
                else f"Installing {len(names.split(','))} packages"
            )
            self._advance(0.85)
        elif text.startswith("Successfully installed"):
            self.activity = "Installed"
            self._advance(1.0)

    def _download_fraction(self) -> None:
        done = self.downloads - 1 + self.file_fraction
        self._advance(0.1 + 0.75 * done / max(len(self.known), self.downloads))

    def _advance(self, value: float) -> None:
        self.fraction = max(self.fraction, min(value, 1.0))


PIP_MISSING = (
    "Blender's Python has no pip and could not install it (ensurepip failed); "
    "install pip for that Python, or install from a folder with another Blender"
)
_NETWORK = (
    "ProxyError",
    "NewConnectionError",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
    "Could not fetch URL",
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "Connection refused",
    "nodename nor servname",
)


def explain_failure(lines: Iterable[str], *, folder: Path | None = None) -> str:
    """pip's output after a failure → one sentence that says what to do."""
    text = "\n".join(lines)
    missing = re.search(r"No matching distribution found for ([^\s]+)", text)
    package = requirement_name(missing.group(1)) if missing else None
    if folder is None and any(marker in text for marker in _NETWORK):
        return (
            "No network: pip could not reach the package index. Install from a folder "
            "instead (Install from Folder…, a wheelhouse made with `make wheelhouse`), or "
            "check the proxy settings"
        )
    if "No space left on device" in text:
        return "The disk is full: free some space and install again"
    if "Permission denied" in text or "Access is denied" in text:
        return "moodrig may not write its dependency folder (permission denied); see the log"
    if "do not match the hashes" in text.lower():
        return "A downloaded file was damaged (hash mismatch): install again"
    if package and folder is not None:
        return (
            f"The folder has no {package} wheel for this platform and Python "
            f"{sys.version_info[0]}.{sys.version_info[1]}: make it with `make wheelhouse "
            f"PLATFORM=...` for this computer"
        )
    if package:
        return (
            f"No matching wheel for this platform: pip found no {package} build for Python "
            f"{sys.version_info[0]}.{sys.version_info[1]} here; try another build or a "
            f"wheelhouse folder"
        )
    errors = [line.strip() for line in text.splitlines() if line.strip().startswith("ERROR:")]
    last = errors[-1] if errors else (text.strip().splitlines() or ["no output"])[-1]
    return f"pip failed: {last[:160]}"
