"""The error family that reaches users.

Every message names the file (or object) and the problem, and where possible the fix.
Operators catch :class:`MoodrigError` and report its text; anything else is a bug.
"""

from __future__ import annotations

from pathlib import Path


class MoodrigError(Exception):
    """Base class: a problem the user can act on."""


class InputError(MoodrigError):
    """An image, video or other input that cannot be used."""

    def __init__(self, path: str | Path | None, problem: str) -> None:
        self.path = None if path is None else str(path)
        self.problem = problem
        where = f"{self.path}: " if self.path else ""
        super().__init__(f"{where}{problem}")


class OutputError(MoodrigError):
    """An output path that cannot be written, is of the wrong kind, or holds something the user
    made that moodrig must not replace."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class WeightsError(MoodrigError):
    """Missing, tampered, truncated or incompatible model weights."""

    def __init__(self, path: str | Path, problem: str, fix: str) -> None:
        self.path = str(path)
        self.problem = problem
        self.fix = fix
        super().__init__(f"{self.path}: {problem}. {fix}")


class DefinitionError(MoodrigError):
    """An invalid behavior definition file; names the file, the path inside it and the fix."""

    def __init__(self, path: str | Path | None, where: str, problem: str, fix: str = "") -> None:
        self.path = None if path is None else str(path)
        self.where = where
        self.problem = problem
        self.fix = fix
        file_part = self.path or "<definition>"
        loc = f" at {where}" if where else ""
        tail = f" Fix: {fix}" if fix else ""
        super().__init__(f"{file_part}{loc}: {problem}.{tail}")
