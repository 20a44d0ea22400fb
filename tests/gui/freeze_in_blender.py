"""Inside a real Blender window: Analyse a short video, cancel a second Analyse with Esc, bake
with no stored track (the analysis runs inside the bake), and Fine-tune on a small sheet, all
from the UI (the modal operators), while measuring how long the window's event loop is held.

Measures: every call into moodrig's code on the window's thread while a job runs (the
operators' ``invoke`` and ``modal``, the progress poll ``modal_job._poll``, the panels'
``draw``, each timed by wrapping it) and the gaps between the ticks of our own 0.05 s
``bpy.app.timers`` timer, which runs only when the event loop is free. Controls, with the
same timer: nothing running (``idle``); the sidebar redrawn as often as a job redraws it
(``idle_redraw``: what Blender's own drawing costs on this machine); the same analysis in a
child process with no operator (``child_analysis``). The viewport's progressive
anti-aliasing is off: with software OpenGL every redraw of the 3D view is followed by several
0.3–0.8 s re-renders of it, Blender's drawing, which would hide what moodrig does. The
pointer rests on the sidebar, where the user pressed the button. OUT holds ``clip.avi`` and
``sheet/`` (made by the test before Blender starts).

Usage: blender --factory-startup --window-geometry 0 0 W H --python THIS -- ZIP OUT_DIR
(moodrig's dependencies come from PYTHONPATH, as a user's dependency install would provide.)
"""

import hashlib
import itertools
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import bpy
import gui_steps as g

TICK_S = 0.05
ticks = []
calls = {}  # phase → durations of each call into moodrig's code on the window's thread (s)
phase = {"name": None}


def tick():
    if phase["name"] is not None:
        ticks.append((phase["name"], time.perf_counter()))
    return TICK_S


def timed(cls, method):
    original = getattr(cls, method)

    def wrapper(self, context, event):  # Blender passes as many arguments as are named
        t0 = time.perf_counter()
        try:
            return original(self, context, event)
        finally:
            calls.setdefault(str(phase["name"]), []).append(time.perf_counter() - t0)

    setattr(cls, method, wrapper)


view_draws = {}  # phase → redraws of the 3D view


def count_view_draw():
    view_draws[str(phase["name"])] = view_draws.get(str(phase["name"]), 0) + 1


def timed_draw(cls):
    original = cls.draw

    def draw(self, context):
        t0 = time.perf_counter()
        try:
            original(self, context)
        finally:
            calls.setdefault(str(phase["name"]), []).append(time.perf_counter() - t0)

    cls.draw = draw


def invoke(idname, **props):
    win, area, _ = g.view3d()
    region = next(r for r in area.regions if r.type == "WINDOW")
    module, name = idname.split(".")
    with bpy.context.temp_override(window=win, area=area, region=region):
        return list(getattr(getattr(bpy.ops, module), name)("INVOKE_DEFAULT", **props))


def running(idname):
    from moodrig.modal_job import RUNNING

    return idname in RUNNING


def track_digest():
    text = bpy.data.texts.get("moodrig_track")
    return None if text is None else hashlib.sha256(text.as_string().encode()).hexdigest()


def gaps(name):
    times = [t for n, t in ticks if n == name]
    return [b - a for a, b in itertools.pairwise(times)]


@g.step
def install():
    g.install_into_empty_scene(blend_name="gui_freeze.blend")
    bpy.context.scene.render.fps, bpy.context.scene.render.fps_base = 24, 1.0
    bpy.ops.moodrig.add_demo_character(texture_size=128)
    bpy.context.preferences.addons["moodrig"].preferences.device = "cpu"
    bpy.context.preferences.system.viewport_aa = "OFF"  # see the module docs
    for cls in (
        bpy.types.MOODRIG_OT_analyze_source,
        bpy.types.MOODRIG_OT_finetune,
        bpy.types.MOODRIG_OT_bake,
    ):
        timed(cls, "invoke")
        timed(cls, "modal")
    import moodrig.modal_job as modal_job
    import moodrig.panels as panels

    for cls in panels._classes:
        timed_draw(cls)
    poll = modal_job._poll

    def timed_poll(op):
        t0 = time.perf_counter()
        try:
            return poll(op)
        finally:
            calls.setdefault(str(phase["name"]), []).append(time.perf_counter() - t0)

    modal_job._poll = timed_poll
    bpy.types.SpaceView3D.draw_handler_add(count_view_draw, (), "WINDOW", "POST_PIXEL")
    bpy.app.timers.register(tick, first_interval=TICK_S, persistent=True)
    g.open_sidebar()


g.step(g.scan_tabs)


@g.step
def idle():
    """Control: the timer with nothing of moodrig's running, 3 s."""
    if phase["name"] != "idle":
        phase["name"] = "idle"
        g.state["t_idle"] = time.time()
    if time.time() - g.state["t_idle"] < 3.0:
        return 0.2
    phase["name"] = "idle_redraw"
    g.state["t_idle"] = time.time()
    bpy.app.timers.register(redraw_sidebar, first_interval=0.05)


