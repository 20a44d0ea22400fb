"""Where the face is in a whole texture, for atlases whose face region nobody has set.

The locator learnt to read one face framed by a small margin. Over a whole atlas it is run on
square windows of several sizes (:data:`WINDOW_FRACTIONS` of the texture's shorter side, each
moved by half its size), batched, on a copy of the texture no larger than :data:`SEARCH_SIDE`.
Every window that shows a face proposes a region: the box around the canonical face square
its points place (``align.FaceFrame``), widened by :data:`MARGIN`. Many windows see the same
face; the proposal most of the others overlap wins (ties: the higher presence), and it is
refined once by locating the face in it, with the framings the editor uses.

UV packers turn islands, so a face may lie on its side or upside down in its atlas. The
locator learnt upright faces, and on a turned one it still proposes a face, often with full
confidence, on the wrong features, so the box it places is wrong. The upright search's winner
is kept when its framings agree as closely as an upright face's do (``turns.py``) and no
quarter turn of the same region agrees clearly better, which costs a few locator calls more
for the usual atlas. Otherwise the texture is searched again in its three quarter
turns (:data:`TURNS`), each turn's winner is located in that turn, and the turn whose framings
agree best is taken (``turns.pick``: upright unless a turn agrees clearly better); a turn is
taken only when its framings agree as closely as an upright face's must to be taken at once.
A texture with no face costs four searches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np
import torch
from numpy.typing import NDArray

from .align import FaceFrame
from .orientation import Orientation
from .pixelart import detect_blocks
from .region import FaceRegion, PixelRect
from .turns import TURN_MARGIN, UPRIGHT_SPREAD, View, pick, unturn_points

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
TURNS = (1, 2, 3)
"""Quarter turns (as ``np.rot90``) searched when the upright search finds no upright face."""


@dataclass(frozen=True)
class FoundRegion:
    """A face found in a texture: its region and the locator's presence there."""

    region: FaceRegion
    rect: PixelRect
    presence: float
    orientation: Orientation
    """The quarter turn that shows the face upright, as the search chose it (never mirrored:
    a picture cannot tell a mirrored face)."""


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
    when no window shows a face, upright or turned by quarter turns."""
    from .editor import _rgba, check_texture

    tex = check_texture(texture)
    height, width = tex.shape[:2]
    scale = min(1.0, SEARCH_SIDE / max(height, width))
    small: NDArray[np.float32] = _rgba(tex)
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        small = np.asarray(cv2.resize(small, size, interpolation=cv2.INTER_AREA), np.float32)
    seen: dict[int, tuple[PixelRect, View]] = {}
    for turns in (0, *TURNS):
        proposals = _proposals(editor, small, turns)
        if proposals:
            rect = _in_texture(_winner(proposals), scale, width, height)
            view = editor.read_view(tex, rect, Orientation(turns))[1]
            # A turned reading is a face only when its framings agree as closely as an upright
            # face's must to be taken untried: looser ones were clutter (a swatch grid on a
            # rounded shape read sideways agreed within 0.17; turned faces within 0.08).
            if view is not None and (turns == 0 or view.spread <= UPRIGHT_SPREAD):
                seen[turns] = (rect, view)
        if turns == 0 and 0 in seen and _upright(editor, tex, *seen[0]):
            break  # an upright face: the turns are not searched
    upright = seen[0][1] if 0 in seen else None
    chosen, _ = pick(upright, [view for t, (_, view) in seen.items() if t != 0])
    if chosen is None:
        return None
    # No second choice when the chosen one fails: the next turn is a worse reading of the same
    # face, and a face edited upside down is worse than none found.
    return _refined(editor, tex, seen[chosen.turns][0], Orientation(chosen.turns))


def _proposals(
    editor: FaceEditor, small: NDArray[np.float32], turns: int
) -> list[tuple[PixelRect, float]]:
    """(box, presence) proposed by every window that shows a face in ``small`` turned by
    ``turns`` quarter turns; boxes in ``small``'s own pixels."""
    sh, sw = small.shape[:2]
    view = np.ascontiguousarray(np.rot90(small, turns))
    windows = search_windows(*view.shape[:2])
    presence, points = _locate_all(editor, view, windows)
    threshold = editor.locator.cfg.presence_threshold
    proposals = []
    for (x, y, side), p, pts in zip(windows, presence, points, strict=True):
        if p < threshold:
            continue
        seen = unturn_points(pts * side + np.array([x, y]), turns, sw, sh)
        box = face_box(seen, sh, sw)
        if box is not None:
            proposals.append((box, float(p)))
    return proposals


def _winner(proposals: list[tuple[PixelRect, float]]) -> PixelRect:
    """The box most of the others overlap (ties: the higher presence)."""
    boxes = [box for box, _ in proposals]
    votes = [sum(overlap(box, other) >= AGREE_IOU for other in boxes) for box in boxes]
    best = max(range(len(proposals)), key=lambda i: (votes[i], proposals[i][1]))
    return boxes[best]


def _in_texture(box: PixelRect, scale: float, width: int, height: int) -> PixelRect:
    """A box of the search copy (``scale`` of the texture) in the texture's own pixels."""
    return PixelRect(
        int(box.x0 / scale),
        int(box.y0 / scale),
        min(width, int(np.ceil(box.x1 / scale))),
        min(height, int(np.ceil(box.y1 / scale))),
    )


def _upright(editor: FaceEditor, tex: NDArray[np.float32], rect: PixelRect, view: View) -> bool:
    """Whether the upright search's winner ``view`` (in ``rect``) is an upright face: its
    framings agree as an upright face's do, and no quarter turn of the same region agrees
    :data:`turns.TURN_MARGIN` times as closely (an upside-down face can agree well enough
    upright, and better turned)."""
    if view.spread > UPRIGHT_SPREAD:
        return False
    turned = (editor.read_view(tex, rect, Orientation(t))[1] for t in TURNS)
    return not any(v is not None and v.spread * TURN_MARGIN < view.spread for v in turned)


def _refined(
    editor: FaceEditor, tex: NDArray[np.float32], rect: PixelRect, orientation: Orientation
) -> FoundRegion | None:
    """The face located in the chosen proposal ``rect`` as a bake locates it (in the turn the
    search chose), boxed again; None when a bake would refuse it."""
    height, width = tex.shape[:2]
    found, _ = editor.find_face(tex, rect, orientation=orientation)
    if found is None:
        return None
    points = found.points + np.array([rect.x0, rect.y0])
    refined = face_box(points, height, width)
    if refined is None or not 1 / MAX_ASPECT <= refined.width / refined.height <= MAX_ASPECT:
        return None
    refined = blocky_box(tex, points, refined)
    region = FaceRegion.from_pixels(refined, width, height)
    return FoundRegion(region, refined, found.presence, orientation)


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
