"""core/appearance/turns.py and FaceEditor.find_face: a face turned in its atlas (as UV
packers turn islands) is found in the turn that shows it upright, and edited as its upright
self; when the turn is unclear it is not edited."""

from __future__ import annotations

import numpy as np
import pytest

from moodrig.core.appearance.turns import (
    MAX_SPREAD,
    TURN_MARGIN,
    View,
    pick,
    spread,
    unturn_points,
)


@pytest.mark.parametrize("turns", [0, 1, 2, 3, 5])
def test_points_found_in_a_turned_image_come_back_to_the_image_itself(turns: int) -> None:
    height, width = 6, 10
    image = np.zeros((height, width), np.uint8)
    image[1, 7] = 1  # the pixel centred at (7.5, 1.5)
    turned = np.rot90(image, turns)
    row, col = np.argwhere(turned == 1)[0]
    back = unturn_points(np.array([[col + 0.5, row + 0.5]]), turns, width, height)
    assert np.allclose(back, [[7.5, 1.5]])


def _view(turns: int, spread_: float) -> View:
    return View(turns, 1.0, np.zeros((7, 2)), spread_)


def test_framings_that_agree_have_no_spread_and_scattered_ones_do() -> None:
    points = np.array([[10, 20], [30, 20], [10, 10], [30, 10], [14, 36], [26, 36], [20, 36]])
    assert spread([points, points, points]) == 0.0
    moved = points + np.array([4.0, 0.0])  # 4 px off: 0.2 eye distances (eyes 20 px apart)
    assert spread([points, points, moved]) == pytest.approx(2 * 4 / 3 / 20, rel=0.05)


def test_an_upright_view_is_kept_unless_a_turn_agrees_clearly_better() -> None:
    upright = _view(0, 0.2)
    assert pick(upright, []) == (upright, False)
    assert pick(upright, [_view(2, 0.2 / TURN_MARGIN)]) == (upright, False)
    clear = _view(1, 0.05)
    assert pick(upright, [clear, _view(2, 0.3)]) == (clear, False)


def test_without_an_upright_view_a_clear_turn_is_taken_and_an_unclear_one_is_not() -> None:
    one = _view(1, 0.02)
    assert pick(None, [one, _view(3, 0.5)]) == (one, False)
    assert pick(None, [_view(1, 0.16), _view(2, 0.17)]) == (None, True)
    assert pick(None, [_view(3, MAX_SPREAD + 0.01)]) == (None, False)
    assert pick(None, []) == (None, False)
