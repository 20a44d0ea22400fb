"""Inside a real Blender window: install the zip, add the demo character, analyse the sample
face, bake a scripted performance with the shipped AMEE-GAN, go to a mid-clip frame, open the
moodrig tab with its panels and take a screenshot.

Usage: blender --factory-startup --window-geometry 0 0 W H --python THIS -- ZIP OUT_DIR
(moodrig's dependencies come from PYTHONPATH, as a user's dependency install would provide.)
"""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import addon_utils
import bpy
import gui_steps as g


@g.step
def install_and_bake():
    bpy.ops.preferences.addon_install(filepath=g.ZIP)
    addon_utils.enable("moodrig", default_set=True)
    import moodrig.operators as ops
    from moodrig.core.demo_timeline import scripted_track
    from moodrig.core.paths import data_dir

    g.count_draws(bpy.types.VIEW3D_PT_moodrig_bake)
    for obj in list(bpy.data.objects):
        bpy.data.objects.remove(obj)
    bpy.ops.wm.save_as_mainfile(filepath=os.path.join(g.OUT, "gui_demo.blend"))
    s = bpy.context.scene.moodrig
    bpy.ops.moodrig.add_demo_character(texture_size=256)
    s.source_path = str(data_dir() / "sample_face.jpg")
    g.state["analyse"] = list(bpy.ops.moodrig.analyze_source())
    # A performance for the clip (a photo alone holds one expression).
    ops.store_track(scripted_track(fps=24.0, seconds=4.0), s.source_path)
    prefs = bpy.context.preferences.addons["moodrig"].preferences
    prefs.device = "cpu"
    g.state["bake"] = list(bpy.ops.moodrig.bake())
    g.state["status"] = s.status
    rig = bpy.data.objects["moodrig_DemoRig"]
    g.state["action"] = (
        rig.animation_data.action.name if rig.animation_data and rig.animation_data.action else None
    )
    bpy.context.scene.frame_set(40)  # inside the smile beat
    _win, area, _ = g.view3d()
    space = area.spaces.active
    space.shading.type = "SOLID"
    space.shading.color_type = "TEXTURE"
    r3d = space.region_3d
    r3d.view_perspective = "PERSP"
    r3d.view_location = (0.0, 0.0, 1.25)
    r3d.view_distance = 2.6
    import mathutils

    r3d.view_rotation = mathutils.Euler((1.45, 0.0, 0.25)).to_quaternion()
    bpy.context.preferences.view.ui_scale = 0.8  # room for all five panels in the window
    g.open_sidebar()


g.step(g.scan_tabs)


@g.step
def shot():
    g.screenshot("baked_demo.png")
    g.state["drawn"] = g.state["draws"] > 0
    g.state["frame"] = bpy.context.scene.frame_current


g.start()
