"""Deterministic 640x480, 24 fps test clips made from the bundled real face photo.

The photo (core/data/sample_face.jpg) is moved with small smooth translations, rotations and
zoom (sums of sines, fixed phases), so every run makes the same frames. No downloads.
Clips land in bench/cache/ (gitignored): clip_10s.avi, clip_60s.avi, clip_300s.avi (MJPG).

    python tests/bench/make_clips.py [--seconds 10 60 300]
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import cv2
import numpy as np
from common import CACHE, REPO

W, H, FPS = 640, 480, 24.0
PHOTO = REPO / "core" / "data" / "sample_face.jpg"


def base_canvas() -> np.ndarray:
    """The photo scaled so the face fills about half the frame height, on a neutral canvas (BGR)."""
    img = cv2.imread(str(PHOTO), cv2.IMREAD_COLOR)
    if img is None:
        raise SystemExit(f"cannot read {PHOTO}")
    s = min(W / img.shape[1], H / img.shape[0])
    small = cv2.resize(
        img, (round(img.shape[1] * s), round(img.shape[0] * s)), interpolation=cv2.INTER_AREA
    )
    canvas = np.full((H, W, 3), 60, np.uint8)
    y0, x0 = (H - small.shape[0]) // 2, (W - small.shape[1]) // 2
    canvas[y0 : y0 + small.shape[0], x0 : x0 + small.shape[1]] = small
    return canvas


def frame(canvas: np.ndarray, i: int) -> np.ndarray:
    t = i / FPS
    dx = 18 * math.sin(2 * math.pi * t / 5.0) + 6 * math.sin(2 * math.pi * t / 1.7 + 0.4)
    dy = 10 * math.sin(2 * math.pi * t / 3.3 + 1.0)
    ang = 6 * math.sin(2 * math.pi * t / 4.1 + 0.3)
    zoom = 1.0 + 0.06 * math.sin(2 * math.pi * t / 7.0)
    m = cv2.getRotationMatrix2D((W / 2, H / 2), ang, zoom)
    m[:, 2] += (dx, dy)
    return cv2.warpAffine(
        canvas, m, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


def clip_path(seconds: int) -> Path:
    return CACHE / f"clip_{seconds}s.avi"


def make_clip(seconds: int, force: bool = False) -> Path:
    path = clip_path(seconds)
    n = round(seconds * FPS)
    if path.is_file() and not force:
        cap = cv2.VideoCapture(str(path))
        ok = cap.isOpened() and int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == n
        cap.release()
        if ok:
            return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.avi")
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (W, H))
    if not writer.isOpened():
        raise SystemExit("cv2.VideoWriter (MJPG) could not be opened")
    canvas = base_canvas()
    for i in range(n):
        writer.write(frame(canvas, i))
    writer.release()
    tmp.replace(path)
    return path


def read_frames(path: Path, limit: int | None = None) -> list[np.ndarray]:
    """Decoded frames as RGB uint8."""
    cap = cv2.VideoCapture(str(path))
    out = []
    while limit is None or len(out) < limit:
        ok, bgr = cap.read()
        if not ok:
            break
        out.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    cap.release()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=int, nargs="+", default=[10, 60, 300])
    ap.add_argument("--force", action="store_true")
    a = ap.parse_args()
    for s in a.seconds:
        print(make_clip(s, a.force))


if __name__ == "__main__":
    main()
