"""``make demo``'s scene for Blender 3.4, made by Blender 3.4 (Debian's ``blender``).

Blender cannot open files saved by a newer major version, so ``out/demo.blend`` (saved by the
bpy 5.0 module) does not open in 3.4. Run by that Blender, this installs the add-on zip into
the profile it is given, enables it and runs ``demo.py``'s whole job without the renders, so
the scene is saved in 3.4's format:

    blender -b --factory-startup --python-exit-code 1 --python examples/demo_blender34.py -- \\
        dist/moodrig-<version>.zip --out out/blender34

moodrig's dependencies must be importable (the add-on's Install Dependencies, or PYTHONPATH).
"""

import os
import sys

import addon_utils
import bpy

argv = sys.argv[sys.argv.index("--") + 1 :]
zip_path, demo_args = argv[0], argv[1:]
bpy.ops.preferences.addon_install(filepath=zip_path)
addon_utils.enable("moodrig", default_set=False)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo  # noqa: E402

if demo.main([*demo_args, "--blend-only"]) != 0:
    raise SystemExit("moodrig demo: failed")
