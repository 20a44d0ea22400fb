"""Three demo characters, three seeds, one scene (the README's scripting example).

Run with the bpy module:  python examples/three_characters.py /tmp/crowd [seconds]
"""

import sys
from pathlib import Path

import bpy

import moodrig
from moodrig import api
from moodrig.core.demo_timeline import scripted_track

out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/crowd")
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
out.mkdir(parents=True, exist_ok=True)

bpy.ops.wm.read_factory_settings(use_empty=True)
moodrig.register()  # not needed where the add-on is enabled
bpy.ops.wm.save_as_mainfile(filepath=str(out / "crowd.blend"))  # textures go beside it
track = scripted_track(fps=24.0, seconds=seconds)  # or BakeRequest(source="clip.mp4"), no track
for i, seed in enumerate((1, 2, 3)):
    bpy.context.scene.cursor.location = (1.2 * i, 0.0, 0.0)
    bpy.ops.moodrig.add_demo_character(texture_size=256)
    rig = bpy.context.view_layer.objects.active
    face = next(c for c in rig.children if c.name.startswith("moodrig_DemoFace"))
    result = api.bake(bpy.context.scene, face, rig, api.BakeRequest(seed=seed), track=track)
    print(rig.name, result.action.name, result.distinct_textures, result.sync["onset_f1"])
bpy.ops.wm.save_mainfile()
