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
import time

import numpy as np
from common import emit, rate_stats


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, nargs="+", default=[240, 2400])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--insert-repeats", type=int, default=0, help="repeats of keyframe_insert (default: --repeats)")
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

    for n in a.frames:
        curves = {b: (0.3 * np.sin(np.linspace(0, 6, n)[:, None] + rng.random(3)[None, :])).astype(np.float32) for b in bones}
        t_bulk, t_ins, keys = [], [], {}
        reps_ins = a.insert_repeats or a.repeats
        for r in range(max(a.repeats, reps_ins) + 1):  # the first round is a warm-up
            if r <= a.repeats:
                clear()
                t0 = time.perf_counter()
                _, cont = anim_compat.new_action(rig, "bench_bulk", "body")
                written = anim_compat.write_rotation_curves(cont, curves, 1)
                dt = time.perf_counter() - t0
                keys["bulk"] = count_keys()
                assert written == keys["bulk"] == len(bones) * 3 * n, (written, keys)
                if r:
                    t_bulk.append(dt)
            if r <= reps_ins:
                clear()
                pbs = [rig.pose.bones[b] for b in bones]
                vals = [curves[b].tolist() for b in bones]
                t0 = time.perf_counter()
                for f in range(n):
                    for pb, v in zip(pbs, vals, strict=True):
                        pb.rotation_euler = v[f]
                        pb.keyframe_insert("rotation_euler", frame=1 + f, group=pb.name)
                dt = time.perf_counter() - t0
                keys["keyframe_insert"] = count_keys()
                if r:
                    t_ins.append(dt)
        nk = len(bones) * 3 * n
        out[str(n)] = {
            "frames": n, "keys": nk, "keys_counted": keys,
            "bulk_keys_per_s": rate_stats(t_bulk, nk), "insert_keys_per_s": rate_stats(t_ins, nk),
            "bulk_s": [*t_bulk], "insert_s": [*t_ins],
        }
    clear()
    emit(out)


if __name__ == "__main__":
    main()
