"""A 16-bit PNG face texture through a bake, in real bpy: what the baked frames hold.

    .venv/bin/python research/float_texture_round_trip.py

Saves the demo character's 256² face texture as a 16-bit PNG, bakes one second of the scripted
performance with it, and prints the mean of the texture's file values against the first baked
frame's, and Blender's (linear) pixels of both. The two agree when the bake writes what the
file holds (``blender_addon/bake.py: file_values``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import bpy  # noqa: TID251 (a probe in real Blender, outside the package)
import cv2
import numpy as np

import moodrig


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    bpy.ops.wm.read_factory_settings(use_empty=True)
    moodrig.register()
    bpy.ops.moodrig.add_demo_character(texture_size=256)
    from moodrig import api
    from moodrig import bake as scene_bake
    from moodrig.core.demo_timeline import scripted_track

    face = bpy.data.objects["moodrig_DemoFace"]
    _, node = scene_bake.find_face_texture(face)
    w, h = node.image.size
    values = np.array(node.image.pixels[:], np.float32).reshape(h, w, 4)[::-1]
    texels = np.round(values * 65535).astype(np.uint16)
    cv2.imwrite(str(folder / "face16.png"), cv2.cvtColor(texels, cv2.COLOR_RGBA2BGRA))
    user = bpy.data.images.load(str(folder / "face16.png"))
    node.image = user
    shown = np.array(user.pixels[:], np.float32).reshape(h, w, 4)
    request = api.BakeRequest(device="cpu", texture_folder=folder / "tex")
    api.bake(None, face.name, "moodrig_DemoRig", request, track=scripted_track(seconds=1.0))
    first = sorted((folder / "tex" / "sequence").glob("*.png"))[0]
    back = bpy.data.images.load(str(first))
    back.colorspace_settings.name = user.colorspace_settings.name
    written = cv2.imread(str(first), cv2.IMREAD_UNCHANGED)
    print(
        f"file values, mean RGB: texture {texels[..., :3].mean() / 65535:.3f}, "
        f"baked frame {written[..., :3].mean() / 65535:.3f}"
    )
    baked = np.array(back.pixels[:], np.float32).reshape(h, w, 4)
    print(
        f"as Blender shows them (linear): texture {shown[..., :3].mean():.3f}, "
        f"baked frame {baked[..., :3].mean():.3f}"
    )


if __name__ == "__main__":
    main()
