"""The torch networks match MediaPipe's .tflite files run by the LiteRT interpreter.

LiteRT runs in the separate ``.venv-parity`` (``make parity-venv``) through a subprocess, so
moodrig's environment never imports it. Inputs are real photos: letterboxed whole images for
the detector, the pipeline's own face crops for Face Mesh. Skips locally when the parity venv
or the mediapipe wheel is missing; fails under CI=true.
"""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from components import require_component

from moodrig.core.face.analyzer import FaceAnalyzer
from moodrig.core.face.detector import letterbox, to_tensor
from moodrig.core.face.io import read_image
from moodrig.core.face.models import DETECTOR, MESH, ModelSpec, inference_net, load_net
from moodrig.core.face.roi import crop, roi_from_landmarks

REPO = Path(__file__).resolve().parent.parent

PARITY_PY = REPO / ".venv-parity" / "bin" / "python"
RUNNER = REPO / "weights_tools" / "mediapipe_litert_run.py"
PHOTOS = [
    "london_faces_dev/images/001_03.jpg",
    "london_faces_dev/images/003_08.jpg",
    "cc0_selfies/lisa3.jpg",
    "dlib_faces/2008_001322.jpg",
]


def _wheel() -> Path | None:
    found = sorted((REPO / "build" / "mediapipe").glob("mediapipe-0.10.21-*.whl"))
    return found[0] if found else None


@pytest.fixture(scope="module")
def tflite_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_component(PARITY_PY.exists(), f"parity venv {PARITY_PY} (make parity-venv)")
    wheel = _wheel()
    require_component(
        wheel is not None, "mediapipe 0.10.21 wheel in build/mediapipe (make parity-venv)"
    )
    assert wheel is not None
    out = tmp_path_factory.mktemp("tflite")
    with zipfile.ZipFile(wheel) as zf:
        for spec in (DETECTOR, MESH):
            (out / Path(spec.wheel_member).name).write_bytes(zf.read(spec.wheel_member))
    return out


def _litert(model: Path, x_nhwc: np.ndarray, tmp: Path) -> list[np.ndarray]:
    np.save(tmp / "in.npy", x_nhwc.astype(np.float32))
    subprocess.run(
        [str(PARITY_PY), str(RUNNER), str(model), str(tmp / "in.npy"), str(tmp / "out.npz")],
        check=True,
        capture_output=True,
    )
    with np.load(tmp / "out.npz") as z:
        return [z[f"out{k}"] for k in range(2)]


def _torch(spec: ModelSpec, x_nchw: torch.Tensor, form: str = "reference") -> list[np.ndarray]:
    """Outputs of the reference module or of the inference form the analyser runs."""
    net = load_net(spec) if form == "reference" else inference_net(spec)
    with torch.inference_mode():
        return [o.numpy() for o in net(x_nchw.contiguous(memory_format=torch.channels_last))]


@pytest.mark.shared
@pytest.mark.parametrize("form", ["reference", "inference"])
def test_detector_parity(shared_data: Path, tflite_dir: Path, tmp_path: Path, form: str) -> None:
    xs = [
        to_tensor(letterbox(read_image(shared_data / p), 128)[0], *DETECTOR.input_range)
        for p in PHOTOS
    ]
    x = torch.cat(xs)
    ref = _litert(
        tflite_dir / "face_detection_short_range.tflite", x.permute(0, 2, 3, 1).numpy(), tmp_path
    )
    got = [np.concatenate(o) for o in zip(*[_torch(DETECTOR, xi, form) for xi in xs], strict=True)]
    assert got[0].shape == ref[0].shape == (len(PHOTOS), 896, 16)
    # Regressors in 128-px input units (values up to about 220): measured within 1.5e-4 px.
    assert np.abs(got[0] - ref[0]).max() < 1e-3
    s_got = 1 / (1 + np.exp(-got[1].astype(np.float64)))
    s_ref = 1 / (1 + np.exp(-ref[1].astype(np.float64)))
    assert np.abs(s_got - s_ref).max() < 1e-5  # measured 3.0e-7
    assert s_ref.max() > 0.9  # real faces are in these photos


