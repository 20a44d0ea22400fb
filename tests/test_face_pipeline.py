"""Photos → landmarks, expression and head angles, on real faces (../shared/data)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from moodrig.core.errors import InputError, WeightsError
from moodrig.core.expression import INDEX
from moodrig.core.face import analyze_image, draw_overlay
from moodrig.core.face.__main__ import main as cli_main
from moodrig.core.face.calibration import load as load_calibration
from moodrig.core.face.evaluate import LONDON_TO_MESH, nme
from moodrig.core.face.models import MESH, load_net
from moodrig.core.paths import weights_dir

pytestmark = pytest.mark.shared


def _london(shared: Path, name: str) -> Path:
    return shared / "london_faces_dev" / "images" / name


def test_frontal_landmarks_match_the_hand_template(shared_data: Path) -> None:
    for stem in ("001_03", "003_03"):
        r = analyze_image(_london(shared_data, f"{stem}.jpg"))
        tpl = np.array(json.loads(_london(shared_data, f"{stem}.landmarks189.json").read_text()))
        err = nme(r.landmarks[list(LONDON_TO_MESH.values())], tpl[list(LONDON_TO_MESH)], float(np.linalg.norm(tpl[18] - tpl[27])))
        assert err < 0.05, (stem, err)
        assert r.landmarks.shape == (468, 3) and r.score > 0.9 and r.view == "front"
        assert abs(r.head.yaw) < 15 and abs(r.head.roll) < 10


def test_yaw_sign_and_smile(shared_data: Path) -> None:
    left = analyze_image(_london(shared_data, "001_02.jpg"))  # left 3/4, nominal -45
    right = analyze_image(_london(shared_data, "001_04.jpg"))  # right 3/4, nominal +45
    assert -70 < left.head.yaw < -25 and 25 < right.head.yaw < 70
    neutral = analyze_image(_london(shared_data, "003_03.jpg"))
    smiling = analyze_image(_london(shared_data, "003_08.jpg"))
    assert smiling.expression[INDEX["smile"]] > 0.5 > neutral.expression[INDEX["smile"]]
    for r in (left, right, neutral, smiling):
        assert r.expression.shape == (8,) and np.all((r.expression >= 0) & (r.expression <= 1))


def test_profile_is_recognised(shared_data: Path) -> None:
    r = analyze_image(_london(shared_data, "001_01.jpg"))  # left profile
    assert r.view == "left_profile" and r.head.yaw == -90


def test_array_input_and_overlay(shared_data: Path) -> None:
    from moodrig.core.face import read_image

    img = read_image(shared_data / "cc0_selfies" / "lisa1.jpg")
    r = analyze_image(img.astype(np.float32) / 255.0)
    ov = draw_overlay(img, r)
    assert ov.dtype == np.uint8 and ov.shape[0] >= img.shape[0] and ov.shape[1] > img.shape[1]
    assert not np.array_equal(ov[: img.shape[0], : img.shape[1]], img)  # landmarks drawn


def test_no_face_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no face"):
        analyze_image(np.full((240, 320, 3), 90, np.uint8))


def test_cli_image(shared_data: Path, tmp_path: Path) -> None:
    out, ov = tmp_path / "o.json", tmp_path / "o.png"
    assert cli_main(["analyze", str(_london(shared_data, "003_08.jpg")), "--json", str(out), "--overlay", str(ov)]) == 0
    doc = json.loads(out.read_text())
    assert doc["kind"] == "image" and doc["frames"][0]["valid"] and doc["frames"][0]["expression"]["smile"] > 0.5
    assert ov.stat().st_size > 1000
    assert cli_main(["analyze", str(tmp_path / "missing.png"), "--json", str(out)]) == 2


def test_tampered_weights_are_refused(tmp_path: Path) -> None:
    src = weights_dir() / "face"
    for f in src.glob("face_mesh.*"):
        shutil.copy(f, tmp_path / f.name)
    load_net(MESH, tmp_path)  # intact copy loads
    blob = bytearray((tmp_path / "face_mesh.safetensors").read_bytes())
    blob[-5] ^= 0xFF
    (tmp_path / "face_mesh.safetensors").write_bytes(bytes(blob))
    with pytest.raises(WeightsError, match="sha256"):
        load_net(MESH, tmp_path)
    with pytest.raises(WeightsError, match="missing"):
        load_calibration(tmp_path)
