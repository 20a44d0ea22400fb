"""Which way a face lies in its region: the views of each turn and mirror, and the answer read
from a mesh's triangles and UVs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from moodrig.core.appearance.align import CANONICAL_POINTS, check_features
from moodrig.core.appearance.orientation import (
    HEAD_UP,
    UPRIGHT,
    Orientation,
    orientation_from_mesh,
)
from moodrig.core.appearance.region import FaceRegion
from moodrig.core.appearance.setup import FaceSetup, face_setup
from moodrig.core.errors import InputError

ALL = [Orientation(t, m) for t in range(4) for m in (False, True)]


@pytest.mark.parametrize("lies", ALL, ids=lambda o: o.describe())
def test_points_found_in_the_view_land_on_the_same_pixels_of_the_region(
    lies: Orientation,
) -> None:
    image = np.zeros((5, 8), np.int64)
    image[1, 6] = 1
    view = lies.view(image)
    ((r, c),) = np.argwhere(view == 1)
    ((x, y),) = lies.from_view(np.array([[c + 0.5, r + 0.5]]), 8, 5)
    assert (x, y) == pytest.approx((6.5, 1.5))


def test_head_up_names_the_quarter_turn_and_bad_names_are_refused() -> None:
    assert [Orientation.parse(name).turns for name in HEAD_UP] == [0, 1, 2, 3]
    assert Orientation.parse(" Right ", mirrored=True) == Orientation(1, True)
    assert Orientation(3, True).describe() == "head left, mirrored"
    assert Orientation(0, False, -20.0).describe() == "head up, tilted 20° counter-clockwise"
    with pytest.raises(InputError, match="must be one of up, right, down, left"):
        Orientation.parse("sideways")
    with pytest.raises(InputError, match="quarter turns"):
        Orientation(4)
    with pytest.raises(InputError, match="roll must be between"):
        Orientation(0, False, float("nan"))


def _face_grid(uv_of: object) -> tuple[np.ndarray, np.ndarray]:
    """A 4 × 4 grid of quads standing in the XZ plane (a face looking at -Y, head up +Z), two
    triangles per quad wound with their fronts to -Y, and their UVs through ``uv_of``."""
    pos, uvs = [], []
    for i in range(4):
        for j in range(4):
            a, b, c, d = (i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)
            for tri in ((a, b, c), (a, c, d)):
                pos.append([(x / 4, 0.0, z / 4) for x, z in tri])
                uvs.append([uv_of(np.array([x / 4, z / 4])) for x, z in tri])  # type: ignore[operator]
    return np.array(pos), np.array(uvs)


def _island(lies: Orientation) -> object:
    """The UV map of a face island laid out as ``lies`` says: inverse of looking at it. In the
    level view u runs with x, v with z."""

    def uv_of(p: np.ndarray) -> np.ndarray:
        q = p - 0.5
        r = math.radians(lies.roll)  # the view levels by turning counter-clockwise: undo it
        q = np.array([[math.cos(r), math.sin(r)], [-math.sin(r), math.cos(r)]]) @ q
        if lies.mirrored:  # the view flips the turned texture: flip back, then turn back
            q = np.array([-q[0], q[1]])
        for _ in range(lies.turns):  # undo one counter-clockwise turn: turn clockwise
            q = np.array([q[1], -q[0]])
        return 0.5 + 0.3 * q

    return uv_of


@pytest.mark.parametrize("lies", ALL, ids=lambda o: o.describe())
def test_the_mesh_tells_the_turn_and_the_mirror(lies: Orientation) -> None:
    pos, uvs = _face_grid(_island(lies))
    found = orientation_from_mesh(pos, uvs)
    assert found is not None
    assert found.orientation.turns == lies.turns and found.orientation.mirrored == lies.mirrored
    assert found.orientation.roll == 0.0, "a roll within a few degrees is left as it is"
    assert found.agreement == pytest.approx(1.0)


@pytest.mark.parametrize("lies", [Orientation(1, False, 20.0), Orientation(2, True, -35.0)])
def test_a_tilted_island_takes_the_nearest_quarter_turn_and_its_roll(lies: Orientation) -> None:
    pos, uvs = _face_grid(_island(lies))
    found = orientation_from_mesh(pos, uvs)
    assert found is not None
    assert (found.orientation.turns, found.orientation.mirrored) == (lies.turns, lies.mirrored)
    assert found.orientation.roll == pytest.approx(lies.roll, abs=1e-6)


@pytest.mark.parametrize("lies", [Orientation(0, False, 25.0), Orientation(3, True, -40.0)])
def test_a_rolled_view_levels_the_picture_and_the_points_follow(lies: Orientation) -> None:
    image = np.zeros((60, 90), np.float32)
    image[20:23, 61:64] = 1.0  # a 3 × 3 marker centred on (62.5, 21.5)
    view = lies.view(image)
    assert view.shape == ((90, 60) if lies.turns % 2 else (60, 90))
    rows, cols = np.indices(view.shape)
    centre = np.array([(cols * view).sum(), (rows * view).sum()]) / view.sum() + 0.5
    (seen,) = lies.to_view(np.array([[62.5, 21.5]]), 90, 60)
    assert seen == pytest.approx(centre, abs=0.2)
    back = lies.from_view(lies.to_view(np.array([[3.0, 4.0], [80.0, 50.0]]), 90, 60), 90, 60)
    assert back == pytest.approx(np.array([[3.0, 4.0], [80.0, 50.0]]))
    assert lies.leaning(10.0).roll == pytest.approx(lies.roll + 10.0)


def test_a_mirrored_object_shows_its_texture_mirrored_once_more() -> None:
    pos, uvs = _face_grid(_island(UPRIGHT))
    flipped = orientation_from_mesh(pos * np.array([-1.0, 1.0, 1.0]), uvs, flipped=True)
    assert flipped is not None and flipped.orientation == Orientation(0, True)


def test_islands_laid_out_differently_or_lying_flat_tell_nothing() -> None:
    pos, uvs = _face_grid(_island(UPRIGHT))
    pos_m, uvs_m = _face_grid(_island(Orientation(0, True)))
    mixed = orientation_from_mesh(np.concatenate([pos, pos_m]), np.concatenate([uvs, uvs_m]))
    assert mixed is None, "half the island mirrored: no answer"
    turned = _face_grid(_island(Orientation(2)))[1]
    assert orientation_from_mesh(np.concatenate([pos, pos]), np.concatenate([uvs, turned])) is None
    lying = pos[..., [0, 2, 1]]  # the same grid lying in the XY plane: no height
    assert orientation_from_mesh(lying, uvs) is None
    lying[..., 2] += 1e-5 * lying[..., 1]  # a hair off flat (a rotation by 90.0001°)
    assert orientation_from_mesh(lying, uvs) is None
    assert orientation_from_mesh(np.zeros((1, 3, 3)), np.zeros((1, 3, 2))) is None


def test_a_mirrored_layout_is_accepted_only_where_the_face_is_mirrored() -> None:
    upright = CANONICAL_POINTS * 100.0
    mirrored = upright * np.array([-1.0, 1.0]) + np.array([100.0, 0.0])
    check_features(upright, 100, 100)
    check_features(mirrored, 100, 100, mirrored=True)
    with pytest.raises(InputError, match="right eye on the image's left"):
        check_features(mirrored, 100, 100)
    with pytest.raises(InputError, match="image's right \\(the texture shows the face mirrored"):
        check_features(upright, 100, 100, mirrored=True)


def test_the_orientation_belongs_to_its_region() -> None:
    region = FaceRegion(0.1, 0.2, 0.5, 0.6)
    stored = FaceSetup(region, orientation=Orientation(1, True))
    assert face_setup(None, None, stored).orientation == Orientation(1, True)
    assert face_setup(region.as_tuple(), None, stored).orientation == Orientation(1, True)
    assert face_setup((0.0, 0.0, 1.0, 1.0), None, stored).orientation is None


@pytest.mark.parametrize("degrees", [-40.0, -7.0, 0.0, 12.0, 35.0])
def test_the_lean_of_a_face_s_points(degrees: float) -> None:
    """Turned clockwise on screen (y down) by ``degrees``, the typical layout leans as much;
    a misplaced eye moves the answer by half its own lean only."""
    from moodrig.core.appearance.align import FEATURE_INDEX
    from moodrig.core.appearance.orientation import roll_of

    a = math.radians(degrees)
    turn = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    points = (CANONICAL_POINTS - 0.5) @ turn.T * 100.0
    assert roll_of(points) == pytest.approx(degrees, abs=1e-9)
    off = points.copy()
    off[FEATURE_INDEX["eye_l"]] += np.array([0.0, 10.0]) @ turn.T  # one eye 10 % too low
    assert abs(roll_of(off) - degrees) < 10.0


def test_a_triangle_with_broken_uvs_is_left_out_not_the_whole_island() -> None:
    pos, uvs = _face_grid(_island(Orientation(1, True)))
    uvs[0, 0] = (np.inf, 0.5)
    found = orientation_from_mesh(pos, uvs)
    assert found is not None and found.orientation == Orientation(1, True)
