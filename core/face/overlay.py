"""Overlay picture: landmarks, face box and one bar per expression parameter."""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from ..expression import EXPRESSION_NAMES
from .analyzer import FaceResult
from .io import as_rgb8


def draw_overlay(image: NDArray[np.generic], result: FaceResult | None) -> NDArray[np.uint8]:
    """Copy of ``image`` (HWC RGB) with the analysis drawn on it; a panel of parameter bars is
    added on the right. ``result`` None draws "no face"."""
    img = as_rgb8(image).copy()
    h, w = img.shape[:2]
    scale = max(h, w) / 640.0
    panel_w = max(220, int(260 * min(scale, 2.0)))
    out = np.full((max(h, 300), w + panel_w, 3), 32, dtype=np.uint8)
    out[:h, :w] = img
    fs = 0.45 * max(min(scale, 2.0), 0.8)
    th = max(1, round(scale))
    if result is None:
        cv2.putText(
            out,
            "no face",
            (w + 10, 30),
            cv2.FONT_HERSHEY_SIMPLEX,
            fs * 1.3,
            (255, 80, 80),
            th,
            cv2.LINE_AA,
        )
        return out
    r = max(1, round(1.2 * scale))
    for x, y in result.landmarks[:, :2]:
        if 0 <= x < w and 0 <= y < h:
            cv2.circle(out, (int(x), int(y)), r, (60, 255, 60), -1, cv2.LINE_AA)
    x0, y0, x1, y1 = (round(v) for v in result.box)
    cv2.rectangle(out, (x0, y0), (x1, y1), (255, 200, 0), th)
    line = int(22 * max(min(scale, 2.0), 0.8))
    y = line
    hp = result.head
    for text in (
        f"yaw {hp.yaw:+.0f}  pitch {hp.pitch:+.0f}  roll {hp.roll:+.0f}",
        f"view {result.view}  score {result.score:.2f}",
    ):
        cv2.putText(
            out, text, (w + 8, y), cv2.FONT_HERSHEY_SIMPLEX, fs, (230, 230, 230), 1, cv2.LINE_AA
        )
        y += line
    bar_w = panel_w - 24 - int(fs * 260)
    for name, v in zip(EXPRESSION_NAMES, result.expression.tolist(), strict=True):
        y += line
        cv2.putText(
            out, name, (w + 8, y), cv2.FONT_HERSHEY_SIMPLEX, fs, (230, 230, 230), 1, cv2.LINE_AA
        )
        bx, by = w + 16 + int(fs * 260), y - int(line * 0.6)
        cv2.rectangle(out, (bx, by), (bx + bar_w, by + int(line * 0.6)), (90, 90, 90), -1)
        cv2.rectangle(
            out, (bx, by), (bx + int(bar_w * float(v)), by + int(line * 0.6)), (80, 170, 255), -1
        )
    return out
