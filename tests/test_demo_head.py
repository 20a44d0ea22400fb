"""The demo head without Blender: the atlas layout, the painted face as its region, outward
normals, and no seam where the face's projection meets the rest of the head."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from moodrig.core.appearance.align import FEATURE_NAMES
from moodrig.core.demo_body import HEAD_CENTER, HEAD_RADII, body_parts, ellipsoid
from moodrig.core.demo_head import face_points, hair_amount, head_atlas, head_mesh, paint_atlas
from moodrig.core.painter import DEFAULT_STYLE, feature_points, paint_face, random_style


@pytest.mark.parametrize("size", [64, 256, 1024])
def test_the_face_is_a_region_of_the_atlas(size: int) -> None:
    atlas = head_atlas(size)
    f, front, rest = atlas.face, atlas.front_rect, atlas.rest_rect
    assert f.width == f.height == size // 2
    assert (
        0 <= front.x0 < f.x0
        and f.x1 < front.x1 <= size
        and 0 <= front.y0 < f.y0
        and f.y1 < front.y1
    )
    assert front.y1 <= rest.y0 + 2 and rest.y1 <= size, "the two maps do not overlap"
    u0, v0, u1, v1 = atlas.region.as_tuple()
    assert 0.0 < u0 < u1 < 1.0 and 0.0 < v0 < v1 < 1.0
    assert atlas.region.pixels(size, size) == f
    img = paint_atlas(atlas, DEFAULT_STYLE)
    assert img.shape == (size, size, 4) and img.dtype == np.float32
    assert np.array_equal(
        img[f.y0 : f.y1, f.x0 : f.x1], paint_face(DEFAULT_STYLE, np.zeros(8), f.width)
    )
    pts = face_points(atlas, DEFAULT_STYLE)
    expect = feature_points(DEFAULT_STYLE, f.width)
    assert np.array_equal(pts, np.array([expect[n] for n in FEATURE_NAMES]))


def test_every_mesh_faces_outward() -> None:
    atlas = head_atlas(256)
    head = head_mesh(atlas, DEFAULT_STYLE, segments=32, rings=16)
    parts = [(head.verts, head.faces, np.asarray(HEAD_CENTER))]
    parts += [(p.verts, p.faces, p.verts.mean(axis=0)) for p in body_parts()]
    for verts, faces, centre in parts:
        v = verts.astype(np.float64)
        for f in faces:
            normal = np.cross(v[f[1]] - v[f[0]], v[f[2]] - v[f[0]])
            assert np.dot(normal, v[list(f)].mean(axis=0) - centre) > 0.0


@pytest.mark.parametrize("seed", [None, 3])
def test_no_seam_where_the_face_map_meets_the_rest(seed: int | None) -> None:
    """A vertex that polygons of both maps share shows the same colour through either (away
    from the hairline, within about a centimetre of which the two maps' one-texel antialiased
    edges have different widths)."""
    style = DEFAULT_STYLE if seed is None else random_style(np.random.default_rng(seed))
    n = 512
    atlas = head_atlas(n)
    img = paint_atlas(atlas, style)[..., :3]
    head = head_mesh(atlas, style)
    assert head.uvs.min() >= 0.0 and head.uvs.max() <= 1.0
    corners: dict[int, list[np.ndarray]] = {}
    k = 0
    for f in head.faces:
        for vi in f:
            corners.setdefault(vi, []).append(head.uvs[k])
            k += 1

    def sample(uv: np.ndarray) -> np.ndarray:
        x, y = uv[0] * n - 0.5, (1.0 - uv[1]) * n - 0.5
        return np.asarray(cv2.getRectSubPix(img, (1, 1), (float(x), float(y)))[0, 0])

    base = ellipsoid(HEAD_CENTER, HEAD_RADII, 96, 64)[0].astype(np.float64)  # before the hair lift
    shared = 0
    for vi, uvs in corners.items():
        spread = np.ptp(np.asarray(uvs), axis=0).max()
        x, y, z = base[vi]
        if (
            spread < 0.05
            or abs(float(hair_amount(style, np.array(x), np.array(y), np.array(z)))) < 0.012
        ):
            continue
        colours = np.array([sample(u) for u in uvs])
        assert np.abs(colours - colours[0]).max() < 2.0 / 255, f"seam at vertex {vi}"
        shared += 1
    assert shared > 100, "the maps meet along a ring of vertices"
