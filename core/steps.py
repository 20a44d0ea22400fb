"""Stepwise jobs: generators that yield a step value between units of work and return a result.

A modal operator pulls one step per timer tick (the UI stays responsive; closing the generator
cancels between steps); :func:`drive` runs one to the end headless. ``core.appearance`` (texture
batches) and ``core.pipeline`` (the bake) are written this way.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TypeVar

S = TypeVar("S")
T = TypeVar("T")
U = TypeVar("U")


def map_steps(steps: Generator[S, None, T], step: Callable[[S], U]) -> Generator[U, None, T]:
    """Re-yield each of ``steps``' values as ``step(value)``; return ``steps``' result. Closing
    the mapped generator, or an exception from ``step``, closes ``steps``."""
    try:
        while True:
            yield step(next(steps))
    except StopIteration as stop:
        result: T = stop.value
        return result
    finally:
        steps.close()


def drive(
    steps: Generator[S, None, T],
    progress: Callable[[S], object] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> T:
    """Run a stepwise job to the end: ``progress(step)`` after each step, then ``cancelled()``
    (True closes the job and raises InterruptedError); returns the job's result."""

    def watch(value: S) -> None:
        if progress is not None:
            progress(value)
        if cancelled is not None and cancelled():
            raise InterruptedError("bake cancelled")

    mapped = map_steps(steps, watch)
    try:
        while True:
            next(mapped)
    except StopIteration as stop:
        result: T = stop.value
        return result
