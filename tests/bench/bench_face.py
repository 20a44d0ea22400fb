"""Worker: face detection + landmarks (moodrig, tracking mode) on 640x480 clip frames, and the
paper's cascade stage vs OpenCV's detectMultiScale with default parameters.

    python tests/bench/bench_face.py --frames 240 --repeats 5 [--what landmarks|cascade]
        [--pipelined auto|on|off]

Frames are decoded once into memory (decode is not timed). Landmarks: one pass over the
frames is the analysis loop of ``analyze_video`` (FaceAnalyzer.track_stream: Face Mesh on the
previous face's crop, the detector only when tracking is lost, then head pose and expression,
described on a second thread when cores are free), timed per pass; frames/s = frames / pass
time. The first pass (TorchScript warm-up) is dropped. Stages: BlazeFace on every frame, Face
Mesh on every frame's tracking crop, the Face Mesh network alone on the same input tensors.
"""

from __future__ import annotations

import argparse
import time

import cv2
import numpy as np
import torch
from common import CACHE, emit, rate_stats
from make_clips import clip_path, make_clip, read_frames

from moodrig.core.face import AnalyzerConfig
from moodrig.weights_tools.metrics import time_repeats


def landmarks(
    frames: list[np.ndarray],
    repeats: int,
    pipelined: str = "auto",
    crops_out: str = "",
    stages: bool = True,
    track_batch: int | None = None,
) -> dict[str, object]:
    """:func:`_landmarks` with the face networks' thread count set for the whole run, as
    ``video.analyze_frames`` sets it; ``track_batch``: frames per Face Mesh call (None: the
    default)."""
    from moodrig.core.face.netspec import engine_threads

    cfg = AnalyzerConfig() if track_batch is None else AnalyzerConfig(track_batch=track_batch)
    with engine_threads(cfg.engine, cfg.threads):
        return _landmarks(frames, repeats, cfg, pipelined, crops_out, stages)


