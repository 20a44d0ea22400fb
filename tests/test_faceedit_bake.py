"""The bake's face setup without Blender: feature-point files, regions from UVs, the request's
region, binding an editor to a face region, and the bake with tiny untrained face-editor
weights on a non-square atlas (outside the region every texture is the base, bit for bit)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from faceedit_tiny import export_tiny_weights, tiny_networks

from moodrig.core.appearance.align import CANONICAL_POINTS, FEATURE_NAMES
from moodrig.core.appearance.bake_editor import BoundFaceEditor, RegionEditor, bind_editor
from moodrig.core.appearance.editor import FaceEditor
from moodrig.core.appearance.points_io import FeaturePoints, read_points, write_points
from moodrig.core.appearance.region import FaceRegion, region_from_uvs
from moodrig.core.appearance.setup import FaceSetup, face_setup
from moodrig.core.errors import InputError, WeightsError
from moodrig.core.painter import DEFAULT_STYLE, feature_points, paint_face
from moodrig.core.pipeline import run_bake_sync, use_face_editor
from moodrig.core.request import BakeRequest


def _points(w: float, h: float) -> np.ndarray:
    return CANONICAL_POINTS * np.array([w, h])


def _atlas(h: int = 64, w: int = 128) -> np.ndarray:
    rng = np.random.default_rng(2)
    tex = rng.random((h, w, 4), dtype=np.float32)
    tex[..., 3] = 1.0
    return tex


# ----------------------------------------------------------------------------- points files


def test_points_json_round_trip_and_scaling(tmp_path: Path) -> None:
    pts = FeaturePoints(_points(40.0, 50.0), (40, 50))
    path = write_points(tmp_path / "p.json", pts, region=[0.1, 0.2, 0.5, 0.9])
    body = json.loads(path.read_text())
    assert body["version"] == 1 and list(body["points"]) == list(FEATURE_NAMES)
    assert body["region"] == [0.1, 0.2, 0.5, 0.9]
    back = read_points(path)
    assert back.region_size == (40, 50)
    assert np.allclose(back.points, pts.points, atol=1e-3)
    assert np.allclose(back.in_region(80, 100), pts.points * 2.0, atol=2e-3)
    assert np.array_equal(FeaturePoints(pts.points).in_region(7, 9), pts.points)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("{not json", ["cannot read", "JSON"]),
        ("[1, 2]", ["JSON object"]),
        ('{"points": {}}', ["version None", "version 1"]),
        ('{"version": 2, "points": {}}', ["version 2"]),
        ('{"version": 1, "points": []}', ['"points"']),
        (
            '{"version": 1, "points": {"eye_r": [1, 2], "nose": [3, 4]}}',
            ["missing eye_l", "unknown nose"],
        ),
    ],
)
def test_points_file_errors_name_the_file(tmp_path: Path, body: str, words: list[str]) -> None:
    path = tmp_path / "bad_points.json"
    path.write_text(body)
    with pytest.raises(InputError) as err:
        read_points(path)
    message = str(err.value)
    assert "bad_points.json" in message and "\n" not in message
    assert all(w in message for w in words), message


def test_points_file_bad_values_and_missing_file(tmp_path: Path) -> None:
    good = FeaturePoints(_points(40.0, 40.0)).as_json()
    good["points"]["mouth_c"] = [1.0, "x"]
    path = tmp_path / "p.json"
    path.write_text(json.dumps(good))
    with pytest.raises(InputError, match=r"p\.json: feature point \"mouth_c\" must be \[x, y\]"):
        read_points(path)
    good["points"]["mouth_c"] = [1.0, 2.0]
    good["region_size"] = [0, 3]
    path.write_text(json.dumps(good))
    with pytest.raises(InputError, match="region_size"):
        read_points(path)
    with pytest.raises(InputError, match=r"nowhere\.json: feature points file not found"):
        read_points(tmp_path / "nowhere.json")


def test_painter_points_match_the_painting() -> None:
    """The painter's own points sit on its dark eye and mouth lines."""
    size = 256
    img = paint_face(DEFAULT_STYLE, np.zeros(8), size)
    pts = feature_points(DEFAULT_STYLE, size)
    assert list(pts) == sorted(pts, key=FEATURE_NAMES.index) or set(pts) == set(FEATURE_NAMES)
    for name in ("eye_r", "eye_l", "mouth_c"):
        x, y = pts[name]
        patch = img[int(y) - 6 : int(y) + 7, int(x) - 6 : int(x) + 7, :3].mean(axis=-1)
        assert patch.min() < 0.35, f"{name} is not on a dark feature"


# ----------------------------------------------------------------------------- regions


def test_region_from_uvs() -> None:
    uvs = np.array([[0.2, 0.5], [0.4, 0.9], [0.3, 0.7]])
    assert region_from_uvs(uvs).as_tuple() == pytest.approx((0.2, 0.5, 0.4, 0.9))
    assert region_from_uvs(np.array([[-0.5, 0.1], [0.5, 1.5]])).as_tuple() == (0.0, 0.1, 0.5, 1.0)
    with pytest.raises(InputError, match="have no UV"):
        region_from_uvs(np.zeros((0, 2)))
    with pytest.raises(InputError, match="span no area"):
        region_from_uvs(np.array([[0.2, 0.1], [0.2, 0.9]]))