@pytest.mark.shared
@pytest.mark.parametrize("form", ["reference", "inference"])
def test_face_mesh_parity(shared_data: Path, tflite_dir: Path, tmp_path: Path, form: str) -> None:
    analyzer = FaceAnalyzer()
    crops = []
    for p in PHOTOS:
        img = read_image(shared_data / p)
        hit = analyzer.locate(img)
        assert hit is not None, p
        patch, _ = crop(img, roi_from_landmarks(hit[0].landmarks), 192)
        crops.append(to_tensor(patch, *MESH.input_range))
    ref = _litert(
        tflite_dir / "face_landmark.tflite", torch.cat(crops).permute(0, 2, 3, 1).numpy(), tmp_path
    )
    outs = [_torch(MESH, c, form) for c in crops]
    lm = np.concatenate([o[0] for o in outs]).reshape(len(PHOTOS), 468, 3)
    lm_ref = ref[0].reshape(len(PHOTOS), 468, 3)
    assert np.abs(lm - lm_ref).max() < 1e-3  # 192-px input pixels (x, y and z); measured 1.2e-4
    # Face scores as logits: their sigmoids saturate near 1 and would hide a difference.
    logit = np.concatenate([o[1] for o in outs]).reshape(-1).astype(np.float64)
    logit_ref = ref[1].reshape(-1).astype(np.float64)
    assert np.abs(logit - logit_ref).max() < 1e-4  # measured 1.1e-5
    assert (1 / (1 + np.exp(-logit_ref))).min() > 0.5


def test_committed_weights_are_the_converted_tflite(tflite_dir: Path, tmp_path: Path) -> None:
    """Re-running the converter's reader on the wheel's .tflite gives exactly the shipped
    tensors."""
    from moodrig.core.face.models import manifest_path
    from moodrig.core.weights import load_weights

    for spec, name in ((DETECTOR, "face_detection_short_range"), (MESH, "face_landmark")):
        prefix = tmp_path / name
        subprocess.run(
            [
                str(PARITY_PY),
                str(REPO / "weights_tools" / "mediapipe_tflite_reader.py"),
                str(tflite_dir / f"{name}.tflite"),
                str(prefix),
            ],
            check=True,
            capture_output=True,
        )
        tensors, manifest = load_weights(
            manifest_path(spec), model=spec.model, model_version=spec.version
        )
        with np.load(prefix.with_suffix(".npz")) as z:
            assert set(z.files) == set(tensors)
            for k in z.files:
                assert np.array_equal(z[k], tensors[k].numpy()), k
        assert json.loads(prefix.with_suffix(".json").read_text()) == manifest["architecture"]


@pytest.mark.shared
def test_inference_form_matches_the_reference_in_a_batch(shared_data: Path) -> None:
    """The rewritten, traced networks give the reference modules' numbers, also for a batch
    (the detector runs batched over photos and tiles)."""
    imgs = [read_image(shared_data / p) for p in PHOTOS]
    for spec in (DETECTOR, MESH):
        ref_net, fast = load_net(spec), inference_net(spec)
        xs = [to_tensor(letterbox(img, spec.input_size)[0], *spec.input_range) for img in imgs]
        with torch.inference_mode():
            eager = [torch.cat(o) for o in zip(*[ref_net(x.contiguous()) for x in xs], strict=True)]
            batch = fast(torch.cat(xs).contiguous(memory_format=torch.channels_last))
        for a, b in zip(eager, batch, strict=True):
            assert a.shape == b.shape
            assert float((a - b).abs().max()) < 1e-3


def test_inference_form_has_no_pad_ops_and_no_slow_convolution() -> None:
    """The explicit pads are folded (only the dense first layer keeps one) and no convolution
    takes torch's ``_slow_conv2d_forward`` fallback (it did for every 1×1 layer)."""
    from torch.profiler import ProfilerActivity, profile

    from moodrig.core.face.fastnet import plan, step_kinds
    from moodrig.core.face.models import load_parts

    for spec in (DETECTOR, MESH):
        _, arch = load_parts(spec)
        steps = plan(arch)
        assert "pad" not in step_kinds(steps)
        assert sum(s.args.get("pre_pad") is not None for s in steps) <= 1
        net = inference_net(spec)
        x = torch.rand(1, 3, spec.input_size, spec.input_size)
        x = x.contiguous(memory_format=torch.channels_last)
        with torch.inference_mode():
            net(x)
            with profile(activities=[ProfilerActivity.CPU]) as prof:
                net(x)
        ops = {e.key for e in prof.key_averages()}
        assert "aten::_slow_conv2d_forward" not in ops, spec.name
        pads = sum(e.count for e in prof.key_averages() if e.key == "aten::constant_pad_nd")
        assert pads <= 1, (spec.name, pads)
