"""research/faceedit_turned.py: the region of a turned atlas is the turned rectangle."""

from __future__ import annotations

import faceedit_turned as ft
import numpy as np
import pytest

from moodrig.core.appearance.region import PixelRect


@pytest.mark.parametrize("turns", [0, 1, 2, 3])
def test_the_turned_rect_covers_the_turned_pixels(turns: int) -> None:
    height, width = 40, 64
    rect = PixelRect(10, 5, 30, 17)
    mask = np.zeros((height, width), bool)
    mask[rect.slices] = True
    turned = np.rot90(mask, turns)
    got = ft.turned_rect(rect, turns, width, height)
    expect = np.zeros_like(turned)
    expect[got.slices] = True
    assert np.array_equal(turned, expect)
