"""build_addon.py: layout, reproducibility and clear refusals."""

from __future__ import annotations

import json
import re
import shutil
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
import build_addon  # noqa: E402


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the parts of the repository the build reads, to break on purpose."""
    root = tmp_path / "repo"
    root.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("blender_addon", "core", "weights"):
        shutil.copytree(REPO / folder, root / folder, ignore=ignore)
    for name in ("pyproject.toml", "LICENSE", "THIRD_PARTY_NOTICES.md"):
        shutil.copy2(REPO / name, root / name)
    return root


def test_layout(tree: Path, tmp_path: Path) -> None:
    target = build_addon.build(tree, tmp_path / "out")
    assert target.name == f"moodrig-{build_addon.project_version(tree)}.zip"
    names = zipfile.ZipFile(target).namelist()
    assert all(n.startswith("moodrig/") for n in names)
    for required in ("moodrig/__init__.py", "moodrig/blender_manifest.toml", "moodrig/core/painter.py",
                     "moodrig/LICENSE", "moodrig/THIRD_PARTY_NOTICES.md"):
        assert required in names
    assert any(n.startswith("moodrig/weights/") and n.endswith(".safetensors") for n in names)
    assert not any("__pycache__" in n or n.endswith(".pyc") or "tests/" in n or "weights_tools" in n for n in names)
    assert not any(n.startswith("core/") for n in names), "no top-level core on Blender's path"
    assert not any("regressor" in n for n in names), "the evaluation regressors do not ship"


def test_two_builds_are_byte_identical(tree: Path, tmp_path: Path) -> None:
    a = build_addon.build(tree, tmp_path / "a").read_bytes()
    (tree / "core" / "__pycache__").mkdir(exist_ok=True)
    (tree / "core" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"junk")
    b = build_addon.build(tree, tmp_path / "b").read_bytes()
    assert a == b


def _a_weight_manifest(tree: Path) -> Path:
    manifests = sorted((tree / "weights").rglob("*.manifest.json"))
    if not manifests:
        pytest.fail("no shipped weights with manifests under weights/")
    return manifests[0]


def test_missing_weight_file_is_refused(tree: Path, tmp_path: Path) -> None:
    mpath = _a_weight_manifest(tree)
    wfile = mpath.parent / json.loads(mpath.read_text())["file"]
    wfile.unlink()
    with pytest.raises(build_addon.BuildError, match=r"missing.*re-export"):
        build_addon.build(tree, tmp_path / "out")


def test_tampered_weight_file_is_refused(tree: Path, tmp_path: Path) -> None:
    mpath = _a_weight_manifest(tree)
    wfile = mpath.parent / json.loads(mpath.read_text())["file"]
    data = bytearray(wfile.read_bytes())
    data[-1] ^= 0xFF
    wfile.write_bytes(bytes(data))
    with pytest.raises(build_addon.BuildError, match="sha256"):
        build_addon.build(tree, tmp_path / "out")


def test_manifest_version_mismatch_is_refused(tree: Path, tmp_path: Path) -> None:
    path = tree / "blender_addon" / "blender_manifest.toml"
    path.write_text(re.sub(r'(?m)^version = "', 'version = "9', path.read_text()))
    with pytest.raises(build_addon.BuildError, match="differs from pyproject"):
        build_addon.build(tree, tmp_path / "out")


def test_broken_manifest_is_refused(tree: Path, tmp_path: Path) -> None:
    (tree / "blender_addon" / "blender_manifest.toml").write_text("id = 'moodrig'\nversion = [")
    with pytest.raises(build_addon.BuildError, match="not valid TOML"):
        build_addon.build(tree, tmp_path / "out")


def test_cli_exit_code_and_message(tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    (tree / "LICENSE").unlink()
    monkeypatch.setattr(build_addon, "REPO", tree)
    assert build_addon.main(["--out", str(tmp_path / "o")]) == 1
    assert "LICENSE: missing" in capsys.readouterr().err
