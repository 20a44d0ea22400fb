"""Inside a real Blender window with no network: install the add-on zip, install its
dependencies from a wheelhouse folder (the Install from Folder operator; pip runs while the
window keeps drawing), add the demo character, analyse the sample face, bake, then quit the
way a user does (the add-on enabled, torch loaded) so the test can read the exit.

Usage: unshare -n blender --factory-startup ... --python THIS -- ZIP OUT_DIR WHEELHOUSE
(nothing of moodrig's venv is on PYTHONPATH: the dependencies come from the wheelhouse).
"""

import itertools
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import addon_utils
import bpy
import gui_steps as g

WHEELHOUSE = sys.argv[sys.argv.index("--") + 3]
ticks = []


@g.step
def check_offline_and_install_addon():
    g.state["interfaces"] = [name for _i, name in socket.if_nameindex()]
    try:
        socket.getaddrinfo("pypi.org", 443)
        g.state["dns"] = "resolved"
    except OSError as exc:
        g.state["dns"] = f"failed: {exc}"
    g.state["install"] = list(bpy.ops.preferences.addon_install(filepath=g.ZIP))
    addon_utils.enable("moodrig", default_set=True)
    from moodrig import deps

    g.state["python"] = str(deps.blender_python())
    g.state["executable"] = sys.executable
    g.state["status_before"] = deps.status()
    # Time what the installer does on Blender's thread: the operator and each timer tick.
    g.state["tick_s"] = []
    tick = deps._tick

    def timed_tick():
        start = time.perf_counter()
        again = tick()
        g.state["tick_s"].append(time.perf_counter() - start)
        return again

    deps._tick = timed_tick
    start = time.perf_counter()
    g.state["from_folder"] = list(
        bpy.ops.moodrig.install_dependencies_from_folder(directory=WHEELHOUSE)
    )
    g.state["operator_s"] = time.perf_counter() - start
    g.state["progress"] = []
    # Where the artist watches it: Preferences → Add-ons → moodrig, expanded.
    g.state["prefs_draws_running"] = 0
    prefs_cls = type(bpy.context.preferences.addons["moodrig"].preferences)
    draw = prefs_cls.draw

    def counting_draw(self, context):
        job = deps.current()
        if job is not None and job.state == "running":
            g.state["prefs_draws_running"] += 1
        draw(self, context)

    prefs_cls.draw = counting_draw
    bpy.ops.screen.userpref_show(section="ADDONS")
    bpy.context.window_manager.addon_search = "moodrig"
    bpy.ops.preferences.addon_expand(module="moodrig")


@g.step
def wait_for_the_install():
    """Runs every 0.1 s while pip works: the window is never blocked by the install."""
    from moodrig import deps

    job = deps.current()
    ticks.append((time.monotonic(), job.activity))
    sample = [round(100 * job.fraction), job.activity]
    if not g.state["progress"] or g.state["progress"][-1] != sample:
        g.state["progress"].append(sample)
    if job.state == "running":
        if job.fraction >= 0.5 and "prefs_shot" not in g.state:
            g.state["prefs_shot"] = preferences_screenshot("install_progress.png")
        return 0.1
    g.state["job"] = [job.state, job.message]
    gaps = sorted(((b[0] - a[0], a[1], b[1]) for a, b in itertools.pairwise(ticks)), reverse=True)
    g.state["longest_gap_s"] = gaps[0][0] if gaps else 0.0
    g.state["longest_gaps"] = gaps[:3]
    g.state["install_s"] = ticks[-1][0] - ticks[0][0]
    g.state["log"] = job.log_path.read_text()
    g.state["deps_folder"] = str(deps.deps_folder())
    g.state["status_after"] = deps.status()
    return None


def preferences_screenshot(name):
    for window in bpy.context.window_manager.windows:
        for area in window.screen.areas:
            if area.type == "PREFERENCES":
                with bpy.context.temp_override(window=window, area=area):
                    bpy.ops.screen.screenshot(filepath=os.path.join(g.OUT, name))
                return name
    return None


@g.step
def analyse_and_bake():
    import torch

    from moodrig.core.paths import data_dir

    g.state["torch"] = [torch.__version__, torch.__file__]
    for obj in list(bpy.data.objects):
        bpy.data.objects.remove(obj)
    bpy.ops.wm.save_as_mainfile(filepath=os.path.join(g.OUT, "offline.blend"))
    s = bpy.context.scene.moodrig
    g.state["demo"] = list(bpy.ops.moodrig.add_demo_character(texture_size=64))
    s.source_path = str(data_dir() / "sample_face.jpg")
    s.hold_frames = 24
    g.state["analyse"] = list(bpy.ops.moodrig.analyze_source())
    bpy.context.preferences.addons["moodrig"].preferences.device = "cpu"
    g.state["bake"] = list(bpy.ops.moodrig.bake())
    g.state["status"] = s.status
    rig = bpy.data.objects["moodrig_DemoRig"]
    ad = rig.animation_data
    g.state["action"] = ad.action.name if ad and ad.action else None
    bpy.ops.wm.save_mainfile()


@g.step
def report_and_quit():
    with open(os.path.join(g.OUT, "result.json"), "w") as fh:
        json.dump(g.state, fh)
    print("moodrig-test: quitting", flush=True)
    bpy.context.preferences.view.use_save_prompt = False
    # Never reach gui_steps.finish (it ends the process itself): this step is popped when it
    # returns, the wait stays.
    g.steps[:] = [None, lambda: 60.0]
    bpy.app.timers.register(lambda: bpy.ops.wm.quit_blender() and None, first_interval=0.2)


g.start()
