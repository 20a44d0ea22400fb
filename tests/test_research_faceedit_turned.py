"""research/faceedit_turned.py: the laid atlas is what the layout's view undoes, and its
region covers the laid face pixels."""

from __future__ import annotations

import faceedit_turned as ft
import numpy as np
import pytest

from moodrig.core.appearance.orientation import Orientation
from moodrig.core.appearance.region import FaceRegion


@pytest.mark.parametrize("lies", [Orientation(t, m) for t in range(4) for m in (False, True)])
def test_the_laid_region_covers_the_laid_pixels(lies: Orientation) -> None:
    height, width = 40, 64
    image = np.arange(height * width).reshape(height, width)
    laid = ft.lay(image, lies)
    assert np.array_equal(lies.view(laid), image)
    mask = np.zeros((height, width), bool)
    mask[5:17, 10:30] = True
    region = ft.laid_region(mask, lies)
    expect = np.zeros(laid.shape, bool)
    expect[region.pixels(laid.shape[1], laid.shape[0]).slices] = True
    assert np.array_equal(ft.lay(mask, lies), expect)
    assert isinstance(region, FaceRegion)
