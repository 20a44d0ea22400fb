"""Worker (real bpy): keys/s of the shape-key bulk path (``shape_keys.write``, what a bake
runs: a tagged action on the mesh's shape keys, ``keyframe_points.add`` + ``foreach_set``)
vs ``keyframe_insert`` per key, on a mesh with the 52 ARKit shape keys.

    python tests/bench/bench_shapekeys.py --frames 240 --repeats 5

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
    ap.add_argument("--frames", type=int, nargs="+", default=[240])
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
    from moodrig import anim_compat, shape_keys
    from moodrig.core.shapekeys import ARKIT

    bpy.ops.wm.read_factory_settings(use_empty=True)
    moodrig.register()
    names = [k.name for k in ARKIT.keys]
    mesh = bpy.data.meshes.new("BenchHead")
    mesh.from_pydata([(0.01 * i, 0.0, 0.0) for i in range(len(names))], [], [])
    face = bpy.data.objects.new("BenchHead", mesh)
    bpy.context.scene.collection.objects.link(face)
    face.shape_key_add(name="Basis")
    for i, name in enumerate(names):
        face.shape_key_add(name=name, from_mix=False).data[i].co.z += 0.001 * (i + 1)
    key = face.data.shape_keys
    rng = np.random.default_rng(0)
    out: dict[str, object] = {"shape_keys": len(names), "bpy": bpy.app.version_string}

    def clear() -> None:
        if key.animation_data is not None:
            key.animation_data.action = None
        for act in list(bpy.data.actions):
            bpy.data.actions.remove(act)
        # Settle the depsgraph outside the timed region, so neither path pays for the other.
        bpy.context.view_layer.update()

    def count_keys() -> int:
        bag = anim_compat.curve_container(key, key.animation_data.action)
        return sum(len(fc.keyframe_points) for fc in bag.fcurves)

    blocks = [key.key_blocks[k] for k in names]
    for n in a.frames:
        curves = {k: rng.random(n).astype(np.float32) for k in names}
        values = [curves[k].tolist() for k in names]

        def insert(n: int = n, values: list[list[float]] = values) -> None:
            for f in range(n):
                for kb, v in zip(blocks, values, strict=True):
                    kb.value = v[f]
                    kb.keyframe_insert("value", frame=1 + f)

        out[str(n)] = {
            "frames": n,
            **bulk_vs_insert(
                lambda curves=curves: shape_keys.write(face, curves, 1, "bench_bulk"),
                insert,
                clear,
                count_keys,
                len(names) * n,
                a.repeats,
                a.insert_repeats,
            ),
        }
    clear()
    emit(out)


if __name__ == "__main__":
    main()