@pytest.mark.parametrize(
    "bad",
    [
        "0.1,0.2,0.3",
        "0.5,0,0.4,1",
        "a,b,c,d",
        (0.0, 0.0, 1.0, 2.0),
        (0.0, float("nan"), 1.0, 1.0),
        3,
    ],
)
def test_request_region_is_checked(bad: object) -> None:
    with pytest.raises(InputError, match="face region") as err:
        BakeRequest(region=bad)  # type: ignore[arg-type]
    assert "\n" not in str(err.value)


def test_request_region_from_text_and_features_path() -> None:
    r = BakeRequest(region="0.1, 0.2, 0.6, 0.9", features="pts.json")
    assert r.region == (0.1, 0.2, 0.6, 0.9) and r.features == Path("pts.json")


def test_face_setup_precedence(tmp_path: Path) -> None:
    stored = FaceSetup(FaceRegion(0.5, 0.0, 1.0, 1.0), FeaturePoints(_points(64, 64)), "object")
    assert face_setup(None, None, None) == FaceSetup()
    assert face_setup(None, None, stored) == stored
    other = face_setup((0.0, 0.0, 0.5, 1.0), None, stored)
    assert other.region == FaceRegion(0.0, 0.0, 0.5, 1.0) and other.points is None
    path = write_points(tmp_path / "f.json", FeaturePoints(_points(10, 10)))
    from_file = face_setup(None, path, stored)
    assert from_file.region == stored.region and from_file.points_from == str(path)
    assert np.allclose(from_file.points.points, _points(10, 10), atol=1e-3)  # type: ignore[union-attr]


# ----------------------------------------------------------------------------- binding


