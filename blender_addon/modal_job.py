"""Long operations as modal operators over a child process, so Blender never freezes.

An operator that mixes in :class:`ModalJob` reads its inputs out of the scene in ``invoke``,
starts a :class:`~moodrig.core.background.ProcessJob` (:func:`start_child`) that computes
without touching Blender data, and returns ``start_job(...)``. A 0.05 s window timer then polls the job: each
tick only copies its latest progress into the panel (:data:`RUNNING`), the status bar and the
cursor's progress, so no tick takes more than a fraction of a millisecond. When the job ends,
``job_finished`` writes its result into the scene on the main thread. Esc cancels: the child
is stopped and nothing in the scene changes.
"""

from __future__ import annotations

import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .core.errors import MoodrigError

POLL_S = 0.05
"""Seconds between two looks at the running job."""


@dataclass
class JobStatus:
    """What a running job shows in the panel."""

    text: str
    fraction: float
    """Progress in [0, 1]."""


RUNNING: dict[str, JobStatus] = {}
"""Operator idname → its running job's progress (the panels draw it)."""


def report_error(op: Any, exc: BaseException) -> set[str]:
    """An exception as one line for the user (a traceback on the console when unexpected)."""
    if isinstance(exc, ImportError) and exc.name:
        op.report({"ERROR"}, f"moodrig needs '{exc.name}': Preferences → Add-ons → moodrig → "
                             "Install Dependencies")
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
    """Redraw the sidebars (the panels show the progress) and the status bar."""
    screen = context.screen
    if screen is None:
        return
    for area in screen.areas:
        if area.type in {"VIEW_3D", "STATUSBAR"}:
            area.tag_redraw()


class ModalJob:
    """Mixin for a ``bpy.types.Operator`` whose work runs on a worker thread (see the module
    docs). Subclasses set ``job_label`` and implement ``job_finished``; ``describe`` turns
    the job's progress value into (text, fraction), ``job_cancelled`` tidies up after Esc."""

    job_label = "Working"
    """Shown before the progress ("Analysing 40 %")."""
    _job: Any = None
    _timer: Any = None

    def describe(self, progress: Any) -> tuple[str, float]:
        """(text, fraction) of a progress value; a ``Progress`` by default."""
        if progress is None:
            return self.job_label, 0.0
        return f"{self.job_label}: {progress.stage}", float(progress.fraction)

    def job_finished(self, context: Any, result: Any) -> set[str]:
        raise NotImplementedError

    def job_cancelled(self, context: Any) -> None:
        """Called on the main thread after Esc (nothing to undo: the scene was not touched)."""

    def job_progress(self, context: Any, progress: Any) -> None:
        """Called on the main thread with the job's latest progress, each tick."""

    def start_job(self, context: Any, job: Any) -> set[str]:
        self._job = job
        wm = context.window_manager
        self._timer = wm.event_timer_add(POLL_S, window=context.window)
        wm.modal_handler_add(self)
        wm.progress_begin(0, 100)
        self._show(context, self.job_label, 0.0)
        return {"RUNNING_MODAL"}

    def _show(self, context: Any, text: str, fraction: float) -> None:
        RUNNING[self.bl_idname] = JobStatus(text, fraction)  # type: ignore[attr-defined]
        context.window_manager.progress_update(int(fraction * 100))
        context.workspace.status_text_set(f"moodrig: {text} ({fraction:.0%}) - Esc to cancel")
        redraw(context)

    def _end(self, context: Any) -> None:
        RUNNING.pop(self.bl_idname, None)  # type: ignore[attr-defined]
        wm = context.window_manager
        if self._timer is not None:
            wm.event_timer_remove(self._timer)
            self._timer = None
        wm.progress_end()
        if context.workspace is not None:
            context.workspace.status_text_set(None)
        redraw(context)

    def modal(self, context: Any, event: Any) -> set[str]:
        job = self._job
        if event.type == "ESC":
            job.cancel()
            self._end(context)
            self.job_cancelled(context)
            self.report({"WARNING"}, f"moodrig: {self.job_label.lower()} cancelled, "  # type: ignore[attr-defined]
                                     "the scene is unchanged")
            return {"CANCELLED"}
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        if not job.done:
            progress = job.progress
            self.job_progress(context, progress)
            self._show(context, *self.describe(progress))
            return {"RUNNING_MODAL"}
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
        RUNNING.pop(self.bl_idname, None)  # type: ignore[attr-defined]
