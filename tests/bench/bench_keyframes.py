"""Worker (real bpy): keyframes/s of the bulk path (anim_compat.new_action +
write_rotation_curves) vs ``keyframe_insert`` on the demo rig, 19 bones x 3 Euler channels.

    python tests/bench/bench_keyframes.py --frames 240 2400 --repeats 5

Each repeat writes a fresh action (the previous one is removed first); both paths are
interleaved so they see the same machine load. Keys written are counted back from the F-curves.
"""

from __future__ import annotations

import argparse
import os
import tempfile

import numpy as np
from common import bulk_vs_insert, emit


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, nargs="+", default=[240, 2400])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument(
        "--insert-repeats",
        type=int,
        default=0,
        help="repeats of keyframe_insert (default: --repeats)",
    )
    a = ap.parse_args()
    os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="moodrig-bench-"))
    import bpy

    import moodrig
    from moodrig import anim_compat
    from moodrig.core.rig import BONE_ROLES

    bpy.ops.wm.read_factory_settings(use_empty=True)
    moodrig.register()
    bpy.ops.moodrig.add_demo_character(texture_size=64)
    rig = bpy.data.objects["moodrig_DemoRig"]
    bones = [b for b in BONE_ROLES if b in rig.pose.bones]
    for b in bones:
        rig.pose.bones[b].rotation_mode = "XYZ"
    rng = np.random.default_rng(0)
    out: dict[str, object] = {"bones": len(bones), "channels": 3, "bpy": bpy.app.version_string}

    def clear() -> None:
        if rig.animation_data is not None:
            rig.animation_data.action = None
        for act in list(bpy.data.actions):
            bpy.data.actions.remove(act)

    def count_keys() -> int:
        cont = anim_compat.curve_container(rig, rig.animation_data.action)
        return sum(len(fc.keyframe_points) for fc in cont.fcurves)

    pbs = [rig.pose.bones[b] for b in bones]
    for n in a.frames:
        curves = {
            b: (0.3 * np.sin(np.linspace(0, 6, n)[:, None] + rng.random(3)[None, :])).astype(
                np.float32
            )
            for b in bones
        }
        vals = [curves[b].tolist() for b in bones]

        def bulk(curves: dict[str, np.ndarray] = curves) -> None:
            _, cont = anim_compat.new_action(rig, "bench_bulk", "body")
            anim_compat.write_rotation_curves(cont, curves, 1)

        def insert(n: int = n, vals: list[list[list[float]]] = vals) -> None:
            for f in range(n):
                for pb, v in zip(pbs, vals, strict=True):
                    pb.rotation_euler = v[f]
                    pb.keyframe_insert("rotation_euler", frame=1 + f, group=pb.name)

        out[str(n)] = {
            "frames": n,
            **bulk_vs_insert(
                bulk, insert, clear, count_keys, len(bones) * 3 * n, a.repeats, a.insert_repeats
            ),
        }
    clear()
    emit(out)


if __name__ == "__main__":
    main()
