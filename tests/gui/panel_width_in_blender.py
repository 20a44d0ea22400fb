"""Inside a real Blender window at the default interface scale and sidebar width: the moodrig
tab after an analysis and a bake, every panel open (Details too), photographed page by page
while the sidebar is scrolled down; then a control panel whose label cannot fit, so the test
can show that its detector sees Blender's "…" where there is one.

Usage: blender --factory-startup --window-geometry 0 0 W H --python THIS -- ZIP OUT_DIR
(moodrig's dependencies come from PYTHONPATH, as a user's dependency install would provide.)
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import bpy
import gui_steps as g

LONG = "This label is far longer than the sidebar is wide at its default size, so it is cut"


class TEST_PT_cut_label(bpy.types.Panel):
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "moodrig"
    bl_label = "Control"

    def draw(self, context):
        self.layout.label(text=LONG)


@g.step
def install_and_bake():
    g.install_into_empty_scene(blend_name="gui_panel.blend")
    import moodrig.bone_map_ui as bone_map_ui
    import moodrig.operators as ops
    import moodrig.panels as panels
    from moodrig.core.demo_timeline import scripted_track

    # Details and Face Region are closed by default; open here so their lines are checked too.
    closed = [
        cls
        for cls in (*panels._classes, *bone_map_ui._classes)
        if getattr(cls, "bl_space_type", "") == "VIEW_3D"
        and "DEFAULT_CLOSED" in getattr(cls, "bl_options", ())
    ]
    g.state["opened"] = [cls.__name__ for cls in closed]
    for cls in closed:
        bpy.utils.unregister_class(cls)
        cls.bl_options = set()
        bpy.utils.register_class(cls)
    g.count_draws(bpy.types.VIEW3D_PT_moodrig_main)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    s = scene.moodrig
    bpy.ops.moodrig.add_demo_character(texture_size=128)
    s.source_path = "//clip.mp4"  # the stored track stands for this clip's analysis
    ops.store_track(scripted_track(fps=24.0, seconds=6.0), s.source_path)
    bpy.context.preferences.addons["moodrig"].preferences.device = "cpu"
    g.state["bake"] = list(bpy.ops.moodrig.bake())
    g.state["sync"] = scene.get("moodrig_sync")
    scene.frame_set(40)
    prefs = bpy.context.preferences
    prefs.system.viewport_aa = "OFF"  # screenshots of the same sidebar are the same bytes
    g.state["ui_scale"] = [prefs.view.ui_scale, prefs.system.ui_scale]
    g.open_sidebar()


g.step(g.scan_tabs)


@g.step
def pages():
    """Screenshots from the top of the sidebar down, until scrolling changes nothing."""
    win, _area, region = g.view3d()
    g.state["ui_region"] = [region.x, region.y, region.width, region.height]
    n = g.state.setdefault("pages", 0)
    g.screenshot(f"panel_{n:02d}.png")
    g.state["pages"] = n + 1
    if n >= 12:
        return None
    x = region.x + region.width // 2
    y = win.height - (region.y + region.height // 2)
    subprocess.run(["xdotool", "mousemove", str(x), str(y)], check=False)
    subprocess.run(["xdotool", "click", "--repeat", "6", "5"], check=False)  # wheel down
    if n >= 1 and _same(n - 1, n):
        return None
    return 0.8


def _same(a, b):
    with (
        open(os.path.join(g.OUT, f"panel_{a:02d}.png"), "rb") as fa,
        open(os.path.join(g.OUT, f"panel_{b:02d}.png"), "rb") as fb,
    ):
        return fa.read() == fb.read()


@g.step
def control():
    bpy.utils.register_class(TEST_PT_cut_label)
    g.state["control_pages"] = 0


@g.step
def control_pages():
    win, _area, region = g.view3d()
    n = g.state["control_pages"]
    x = region.x + region.width // 2
    y = win.height - (region.y + region.height // 2)
    subprocess.run(["xdotool", "mousemove", str(x), str(y)], check=False)
    subprocess.run(["xdotool", "click", "--repeat", "30", "5"], check=False)
    g.state["control_pages"] = n + 1
    if n < 1:
        return 0.8
    g.screenshot("control.png")
    return None


g.start()
