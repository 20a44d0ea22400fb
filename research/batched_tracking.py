"""Batched Face Mesh tracking against frame by frame, on the bench clip (docs/face.md).

    .venv/bin/python research/batched_tracking.py [--frames 240] [--repeats 3] [--batch 2 4 6]

For each ``track_batch`` (1 = frame by frame) the tracking pass over the bench's 640×480 clip
(``tests/bench/make_clips.py``, a moving head): frames/s (median of the repeats, batches
interleaved so that each sees the same machine load), Face Mesh calls and crops per pass, and
how far each batched pass's results lie from frame by frame's: landmarks (px), expression
values and head angles (°), median, 95th percentile and largest over the frames.

``--smile-video DATA`` also scores per-frame smile accuracy on the labelled London clips of
``make face-eval`` (``weights_tools/face_eval_video.py``, the same folds and clips) for each
``track_batch``: about 12 minutes each on one core.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "bench"))

from make_clips import make_clip, read_frames

from moodrig.core.face import AnalyzerConfig, FaceAnalyzer
from moodrig.core.face.netspec import engine_threads


def spread(values: list[float]) -> str:
    v = np.asarray(values)
    return f"median {np.median(v):.3f}, p95 {np.percentile(v, 95):.3f}, max {v.max():.3f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=240)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch", type=int, nargs="+", default=[2, 4, 6])
    ap.add_argument("--smile-video", type=Path, default=None, metavar="DATA")
    a = ap.parse_args()
    frames = read_frames(make_clip(10), a.frames)
    sizes = [1, *a.batch]
    analysers = {k: FaceAnalyzer(AnalyzerConfig(track_batch=k)) for k in sizes}
    calls = {k: [0, 0] for k in sizes}
    for k, an in analysers.items():
        real = an.mesh.run_batch

        def counted(images, rois, real=real, c=calls[k]):  # type: ignore[no-untyped-def]
            c[0] += 1
            c[1] += len(images)
            return real(images, rois)

        an.mesh.run_batch = counted  # type: ignore[method-assign]
    times: dict[int, list[float]] = {k: [] for k in sizes}
    results = {}
    with engine_threads("torch", 1):
        for k, an in analysers.items():  # warm-up, and the results compared below
            results[k] = list(an.track_stream(frames, pipelined=False))
            calls[k][:] = [0, 0]
        for _ in range(a.repeats):
            for k, an in analysers.items():
                t = time.perf_counter()
                list(an.track_stream(frames, pipelined=False))
                times[k].append(time.perf_counter() - t)
    base = results[1]
    for k in sizes:
        fps = len(frames) / statistics.median(times[k])
        c = [n // a.repeats for n in calls[k]]
        line = f"track_batch {k}: {fps:.0f} frames/s, {c[0]} calls for {c[1]} crops"
        pairs = [(x, y) for x, y in zip(base, results[k], strict=True) if x and y]
        if k > 1 and pairs:
            lm = [float(np.abs(x.landmarks[:, :2] - y.landmarks[:, :2]).max()) for x, y in pairs]
            ex = [float(np.abs(np.subtract(x.expression, y.expression)).max()) for x, y in pairs]
            hd = [
                max(abs(x.head.yaw - y.head.yaw), abs(x.head.pitch - y.head.pitch))
                for x, y in pairs
            ]
            line += (
                f"\n  against frame by frame: landmarks (px) {spread(lm)}; "
                f"expressions {spread(ex)}; yaw/pitch (°) {spread(hd)}"
            )
        print(line, flush=True)
    if a.smile_video is not None:
        smile_video(a.smile_video, sizes)


def smile_video(data: Path, sizes: list[int]) -> None:
    """Per-frame smile accuracy on the labelled clips, without and with the person's neutral."""
    from moodrig.weights_tools import face_eval_video
    from moodrig.weights_tools.face_calibrate import image_loader, observe, read_labels

    samples = read_labels(data)
    obs = observe(data, samples, FaceAnalyzer(AnalyzerConfig()))
    photo = image_loader(data, samples)
    for k in sizes:
        res = face_eval_video.evaluate(
            data, samples, obs, photo, analyzer=AnalyzerConfig(track_batch=k)
        )
        parts = []
        for way in ("stable", "baseline"):
            sc = res[way]
            assert isinstance(sc, dict)
            parts.append(
                f"{way} {100 * sc['accuracy']:.2f}% (faint {100 * sc['accuracy_faint']:.1f}%, "
                f"flips {sc['flips_mean']:.2f}/held, rest {sc['rest_mean']:.3f})"
            )
        print(f"track_batch {k}, smile per frame: " + "; ".join(parts), flush=True)


if __name__ == "__main__":
    main()
