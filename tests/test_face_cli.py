"""The face command line as a tool: landmarks and views in the JSON, photo batches, the numpy
engine (no torch for a photo), streamed JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from moodrig.core.face import AnalyzerConfig, analyze_image
from moodrig.core.face.__main__ import main as cli_main
from moodrig.core.face.calibration import VIEWS
from moodrig.core.face.io import read_image
from moodrig.core.paths import data_dir

PHOTO = data_dir() / "sample_face.jpg"


def _photos(folder: Path) -> list[Path]:
    """Three different photos of the bundled face: as is, mirrored, shifted and scaled down."""
    img = cv2.imread(str(PHOTO))
    folder.mkdir()
    h, w = img.shape[:2]
    small = cv2.resize(img, (w * 3 // 4, h * 3 // 4), interpolation=cv2.INTER_AREA)
    canvas = np.full_like(img, 80)
    canvas[h // 8 : h // 8 + small.shape[0], w // 5 : w // 5 + small.shape[1]] = small
    out = []
    for name, im in (("b.jpg", img), ("a.png", cv2.flip(img, 1)), ("c.jpg", canvas)):
        cv2.imwrite(str(folder / name), im)
        out.append(folder / name)
    return out


def test_photo_json_has_landmarks_in_image_pixels_and_the_view(tmp_path: Path) -> None:
    out = tmp_path / "o.json"
    assert cli_main(["analyze", str(PHOTO), "--json", str(out), "--landmarks"]) == 0
    doc = json.loads(out.read_text())
    f = doc["frames"][0]
    assert doc["kind"] == "image" and f["valid"] and f["view"] in VIEWS
    lm = np.array(f["landmarks"])
    h, w = read_image(PHOTO).shape[:2]
    assert lm.shape == (468, 3)
    assert (
        (lm[:, 0] > 0).all()
        and (lm[:, 0] < w).all()
        and (lm[:, 1] > 0).all()
        and (lm[:, 1] < h).all()
    )
    x0, y0, x1, y1 = f["box"]
    assert np.allclose(
        [lm[:, 0].min(), lm[:, 1].min(), lm[:, 0].max(), lm[:, 1].max()],
        [x0, y0, x1, y1],
        atol=0.02,
    )
    assert cli_main(["analyze", str(PHOTO), "--json", str(out)]) == 0
    assert "landmarks" not in json.loads(out.read_text())["frames"][0]


def test_a_folder_of_photos_is_analysed_photo_by_photo(tmp_path: Path) -> None:
    files = _photos(tmp_path / "set")
    out, ov = tmp_path / "p.json", tmp_path / "ov"
    assert (
        cli_main(
            ["analyze", str(tmp_path / "set"), "--photos", "--json", str(out), "--overlay", str(ov)]
        )
        == 0
    )
    doc = json.loads(out.read_text())
    assert doc["kind"] == "photos" and [Path(f["file"]).name for f in doc["frames"]] == [
        "a.png",
        "b.jpg",
        "c.jpg",
    ]
    single = {p.name: analyze_image(p, config=AnalyzerConfig(engine="numpy")) for p in files}
    for f in doc["frames"]:
        r = single[Path(f["file"]).name]
        # each photo's own values, exactly as when it is analysed alone (not tracked from the last)
        assert f["head"]["yaw"] == round(r.head.yaw, 3)
        assert f["expression"]["smile"] == round(float(r.expression[1]), 5)
    assert (
        doc["frames"][0]["head"]["yaw"] * doc["frames"][1]["head"]["yaw"] < 0
        or abs(doc["frames"][0]["head"]["yaw"]) < 5
    )  # mirrored photo: mirrored yaw
    assert sorted(p.name for p in ov.iterdir() if not p.name.startswith(".")) == [
        "0000_a.png",
        "0001_b.png",
        "0002_c.png",
    ]
    # several files are photos without --photos; the same numbers
    out2 = tmp_path / "p2.json"
    assert cli_main(["analyze", *map(str, files), "--json", str(out2)]) == 0
    doc2 = json.loads(out2.read_text())
    assert doc2["kind"] == "photos" and len(doc2["frames"]) == 3
    by_name = {Path(f["file"]).name: f["head"] for f in doc["frames"]}
    assert all(by_name[Path(f["file"]).name] == f["head"] for f in doc2["frames"])


def test_a_batch_reports_a_bad_photo_and_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = _photos(tmp_path / "set")
    bad = tmp_path / "set" / "broken.jpg"
    bad.write_bytes(b"not a jpeg")
    out = tmp_path / "p.json"
    assert cli_main(["analyze", str(files[0]), str(bad), "--json", str(out)]) == 1
    doc = json.loads(out.read_text())
    assert (
        doc["frames"][0]["valid"]
        and not doc["frames"][1]["valid"]
        and "broken.jpg" in doc["frames"][1]["error"]
    )
    assert "broken.jpg" in capsys.readouterr().err
    video = tmp_path / "v.avi"
    vw = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 24, (64, 48))
    vw.write(np.zeros((48, 64, 3), np.uint8))
    vw.release()
    assert cli_main(["analyze", str(files[0]), str(video), "--json", str(out), "--overwrite"]) == 1
    assert "v.avi" in capsys.readouterr().err


def test_video_json_has_view_decision_and_landmarks_per_frame(tmp_path: Path) -> None:
    img = cv2.imread(str(PHOTO))
    h, w = img.shape[:2]
    video = tmp_path / "clip.avi"
    vw = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 24, (w, h))
    for i in range(6):
        m = np.float32([[1, 0, 3 * i], [0, 1, i]])
        vw.write(cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REPLICATE))
    vw.release()
    out = tmp_path / "v.json"
    assert cli_main(["analyze", str(video), "--json", str(out), "--landmarks"]) == 0
    doc = json.loads(out.read_text())
    assert doc["kind"] == "video" and len(doc["frames"]) == 6
    for f in doc["frames"]:
        assert f["valid"] and f["view"] in VIEWS and isinstance(f["smiling"], bool)
        assert np.array(f["landmarks"]).shape == (468, 3)
    # the face moves 3 px right a frame: so do its landmarks
    xs = [np.array(f["landmarks"])[:, 0].mean() for f in doc["frames"]]
    assert 2.0 < float(np.median(np.diff(xs))) < 4.0


def test_numpy_engine_reads_the_same_face_as_torch() -> None:
    a = analyze_image(PHOTO, config=AnalyzerConfig(engine="numpy"))
    b = analyze_image(PHOTO, config=AnalyzerConfig(engine="torch"))
    assert np.abs(a.landmarks - b.landmarks).max() < 0.05  # px, float rounding through two passes
    assert np.abs(a.expression - b.expression).max() < 2e-3
    assert abs(a.head.yaw - b.head.yaw) < 0.05 and a.view == b.view


def test_a_photo_from_the_command_line_never_imports_torch(tmp_path: Path) -> None:
    out = tmp_path / "o.json"
    code = (
        "import sys\n"
        "from moodrig.core.face.__main__ import main\n"
        f"assert main(['analyze', {str(PHOTO)!r}, '--json', {str(out)!r}]) == 0\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["frames"][0]["valid"]
