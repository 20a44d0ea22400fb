"""Time mediapipe 0.10.21's own Face Mesh on saved frames (dev tool, throwaway venv only).

    .venv-mp/bin/python weights_tools/mediapipe_facemesh_bench.py FRAMES.npy OUT.json

FRAMES.npy: (N, H, W, 3) uint8 RGB. Runs ``mp.solutions.face_mesh.FaceMesh`` in tracking
mode (static_image_mode=False, one face, no iris refinement), the graph moodrig mirrors, and
writes median wall and CPU seconds per frame after a 10-frame warm-up. mediapipe is never
installed into moodrig's own environment.
"""

from __future__ import annotations

import json
import sys
import time

import mediapipe as mp  # type: ignore[import-not-found]
import numpy as np


def main() -> int:
    frames = np.load(sys.argv[1])
    wall: list[float] = []
    cpu: list[float] = []
    found = 0
    with mp.solutions.face_mesh.FaceMesh(
        static_image_mode=False, max_num_faces=1, refine_landmarks=False
    ) as fm:
        for i, f in enumerate(frames):
            t, c = time.perf_counter(), time.process_time()
            res = fm.process(f)
            if i >= 10:
                wall.append(time.perf_counter() - t)
                cpu.append(time.process_time() - c)
            found += res.multi_face_landmarks is not None
    out = {
        "frames": len(frames),
        "found": found,
        "wall_s": float(np.median(wall)),
        "wall_s_p10": float(np.percentile(wall, 10)),
        "cpu_s": float(np.median(cpu)),
        "mediapipe": mp.__version__,
    }
    with open(sys.argv[2], "w", encoding="utf-8") as fh:
        json.dump(out, fh)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
