"""research/faceedit_leaning.py: the region of a turned face is the box round it."""

from __future__ import annotations

import cv2
import faceedit_leaning as fl
import numpy as np

from moodrig.core.appearance.region import PixelRect


def test_the_box_holds_the_turned_face_and_stays_in_the_image() -> None:
    rect = PixelRect(40, 30, 80, 90)
    m = cv2.getRotationMatrix2D((60.0, 60.0), 30.0, 1.0)
    mask = np.zeros((128, 128), np.float32)
    mask[rect.slices] = 1.0
    turned = cv2.warpAffine(mask, m, (128, 128)) > 0.5
    box = fl.turned_box(rect, m, 128, 128)
    inside = np.zeros_like(turned)
    inside[box.slices] = True
    assert turned.any() and not (turned & ~inside).any()
    assert fl.turned_box(PixelRect(0, 0, 128, 128), m, 128, 128) == PixelRect(0, 0, 128, 128)
