"""build_addon.py: layout, product-only contents, reproducibility and clear refusals."""

from __future__ import annotations

import ast
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

# Everything the add-on zip may hold, below its top folder moodrig/: runtime code, the data it
# reads at run time, the weights and the licence texts. A file missing here fails
# test_the_zip_holds_the_product_only: evaluation, calibration, training and research code
# belongs in weights_tools/ or research/, never in the zip.
PRODUCT_FILES = frozenset(
    {
        "LICENSE",
        "THIRD_PARTY_NOTICES.md",
        "__init__.py",
        "__main__.py",
        "anim_compat.py",
        "api.py",
        "bake.py",
        "batch.py",
        "behavior_keys.py",
        "blender_manifest.toml",
        "bone_map_ui.py",
        "bone_maps.py",
        "cli.py",
        "core/__init__.py",
        "core/addon_jobs.py",
        "core/amee/__init__.py",
        "core/amee/config.py",
        "core/amee/finetune.py",
        "core/amee/fold.py",
        "core/amee/infer.py",
        "core/amee/model.py",
        "core/amee/weights_io.py",
        "core/appearance/__init__.py",
        "core/appearance/__main__.py",
        "core/appearance/align.py",
        "core/appearance/api.py",
        "core/appearance/bake_editor.py",
        "core/appearance/cache.py",
        "core/appearance/editor.py",
        "core/appearance/face_search.py",
        "core/appearance/fields.py",
        "core/appearance/finetune.py",
        "core/appearance/locator.py",
        "core/appearance/mask_keep.py",
        "core/appearance/model.py",
        "core/appearance/orientation.py",
        "core/appearance/paint.py",
        "core/appearance/pixelart.py",
        "core/appearance/points_io.py",
        "core/appearance/region.py",
        "core/appearance/setup.py",
        "core/appearance/texels.py",
        "core/appearance/turns.py",
        "core/appearance/weights_io.py",
        "core/background.py",
        "core/bake_job.py",
        "core/bake_sync.py",
        "core/batch/__init__.py",
        "core/batch/checks.py",
        "core/batch/jobs.py",
        "core/batch/local.py",
        "core/batch/outputs.py",
        "core/batch/ray_engine.py",
        "core/batch/run.py",
        "core/batch/status.py",
        "core/batch/worker.py",
        "core/bonemap.py",
        "core/bpfa/__init__.py",
        "core/bpfa/api.py",
        "core/bpfa/diagram.py",
        "core/bpfa/events.py",
        "core/bpfa/limits.py",
        "core/bpfa/loader.py",
        "core/bpfa/model.py",
        "core/bpfa/motion.py",
        "core/bpfa/reader.py",
        "core/bpfa/sampler.py",
        "core/bpfa/sync.py",
        "core/canvas.py",
        "core/cpu.py",
        "core/data/behaviors/bpfa.schema.json",
        "core/data/behaviors/example_user.yaml",
        "core/data/behaviors/humanoid_default.json",
        "core/data/sample_face.jpg",
        "core/data/sample_face.md",
        "core/demo_body.py",
        "core/demo_head.py",
        "core/demo_timeline.py",
        "core/detail.py",
        "core/editing/__init__.py",
        "core/editing/arch.py",
        "core/editing/batch.py",
        "core/editing/composite.py",
        "core/editing/device.py",
        "core/editing/editor.py",
        "core/editing/finetune.py",
        "core/editing/losses.py",
        "core/editing/sheet.py",
        "core/editing/weights_io.py",
        "core/editor.py",
        "core/errors.py",
        "core/expression.py",
        "core/face/__init__.py",
        "core/face/__main__.py",
        "core/face/analyzer.py",
        "core/face/baseline.py",
        "core/face/calibration.py",
        "core/face/cascade.py",
        "core/face/container.py",
        "core/face/decision.py",
        "core/face/detector.py",
        "core/face/expressions.py",
        "core/face/fastnet.py",
        "core/face/geometry.py",
        "core/face/headers.py",
        "core/face/io.py",
        "core/face/lbp.py",
        "core/face/measures.py",
        "core/face/mesh.py",
        "core/face/models.py",
        "core/face/netspec.py",
        "core/face/numpy_net.py",
        "core/face/overlay.py",
        "core/face/roi.py",
        "core/face/smile.py",
        "core/face/smoothing.py",
        "core/face/source.py",
        "core/face/tflite_net.py",
        "core/face/timing.py",
        "core/face/video.py",
        "core/face_shapes.py",
        "core/failures.py",
        "core/fileio.py",
        "core/hysteresis.py",
        "core/image.py",
        "core/keyreduce.py",
        "core/manifest.py",
        "core/outputs.py",
        "core/painter.py",
        "core/paths.py",
        "core/pipeline.py",
        "core/request.py",
        "core/retarget.py",
        "core/rig.py",
        "core/rotation.py",
        "core/shapekeys.py",
        "core/steps.py",
        "core/sync_verdict.py",
        "core/texture_sync.py",
        "core/track.py",
        "core/transfer/__init__.py",
        "core/transfer/config.py",
        "core/transfer/content.py",
        "core/transfer/finetune.py",
        "core/transfer/geometry.py",
        "core/transfer/infer.py",
        "core/transfer/losses.py",
        "core/transfer/model.py",
        "core/transfer/weights_io.py",
        "core/weights.py",
        "demo_character.py",
        "deps.py",
        "face_region.py",
        "face_region_view.py",
        "installer.py",
        "modal_job.py",
        "operators.py",
        "panels.py",
        "pip_output.py",
        "pkg_requirements.py",
        "preferences.py",
        "properties.py",
        "records.py",
        "registration.py",
        "requirements.txt",
        "rig_state.py",
        "shape_key_operators.py",
        "shape_keys.py",
        "tags.py",
        "torch_builds.py",
        "ui_text.py",
        "weights/amee/amee_gan.manifest.json",
        "weights/amee/amee_gan.safetensors",
        "weights/appearance/face_editor.manifest.json",
        "weights/appearance/face_editor.safetensors",
        "weights/appearance/face_locator.manifest.json",
        "weights/appearance/face_locator.safetensors",
        "weights/face/face_calibration.manifest.json",
        "weights/face/face_calibration.safetensors",
        "weights/face/face_detector.manifest.json",
        "weights/face/face_detector.safetensors",
        "weights/face/face_mesh.manifest.json",
        "weights/face/face_mesh.safetensors",
        "weights/transfer/style_transfer.manifest.json",
        "weights/transfer/style_transfer.safetensors",
    }
)
NOT_INSTALLED = (
    "matplotlib",
    "PIL",
    "scipy",
    "skimage",
    "mediapipe",
    "ai_edge_litert",
    "tflite",
    "tensorflow",
)
"""Top-level packages that the add-on does not install in Blender: those of the dev/train extras,
and MediaPipe / LiteRT, which only the parity venv runs to check the converted networks."""


