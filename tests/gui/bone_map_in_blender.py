"""Inside a real Blender window: install the zip, build a third-party character's rig (the
glTF knight's skeleton, read from its .glb by the test: Blender 3.4's glTF importer fails with
numpy >= 1.24), pick it, press Auto-map, open the moodrig tab and take a screenshot of the Bone
Map panel with its report.

Usage: blender --factory-startup --window-geometry 0 0 W H --python THIS -- ZIP OUT_DIR
(the rig spec, rig_builder.py's JSON, in MOODRIG_RIG_SPEC; numpy from PYTHONPATH, as a user's
dependency install provides.)
"""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
import json

import bpy
import gui_steps as g
from rig_builder import BUILD_ARMATURE

exec(BUILD_ARMATURE)


@g.step
def install_and_map():
    g.install_into_empty_scene("VIEW3D_PT_moodrig_bone_map")
    with open(os.environ["MOODRIG_RIG_SPEC"]) as fh:
        rig = build_armature(json.load(fh))  # noqa: F821  (defined by BUILD_ARMATURE)
    s = bpy.context.scene.moodrig
    s.armature = rig
    g.state["automap"] = list(bpy.ops.moodrig.auto_map_bones())
    rows = s.armature.moodrig_bone_map.rows
    g.state["rows"] = [[r.role, r.bone, r.status] for r in rows]
    _win, area, _ = g.view3d()
    space = area.spaces.active
    r3d = space.region_3d
    r3d.view_perspective = "PERSP"
    r3d.view_location = (0.0, 0.0, 0.7)
    r3d.view_distance = 3.2
    import mathutils

    r3d.view_rotation = mathutils.Euler((1.45, 0.0, 0.25)).to_quaternion()
    bpy.context.preferences.view.ui_scale = 0.75
    g.open_sidebar()


g.step(g.scan_tabs)


def _xdotool(*args):
    import subprocess

    subprocess.run(["xdotool", *args], check=False)


def _edge():
    win, _area, region = g.view3d()
    return region.x + 5, win.height - (region.y + region.height // 2)


# Drag the sidebar's left edge, as a user makes room for the bone names: one event per step,
# so Blender handles each before the next.
@g.step
def press_on_the_edge():
    x, y = _edge()
    g.state["sidebar_width"] = [g.view3d()[2].width]
    g.state["drag_from"] = [x, y]
    _xdotool("mousemove", str(x), str(y))
    _xdotool("mousedown", "1")


@g.step
def drag():
    x, y = g.state["drag_from"]
    _xdotool("mousemove", str(x - 70), str(y))


@g.step
def drag_further():
    x, y = g.state["drag_from"]
    _xdotool("mousemove", str(x - 140), str(y))


@g.step
def release():
    _xdotool("mouseup", "1")


@g.step
def measured():
    g.state["sidebar_width"].append(g.view3d()[2].width)


@g.step
def shot():
    g.screenshot("bone_map.png")
    g.state["drawn"] = g.state["draws"] > 0


g.start()
