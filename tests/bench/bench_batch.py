"""Worker: ``moodrig batch`` throughput, 1 worker against 2, and Ray against the embedded pool.

    python tests/bench/bench_batch.py --jobs 8 --seconds 10 --texture 512 --repeats 1

Set-up (not timed): the demo character (``--texture`` px face texture, 24 fps) in a saved
scene, the deterministic bench clip of ``--seconds`` s (make_clips.py), a job file of
``--jobs`` jobs (that clip, seeds 1…N, device cpu), and a Ray head on 127.0.0.1 with 2 CPU
slots (tests/ray_head.py), started before and ended after the Ray runs. Timed (wall clock):
the whole ``python -m moodrig batch`` command, in a fresh output folder each time, with
``--workers 1`` (2 torch threads), ``--workers 2`` (1 thread each) and ``--ray ADDRESS`` (one
CPU slot and one thread per task). The runs alternate per repeat, so a change of load on the
shared machine hits all three.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, emit, stats
from make_clips import make_clip

sys.path.insert(0, str(REPO / "tests"))
from ray_head import RAY_ENV, ray_folder, ray_head

SCENE = """
import sys, bpy, moodrig
bpy.ops.wm.read_factory_settings(use_empty=True)
moodrig.register()
bpy.ops.moodrig.add_demo_character(texture_size=int(sys.argv[2]))
bpy.context.scene.render.fps = 24
bpy.ops.wm.save_as_mainfile(filepath=sys.argv[1])
"""


def write_jobs(folder: Path, scene: Path, clip: Path, n: int) -> Path:
    folder.mkdir(parents=True)
    rows = "".join(
        f"{scene},{clip},moodrig_DemoFace,moodrig_DemoRig,out/s{i}.blend,{i},cpu\n"
        for i in range(1, n + 1)
    )
    path = folder / "jobs.csv"
    path.write_text("scene,source,face,armature,out,seed,device\n" + rows)
    return path


def timed_batch(jobs: Path, flags: list[str], env: dict[str, str]) -> dict[str, object]:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "moodrig", "batch", str(jobs), *flags],
        capture_output=True,
        text=True,
        env=env,
        cwd=jobs.parent,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"batch {flags} failed:\n{proc.stderr[-3000:]}")
    status = json.loads((jobs.parent / "batch_status.json").read_text())["jobs"]
    return {"wall_s": wall, "job_s": [e["seconds"] for e in status.values()]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=8)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--texture", type=int, default=512)
    ap.add_argument("--repeats", type=int, default=1)
    a = ap.parse_args()
    clip = make_clip(a.seconds)
    env = {**os.environ, **RAY_ENV}
    with tempfile.TemporaryDirectory(prefix="moodrig-bench-batch-") as tmp, ray_folder() as rtmp:
        root = Path(tmp)
        scene = root / "scene.blend"
        subprocess.run(
            [sys.executable, "-c", SCENE, str(scene), str(a.texture)],
            check=True,
            capture_output=True,
            env=env,
        )
        env["RAY_TMPDIR"] = str(rtmp)
        runs: dict[str, list[dict[str, object]]] = {"workers_1": [], "workers_2": [], "ray": []}
        with ray_head(rtmp, root / "ray.log", cpus=2) as address:
            configs = {
                "workers_1": ["--workers", "1"],
                "workers_2": ["--workers", "2"],
                "ray": ["--ray", address, "--threads", "1"],
            }
            for r in range(a.repeats):
                for name, flags in configs.items():
                    jobs = write_jobs(root / f"{name}_{r}", scene, clip, a.jobs)
                    runs[name].append(timed_batch(jobs, flags, env))
    walls = {name: stats([float(x["wall_s"]) for x in rs]) for name, rs in runs.items()}  # type: ignore[arg-type]
    emit(
        {
            "jobs": a.jobs,
            "clip_seconds": a.seconds,
            "texture": a.texture,
            "repeats": a.repeats,
            "runs": runs,
            "wall_s": walls,
            "speedup_2_vs_1": walls["workers_1"]["median"] / walls["workers_2"]["median"],
            "ray_overhead": walls["ray"]["median"] / walls["workers_2"]["median"] - 1.0,
        }
    )


if __name__ == "__main__":
    main()
