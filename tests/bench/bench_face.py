"""Worker: face detection + landmarks (moodrig, tracking mode) on 640x480 clip frames, and the
paper's cascade stage vs OpenCV's detectMultiScale with default parameters.

    python tests/bench/bench_face.py --frames 240 --repeats 5 [--what landmarks|cascade]

Frames are decoded once into memory (decode is not timed). Landmarks: one pass over the
frames is the analysis loop of ``analyze_video`` (FaceAnalyzer.track: Face Mesh on the previous
face's crop, BlazeFace + cascade only when tracking is lost, then head pose and expression),
timed per pass; frames/s = frames / pass time. The first pass (TorchScript warm-up) is dropped.
"""

from __future__ import annotations

import argparse
import time

import cv2
import numpy as np
import torch
from common import CACHE, emit, rate_stats
from make_clips import clip_path, make_clip, read_frames

from moodrig.weights_tools.metrics import time_repeats


def landmarks(frames: list[np.ndarray], repeats: int) -> dict[str, object]:
    from moodrig.core.face import FaceAnalyzer

    an = FaceAnalyzer()
    found = [0]
    calls = {"detect": 0, "mesh": 0}
    real_detect, real_mesh = an.detector.detect, an.mesh.run

    def det(img):  # type: ignore[no-untyped-def]
        calls["detect"] += 1
        return real_detect(img)

    def mesh(img, roi):  # type: ignore[no-untyped-def]
        calls["mesh"] += 1
        return real_mesh(img, roi)

    an.detector.detect = det  # type: ignore[method-assign]
    an.mesh.run = mesh  # type: ignore[method-assign]

    def one_pass() -> None:
        prev = None
        n = 0
        for f in frames:
            prev = an.track(f, prev)
            n += prev is not None
        found[0] = n

    ts = time_repeats(one_pass, repeats, warmup=1)
    # parts, for the profile note: BlazeFace alone on every frame, Face Mesh alone on a fixed crop
    an.detector.detect, an.mesh.run = real_detect, real_mesh  # type: ignore[method-assign]
    sub = frames[: min(len(frames), 48)]
    t_det = time_repeats(lambda: [real_detect(f) for f in sub], max(1, repeats // 2), warmup=1)
    first = an.analyze(frames[0])
    assert first is not None
    from moodrig.core.face.roi import roi_from_landmarks

    roi = roi_from_landmarks(first.landmarks)
    t_mesh = time_repeats(lambda: [real_mesh(f, roi) for f in sub], max(1, repeats // 2), warmup=1)
    return {
        "fps": rate_stats(ts, len(frames)), "frames": len(frames), "faces_found_last_pass": found[0],
        "calls_total": calls, "blazeface_fps": rate_stats(t_det, len(sub)), "facemesh_calls_per_s": rate_stats(t_mesh, len(sub)),
    }


def cascade(frames: list[np.ndarray], repeats: int) -> dict[str, object]:
    from moodrig.core.face.cascade import CascadeConfig, detect_faces

    cfg = CascadeConfig()
    clf = cv2.CascadeClassifier(cv2.data.haarcascades + cfg.cascade)  # type: ignore[attr-defined]
    grays = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
    hits = {"moodrig": 0, "opencv": 0}

    def ours() -> None:
        hits["moodrig"] = sum(len(detect_faces(f, cfg)) > 0 for f in frames)

    def theirs() -> None:  # default parameters: scaleFactor 1.1, minNeighbors 3, no min/max size
        hits["opencv"] = sum(len(clf.detectMultiScale(g)) > 0 for g in grays)

    ts_o, ts_t = [], []
    ours()  # warm-up
    theirs()
    for _ in range(repeats):  # interleaved, so both see the same machine load
        ts_o.extend(time_repeats(ours, 1, warmup=0))
        ts_t.extend(time_repeats(theirs, 1, warmup=0))
    return {"moodrig_fps": rate_stats(ts_o, len(frames)), "opencv_fps": rate_stats(ts_t, len(frames)),
            "frames": len(frames), "frames_with_face": hits,
            "ratio": rate_stats([t / o for o, t in zip(ts_o, ts_t, strict=True)], 1.0)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--what", choices=["landmarks", "cascade"], required=True)
    ap.add_argument("--frames", type=int, default=240)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--dump", default="", help="also save the frames (RGB uint8 .npy) for the mediapipe worker")
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    path = make_clip(10)
    frames = read_frames(path, a.frames)
    if a.dump:
        CACHE.mkdir(parents=True, exist_ok=True)
        np.save(a.dump, np.stack(frames))
    t0 = time.perf_counter()
    res = landmarks(frames, a.repeats) if a.what == "landmarks" else cascade(frames, a.repeats)
    emit({**res, "torch_threads": torch.get_num_threads(), "wall_s": time.perf_counter() - t0, "clip": str(clip_path(10).name)})


if __name__ == "__main__":
    main()