def _landmarks(
    frames: list[np.ndarray],
    repeats: int,
    config: AnalyzerConfig,
    pipelined: str = "auto",
    crops_out: str = "",
    stages: bool = True,
) -> dict[str, object]:
    """The tracking pass (``FaceAnalyzer.track_stream``, as ``analyze_video`` runs it) and its
    stages: BlazeFace on every frame; Face Mesh on each frame's tracking crop (crop + network +
    back-projection); the Face Mesh network alone on the same crops' input tensors."""
    from moodrig.core.cpu import free_cores
    from moodrig.core.face import FaceAnalyzer
    from moodrig.core.face.roi import crop, roi_from_landmarks

    an = FaceAnalyzer(config)
    free = free_cores()
    pipe = {"auto": None, "on": True, "off": False}[pipelined]
    found = [0]
    calls = {"detect": 0, "mesh": 0, "mesh_frames": 0}
    real_detect, real_mesh, real_batch = an.detector.detect_batch, an.mesh.run, an.mesh.run_batch

    def det(imgs):  # type: ignore[no-untyped-def]
        calls["detect"] += len(imgs)
        return real_detect(imgs)

    def mesh(imgs, rois):  # type: ignore[no-untyped-def]
        calls["mesh"] += 1
        calls["mesh_frames"] += len(imgs)
        return real_batch(imgs, rois)

    an.detector.detect_batch = det  # type: ignore[method-assign]
    an.mesh.run_batch = mesh  # type: ignore[method-assign]
    results: list[object] = []

    cpu_s: list[float] = []

    def one_pass() -> None:
        c0 = time.process_time()
        results[:] = list(an.track_stream(frames, pipelined=pipe))
        found[0] = sum(r is not None for r in results)
        cpu_s.append(time.process_time() - c0)

    ts = time_repeats(one_pass, repeats, warmup=1)
    cores = sum(cpu_s[1:]) / sum(ts)  # the timed passes only, not the warm-up
    calls_per_pass = {k: v // (repeats + 1) for k, v in calls.items()}
    an.detector.detect_batch, an.mesh.run_batch = real_detect, real_batch  # type: ignore[method-assign]
    whole = {
        "fps": rate_stats(ts, len(frames)),
        "frames": len(frames),
        "faces_found_last_pass": found[0],
        "calls_per_pass": calls_per_pass,
        "pipelined": pipelined,
        "free_cores_at_start": free,
        "pipelined_used": an.last_stream_pipelined,
        "track_batch": an.config.track_batch,
        "track_lanes": an.config.track_lanes,
        "cores_used": cores,
    }
    if not stages:
        return whole
    faces = [r for r in results if r is not None]
    rois = [roi_from_landmarks(r.landmarks) for r in faces]  # type: ignore[attr-defined]
    idx = [i for i, r in enumerate(results) if r is not None]
    rois = [rois[0], *rois[:-1]]  # frame k is read from frame k-1's crop, as in tracking
    t_det = time_repeats(lambda: [an.detector.detect(f) for f in frames], repeats, warmup=1)
    pairs = list(zip(idx, rois, strict=True))
    t_mesh = time_repeats(lambda: [real_mesh(frames[i], r) for i, r in pairs], repeats, warmup=1)
    patches = [crop(frames[i], r, 192)[0] for i, r in pairs]
    from moodrig.core.face.detector import InputBuffer
    from moodrig.core.face.models import MESH

    buf = InputBuffer(MESH.input_size, MESH.input_range, an.device)
    xs = [buf([p]).clone() for p in patches]
    t_net = time_repeats(lambda: [an.mesh.raw(x) for x in xs], repeats, warmup=1)
    k = an.config.track_batch
    groups = [torch.cat(xs[i : i + k]) for i in range(0, len(xs), k)]
    t_net_k = time_repeats(lambda: [an.mesh.raw(x) for x in groups], repeats, warmup=1)
    if crops_out:
        np.save(crops_out, np.concatenate([x.permute(0, 2, 3, 1).numpy() for x in xs]))
    return {
        **whole,
        "blazeface_fps": rate_stats(t_det, len(frames)),
        "facemesh_stage_fps": rate_stats(t_mesh, len(idx)),
        "facemesh_net_calls_per_s": rate_stats(t_net, len(xs)),
        "facemesh_net_batched_crops_per_s": rate_stats(t_net_k, len(xs)),
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
    return {
        "moodrig_fps": rate_stats(ts_o, len(frames)),
        "opencv_fps": rate_stats(ts_t, len(frames)),
        "frames": len(frames),
        "frames_with_face": hits,
        "ratio": rate_stats([t / o for o, t in zip(ts_o, ts_t, strict=True)], 1.0),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--what", choices=["landmarks", "cascade"], required=True)
    ap.add_argument("--frames", type=int, default=240)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument(
        "--dump", default="", help="also save the frames (RGB uint8 .npy) for the mediapipe worker"
    )
    ap.add_argument(
        "--dump-crops",
        default="",
        help="also save the Face Mesh input tensors (NHWC .npy) for LiteRT",
    )
    ap.add_argument("--pipelined", choices=["auto", "on", "off"], default="auto")
    ap.add_argument("--no-stages", action="store_true", help="time the whole tracking pass only")
    ap.add_argument(
        "--track-batch", type=int, default=0, help="frames per Face Mesh call (0: default)"
    )
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    path = make_clip(10)
    frames = read_frames(path, a.frames)
    if a.dump:
        CACHE.mkdir(parents=True, exist_ok=True)
        np.save(a.dump, np.stack(frames))
    t0 = time.perf_counter()
    if a.what == "landmarks":
        res = landmarks(
            frames, a.repeats, a.pipelined, a.dump_crops, not a.no_stages, a.track_batch or None
        )
    else:
        res = cascade(frames, a.repeats)
    emit(
        {
            **res,
            "torch_threads": torch.get_num_threads(),
            "wall_s": time.perf_counter() - t0,
            "clip": str(clip_path(10).name),
        }
    )


if __name__ == "__main__":
    main()