def foreign_imports(source: str, package: str) -> list[str]:
    """Modules that ``source`` (a module of ``package``, e.g. ``moodrig.core.face``) imports
    and the add-on must not: the packages of ``NOT_INSTALLED`` and anything of weights_tools,
    by import statement or by name given to ``importlib.import_module`` / ``__import__``."""
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            base = parts[: len(parts) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            names += [module] + [f"{module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                names.append(node.args[0].value)
    return sorted(
        {n for n in names if n.split(".")[0] in NOT_INSTALLED or "weights_tools" in n.split(".")}
    )


def test_foreign_imports_finds_every_kind_of_import() -> None:
    source = (
        "import matplotlib.pyplot as plt\nfrom PIL import Image\nimport numpy\n"
        "from ..weights_tools import face_eval\nfrom moodrig.weights_tools.face_eval import nme\n"
        "import importlib\nimportlib.import_module('scipy.stats')\nfrom . import smile\n"
        "def f():\n    import skimage.metrics\n"
    )
    assert foreign_imports(source, "moodrig.core.face") == [
        "PIL",
        "PIL.Image",
        "matplotlib.pyplot",
        "moodrig.core.weights_tools",
        "moodrig.core.weights_tools.face_eval",
        "moodrig.weights_tools.face_eval",
        "moodrig.weights_tools.face_eval.nme",
        "scipy.stats",
        "skimage.metrics",
    ]
    assert foreign_imports("from .core import weights\nimport torch\n", "moodrig") == []
    assert foreign_imports(
        "import mediapipe as mp\nfrom ai_edge_litert import interpreter\n", "moodrig.core.face"
    ) == ["ai_edge_litert", "ai_edge_litert.interpreter", "mediapipe"]


def unlisted_and_missing(names: list[str]) -> tuple[list[str], list[str]]:
    """Zip entries outside ``PRODUCT_FILES``, and listed files the zip does not hold."""
    inner = {n.removeprefix("moodrig/") for n in names}
    return sorted(inner - PRODUCT_FILES), sorted(PRODUCT_FILES - inner)


def test_the_zip_holds_the_product_only(built_zip: Path) -> None:
    """The add-on built from this tree: exactly the listed runtime files, data and weights, and
    no module that imports what Blender's Python lacks or the repository's own tools."""
    with zipfile.ZipFile(built_zip) as zf:
        names = zf.namelist()
        unlisted, missing = unlisted_and_missing(names)
        assert not unlisted, f"not product code or weights, keep it out of the add-on: {unlisted}"
        assert not missing, f"in PRODUCT_FILES but no longer built; update the list: {missing}"
        for name in names:
            if name.endswith(".py"):
                module = name.removesuffix(".py").replace("/", ".")
                package = (
                    module.removesuffix(".__init__")
                    if name.endswith("/__init__.py")
                    else module.rpartition(".")[0]
                )
                bad = foreign_imports(zf.read(name).decode("utf-8"), package)
                assert not bad, f"{name} imports {bad}, which the add-on does not ship or install"


def test_a_research_module_in_core_is_refused_by_the_list(tree: Path, tmp_path: Path) -> None:
    (tree / "core" / "face" / "variants.py").write_text("import numpy\n")
    names = zipfile.ZipFile(build_addon.build(tree, tmp_path)).namelist()
    assert unlisted_and_missing(names) == (["core/face/variants.py"], [])


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
    for required in (
        "moodrig/__init__.py",
        "moodrig/blender_manifest.toml",
        "moodrig/core/painter.py",
        "moodrig/LICENSE",
        "moodrig/THIRD_PARTY_NOTICES.md",
    ):
        assert required in names
    assert any(n.startswith("moodrig/weights/") and n.endswith(".safetensors") for n in names)
    assert not any(
        "__pycache__" in n or n.endswith(".pyc") or "tests/" in n or "weights_tools" in n
        for n in names
    )
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


def test_cli_exit_code_and_message(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tree / "LICENSE").unlink()
    monkeypatch.setattr(build_addon, "REPO", tree)
    assert build_addon.main(["--out", str(tmp_path / "o")]) == 1
    assert "LICENSE: missing" in capsys.readouterr().err


# --- platform builds: the small dependencies bundled as extension wheels -------------------


@pytest.fixture
def wheel_folder(tmp_path: Path) -> Path:
    """Stand-ins for the wheels pip would fetch, for linux-x64 and (one) for Windows."""
    from wheel_factory import make_wheel

    folder = tmp_path / "wheels"
    linux = "manylinux_2_17_x86_64"
    make_wheel(folder, "numpy", "1.26.4", tag=f"cp311-cp311-{linux}")
    make_wheel(
        folder,
        "opencv_python_headless",
        "4.11.0.86",
        tag=f"cp37-abi3-{linux}",
        requires=("numpy>=1.21",),
        module="cv2",
    )
    make_wheel(
        folder,
        "opencv_python_headless",
        "4.11.0.86",
        tag="cp37-abi3-win_amd64",
        requires=("numpy>=1.21",),
        module="cv2",
    )
    make_wheel(folder, "safetensors", "0.8.0", tag=f"cp38-abi3-{linux}")
    make_wheel(folder, "pyyaml", "6.0.2", tag=f"cp311-cp311-{linux}", module="yaml")
    return folder


def test_platform_build_bundles_the_small_wheels_and_lists_them(
    tree: Path, tmp_path: Path, wheel_folder: Path
) -> None:
    import tomllib

    target = build_addon.build(tree, tmp_path / "a", "linux-x64", wheel_folder)
    assert target.name == f"moodrig-{build_addon.project_version(tree)}-linux-x64.zip"
    with zipfile.ZipFile(target) as zf:
        names = zf.namelist()
        manifest = tomllib.loads(zf.read("moodrig/blender_manifest.toml").decode())
    wheels = sorted(n.removeprefix("moodrig/") for n in names if n.startswith("moodrig/wheels/"))
    assert wheels == [
        "wheels/opencv_python_headless-4.11.0.86-cp37-abi3-manylinux_2_17_x86_64.whl",
        "wheels/pyyaml-6.0.2-cp311-cp311-manylinux_2_17_x86_64.whl",
        "wheels/safetensors-0.8.0-cp38-abi3-manylinux_2_17_x86_64.whl",
    ], "OpenCV, PyYAML, safetensors for Linux; not numpy (Blender has it), not Windows wheels"
    assert unlisted_and_missing([n for n in names if not n.startswith("moodrig/wheels/")]) == (
        [],
        [],
    )
    assert manifest["platforms"] == ["linux-x64"]
    assert manifest["wheels"] == [f"./{w}" for w in wheels]
    assert manifest["permissions"]["network"]
    again = build_addon.build(tree, tmp_path / "b", "linux-x64", wheel_folder)
    assert again.read_bytes() == target.read_bytes()


def test_platform_build_without_a_wheel_is_refused(
    tree: Path, tmp_path: Path, wheel_folder: Path
) -> None:
    for wheel in wheel_folder.glob("safetensors-*"):
        wheel.unlink()
    with pytest.raises(build_addon.BuildError, match="pip download for linux-x64 failed"):
        build_addon.build(tree, tmp_path / "out", "linux-x64", wheel_folder)


def _blender_validator() -> Path:
    import importlib.util

    from components import require_component

    spec = importlib.util.find_spec("bpy")
    require_component(
        spec is not None and spec.submodule_search_locations is not None,
        "the bpy module (`make venv`)",
    )
    assert spec is not None and spec.submodule_search_locations is not None
    found = sorted(
        Path(next(iter(spec.submodule_search_locations))).glob(
            "*/scripts/addons_core/bl_pkg/cli/blender_ext.py"
        )
    )
    assert found, "bpy ships Blender's extension tool"
    return found[-1]


def test_blenders_own_validator_accepts_both_builds(
    tree: Path, tmp_path: Path, wheel_folder: Path
) -> None:
    """Blender's extension checker (strict: permission reasons of at most 64 characters, wheel
    names, platforms) on the plain and the platform zip."""
    import subprocess

    validator = _blender_validator()
    for target in (
        build_addon.build(tree, tmp_path / "p"),
        build_addon.build(tree, tmp_path / "l", "linux-x64", wheel_folder),
    ):
        proc = subprocess.run(
            [sys.executable, str(validator), "validate", str(target)],
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_platform_manifest_keys_are_top_level() -> None:
    import tomllib

    text = (REPO / "blender_addon" / "blender_manifest.toml").read_text()
    out = tomllib.loads(
        build_addon.platform_manifest(text, "windows-x64", ["a-1-py3-none-any.whl"])
    )
    assert out["platforms"] == ["windows-x64"] and out["wheels"] == [
        "./wheels/a-1-py3-none-any.whl"
    ]
    assert "wheels" not in out["permissions"] and "wheels" not in out["build"]
