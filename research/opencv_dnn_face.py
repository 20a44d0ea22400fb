"""MediaPipe's own face networks in OpenCV's DNN module against moodrig's traced torch form.

    .venv/bin/python research/opencv_dnn_face.py [--wheel build/mediapipe/mediapipe-0.10.21-*.whl]

Reads face_landmark.tflite and face_detection_short_range.tflite out of the mediapipe wheel
(``make parity-venv`` fetches it into build/mediapipe), runs each in ``cv2.dnn`` (OpenCV's own
backend, one thread) and moodrig's inference form (``models.inference_net``, one torch
thread) on the same random input, one after the other, and prints calls/s (median of 5 rounds of 400
calls). A one-off question: would a second runtime make the face networks faster?
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import torch

from moodrig.core.face.models import inference_net
from moodrig.core.face.netspec import DETECTOR, MESH

MODELS = {
    MESH: "mediapipe/modules/face_landmark/face_landmark.tflite",
    DETECTOR: "mediapipe/modules/face_detection/face_detection_short_range.tflite",
}


def rate(fn: Callable[[], object], calls: int = 400, rounds: int = 5) -> float:
    for _ in range(50):
        fn()
    out = []
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(calls):
            fn()
        out.append(calls / (time.perf_counter() - t))
    return statistics.median(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--wheel", type=Path, default=None)
    a = ap.parse_args()
    wheel = a.wheel or next(iter(sorted(Path("build/mediapipe").glob("mediapipe-0.10.21-*.whl"))))
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(wheel) as zf:
        for spec, member in MODELS.items():
            path = Path(tmp) / Path(member).name
            path.write_bytes(zf.read(member))
            net = cv2.dnn.readNetFromTFLite(str(path))
            net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
            names = net.getUnconnectedOutLayersNames()
            s = spec.input_size
            x = np.random.default_rng(0).random((1, 3, s, s), dtype=np.float32)
            ours = inference_net(spec)
            xt = torch.from_numpy(x).contiguous(memory_format=torch.channels_last)

            def opencv(net: cv2.dnn.Net = net, names: object = names, x: np.ndarray = x) -> object:
                net.setInput(x)
                return net.forward(names)

            with torch.inference_mode():
                r_cv = rate(opencv)
                r_torch = rate(lambda ours=ours, xt=xt: ours(xt))
            print(f"{path.name}: cv2.dnn {r_cv:.0f} calls/s, moodrig (torch) {r_torch:.0f}")


if __name__ == "__main__":
    main()
