"""Long operations as modal operators over a child process, so Blender never freezes.

An operator that mixes in :class:`ModalJob` reads its inputs out of the scene in ``invoke``,
starts a :class:`~moodrig.core.background.ProcessJob` (:func:`start_child`) that computes
without touching Blender data, and returns ``start_job(...)``. A 0.05 s application timer then
polls the job: each tick only copies its latest progress into the panel (:data:`RUNNING`) and
the status bar, so no tick takes more than a millisecond or two. When the job ends, the
operator wakes and ``job_finished`` writes its result into the scene on the main thread. Esc
cancels: the child is stopped and nothing in the scene changes.
"""

from __future__ import annotations

import functools
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bpy

from .core.errors import MoodrigError

POLL_S = 0.05
"""Seconds between two looks at the running job."""
STATUS_S = 0.25
"""Seconds at least between two updates of the status bar for the job's progress."""
PANEL_S = 1.0
"""Seconds at least between two redraws of the panels for the job's progress."""


@dataclass
class JobStatus:
    """What a running job shows in the panel."""

    text: str
    fraction: float
    """Progress in [0, 1]."""


RUNNING: dict[str, JobStatus] = {}
"""Operator idname ("moodrig.analyze_source") → its running job's progress (the panels draw
it)."""


def idname(cls: type) -> str:
    """The ``bpy.ops`` name of an operator class (Blender rewrites ``bl_idname`` on registered
    classes to its own "MOODRIG_OT_..." form)."""
    prefix, _, name = cls.__name__.partition("_OT_")
    return f"{prefix.lower()}.{name}"


def report_error(op: Any, exc: BaseException) -> set[str]:
    """An exception as one line for the user (a traceback on the console when unexpected)."""
    if isinstance(exc, ImportError) and exc.name:
        op.report(
            {"ERROR"},
            f"moodrig needs '{exc.name}': Preferences → Add-ons → moodrig → Install Dependencies",
        )
    elif isinstance(exc, MoodrigError):
        op.report({"ERROR"}, str(exc))
    else:
        traceback.print_exception(type(exc), exc, exc.__traceback__)
        op.report({"ERROR"}, f"moodrig: unexpected error: {exc}")
    return {"CANCELLED"}


def start_child(module: str, function: str, *args: Any) -> Any:
    """``moodrig.core.<module>.<function>(*args, report=...)`` in a child process started with
    Blender's own Python and this process's ``sys.path`` (moodrig and its dependencies)."""
    from . import deps
    from .core.background import ProcessJob

    try:
        python = str(deps.blender_python())
    except FileNotFoundError:
        python = sys.executable
    here = Path(__file__).resolve().parent
    if (here / "core").is_dir():
        # Installed (add-on or extension, whatever Blender calls the package): the child
        # imports the folder by its own name from its parent folder.
        name, path = here.name, [str(here.parent), *sys.path]
    else:  # a development checkout, where moodrig is an editable install
        name, path = "moodrig", list(sys.path)
    return ProcessJob(f"{name}.core.{module}", function, args, python=python, path=path)


def redraw(context: Any) -> None:
    """Redraw the sidebars (the panels show the progress), not the rest of the 3D views."""
    screen = context.screen
    if screen is None:
        return
    for area in screen.areas:
        if area.type == "VIEW_3D":
            for region in area.regions:
                if region.type == "UI":
                    region.tag_redraw()


