"""Inside a real Blender window: install the built zip as a user would, open the moodrig tab,
take screenshots before and after.

Usage: blender --factory-startup --window-geometry 0 0 W H --python THIS -- ZIP OUT_DIR
"""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import addon_utils
import bpy
import gui_steps as g


@g.step
def install():
    bpy.ops.preferences.addon_install(filepath=g.ZIP)
    addon_utils.enable("moodrig", default_set=True)
    g.state["registered"] = hasattr(bpy.types, "VIEW3D_PT_moodrig_main")
    g.count_draws(bpy.types.VIEW3D_PT_moodrig_main)
    g.open_sidebar()


@g.step
def before():
    g.screenshot("sidebar_before.png")


g.step(g.scan_tabs)


@g.step
def after():
    g.screenshot("sidebar.png")
    g.state["drawn"] = g.state["draws"] > 0


g.start()
