"""``python -m moodrig.demo --out out``: the demo job, headless through the ``bpy`` module.

Builds the demo character in a fresh scene, renders a preview and saves ``out/demo.blend``.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

import bpy
import mathutils


def look_at(obj: Any, target: tuple[float, float, float]) -> None:
    direction = mathutils.Vector(target) - obj.location
    obj.rotation_euler = direction.to_track_quat("-Z", "Y").to_euler()


def setup_stage(scene: Any, *, width: int = 640, height: int = 800, target: tuple[float, float, float] = (0.0, 0.0, 1.05),
                distance: float = 3.9, engine: str = "BLENDER_WORKBENCH") -> Any:
    """Camera framing the whole character, a sun and a Workbench/Cycles setup that shows textures."""
    cam_data = bpy.data.cameras.new("moodrig_Camera")
    cam_data.lens = 50
    cam = bpy.data.objects.new("moodrig_Camera", cam_data)
    scene.collection.objects.link(cam)
    cam.location = (0.35 * distance * math.sin(math.radians(15)), -distance, target[2] + 0.25)
    look_at(cam, target)
    scene.camera = cam
    sun_data = bpy.data.lights.new("moodrig_Sun", "SUN")
    sun_data.energy = 3.0
    sun = bpy.data.objects.new("moodrig_Sun", sun_data)
    sun.rotation_euler = (math.radians(50), 0.0, math.radians(-30))
    scene.collection.objects.link(sun)
    scene.render.engine = engine
    scene.render.resolution_x = width
    scene.render.resolution_y = height
    scene.render.resolution_percentage = 100
    if engine == "BLENDER_WORKBENCH":
        shading = scene.display.shading
        shading.light = "STUDIO"
        shading.color_type = "TEXTURE"
    else:
        scene.cycles.device = "CPU"
        scene.cycles.samples = 16
    world = bpy.data.worlds.new("moodrig_World")
    world.color = (0.05, 0.06, 0.08)
    scene.world = world
    return cam


def render_still(scene: Any, path: Path) -> Path:
    scene.render.image_settings.file_format = "PNG"
    scene.render.filepath = str(path)
    bpy.ops.render.render(write_still=True)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m moodrig.demo", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("out"), help="output folder (created)")
    parser.add_argument("--texture-size", type=int, default=512)
    args = parser.parse_args(argv)

    from . import demo_character, register

    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    register()
    scene = bpy.context.scene
    character = demo_character.build(scene, texture_size=args.texture_size)
    setup_stage(scene)
    preview = render_still(scene, out / "demo_preview.png")
    blend = out / "demo.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(blend))
    print(f"moodrig demo: character '{character.armature.name}' with {len(character.armature.data.bones)} bones")
    print(f"moodrig demo: preview  {preview}")
    print(f"moodrig demo: scene    {blend}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
