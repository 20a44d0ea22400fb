"""Runs inside a real Blender window (Debian's 3.4 under Xvfb): open the moodrig sidebar tab.

Usage: blender --factory-startup --window-geometry 0 0 W H --python THIS -- ZIP OUT_DIR [--no-addon]

Steps, each a timer callback so the window gets drawn in between: install + enable the zip
as a user would, open the sidebar, click the category tabs from top to bottom with xdotool
until moodrig's panel is drawn (Blender 3.4 has no API to pick a tab), take screenshots of
the whole window before and after, write ``result.json`` and quit.
"""

import json
import os
import subprocess
import sys
import traceback

import addon_utils
import bpy

argv = sys.argv[sys.argv.index("--") + 1:]
ZIP, OUT = argv[0], argv[1]
WITH_ADDON = "--no-addon" not in argv
state = {"draws": 0, "clicks": [], "errors": [], "with_addon": WITH_ADDON}
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


def screenshot(name):
    win, area, _ = view3d()
    with bpy.context.temp_override(window=win, area=area):
        bpy.ops.screen.screenshot(filepath=os.path.join(OUT, name))


@step
def install():
    bpy.context.preferences.view.show_splash = False
    if WITH_ADDON:
        bpy.ops.preferences.addon_install(filepath=ZIP)
        addon_utils.enable("moodrig", default_set=True)
        cls = bpy.types.VIEW3D_PT_moodrig_main
        original = cls.draw

        def counting_draw(self, context):
            state["draws"] += 1
            original(self, context)

        cls.draw = counting_draw
        state["registered"] = hasattr(bpy.types, "VIEW3D_PT_moodrig_main")
    _win, area, _region = view3d()
    area.spaces.active.show_region_ui = True
    area.tag_redraw()
    # Close the splash as a user would.
    subprocess.run(["xdotool", "key", "Escape"], check=False)


@step
def before():
    screenshot("sidebar_before.png")
    win, _area, region = view3d()
    state["window"] = [win.width, win.height]
    state["region"] = [region.x, region.y, region.width, region.height]
    state["draws_before_click"] = state["draws"]
    state["next_y"] = 0


def click_next_tab():
    win, _area, region = view3d()
    x = region.x + region.width - 10
    top = win.height - (region.y + region.height)
    y = top + 12 + state["next_y"]
    state["next_y"] += 14
    subprocess.run(["xdotool", "mousemove", str(x), str(y), "click", "1"], check=False)
    state["clicks"].append([x, y])


def scan():
    if state["draws"] > state["draws_before_click"] or state["next_y"] > 420:
        return None
    click_next_tab()
    return 0.4


step(scan)


@step
def after():
    screenshot("sidebar.png")
    state["drawn"] = state["draws"] > 0


def run_steps():
    try:
        if steps:
            wait = steps[0]()
            if wait is not None:  # the step wants to run again after `wait` seconds
                return wait
            steps.pop(0)
            return 1.0
    except Exception:
        state["errors"].append(traceback.format_exc())
        steps.clear()
    with open(os.path.join(OUT, "result.json"), "w") as fh:
        json.dump(state, fh)
    bpy.ops.wm.quit_blender()
    return None


bpy.app.timers.register(run_steps, first_interval=2.0)