class ModalJob:
    """Mixin for a ``bpy.types.Operator`` whose work is ``moodrig.core.<job_module>.
    <job_function>(*job_inputs(context))``: run here by ``execute`` (scripts, headless), in a
    child process by ``invoke`` (the UI; see the module docs). Subclasses name the function
    and implement ``job_inputs`` and ``job_finished``; ``describe`` turns the job's progress
    value into (text, fraction), ``job_cancelled`` tidies up after Esc."""

    job_label = "Working"
    """Shown before the progress ("Analysing 40 %")."""
    job_module = "addon_jobs"
    """Module of ``moodrig.core`` that holds the work."""
    job_function = ""
    """The work's function in ``job_module``."""
    _job: Any = None
    _timer: Any = None
    _window: Any = None
    _status_at = 0.0
    _status_text = ""
    _panel_at = 0.0

    def describe(self, progress: Any) -> tuple[str, float]:
        """(text, fraction) of a progress value; a ``Progress`` by default."""
        if progress is None:
            return self.job_label, 0.0
        return f"{self.job_label}: {progress.stage}", float(progress.fraction)

    def job_inputs(self, context: Any) -> tuple[Any, ...]:
        """The work's arguments, read out of the scene (plain values: they are pickled)."""
        raise NotImplementedError

    def job_finished(self, context: Any, result: Any) -> set[str]:
        """Write the work's result into the scene (main thread)."""
        raise NotImplementedError

    def execute(self, context: Any) -> set[str]:
        """Synchronous (scripts, headless): the work on this thread, then its result."""
        import importlib

        package = __package__ or "moodrig"
        try:
            module = importlib.import_module(f"{package}.core.{self.job_module}")
            work = getattr(module, self.job_function)
            return self.job_finished(context, work(*self.job_inputs(context)))
        except Exception as exc:
            return report_error(self, exc)

    def invoke(self, context: Any, event: Any) -> set[str]:
        """From the UI: the work in a child process, polled (in the background, as
        ``execute``)."""
        if bpy.app.background:
            return self.execute(context)
        if idname(type(self)) in RUNNING:
            report = self.report  # type: ignore[attr-defined]
            report({"WARNING"}, f"moodrig: {self.job_label.lower()} is already running")
            return {"CANCELLED"}
        try:
            job = start_child(self.job_module, self.job_function, *self.job_inputs(context))
        except Exception as exc:
            return report_error(self, exc)
        return self.start_job(context, job)

    def job_cancelled(self, context: Any) -> None:
        """Called on the main thread after Esc (nothing to undo: the scene was not touched)."""

    def job_progress(self, context: Any, progress: Any) -> None:
        """Called on the main thread with the job's latest progress, each tick."""

    def start_job(self, context: Any, job: Any) -> set[str]:
        self._job = job
        self._window = context.window
        context.window_manager.modal_handler_add(self)
        self._show(context, *self.describe(None))
        bpy.app.timers.register(functools.partial(_poll, self), first_interval=POLL_S)
        return {"RUNNING_MODAL"}

    def _show(self, context: Any, text: str, fraction: float) -> None:
        """Progress in the status bar (at most every ``STATUS_S``) and in the panel (at most
        every ``PANEL_S``), each only when its text changed: the window waits for every
        redraw, and with the sidebar over the 3D view (Blender's default) a sidebar redraw
        redraws the view under it too."""
        now = time.perf_counter()
        if text != self._status_text and now - self._status_at >= STATUS_S:
            self._status_text, self._status_at = text, now
            context.workspace.status_text_set(f"moodrig: {text} - Esc to cancel")
        key = idname(type(self))
        shown = RUNNING.get(key)
        if shown is None or (shown.text != text and now - self._panel_at >= PANEL_S):
            self._panel_at = now
            RUNNING[key] = JobStatus(text, fraction)
            redraw(context)

    def _end(self, context: Any) -> None:
        RUNNING.pop(idname(type(self)), None)
        wm = context.window_manager
        if self._timer is not None:
            wm.event_timer_remove(self._timer)
            self._timer = None
        if context.workspace is not None:
            context.workspace.status_text_set(None)
        redraw(context)

    def modal(self, context: Any, event: Any) -> set[str]:
        job = self._job
        if event.type == "ESC":
            job.cancel()
            self._end(context)
            self.job_cancelled(context)
            report = self.report  # type: ignore[attr-defined]
            report(
                {"WARNING"}, f"moodrig: {self.job_label.lower()} cancelled, the scene is unchanged"
            )
            return {"CANCELLED"}
        if event.type != "TIMER" or not job.done:
            return {"PASS_THROUGH"}
        self._end(context)
        try:
            result = job.result()
        except Exception as exc:
            return report_error(self, exc)
        return self.job_finished(context, result)

    def cancel(self, context: Any) -> None:
        """Blender drops the operator (a file was loaded, the window closed): stop the job."""
        if self._job is not None:
            self._job.cancel()
        RUNNING.pop(idname(type(self)), None)


def _poll(op: ModalJob) -> float | None:
    """The job's progress into the UI, from an application timer (not a window timer: each
    window timer event also redraws the region under the mouse, the sidebar the user just
    clicked, which can cost 0.1 s with software OpenGL); at the end one window timer event
    wakes the operator, which writes the result with its own context. None stops it."""
    try:
        job, window = op._job, op._window
        if job is None or job.cancelled:
            return None
        with bpy.context.temp_override(window=window):
            context = bpy.context
            if job.done:
                op._timer = context.window_manager.event_timer_add(0.0, window=window)
                return None
            progress = job.progress
            op.job_progress(context, progress)
            op._show(context, *op.describe(progress))
    except ReferenceError:  # the operator or its window is gone
        return None
    return POLL_S