class Brighten:
    """A whole-texture editor double: brightens whatever texture it gets."""

    model_id = "brighten"
    takes_source = False
    resolution = 16

    def __init__(self) -> None:
        self.seen: list[tuple[int, ...]] = []

    def edit(self, textures: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        self.seen.append(textures.shape)
        out = textures.copy()
        out[..., :3] = np.clip(out[..., :3] + 0.2, 0.0, 1.0)
        return out


def test_a_whole_texture_editor_edits_only_the_region() -> None:
    base = _atlas()
    inner = Brighten()
    region = FaceRegion(0.5, 0.25, 1.0, 1.0)  # right half, top three quarters: 64 × 48 pixels
    model = bind_editor(inner, base, FaceSetup(region))
    assert isinstance(model, RegionEditor) and model.model_id.startswith("brighten:region-")
    out = model.edit(np.broadcast_to(base, (2, *base.shape)), np.zeros((2, 8), np.float32))
    assert inner.seen == [(2, 48, 64, 4)]
    rect = region.pixels(128, 64)
    outside = np.ones((64, 128), bool)
    outside[rect.y0 + 1 : rect.y1 - 1, rect.x0 + 1 : rect.x1 - 1] = False
    assert np.array_equal(
        out[:, outside], np.broadcast_to(base[outside], (2, *base[outside].shape))
    )
    assert not np.array_equal(out[0], base)
    assert bind_editor(inner, base, FaceSetup()) is inner, "the whole texture: the editor as it is"
    with pytest.raises(InputError, match="bound to one base texture"):
        model.edit(np.stack([base, base * 0.5]), np.zeros((2, 8), np.float32))


def test_the_face_editor_is_bound_to_the_prepared_face() -> None:
    gen, loc = tiny_networks()
    editor = FaceEditor.from_modules(gen, loc, {}, device="cpu")
    base = _atlas()
    region = FaceRegion(0.0, 0.0, 0.5, 1.0)
    a = bind_editor(editor, base, FaceSetup(region, FeaturePoints(_points(32, 32), (32, 32))))
    b = bind_editor(editor, base, FaceSetup(region, FeaturePoints(_points(64, 64), (64, 64))))
    assert isinstance(a, BoundFaceEditor) and a.takes_source
    assert a.model_id.startswith(editor.model_id)
    assert a.model_id == b.model_id, "points placed at another size are scaled to this region"
    c = bind_editor(editor, base, FaceSetup(region, FeaturePoints(_points(60, 60))))
    assert c.model_id != a.model_id
    right = FaceSetup(FaceRegion(0.5, 0.0, 1.0, 1.0), FeaturePoints(_points(32, 32), (32, 32)))
    assert bind_editor(editor, base, right).model_id != a.model_id
    out = a.edit(
        np.broadcast_to(base, (1, *base.shape)),
        np.full((1, 8), 0.5, np.float32),
        np.zeros((1, 8), np.float32),
    )
    assert np.array_equal(out[0][:, 64:], base[:, 64:]) and not np.array_equal(out[0], base)
    bad = FaceSetup(region, FeaturePoints(_points(64, 64) + 200.0), "my_points.json")
    with pytest.raises(InputError, match=r"^my_points\.json: feature points must lie inside"):
        bind_editor(editor, base, bad)


# ----------------------------------------------------------------------------- the bake


def _track(seconds: float = 4.0):  # type: ignore[no-untyped-def]
    from moodrig.core.demo_timeline import scripted_track

    return scripted_track(fps=12.0, seconds=seconds)


def test_bake_with_tiny_face_editor_weights_on_a_non_square_atlas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOODRIG_WEIGHTS_DIR", str(export_tiny_weights(tmp_path / "weights")))
    base = _atlas(64, 128)
    region = FaceRegion(0.25, 0.0, 0.75, 1.0)  # the middle 64 × 64
    stored = FaceSetup(region, FeaturePoints(_points(64, 64), (64, 64)), "the face object")
    request = BakeRequest(device="cpu", batch=4)
    assert use_face_editor(request), "shipped face-editor weights switch the parameters mode over"
    amee = Path(__file__).resolve().parent.parent / "weights" / "amee" / "amee_gan.manifest.json"
    assert not use_face_editor(BakeRequest(weights=amee)), "a named AMEE-GAN manifest keeps it"
    out = run_bake_sync(_track(), base, request, tmp_path / "tex", face=stored)
    cached = sorted((tmp_path / "tex" / "cache").glob("*.png"))
    assert out.cache.generated == len(cached) > 1
    from moodrig.core.appearance.cache import decode_png

    expect = np.clip(np.rint(base * 255), 0, 255) / 255
    changed = 0
    for path in cached:
        tex = decode_png(path)
        assert tex.shape == base.shape
        assert np.array_equal(tex[:, :32], expect[:, :32]) and np.array_equal(
            tex[:, 96:], expect[:, 96:]
        )
        changed += int(not np.array_equal(tex, expect))
    assert changed > 0
    again = run_bake_sync(_track(), base, request, tmp_path / "tex", face=stored)
    assert again.cache.generated == 0
    # Another region, or other points, never reuse those textures.
    points = write_points(tmp_path / "p.json", FeaturePoints(_points(64, 64) * 0.9, (64, 64)))
    moved = run_bake_sync(
        _track(),
        base,
        BakeRequest(region=(0.0, 0.0, 0.5, 1.0), features=points, device="cpu"),
        tmp_path / "tex",
        face=stored,
    )
    assert moved.cache.generated == moved.cache.distinct
    pointed = run_bake_sync(
        _track(), base, BakeRequest(features=points, device="cpu"), tmp_path / "tex", face=stored
    )
    assert pointed.cache.generated == pointed.cache.distinct


def test_feature_points_need_the_face_editor_weights(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOODRIG_WEIGHTS_DIR", str(tmp_path / "empty"))
    points = write_points(tmp_path / "p.json", FeaturePoints(_points(64, 64), (64, 64)))
    request = BakeRequest(features=points, device="cpu")
    assert use_face_editor(request)
    assert not use_face_editor(BakeRequest(region=(0.0, 0.0, 0.5, 1.0)))
    assert not use_face_editor(BakeRequest(features=points, appearance_mode="detailed"))
    with pytest.raises(WeightsError, match=r"face_editor\.manifest\.json"):
        run_bake_sync(_track(), _atlas(64, 128), request, tmp_path / "tex")


def test_a_deeper_face_texture_is_baked_at_16_bits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``texture_bits=16``: the cached textures are 16-bit PNGs, the same edit as the 8-bit
    bake's to within its rounding, outside the region the base at 16-bit precision; the two
    depths never share a cached file."""
    import cv2

    from moodrig.core.appearance.cache import decode_png

    monkeypatch.setenv("MOODRIG_WEIGHTS_DIR", str(export_tiny_weights(tmp_path / "weights")))
    base = _atlas(64, 128)
    stored = FaceSetup(
        FaceRegion(0.25, 0.0, 0.75, 1.0), FeaturePoints(_points(64, 64), (64, 64)), "the face"
    )
    request = BakeRequest(device="cpu", batch=4)
    deep = run_bake_sync(_track(), base, request, tmp_path / "tex", face=stored, texture_bits=16)
    raws = [cv2.imread(str(path), cv2.IMREAD_UNCHANGED) for path in deep.frames]
    assert all(raw is not None and raw.dtype == np.uint16 for raw in raws)
    deep_textures = [decode_png(path) for path in deep.frames]
    flat = run_bake_sync(_track(), base, request, tmp_path / "tex", face=stored)
    assert flat.cache.generated == flat.cache.distinct, "an 8-bit bake reuses no 16-bit file"
    assert len(deep_textures) == len(flat.frames) > 1
    expect = np.clip(np.rint(base * 65535), 0, 65535) / 65535
    changed = 0
    for tex16, f in zip(deep_textures, flat.frames, strict=True):
        tex8 = decode_png(f)
        assert np.abs(tex16 - tex8).max() <= 0.5 / 255 + 1 / 65535
        assert np.array_equal(tex16[:, :32], expect[:, :32].astype(np.float32))
        changed += int(not np.array_equal(tex16, expect.astype(np.float32)))
    assert changed > 0