def redraw_sidebar():
    from moodrig.modal_job import PANEL_S, redraw

    if phase["name"] != "idle_redraw":
        return None
    redraw(bpy.context)
    return PANEL_S


@g.step
def idle_redraw():
    """Control: the sidebar redrawn as often as a running job redraws it, 3 s."""
    if time.time() - g.state["t_idle"] < 3.0:
        return 0.2
    from moodrig.core.background import ProcessJob

    phase["name"] = "child_analysis"
    g.state["control_job"] = ProcessJob(
        "moodrig.core.addon_jobs",
        "analyse_source",
        (os.path.join(g.OUT, "clip.avi"), 24.0, 48, False, "cpu"),
    )


@g.step
def child_analysis():
    """Control: the same analysis in a child process, with no operator."""
    if not g.state["control_job"].done:
        return 0.2
    del g.state["control_job"]
    phase["name"] = None


@g.step
def choose_source():
    bpy.context.scene.moodrig.source_path = "//clip.avi"
    # The pointer rests on the sidebar, where the user just pressed Analyse.
    win, _area, region = g.view3d()
    x, y = region.x + region.width // 2, win.height - (region.y + region.height // 2)
    subprocess.run(["xdotool", "mousemove", str(x), str(y)], check=False)


def start(name, idname, **props):
    """A step: invoke the operator from the UI and time the phase ``name``."""

    def run():
        phase["name"] = name
        g.state[f"{name}_invoke"] = invoke(idname, **props)
        g.state[f"t_{name}"] = time.time()

    return run


def wait(name, idname, limit):
    """A step: wait (at most ``limit`` s) until the operator's job has ended."""

    def run():
        if running(idname):
            if time.time() - g.state[f"t_{name}"] > limit:
                raise RuntimeError(f"{idname} did not finish in {limit} s")
            return 0.1
        phase["name"] = None
        g.state[f"{name}_seconds"] = round(time.time() - g.state[f"t_{name}"], 2)
        return None

    return run


g.step(start("analyse", "moodrig.analyze_source"))
g.step(wait("analyse", "moodrig.analyze_source", 240))


@g.step
def analysed():
    from moodrig.operators import stored_track

    track = stored_track("//clip.avi")
    g.state["analysed_frames"] = None if track is None else len(track)
    g.state["track_digest"] = track_digest()


@g.step
def change_setting():
    bpy.context.scene.moodrig.person_baseline = True  # another analysis of the same clip


@g.step
def start_and_cancel_analyse():
    g.state["cancel_invoke"] = invoke("moodrig.analyze_source")
    g.state["t_cancel"] = time.time()


@g.step
def press_esc():
    from moodrig.modal_job import RUNNING

    job = RUNNING.get("moodrig.analyze_source")
    if job is None:
        raise RuntimeError("the second Analyse ended before Esc")
    if job.fraction <= 0.0:
        if time.time() - g.state["t_cancel"] > 120:
            raise RuntimeError("the second Analyse never reported progress")
        return 0.05
    g.screenshot("analyse_progress.png")  # the panel and the status bar show the progress
    win, _area, _ = g.view3d()
    subprocess.run(["xdotool", "mousemove", str(win.width // 3), str(win.height // 2)], check=False)
    subprocess.run(["xdotool", "key", "Escape"], check=False)
    g.state["t_esc"] = time.time()


@g.step
def after_cancel():
    if running("moodrig.analyze_source"):
        if time.time() - g.state["t_esc"] > 10:
            raise RuntimeError("Esc did not cancel Analyse")
        return 0.05
    g.state["cancel_seconds"] = round(time.time() - g.state["t_esc"], 2)
    g.state["track_digest_after_cancel"] = track_digest()


# A bake from the UI with no track stored for these settings (the person's own neutral): the
# child analyses the clip, then makes the textures; the scene is written when it is done.
g.step(start("bake", "moodrig.bake"))
g.step(wait("bake", "moodrig.bake", 300))


@g.step
def baked():
    rig = bpy.data.objects["moodrig_DemoRig"]
    action = rig.animation_data.action if rig.animation_data else None
    g.state["bake_action"] = action.name if action is not None else None
    g.state["bake_status"] = bpy.context.scene.moodrig.status
    g.state["bake_verdict"] = bool(bpy.context.scene.get("moodrig_sync"))
    bpy.context.scene.moodrig.person_baseline = False


@g.step
def choose_sheet():
    s = bpy.context.scene.moodrig
    s.finetune_sheet = os.path.join(g.OUT, "sheet", "labels.json")


g.step(start("finetune", "moodrig.finetune", steps=4))
g.step(wait("finetune", "moodrig.finetune", 300))


@g.step
def finetuned():
    s = bpy.context.scene.moodrig
    g.state["weights_path"] = s.weights_path
    g.state["weights_file"] = bool(s.weights_path) and os.path.isfile(
        bpy.path.abspath(s.weights_path)
    )
    g.state["calls"] = calls
    g.state["gaps"] = {
        name: gaps(name)
        for name in ("idle", "idle_redraw", "child_analysis", "analyse", "bake", "finetune")
    }
    g.state["view_draws"] = view_draws
    g.state["torch_in_blender"] = "torch" in sys.modules


g.start()
