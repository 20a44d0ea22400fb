"""Where the face is in a whole texture, for atlases whose face region nobody has set.

The locator learnt to read one face framed by a small margin. Over a whole atlas it is run on
square windows of several sizes (:data:`WINDOW_FRACTIONS` of the texture's shorter side, each
moved by half its size), batched, on a copy of the texture no larger than :data:`SEARCH_SIDE`.
Every window that shows a face proposes a region: the box around the canonical face square
its points place (``align.FaceFrame``), widened by :data:`MARGIN`. Many windows see the same
face; the proposal most of the others overlap wins (ties: the higher presence), and it is
refined once by locating the face in it, with the framings the editor uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np
import torch
from numpy.typing import NDArray

from .align import FaceFrame
from .pixelart import detect_blocks
from .region import FaceRegion, PixelRect

if TYPE_CHECKING:
    from .editor import FaceEditor

SEARCH_SIDE = 1024
"""The texture is searched at most this many pixels a side (windows are read at 96 px)."""
WINDOW_FRACTIONS = (0.6, 0.45, 0.34, 0.26, 0.2, 0.15)
"""Window sides, as fractions of the texture's shorter side: faces of about 12 to 60 %."""
MARGIN = 0.1
"""How far the region reaches beyond the canonical face square, per side, as a fraction of
its size (room for the seam, which lies inside the region)."""
AGREE_IOU = 0.5
"""Two proposals agree when their boxes overlap by this much (intersection over union)."""
MAX_ASPECT = 2.0
"""A face's box is at most this much wider than tall, or taller than wide."""
BATCH = 64


@dataclass(frozen=True)
class FoundRegion:
    """A face found in a texture: its region and the locator's presence there."""

    region: FaceRegion
    rect: PixelRect
    presence: float


