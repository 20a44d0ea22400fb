"""Inside a real Blender window: start a bake from the UI (the modal operator, on its timer),
press Esc while textures are being generated, and check the scene is exactly as before; then
bake again and check it resumes from the textures the cancelled bake had already written.

Usage: blender --factory-startup --window-geometry 0 0 W H --python THIS -- ZIP OUT_DIR
(moodrig's dependencies come from PYTHONPATH, as a user's dependency install would provide.)
"""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import addon_utils
import bpy
import gui_steps as g


def scene_digest():
    """What a bake may change, as plain data."""
    face = bpy.data.objects["moodrig_DemoFace"]
    rig = bpy.data.objects["moodrig_DemoRig"]
    ad = rig.animation_data
    return {
        "actions": sorted(a.name for a in bpy.data.actions),
        "materials": sorted(m.name for m in bpy.data.materials),
        "images": sorted(i.name for i in bpy.data.images),
        "face_slots": [s.material.name if s.material else None for s in face.material_slots],
        "rig_action": ad.action.name if ad and ad.action else None,
        "rotation_modes": sorted({pb.rotation_mode for pb in rig.pose.bones}),
        "frame_range": [bpy.context.scene.frame_start, bpy.context.scene.frame_end],
    }


def cached_textures():
    folder = os.path.join(g.OUT, "moodrig-textures", "gui_cancel", "moodrig_DemoFace", "cache")
    return (
        sorted(f for f in os.listdir(folder) if f.endswith(".png")) if os.path.isdir(folder) else []
    )


@g.step
def install_and_start_bake():
    import numpy as np

    bpy.ops.preferences.addon_install(filepath=g.ZIP)
    addon_utils.enable("moodrig", default_set=True)
    import moodrig.operators as ops
    from moodrig.core.demo_timeline import scripted_track
    from moodrig.core.track import ExpressionTrack

    for obj in list(bpy.data.objects):
        bpy.data.objects.remove(obj)
    bpy.ops.wm.save_as_mainfile(filepath=os.path.join(g.OUT, "gui_cancel.blend"))
    s = bpy.context.scene.moodrig
    bpy.ops.moodrig.add_demo_character(texture_size=128)
    # A restless face: most frames need a texture of their own, so generating them takes
    # many modal steps and Esc lands in the middle.
    base = scripted_track(fps=24.0, seconds=20.0)
    walk = np.cumsum(np.random.default_rng(5).normal(0.0, 0.05, (len(base), 8)), axis=0)
    track = ExpressionTrack(
        base.fps, (0.5 + 0.45 * np.sin(walk)).astype(np.float32), base.head, base.valid
    )
    s.source_path = "//performance.mp4"  # the stored track stands for this clip's analysis
    ops.store_track(track, s.source_path)
    bpy.context.preferences.addons["moodrig"].preferences.device = "cpu"
    g.state["before"] = scene_digest()
    win, area, region = g.view3d()
    region = next(r for r in area.regions if r.type == "WINDOW")
    with bpy.context.temp_override(window=win, area=area, region=region):
        g.state["invoke"] = list(bpy.ops.moodrig.bake("INVOKE_DEFAULT"))
    g.state["t_invoke"] = time.time()


@g.step
def press_esc_while_generating():
    s = bpy.context.scene.moodrig
    if "textures" not in s.status or len(cached_textures()) < 16:
        if time.time() - g.state["t_invoke"] > 240:
            raise RuntimeError(
                f"the modal bake never reached texture generation (status {s.status!r})"
            )
        return 0.1
    g.state["status_at_esc"] = s.status
    g.state["cached_at_esc"] = len(cached_textures())
    win, _area, _ = g.view3d()
    # The pointer over the viewport, as a user's hand would be, then Esc.
    subprocess.run(["xdotool", "mousemove", str(win.width // 3), str(win.height // 2)], check=False)
    subprocess.run(["xdotool", "key", "Escape"], check=False)
    g.state["t_esc"] = time.time()
    return None


@g.step
def wait_for_cancel():
    s = bpy.context.scene.moodrig
    if s.status != "Cancelled":
        if time.time() - g.state["t_esc"] > 60:
            raise RuntimeError(f"Esc did not cancel the bake (status {s.status!r})")
        return 0.1
    g.state["cancel_seconds"] = round(time.time() - g.state["t_esc"], 2)
    g.state["after_cancel"] = scene_digest()
    g.state["cached_after_cancel"] = len(cached_textures())


@g.step
def bake_again():
    result = list(bpy.ops.moodrig.bake())  # the synchronous path, as a script would
    g.state["rebake"] = result
    g.state["status_after_rebake"] = bpy.context.scene.moodrig.status
    g.state["after_rebake"] = scene_digest()
    g.state["cached_after_rebake"] = len(cached_textures())


g.start()
