"""Worker: one photo analysed from a cold start, end to end, as a user runs it.

    PYTHONPATH=tests/bench python tests/bench/bench_coldstart.py --repeats 5

Each repeat starts a fresh ``python -m moodrig.core.face analyze photo.jpg --json x.json``
subprocess (the bundled core/data/sample_face.jpg) and times it from spawn to exit: interpreter
start, imports, weights loading and verification, the analysis, the JSON write. Wall time and
the child's CPU time (user + system, steadier on a shared machine) are both kept. The same
command with ``--engine torch`` (the networks on torch, as before the numpy engine) and a bare
``python -c pass`` (the interpreter's own start) are measured in the same run, interleaved, so
all three see the same load. The first round warms the disk cache and is dropped.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, emit, stats

PHOTO = REPO / "core" / "data" / "sample_face.jpg"


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall s, child CPU s) of one subprocess run; fails loudly if it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd} failed (exit {proc.returncode}): {proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "x.json"
        cmds = {
            "photo": [py, "-m", "moodrig.core.face", "analyze", str(PHOTO), "--json", str(out)],
            "photo_torch": [
                py,
                "-m",
                "moodrig.core.face",
                "analyze",
                str(PHOTO),
                "--json",
                str(out),
                "--engine",
                "torch",
            ],
            "python": [py, "-c", "pass"],
        }
        runs: dict[str, dict[str, list[float]]] = {k: {"wall": [], "cpu": []} for k in cmds}
        for r in range(a.repeats + 1):
            for name, cmd in cmds.items():
                wall, cpu = timed(cmd)
                if r:
                    runs[name]["wall"].append(wall)
                    runs[name]["cpu"].append(cpu)
        doc = json.loads(out.read_text())
        valid = bool(doc["frames"][0]["valid"])
    emit(
        {
            "photo": str(PHOTO.relative_to(REPO)),
            "face_found": valid,
            "repeats": a.repeats,
            **{f"{k}_wall_s": stats(v["wall"]) for k, v in runs.items()},
            **{f"{k}_cpu_s": stats(v["cpu"]) for k, v in runs.items()},
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        }
    )


if __name__ == "__main__":
    main()
