"""Shape-key mappings without Blender: conventions detected from key names (with their common
variants), the tables' values, per-side details, the JSON format and its errors, the sync
figure, the request fields and the Blender-free bake."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from shapekey_names import ARKIT52, VRM0, VRM1, VROID

from moodrig.core import shapekeys as sk
from moodrig.core.demo_timeline import scripted_track
from moodrig.core.detail import DETAIL_NAMES, detail_from_expression
from moodrig.core.errors import InputError
from moodrig.core.expression import EXPRESSION_NAMES
from moodrig.core.request import BakeRequest
from moodrig.core.track import ExpressionTrack

ARKIT = list(ARKIT52)


def _rows(resolved: sk.ResolvedMap) -> dict[str, list[tuple[str, float]]]:
    out: dict[str, list[tuple[str, float]]] = {}
    for r in resolved.rows:
        out.setdefault(r.key, []).append((r.entry, r.weight))
    return out


def test_the_vocabulary_is_moodrigs() -> None:
    assert sk.ENTRIES[:8] == EXPRESSION_NAMES
    assert set(sk.ENTRIES[8:]) == set(DETAIL_NAMES) - set(EXPRESSION_NAMES)
    assert sorted(ARKIT52) == sorted(k.name for k in sk.ARKIT.keys)
    assert len(ARKIT52) == len(set(ARKIT52)) == 52
    for conv in sk.CONVENTIONS.values():
        for spec in conv.keys:
            assert all(entry in sk.ENTRIES for entry, _ in spec.terms), spec


@pytest.mark.parametrize(
    ("keys", "convention"),
    [
        (["Basis", *ARKIT], "arkit"),
        (
            [
                "eyeBlink_L",
                "EyeBlinkRight",
                "jawOpen.001",
                "ARKit_mouthSmileLeft",
                "mouth_smile_right",
            ],
            "arkit",
        ),
        (VRM0, "vrm0"),
        (VROID, "vrm0"),
        (VRM1, "vrm1"),
    ],
)
def test_conventions_are_detected_from_the_key_names(keys: list[str], convention: str) -> None:
    found = sk.detect(keys)
    assert found is not None and found.convention == convention


def test_nothing_is_detected_on_unrelated_names() -> None:
    assert sk.detect(["Basis", "Smile", "Wink", "Key 1"]) is None
    assert sk.detect([]) is None


def test_arkit_table_and_variants() -> None:
    keys = [
        "eyeBlink_L",
        "EyeBlinkRight",
        "jawOpen.001",
        "ARKit_mouthSmileLeft",
        "browInnerUp",
        "cheekSquintLeft",
        "tongueOut",
    ]
    resolved = sk.mapping_for("arkit", keys)
    rows = _rows(resolved)
    assert rows == {
        "jawOpen.001": [("jaw_open", 1.0)],
        "ARKit_mouthSmileLeft": [("smile_l", 1.0)],
        "browInnerUp": [("brow_raise", 1.0)],
        "eyeBlink_L": [("eye_close_l", 1.0)],
        "EyeBlinkRight": [("eye_close_r", 1.0)],
        "cheekSquintLeft": [("smile_l", 0.5)],
    }
    assert "tongueOut" not in rows, "keys the table does not drive are never keyed"
    assert "mouthFrownLeft" in resolved.missing and "tongueOut" not in resolved.missing


def test_an_exact_name_beats_its_duplicate() -> None:
    assert _rows(sk.mapping_for("arkit", ["jawOpen.001", "jawOpen"]))["jawOpen"]


def test_vroid_names_key_the_whole_face_presets_and_each_eye() -> None:
    rows = _rows(sk.mapping_for("vrm0", VROID))
    p = "Face.M_F00_000_00_Fcl_"
    assert rows[p + "ALL_Joy"] == [("smile", 1.0)], "Fcl_ALL_Joy, not the mouth or brow part"
    assert p + "MTH_Joy" not in rows and p + "BRW_Angry" not in rows
    assert rows[p + "MTH_A"] == [("jaw_open", 1.0)]
    assert rows[p + "EYE_Close_L"] == [("eye_close_l", 1.0)]
    assert p + "EYE_Close" not in rows, "both-eyes Blink stays still when each eye is keyed"
    assert p + "EYE_Joy_L" not in rows
    # Only the both-eyes key: it follows the mean of the two eyes.
    assert _rows(sk.mapping_for("vrm0", ["Blink", "Joy"]))["Blink"] == [
        ("eye_close_l", 0.5),
        ("eye_close_r", 0.5),
    ]


def test_values_are_clamped_weighted_sums() -> None:
    e = np.zeros((3, 8), np.float32)
    e[:, EXPRESSION_NAMES.index("frown")] = [0.8, 0.8, 0.2]
    e[:, EXPRESSION_NAMES.index("brow_furrow")] = [0.0, 0.9, 0.0]
    track = ExpressionTrack(24.0, e, np.zeros((3, 3), np.float32))
    resolved = sk.mapping_for("vrm0", ["Angry", "Sorrow"])
    curves = sk.shape_key_curves(resolved.rows, track)
    assert curves["Sorrow"] == pytest.approx([0.8, 0.0, 0.2], abs=1e-7), "frown − furrow, ≥ 0"
    assert curves["Angry"] == pytest.approx([0.32, 0.86, 0.08], abs=1e-6)
    big = sk.key_curves([sk.ShapeKeyRow("K", "frown", 3.0)], sk.entry_values(track))
    assert float(big["K"].max()) == 1.0 and big["K"].dtype == np.float32


def test_per_side_details_drive_the_left_and_right_keys() -> None:
    e = np.zeros((2, 8), np.float32)
    e[:, 1] = 0.5
    details = detail_from_expression(e)
    details[:, DETAIL_NAMES.index("smile_l")] = [0.9, 0.1]
    details[:, DETAIL_NAMES.index("smile_r")] = [0.1, 0.9]
    sided = ExpressionTrack(24.0, e, np.zeros((2, 3), np.float32), details=details)
    rows = sk.mapping_for("arkit", ["mouthSmileLeft", "mouthSmileRight", "cheekSquintLeft"]).rows
    curves = sk.shape_key_curves(rows, sided)
    assert curves["mouthSmileLeft"] == pytest.approx([0.9, 0.1])
    assert curves["mouthSmileRight"] == pytest.approx([0.1, 0.9])
    assert curves["cheekSquintLeft"] == pytest.approx([0.45, 0.05])
    plain = ExpressionTrack(24.0, e, np.zeros((2, 3), np.float32))
    assert sk.shape_key_curves(rows, plain)["mouthSmileLeft"] == pytest.approx([0.5, 0.5])


def test_face_outputs_and_auto() -> None:
    assert sk.face_outputs("auto", True) == (False, True)
    assert sk.face_outputs("auto", False) == (True, False)
    assert sk.face_outputs("texture", True) == (True, False)
    assert sk.face_outputs("shapekeys", False) == (False, True)
    assert sk.face_outputs("both", False) == (True, True)
    few = sk.choose_mapping(["eyeBlinkLeft", "eyeBlinkRight"], None)
    assert few is not None and not sk.recognised(few, None), "two keys are not a face rig"
    three = sk.choose_mapping(["eyeBlinkLeft", "eyeBlinkRight", "browInnerUp"], None)
    assert sk.recognised(three, None)
    assert sk.recognised(sk.choose_mapping(["Smile"], _custom()), _custom()), "a map of its own"


def _custom() -> sk.ShapeKeyMap:
    return sk.ShapeKeyMap(
        (sk.ShapeKeyRow("Smile", "smile"), sk.ShapeKeyRow("Smile", "jaw_open", -0.5))
    )


def test_a_saved_map_round_trips_and_fits_another_mesh(tmp_path: Path) -> None:
    mapping = sk.ShapeKeyMap(tuple(sk.mapping_for("vrm0", VROID).rows), "vrm0")
    path = sk.save_map(mapping, tmp_path / "face.json")
    data = json.loads(path.read_text())
    assert data["format"] == sk.FORMAT and data["version"] == sk.VERSION
    assert data["rows"][0] == {
        "key": "Face.M_F00_000_00_Fcl_MTH_A",
        "entry": "jaw_open",
        "weight": 1.0,
    }
    assert sk.load_map(path) == mapping
    other = sk.resolve(sk.load_map(path), ["Fcl_MTH_A", "Fcl_ALL_Joy", "Fcl_EYE_Close_L"])
    assert set(other.keys()) == {"Fcl_MTH_A", "Fcl_ALL_Joy", "Fcl_EYE_Close_L"}
    assert "Face.M_F00_000_00_Fcl_EYE_Close_R" in other.missing
    no_weight = tmp_path / "short.json"
    no_weight.write_text(
        json.dumps({"format": sk.FORMAT, "version": 1, "rows": [{"key": "Joy", "entry": "smile"}]})
    )
    assert sk.load_map(no_weight).rows[0].weight == 1.0


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{not json", ["not valid JSON"]),
        ("[]", ["JSON object"]),
        ('{"format": "other", "version": 1, "rows": []}', ["'format'"]),
        ('{"format": "moodrig-shape-key-map", "version": 2, "rows": []}', ["version 2", "newer"]),
        ('{"format": "moodrig-shape-key-map", "version": 1}', ["'rows'"]),
        ('{"format": "moodrig-shape-key-map", "version": 1, "rows": [{"key": "A"}]}', ["rows[0]"]),
        (
            '{"format": "moodrig-shape-key-map", "version": 1, "rows": [{"key": "A", '
            '"entry": "grin"}]}',
            ["rows[0]", "'grin'", "jaw_open"],
        ),
        (
            '{"format": "moodrig-shape-key-map", "version": 1, "rows": '
            '[{"key": "A", "entry": "smile", "weight": 99}]}',
            ["rows[0]", "weight"],
        ),
        (
            '{"format": "moodrig-shape-key-map", "version": 1, "rows": '
            '[{"key": "A", "entry": "smile", "wieght": 1}]}',
            ["rows[0]", "wieght"],
        ),
    ],
)
def test_a_bad_map_file_gets_one_line_naming_it(
    tmp_path: Path, text: str, words: list[str]
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        sk.load_map(path)
    message = str(err.value)
    assert str(path) in message and "\n" not in message
    assert all(w in message for w in words), message


def test_a_missing_map_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"missing\.json"):
        sk.load_map(tmp_path / "missing.json")


def test_sync_finds_a_shifted_curve() -> None:
    t = np.linspace(0, 8, 240)
    want = {"A": (0.5 + 0.5 * np.sin(t)).astype(np.float32), "Flat": np.zeros(240, np.float32)}
    same = sk.shape_key_sync(want, dict(want), fps=24.0)
    assert same["shape_key_lag"] == 0 and same["shape_key_xcorr_peak"] == pytest.approx(1.0)
    assert same["shape_key_max_error"] == 0.0 and same["shape_keys_measured"] == 1
    late = {"A": np.roll(want["A"], 3), "Flat": want["Flat"]}
    shifted = sk.shape_key_sync(want, late, fps=24.0)
    assert shifted["shape_key_lag"] == 3 and shifted["shape_key_max_error"] > 0.01
    assert sk.shape_key_sync(want, {"A": want["A"][:10]}, fps=24.0)["shape_key_max_error"] is None


def test_the_request_takes_a_convention_a_file_or_a_map() -> None:
    assert BakeRequest().face_output == "auto" and BakeRequest().shape_key_map is None
    assert BakeRequest(shape_key_map="vrm1").shape_key_map == "vrm1"
    moved = BakeRequest(shape_key_map="maps/face.json").with_paths(lambda p: Path("/abs") / p)
    assert moved.shape_key_map == Path("/abs/maps/face.json")
    assert BakeRequest(shape_key_map=_custom()).shape_key_map == _custom()


def test_the_blender_free_bake_keys_shape_keys_without_textures(tmp_path: Path) -> None:
    from moodrig.core.pipeline import run_bake_sync

    track = scripted_track(fps=24.0, seconds=2.0)
    rows = sk.mapping_for("arkit", ARKIT).rows
    out = run_bake_sync(
        track, None, BakeRequest(face_output="shapekeys"), tmp_path / "tex", shape_keys=rows
    )
    assert out.frames == [] and out.plan is None and out.cache.distinct == 0
    assert not (tmp_path / "tex").exists(), "no textures, nothing written"
    assert out.shape_keys is not None and len(out.shape_keys) == 16
    jaw = track.expressions[:, EXPRESSION_NAMES.index("jaw_open")]
    assert np.array_equal(out.shape_keys["jawOpen"], jaw)
    assert set(out.curves) and len(next(iter(out.curves.values()))) == len(track)
