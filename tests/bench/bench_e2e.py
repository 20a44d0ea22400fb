"""Worker (real bpy): end to end, video → baked .blend with textures on disk.

    python tests/bench/bench_e2e.py --seconds 10 [--device cuda --warmup]

Set-up (not timed): factory scene, moodrig registered, demo character (1024² atlas, 512² face),
scene at 24 fps, .blend saved into a temporary folder (the bake writes
//moodrig-textures/<blend>/<face>/).
Timed (wall clock): ``moodrig.api.bake(source=clip, device=DEVICE)`` — face analysis of every
frame, BPFA, the parameters mode's textures (the face editor where its weights ship) + image
sequence on disk, keyframes and material — plus saving the .blend (``--device cuda``: every
network on the GPU). ``--warmup``: one untimed bake of a 1 s clip first, in the same process
(CUDA's context and kernel choice, model loading), so the figure is the steady speed of a
session's next bake. Real-time factor = wall / clip duration.
Memory: peak RSS of this process (ru_maxrss) and RSS sampled every 0.1 s during the bake, minus
the RSS just before it.
If weights/amee holds no shipped weights, the bake gets an editor with the same architecture
and random weights (recorded as ``amee_weights``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

from common import emit
from make_clips import FPS, make_clip


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return 0.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--keep", default="", help="copy the baked folder here (inspection)")
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda", "mps", "auto"))
    ap.add_argument("--warmup", action="store_true", help="an untimed 1 s bake first")
    a = ap.parse_args()
    clip = make_clip(a.seconds)
    warm_clip = make_clip(1) if a.warmup else None
    os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="moodrig-bench-"))
    import bpy
    import torch

    import moodrig
    from moodrig import api
    from moodrig.core.amee.weights_io import AMEE_WEIGHTS

    editor = None
    weights = "shipped"
    if not AMEE_WEIGHTS.shipped_manifest().is_file():
        from moodrig.core.amee.config import AmeeConfig
        from moodrig.core.amee.infer import AmeeEditor
        from moodrig.core.amee.model import Generator

        torch.manual_seed(0)
        editor = AmeeEditor.from_network(
            Generator(AmeeConfig()), {"random_init": True}, device=a.device, model_id="random-init"
        )
        weights = "random init (no shipped weights)"
    tmp = Path(tempfile.mkdtemp(prefix="moodrig-e2e-"))
    try:
        bpy.ops.wm.read_factory_settings(use_empty=True)
        moodrig.register()
        bpy.ops.moodrig.add_demo_character(texture_size=1024)
        scene = bpy.context.scene
        scene.render.fps, scene.render.fps_base = int(FPS), 1.0
        blend = tmp / "scene.blend"
        bpy.ops.wm.save_as_mainfile(filepath=str(blend))
        if warm_clip is not None:
            api.bake(
                scene,
                "moodrig_DemoFace",
                "moodrig_DemoRig",
                api.BakeRequest(source=str(warm_clip), seed=0, device=a.device),
                editor=editor,
            )
        rss0 = rss_mb()
        samples: list[float] = []
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                samples.append(rss_mb())
                stop.wait(0.1)

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        t0 = time.perf_counter()
        request = api.BakeRequest(source=str(clip), seed=0, device=a.device)
        res = api.bake(scene, "moodrig_DemoFace", "moodrig_DemoRig", request, editor=editor)
        t_bake = time.perf_counter() - t0
        bpy.ops.wm.save_mainfile(filepath=str(blend))
        wall = time.perf_counter() - t0
        stop.set()
        th.join()
        folder = Path(res.folder)
        files = [p for p in folder.rglob("*") if p.is_file()]
        if a.keep:
            shutil.copytree(tmp, a.keep, dirs_exist_ok=True)
        emit(
            {
                "seconds": a.seconds,
                "frames": res.n_frames,
                "clip_fps": FPS,
                "wall_s": wall,
                "bake_s": t_bake,
                "save_s": wall - t_bake,
                "real_time_factor": wall / a.seconds,
                "timings": res.timings,
                "distinct_textures": res.distinct_textures,
                "generated_textures": res.generated_textures,
                "files_on_disk": len(files),
                "bytes_on_disk": sum(p.stat().st_size for p in files),
                "blend_bytes": blend.stat().st_size,
                "rss_before_mb": rss0,
                "rss_max_sampled_mb": max(samples or [rss0]),
                "amee_weights": weights,
                "torch_threads": torch.get_num_threads(),
                "device": a.device,
                "warmup": a.warmup,
                "frames_per_s": res.n_frames / wall,
                "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            }
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
