"""Functions the child-process tests run (importable by name in the child)."""

from __future__ import annotations

import time
from typing import Any

from moodrig.core.errors import InputError


def count(n: int, delay: float, report: Any) -> int:
    for i in range(1, n + 1):
        time.sleep(delay)
        print(f"step {i}")  # prints must not disturb the message pipe
        report(i)
    return n


def bad_input(report: Any) -> None:
    raise InputError("clip.mp4", "no face found in any of its 3 frame(s)")


def missing_module(report: Any) -> None:
    import moodrig_no_such_module  # type: ignore[import-not-found]  # noqa: F401


def bug(report: Any) -> None:
    raise ZeroDivisionError("division by zero")


def silent_exit(report: Any) -> None:
    import os

    os._exit(3)
