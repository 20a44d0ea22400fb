"""Inside a real Blender window: the demo head's face region and feature points in the Image
Editor. Turn the 3D viewport into an Image Editor showing the head's atlas, switch the overlay
on (screenshot), start Edit Points, drag one point with the mouse as a user would (xdotool),
keep the points with Enter (screenshots before and after).

Usage: blender --factory-startup --window-geometry 0 0 W H --python THIS -- ZIP OUT_DIR
(moodrig's dependencies come from PYTHONPATH, as a user's dependency install would provide.)
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import addon_utils
import bpy
import gui_steps as g

DRAG = (40, 25)
"""Window pixels the mouth's right corner is dragged by (right, down)."""


def image_editor():
    win = bpy.context.window_manager.windows[0]
    area = next(a for a in win.screen.areas if a.type == "IMAGE_EDITOR")
    return win, area, next(r for r in area.regions if r.type == "WINDOW")


def screenshot(name):
    win, area, _ = image_editor()
    with bpy.context.temp_override(window=win, area=area):
        bpy.ops.screen.screenshot(filepath=os.path.join(g.OUT, name))


@g.step
def setup():
    bpy.context.preferences.view.show_splash = False
    subprocess.run(["xdotool", "key", "Escape"], check=False)
    bpy.ops.preferences.addon_install(filepath=g.ZIP)
    addon_utils.enable("moodrig", default_set=True)
    for obj in list(bpy.data.objects):
        bpy.data.objects.remove(obj)
    bpy.ops.moodrig.add_demo_character(texture_size=512)
    face = bpy.data.objects["moodrig_DemoFace"]
    g.state["points_before"] = list(face.moodrig_face.points)
    _win, area, _ = g.view3d()
    area.type = "IMAGE_EDITOR"
    area.spaces.active.image = face.active_material.node_tree.nodes["moodrig_face_texture"].image
    area.spaces.active.show_region_ui = False
    bpy.context.scene.moodrig.show_face_region = True


@g.step
def fit():
    win, area, region = image_editor()
    with bpy.context.temp_override(window=win, area=area, region=region):
        bpy.ops.image.view_all(fit_view=True)
    area.tag_redraw()


@g.step
def preview():
    screenshot("face_region_preview.png")


@g.step
def start_editing():
    win, area, region = image_editor()
    with bpy.context.temp_override(window=win, area=area, region=region):
        g.state["invoke"] = list(bpy.ops.moodrig.edit_feature_points("INVOKE_DEFAULT"))


@g.step
def press():
    from moodrig.face_region_view import _editing

    win, _area, region = image_editor()
    session = _editing["session"]
    u, v = session.points_uv()[5]  # mouth_l: the character's left mouth corner
    x, y = region.view2d.view_to_region(u, v, clip=False)
    sx, sy = region.x + x, win.height - (region.y + y)
    g.state["drag_from"] = [sx, sy]
    subprocess.run(["xdotool", "mousemove", str(sx), str(sy)], check=False)
    subprocess.run(["xdotool", "mousedown", "1"], check=False)


@g.step
def drag():
    sx, sy = g.state["drag_from"]
    for k in range(1, 6):
        subprocess.run(
            ["xdotool", "mousemove", str(sx + DRAG[0] * k // 5), str(sy + DRAG[1] * k // 5)],
            check=False,
        )


@g.step
def release():
    subprocess.run(["xdotool", "mouseup", "1"], check=False)


@g.step
def while_editing():
    screenshot("face_region_edit.png")
    subprocess.run(["xdotool", "key", "Return"], check=False)


@g.step
def after():
    from moodrig.face_region_view import _editing

    face = bpy.data.objects["moodrig_DemoFace"]
    g.state["points_after"] = list(face.moodrig_face.points)
    g.state["confirmed"] = face.moodrig_face.points_confirmed
    g.state["still_editing"] = bool(_editing)
    g.state["region"] = list(face.moodrig_face.region)
    g.state["image_size"] = list(
        face.active_material.node_tree.nodes["moodrig_face_texture"].image.size
    )
    win, _area, region = image_editor()
    g.state["editor"] = [region.x, region.y, region.width, region.height, win.height]
    screenshot("face_region_after.png")
    # The Face Region panel in the Image Editor's sidebar: open it and find the moodrig tab.
    g.count_draws(bpy.types.IMAGE_PT_moodrig_face_region)
    _win, area, _ = image_editor()
    area.spaces.active.show_region_ui = True
    area.tag_redraw()


@g.step
def scan_image_tabs():
    """Click the sidebar's tabs from the top until the Face Region panel is drawn."""
    win, area, _ = image_editor()
    ui = next(r for r in area.regions if r.type == "UI")
    if "tab_y" not in g.state:
        g.state["tab_y"], g.state["draws_at_open"] = 0, g.state["draws"]
    if g.state["draws"] > g.state["draws_at_open"] or g.state["tab_y"] > 300:
        return None
    x = ui.x + ui.width - 10
    y = win.height - (ui.y + ui.height) + 12 + g.state["tab_y"]
    g.state["tab_y"] += 14
    subprocess.run(["xdotool", "mousemove", str(x), str(y), "click", "1"], check=False)
    return 0.4


@g.step
def panel():
    g.state["panel_drawn"] = g.state["draws"] > g.state["draws_at_open"]
    screenshot("face_region_panel.png")


g.start()
