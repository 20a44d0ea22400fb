"""``python -m moodrig.core.appearance``: edit and locate on image files, 8- and 16-bit, with one
clear line for a file it cannot take (the shipped face editor on the demo head's atlas)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from moodrig.core.appearance.__main__ import run
from moodrig.core.appearance.region import FaceRegion
from moodrig.core.appearance.weights_io import EDITOR_WEIGHTS, LOCATOR_WEIGHTS

pytestmark = pytest.mark.skipif(
    not (
        EDITOR_WEIGHTS.shipped_manifest().is_file() and LOCATOR_WEIGHTS.shipped_manifest().is_file()
    ),
    reason="the face editor's weights are not in this tree's weights/appearance/",
)

SIZE = 512


@pytest.fixture(scope="module")
def head() -> tuple[np.ndarray, str]:
    """The demo head's painted atlas (RGB uint8, rows top-down) and its face region."""
    from moodrig.core.demo_head import head_atlas, paint_atlas
    from moodrig.core.painter import DEFAULT_STYLE

    atlas = head_atlas(SIZE)
    rgb = np.clip(np.rint(paint_atlas(atlas, DEFAULT_STYLE)[..., :3] * 255), 0, 255)
    return rgb.astype(np.uint8), ",".join(f"{v:.6f}" for v in atlas.region.as_tuple())


def _save(path: Path, rgb: np.ndarray) -> Path:
    assert cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return path


def _load(path: Path) -> np.ndarray:
    data = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert data is not None, path
    return np.asarray(cv2.cvtColor(data, cv2.COLOR_BGR2RGB))


def _outside(rgb: np.ndarray, region: str) -> np.ndarray:
    rect = FaceRegion.parse(region).pixels(rgb.shape[1], rgb.shape[0])
    keep = np.ones(rgb.shape[:2], bool)
    keep[rect.slices] = False
    return keep


def test_edit_writes_the_expression_inside_the_region_and_the_bytes_elsewhere(
    head: tuple[np.ndarray, str], tmp_path: Path
) -> None:
    rgb, region = head
    src = _save(tmp_path / "face.png", rgb)
    out = tmp_path / "smile.png"
    args = ["edit", str(src), "--region", region, "--set", "smile=1,jaw_open=0.5"]
    assert run([*args, "--out", str(out), "--device", "cpu"]) == 0
    edited = _load(out)
    assert edited.shape == rgb.shape and edited.dtype == np.uint8
    outside = _outside(rgb, region)
    assert np.array_equal(edited[outside], rgb[outside])
    assert int((edited != rgb).any(axis=2).sum()) > 100, "the face changes"
    neutral = tmp_path / "neutral.png"
    assert run(["edit", str(src), "--region", region, "--out", str(neutral)]) == 0
    assert np.array_equal(_load(neutral), rgb), "no expression: the same bytes"


def test_a_16_bit_png_is_edited_at_16_bits(head: tuple[np.ndarray, str], tmp_path: Path) -> None:
    """Its 8-bit twin (the same levels × 257) gets the same edit: the 16-bit result, read at 8
    bits, is the 8-bit result to within rounding; outside the region its 16-bit words are the
    input's."""
    rgb, region = head
    deep = rgb.astype(np.uint16) * np.uint16(257)
    src8, src16 = _save(tmp_path / "face8.png", rgb), _save(tmp_path / "face16.png", deep)
    out8, out16 = tmp_path / "out8.png", tmp_path / "out16.png"
    for src, out in ((src8, out8), (src16, out16)):
        args = ["edit", str(src), "--region", region, "--set", "brow_raise=1,eye_close_l=1"]
        assert run([*args, "--out", str(out), "--device", "cpu"]) == 0
    e8, e16 = _load(out8), _load(out16)
    assert e16.dtype == np.uint16 and e16.shape == deep.shape
    outside = _outside(rgb, region)
    assert np.array_equal(e16[outside], deep[outside])
    assert np.abs(e16.astype(np.float64) / 257.0 - e8).max() <= 0.51
    assert int((e16 != deep).any(axis=2).sum()) > 100