def search_windows(height: int, width: int) -> list[tuple[int, int, int]]:
    """(x, y, side) of every square window searched in a ``height`` × ``width`` image."""
    shorter = min(height, width)
    out = []
    for fraction in WINDOW_FRACTIONS:
        side = max(8, int(shorter * fraction))
        step = max(1, side // 2)
        xs = list(range(0, width - side + 1, step)) or [0]
        ys = list(range(0, height - side + 1, step)) or [0]
        if xs[-1] != width - side and width > side:
            xs.append(width - side)  # reach the right and bottom edges too
        if ys[-1] != height - side and height > side:
            ys.append(height - side)
        out += [(x, y, side) for y in ys for x in xs]
    return out


def face_box(points: NDArray[np.float64], height: int, width: int) -> PixelRect | None:
    """The pixel box around the canonical face square that ``points`` (7, 2) place, widened by
    :data:`MARGIN` and clipped to the image; None where the points make no face (eyes on top
    of each other, the mouth above them) or the box is empty."""
    try:
        frame = FaceFrame.from_features(points)
    except (ValueError, ZeroDivisionError, FloatingPointError):
        return None
    if not np.all(np.isfinite(frame.matrix)) or np.linalg.det(frame.linear) <= 0:
        return None
    corners = square_corners(frame, MARGIN)
    x0, y0 = np.floor(corners.min(axis=0)).astype(int)
    x1, y1 = np.ceil(corners.max(axis=0)).astype(int)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(width, x1), min(height, y1)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    return PixelRect(int(x0), int(y0), int(x1), int(y1))


def square_corners(frame: FaceFrame, margin: float) -> NDArray[np.float64]:
    """(4, 2) pixel corners of the canonical face square of ``frame``, widened by ``margin``
    of its size on every side (narrowed when below 0)."""
    lo, hi = -margin, 1.0 + margin
    return frame.to_pixels(np.array([[lo, lo], [hi, lo], [lo, hi], [hi, hi]]))


def overlap(a: PixelRect, b: PixelRect) -> float:
    """Intersection over union of two boxes."""
    ix = max(0, min(a.x1, b.x1) - max(a.x0, b.x0))
    iy = max(0, min(a.y1, b.y1) - max(a.y0, b.y0))
    inter = ix * iy
    union = a.width * a.height + b.width * b.height - inter
    return inter / union if union > 0 else 0.0


def find_face_region(editor: FaceEditor, texture: NDArray[np.float32]) -> FoundRegion | None:
    """The face region of ``texture`` (H × W × 3|4 float32 in [0, 1], rows top-down), or None
    when no window shows a face. Upright faces only: a face turned in its atlas is found when
    the locator reads it upright, which it rarely does."""
    from .editor import _rgba, check_texture

    tex = check_texture(texture)
    height, width = tex.shape[:2]
    scale = min(1.0, SEARCH_SIDE / max(height, width))
    small: NDArray[np.float32] = _rgba(tex)
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        small = np.asarray(cv2.resize(small, size, interpolation=cv2.INTER_AREA), np.float32)
    sh, sw = small.shape[:2]
    windows = search_windows(sh, sw)
    presence, points = _locate_all(editor, small, windows)
    threshold = editor.locator.cfg.presence_threshold
    proposals: list[tuple[PixelRect, float]] = []
    for (x, y, side), p, pts in zip(windows, presence, points, strict=True):
        if p < threshold:
            continue
        box = face_box(pts * side + np.array([x, y]), sh, sw)
        if box is not None:
            proposals.append((box, float(p)))
    if not proposals:
        return None
    boxes = [box for box, _ in proposals]
    votes = [sum(overlap(box, other) >= AGREE_IOU for other in boxes) for box in boxes]
    best = max(range(len(proposals)), key=lambda i: (votes[i], proposals[i][1]))
    box, p = proposals[best]
    rect = PixelRect(
        int(box.x0 / scale),
        int(box.y0 / scale),
        min(width, int(np.ceil(box.x1 / scale))),
        min(height, int(np.ceil(box.y1 / scale))),
    )
    # Refined: the face located in the proposal as a bake locates it (a proposal the bake
    # would refuse is no face), then boxed again.
    found, _ = editor.find_face(tex, rect)
    if found is None:
        return None
    points = found.points + np.array([rect.x0, rect.y0])
    refined = face_box(points, height, width)
    if refined is None or not 1 / MAX_ASPECT <= refined.width / refined.height <= MAX_ASPECT:
        return None
    refined = blocky_box(tex, points, refined)
    return FoundRegion(FaceRegion.from_pixels(refined, width, height), refined, found.presence)


PIXEL_ART_MARGINS = (0.0, -0.05, -0.1)
"""Tighter boxes tried round a face whose found box is not all pixel art (:func:`blocky_box`),
as margins of the canonical face square (below 0: inside it; its features lie within
0.33-0.74 of it)."""


def blocky_box(
    texture: NDArray[np.float32], points: NDArray[np.float64], box: PixelRect
) -> PixelRect:
    """``box``, or a tighter one round the same face when only the tighter one is pixel art.

    A region is edited block by block only when all of it is blocks of one colour; the box
    round a pixel-art face reaches past the sprite into the atlas around it, and the face was
    then edited as painted art."""
    if detect_blocks(texture[box.slices][..., :3]) is not None:
        return box
    frame = FaceFrame.from_features(points)
    height, width = texture.shape[:2]
    for margin in PIXEL_ART_MARGINS:
        corners = square_corners(frame, margin)
        x0, y0 = np.ceil(corners.min(axis=0)).astype(int)
        x1, y1 = np.floor(corners.max(axis=0)).astype(int)
        inner = PixelRect(max(0, x0), max(0, y0), min(width, x1), min(height, y1))
        big_enough = inner.width >= 8 and inner.height >= 8
        if big_enough and detect_blocks(texture[inner.slices][..., :3]) is not None:
            return inner
    return box


def _locate_all(
    editor: FaceEditor, image: NDArray[np.float32], windows: list[tuple[int, int, int]]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Presence (N,) and points (N, 7, 2; window units) of every window, in batches."""
    r = editor.locator.cfg.resolution
    presence, points = [], []
    for i in range(0, len(windows), BATCH):
        crops = np.stack(
            [
                cv2.resize(image[y : y + s, x : x + s], (r, r), interpolation=cv2.INTER_AREA)
                for x, y, s in windows[i : i + BATCH]
            ]
        )
        x_in = torch.from_numpy(crops).permute(0, 3, 1, 2).to(editor.device) * 2.0 - 1.0
        with torch.inference_mode():
            pts, logit = editor.locator(x_in)
        presence.append(torch.sigmoid(logit).reshape(-1).double().cpu().numpy())
        points.append(pts.double().cpu().numpy())
    return np.concatenate(presence), np.concatenate(points)
