"""Photos → landmarks, expression and head angles, on real faces (../shared/data)."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from moodrig.core.errors import InputError, WeightsError
from moodrig.core.expression import INDEX
from moodrig.core.face import analyze_image, draw_overlay, read_image
from moodrig.core.face.__main__ import main as cli_main
from moodrig.core.face.calibration import load as load_calibration
from moodrig.core.face.models import MESH, load_net
from moodrig.core.paths import weights_dir
from moodrig.weights_tools.face_eval import LONDON_TO_MESH, nme

pytestmark = pytest.mark.shared


def _london(shared: Path, name: str) -> Path:
    return shared / "london_faces_dev" / "images" / name


def test_frontal_landmarks_match_the_hand_template(shared_data: Path) -> None:
    for stem in ("001_03", "003_03"):
        r = analyze_image(_london(shared_data, f"{stem}.jpg"))
        tpl = np.array(json.loads(_london(shared_data, f"{stem}.landmarks189.json").read_text()))
        err = nme(
            r.landmarks[list(LONDON_TO_MESH.values())],
            tpl[list(LONDON_TO_MESH)],
            float(np.linalg.norm(tpl[18] - tpl[27])),
        )
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


def test_profile_is_recognised_or_refused(shared_data: Path) -> None:
    """Near profile Face Mesh's landmarks are often not valid: a profile is read (yaw -90)
    when Face Mesh's own presence accepts the region, and is no face when it does not."""
    r = analyze_image(_london(shared_data, "006_01.jpg"))  # left profile, presence 1.0
    assert r.view == "left_profile" and r.head.yaw == -90
    with pytest.raises(InputError, match="no face"):
        analyze_image(_london(shared_data, "001_01.jpg"))  # left profile, presence 0.04


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
    assert (
        cli_main(
            [
                "analyze",
                str(_london(shared_data, "003_08.jpg")),
                "--json",
                str(out),
                "--overlay",
                str(ov),
            ]
        )
        == 0
    )
    doc = json.loads(out.read_text())
    assert (
        doc["kind"] == "image"
        and doc["frames"][0]["valid"]
        and doc["frames"][0]["expression"]["smile"] > 0.5
    )
    assert ov.stat().st_size > 1000
    assert cli_main(["analyze", str(tmp_path / "missing.png"), "--json", str(out)]) == 1


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


def test_smile_is_continuous_between_a_neutral_and_a_smiling_face(shared_data: Path) -> None:
    """Landmarks blended from a person's neutral to their smiling photo: the (geometric) smile
    value rises steadily, it is an intensity, not a switch."""
    from moodrig.core.face.calibration import cached
    from moodrig.core.face.expressions import analyse_landmarks

    cal = cached()
    a = analyze_image(_london(shared_data, "001_03.jpg")).landmarks.astype(np.float64)
    b = analyze_image(_london(shared_data, "001_08.jpg")).landmarks.astype(np.float64)
    vals = [
        analyse_landmarks((1 - t) * a + t * b, cal).expression[INDEX["smile"]]
        for t in np.linspace(0, 1, 11)
    ]
    assert vals[0] < 0.5 < vals[-1]
    assert all(v2 >= v1 - 1e-6 for v1, v2 in itertools.pairwise(vals))
    assert len({round(float(v), 3) for v in vals}) >= 5  # many distinct levels, not a step


def test_smile_does_not_depend_on_the_photo_size(shared_data: Path) -> None:
    import cv2

    from moodrig.core.face import read_image

    img = read_image(_london(shared_data, "008_08.jpg"))
    small = cv2.resize(img, (img.shape[1] // 2, img.shape[0] // 2), interpolation=cv2.INTER_AREA)
    s_full = analyze_image(img).expression[INDEX["smile"]]
    s_half = analyze_image(small).expression[INDEX["smile"]]
    assert abs(s_full - s_half) < 0.15, (s_full, s_half)


def test_person_baseline_over_a_clip(shared_data: Path) -> None:
    """A clip of one person whose resting face reads part-smiling to the population: 48
    neutral frames, a 6-frame onset, 12 smiling frames (small camera shake). With the person's
    own neutral the rest reads lower and the smile still reads as a smile. (The smile score of
    a still face jitters from frame to frame, so the neutral learnt from 24 frames depended on
    which crops tracking read more than the margin allows; 48 frames hold it.)"""
    import cv2

    from moodrig.core.face.baseline import BaselineConfig
    from moodrig.core.face.video import VideoConfig, analyze_frames

    neutral = read_image(_london(shared_data, "003_03.jpg")).astype(np.float32)
    smiling = read_image(_london(shared_data, "003_08.jpg")).astype(np.float32)
    share = [0.0] * 48 + [k / 7 for k in range(1, 7)] + [1.0] * 12

    def frames() -> list[np.ndarray]:
        out = []
        for i, t in enumerate(share):
            img = np.rint((1 - t) * neutral + t * smiling).astype(np.uint8)
            m = np.float32([[1, 0, 2 * np.sin(i / 3)], [0, 1, np.cos(i / 4)]])
            out.append(
                cv2.warpAffine(
                    img, m, (img.shape[1], img.shape[0]), borderMode=cv2.BORDER_REPLICATE
                )
            )
        return out

    pop = analyze_frames(frames(), 24.0).expressions[:, INDEX["smile"]]
    per = analyze_frames(
        frames(), 24.0, config=VideoConfig(person_baseline=BaselineConfig())
    ).expressions[:, INDEX["smile"]]
    assert 0.2 < pop[:48].mean() < 0.5  # the population reads this resting face as part-smiling
    assert per[8:48].mean() < pop[8:48].mean() - 0.05
    assert per[-8:].min() > 0.5 and pop[-8:].min() > 0.5


@pytest.mark.slow
def test_cross_validated_smile_accuracy(shared_data: Path) -> None:
    """Single-photo smiling vs neutral on people the calibration never saw (5-fold by person,
    front and 3/4 London views). Measured 90%/88% (docs/face_eval.md); the estimate before
    the appearance score had 84% front, which this would catch."""
    from moodrig.core.face import AnalyzerConfig, FaceAnalyzer
    from moodrig.weights_tools.face_calibrate import image_loader, observe, read_labels
    from moodrig.weights_tools.face_eval import cross_validate, smile_table

    samples = [s for s in read_labels(shared_data) if not s.view.endswith("profile")]
    obs = observe(shared_data, samples, FaceAnalyzer(AnalyzerConfig()))
    assert obs.found.all()
    cv = cross_validate(samples, obs, AnalyzerConfig(), image_loader(shared_data, samples))
    table = smile_table(samples, cv["smile"])
    assert table["front"]["accuracy"] >= 0.87, table
    assert table["3/4"]["accuracy"] >= 0.85, table
    assert table["front"]["paired"] >= 0.95 and table["3/4"]["paired"] >= 0.93, table