def test_locate_writes_points_that_edit_reads(head: tuple[np.ndarray, str], tmp_path: Path) -> None:
    rgb, region = head
    src = _save(tmp_path / "face.png", rgb)
    points = tmp_path / "points.json"
    assert run(["locate", str(src), "--region", region, "--json", str(points)]) == 0
    saved = json.loads(points.read_text())
    assert saved["presence"] > 0.5 and saved["region"] == pytest.approx(
        [float(v) for v in region.split(",")]
    )
    found, given = tmp_path / "found.png", tmp_path / "given.png"
    common = ["--region", region, "--set", "smile=1", "--device", "cpu"]
    assert run(["edit", str(src), *common, "--out", str(found)]) == 0
    assert run(["edit", str(src), *common, "--features", str(points), "--out", str(given)]) == 0
    a, b = _load(found), _load(given)
    changed = int((a != rgb).any(axis=2).sum())
    differ = int((np.abs(a.astype(int) - b.astype(int)).max(axis=2) > 2).sum())
    # The file keeps the points to 1/1000 of the region: a few edge pixels move.
    assert changed > 100 and differ <= 0.02 * changed, (differ, changed)


def test_files_it_cannot_take_get_one_line_naming_them(
    head: tuple[np.ndarray, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rgb, _ = head

    def error(args: list[str]) -> str:
        assert run(args) == 1
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("moodrig: error: "), lines
        return lines[0]

    out = str(tmp_path / "out.png")
    assert "missing.png: file not found" in error(
        ["edit", str(tmp_path / "missing.png"), "--out", out]
    )
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    assert "notes.png: cannot be read as an image" in error(["edit", str(text), "--out", out])
    floats = tmp_path / "float.tiff"
    assert cv2.imwrite(str(floats), rgb.astype(np.float32) / 255.0)
    assert "float.tiff: only 8- and 16-bit images" in error(["edit", str(floats), "--out", out])
    src = _save(tmp_path / "face.png", rgb)
    assert "--set 'grin=1'" in error(["edit", str(src), "--set", "grin=1", "--out", out])
    empty = "0.9,0.9,1,1"  # a corner of the atlas with no face painted on it
    assert "shows no painted face" in error(["edit", str(src), "--region", empty, "--out", out])
    assert not Path(out).exists(), "nothing is written for a failed edit"


def test_the_module_runs_as_a_command(head: tuple[np.ndarray, str], tmp_path: Path) -> None:
    rgb, region = head
    src, out = _save(tmp_path / "face.png", rgb), tmp_path / "out.png"
    cmd = [sys.executable, "-m", "moodrig.core.appearance", "edit", str(src), "--region", region]
    done = subprocess.run(
        [*cmd, "--set", "jaw_open=1", "--out", str(out), "--device", "cpu"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert _load(out).shape == rgb.shape


def test_a_face_turned_and_mirrored_in_its_atlas_is_edited_as_told(
    head: tuple[np.ndarray, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from moodrig.core.appearance.orientation import Orientation

    rgb, region = head
    upright_out = tmp_path / "upright.png"
    edit = ["--set", "eye_close_l=1", "--device", "cpu"]
    assert run(["edit", str(_save(tmp_path / "face.png", rgb)), "--region", region, *edit,
                "--out", str(upright_out)]) == 0  # fmt: skip
    lies = Orientation.parse("right", mirrored=True)
    laid = np.ascontiguousarray(np.rot90(rgb[:, ::-1], -1))  # looked at as told: upright
    assert np.array_equal(lies.view(laid), rgb)
    box = np.zeros(rgb.shape[:2], bool)
    box[FaceRegion.parse(region).pixels(SIZE, SIZE).slices] = True
    inside = np.rot90(box[:, ::-1], -1)
    rows, cols = np.flatnonzero(inside.any(1)), np.flatnonzero(inside.any(0))
    turned = ",".join(
        f"{v:.6f}"
        for v in (
            cols[0] / SIZE,
            1 - (rows[-1] + 1) / SIZE,
            (cols[-1] + 1) / SIZE,
            1 - rows[0] / SIZE,
        )
    )
    src, out = _save(tmp_path / "laid.png", laid), tmp_path / "laid_out.png"
    told = ["--head-up", "right", "--mirrored"]
    assert run(["edit", str(src), "--region", turned, *edit, *told, "--out", str(out)]) == 0
    diff = np.abs(lies.view(_load(out)).astype(int) - _load(upright_out).astype(int))
    assert diff.max() <= 16 and diff.mean() < 0.01, "the same eye closes, the same way"
    assert run(["locate", str(src), "--region", turned, *told, "--device", "cpu"]) == 0
    points = json.loads(capsys.readouterr().out)["points"]
    # Head right: the character's right eye lies above its left one in the file; mirrored,
    # below it.
    assert points["eye_r"][1] > points["eye_l"][1]
    assert run(["edit", str(src), "--mirrored", "--out", str(out)]) == 1
    assert "--mirrored needs --head-up" in capsys.readouterr().err
