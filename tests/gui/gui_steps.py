"""Shared by the scripts that run inside a real Blender window (Debian's 3.4 under Xvfb).

A script lists steps; each runs from a timer so the window is drawn in between. A step that
returns a number runs again after that many seconds; None moves on. At the end (or on an
error) ``result.json`` is written to OUT and the process ends.
"""

import json
import os
import subprocess
import sys
import traceback

import bpy

argv = sys.argv[sys.argv.index("--") + 1 :]
ZIP, OUT = argv[0], argv[1]
state = {"draws": 0, "clicks": [], "errors": []}
steps = []


def step(fn):
    steps.append(fn)
    return fn


def view3d():
    win = bpy.context.window_manager.windows[0]
    for area in win.screen.areas:
        if area.type == "VIEW_3D":
            region = next(r for r in area.regions if r.type == "UI")
            return win, area, region
    raise RuntimeError("no 3D viewport")


def install_into_empty_scene(panel_cls_name=None, blend_name=None):
    """Install and enable the zip as a user would, count the draws of the named panel (if
    any), empty the startup scene, and save it as OUT/blend_name (if given: the bake writes
    beside it)."""
    import addon_utils

    bpy.ops.preferences.addon_install(filepath=ZIP)
    addon_utils.enable("moodrig", default_set=True)
    if panel_cls_name is not None:
        count_draws(getattr(bpy.types, panel_cls_name))
    for obj in list(bpy.data.objects):
        bpy.data.objects.remove(obj)
    if blend_name is not None:
        bpy.ops.wm.save_as_mainfile(filepath=os.path.join(OUT, blend_name))


def screenshot(name):
    win, area, _ = view3d()
    with bpy.context.temp_override(window=win, area=area):
        bpy.ops.screen.screenshot(filepath=os.path.join(OUT, name))


def count_draws(panel_cls):
    """Wrap a panel's draw so the test knows it was really drawn."""
    original = panel_cls.draw

    def counting_draw(self, context):
        state["draws"] += 1
        original(self, context)

    panel_cls.draw = counting_draw


def open_sidebar():
    bpy.context.preferences.view.show_splash = False
    _win, area, _region = view3d()
    area.spaces.active.show_region_ui = True
    area.tag_redraw()
    subprocess.run(["xdotool", "key", "Escape"], check=False)  # close the splash as a user would


def scan_tabs():
    """Click the sidebar's category tabs from the top until moodrig's panel is drawn
    (Blender 3.4 has no API to pick a tab)."""
    if "draws_before_click" not in state:
        state["draws_before_click"] = state["draws"]
        state["next_y"] = 0
        win, _area, region = view3d()
        state["window"] = [win.width, win.height]
        state["region"] = [region.x, region.y, region.width, region.height]
    if state["draws"] > state["draws_before_click"] or state["next_y"] > 420:
        return None
    win, _area, region = view3d()
    x = region.x + region.width - 10
    y = win.height - (region.y + region.height) + 12 + state["next_y"]
    state["next_y"] += 14
    subprocess.run(["xdotool", "mousemove", str(x), str(y), "click", "1"], check=False)
    state["clicks"].append([x, y])
    return 0.4


def finish():
    with open(os.path.join(OUT, "result.json"), "w") as fh:
        json.dump(state, fh)
    sys.stdout.flush()
    # End here: Debian's Blender 3.4 crashes while quitting once torch is loaded.
    os._exit(0)


def _run():
    try:
        if steps:
            wait = steps[0]()
            if wait is not None:
                return wait
            steps.pop(0)
            return 1.0
    except Exception:
        state["errors"].append(traceback.format_exc())
    finish()
    return None


def start():
    bpy.app.timers.register(_run, first_interval=2.0)
