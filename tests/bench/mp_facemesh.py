"""Worker for the throwaway venv .venv-bench-mp: MediaPipe 0.10.21 Face Mesh (solutions API,
tracking mode: static_image_mode=False, one face, no iris refinement) on the same RGB frames.

    .venv-bench-mp/bin/python tests/bench/mp_facemesh.py FRAMES.npy --repeats 5 [--stages]

Each pass uses a fresh FaceMesh graph (so each pass starts by detecting, like moodrig's);
the first pass is a warm-up and is dropped. ``--stages`` also times MediaPipe's BlazeFace
alone: the FaceDetection solution with the same short-range model (model_selection=0) on
every frame. The solutions API exposes no per-calculator timing, so Face Mesh alone is the
tracking graph itself (after the first frame it runs the landmark model and the ROI
calculators only, detection once) and, in run_all, the LiteRT interpreter on the same crops.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("frames")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--stages", action="store_true")
    a = ap.parse_args()
    import mediapipe as mp

    frames = np.load(a.frames)
    times, cpu, found = [], [], 0
    for r in range(a.repeats + 1):
        with mp.solutions.face_mesh.FaceMesh(
            static_image_mode=False, max_num_faces=1, refine_landmarks=False
        ) as fm:
            n = 0
            c0, t0 = time.process_time(), time.perf_counter()
            for f in frames:
                res = fm.process(f)
                n += res.multi_face_landmarks is not None
            dt, dc = time.perf_counter() - t0, time.process_time() - c0
        if r > 0:
            times.append(dt)
            cpu.append(dc)
            found = n
    det_times, det_found = [], 0
    if a.stages:
        for r in range(a.repeats + 1):
            fd_solution = mp.solutions.face_detection.FaceDetection
            with fd_solution(model_selection=0, min_detection_confidence=0.5) as fd:
                n = 0
                t0 = time.perf_counter()
                for f in frames:
                    n += fd.process(f).detections is not None
                dt = time.perf_counter() - t0
            if r > 0:
                det_times.append(dt)
                det_found = n
    print(
        "BENCH_RESULT:"
        + json.dumps(
            {
                "seconds": times,
                "cores_used": sum(cpu) / sum(times),
                "frames": len(frames),
                "faces_found_last_pass": found,
                "blazeface_seconds": det_times,
                "blazeface_found": det_found,
                "mediapipe": mp.__version__,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
