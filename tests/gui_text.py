"""Finds the "…" Blender draws where it cut a label, in a screenshot of its interface.

Blender does not tell Python whether it cut a label, so the test looks at what was drawn: the
ellipsis is three small dots of text colour on one baseline, evenly spaced, with nothing of
text colour just above or below them (a letter with a dot, a colon or a panel's grip has).
Text is told from its background by being brighter than the local median (Blender's default
dark theme). A test that relies on this also shows it finding a label it knows is cut.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

MIN_INK = 35
"""Brightness above the local background (0–255) that counts as text."""
ABOVE = 7
"""Rows above the dots that must hold no text for them to be an ellipsis."""
BELOW = 4
"""... and rows below. Dots nearer the crop's edge than that are not judged: a line of text
cut by the edge leaves dot-like bits (a scrolled page sees that line whole on the next)."""


def find_ellipses(gray: NDArray[np.uint8]) -> list[tuple[int, int]]:
    """(x, y) of the first dot of each ellipsis in a grayscale crop of the interface."""
    background = cv2.medianBlur(gray, 9).astype(np.int16)
    ink = (gray.astype(np.int16) - background) > MIN_INK
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    dots = sorted(
        (int(x), int(y), int(w), int(h))
        for x, y, w, h, area in stats[1:n]
        if w <= 3 and h <= 3 and area <= 7
    )
    found = []
    for x0, y0, _w, h0 in dots:
        row = sorted(d for d in dots if abs((d[1] + d[3]) - (y0 + h0)) <= 1 and 0 < d[0] - x0 <= 20)
        if len(row) < 2:
            continue
        (x1, _, _, _), (x2, _, w2, _) = row[0], row[1]
        if not (3 <= x1 - x0 <= 8 and abs((x1 - x0) - (x2 - x1)) <= 1):
            continue
        if y0 < ABOVE or y0 + h0 + BELOW > ink.shape[0]:
            continue  # what is above or below is outside the crop: cannot be told apart
        span = slice(x0, x2 + w2)
        if ink[y0 - ABOVE : y0, span].any() or ink[y0 + h0 : y0 + h0 + BELOW, span].any():
            continue
        found.append((x0, y0))
    return found
