"""The paper's cascade detector: OpenCV's Haar cascades shipped inside the opencv wheel.

A search window is scanned over an image pyramid (``scale_factor`` per level); each window
passes the cascade's stages or is rejected at the first failing node; overlapping hits are
merged (``min_neighbors`` groups). Used as the fallback detection stage when BlazeFace finds no
face (small or unusual faces), before Face Mesh refines the region.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from ..errors import WeightsError


@dataclass(frozen=True)
class CascadeConfig:
    """``detectMultiScale`` settings."""

    cascade: str = "haarcascade_frontalface_default.xml"
    """File name inside ``cv2.data.haarcascades``."""
    scale_factor: float = 1.1
    """Pyramid step between scales (> 1)."""
    min_neighbors: int = 4
    """Overlapping raw detections needed to keep (merge) a face."""
    min_size: int = 20
    """Smallest face side (px) searched."""
    max_side: int = 640
    """Images are downscaled so their longer side is at most this (speed); boxes are mapped back."""


@functools.lru_cache(maxsize=4)
def _classifier(name: str) -> cv2.CascadeClassifier:
    path = cv2.data.haarcascades + name  # type: ignore[attr-defined]
    clf = cv2.CascadeClassifier(path)
    if clf.empty():
        raise WeightsError(
            path, "OpenCV cascade file is missing or unreadable", "Reinstall opencv-python-headless"
        )
    return clf


def detect_faces(
    image: NDArray[np.uint8], config: CascadeConfig = CascadeConfig()
) -> list[tuple[float, float, float, float]]:
    """Merged multi-scale detections as (x0, y0, x1, y1) in image px, largest first."""
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    h, w = gray.shape[:2]
    s = min(1.0, config.max_side / max(h, w))
    if s < 1.0:
        gray = cv2.resize(
            gray, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA
        )
    gray = cv2.equalizeHist(gray)
    found = _classifier(config.cascade).detectMultiScale(
        gray,
        scaleFactor=config.scale_factor,
        minNeighbors=config.min_neighbors,
        minSize=(max(1, round(config.min_size * s)),) * 2,
    )
    boxes = [
        (x / s, y / s, (x + bw) / s, (y + bh) / s)
        for x, y, bw, bh in np.asarray(found).reshape(-1, 4).tolist()
    ]
    return sorted(boxes, key=lambda b: -(b[2] - b[0]) * (b[3] - b[1]))
