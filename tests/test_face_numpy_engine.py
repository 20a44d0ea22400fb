"""The numpy engine: the converted networks without torch, equal to the torch reference."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from moodrig.core.errors import WeightsError
from moodrig.core.face.models import DETECTOR, MESH, ModelSpec, load_net
from moodrig.core.face.netspec import manifest_path
from moodrig.core.face.numpy_net import NumpyNet, load_numpy_net
from moodrig.core.manifest import load_weights_numpy
from moodrig.core.paths import weights_dir


@pytest.mark.parametrize("spec", [DETECTOR, MESH], ids=lambda s: s.name)
def test_numpy_net_equals_the_torch_reference(spec: ModelSpec) -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(*spec.input_range, (2, spec.input_size, spec.input_size, 3)).astype(np.float32)
    net = load_numpy_net(spec)
    both = net(x)
    for i in range(2):  # the reference runs one image at a time
        with torch.inference_mode():
            ref = load_net(spec)(torch.from_numpy(x[i : i + 1]).permute(0, 3, 1, 2).contiguous())
        out = net(x[i : i + 1])
        assert len(out) == len(ref)
        for a, b, batch in zip(out, ref, both, strict=True):
            assert a.shape == tuple(b.shape)
            assert np.abs(a - b.numpy()).max() < 1e-3 * max(1.0, float(b.abs().max()))
            np.testing.assert_allclose(batch[i : i + 1], a, rtol=0, atol=1e-3)


def test_numpy_net_refuses_weights_it_does_not_use_or_lacks() -> None:
    tensors, manifest = load_weights_numpy(
        manifest_path(MESH), model=MESH.model, model_version=MESH.version
    )
    arch = manifest["architecture"]
    with pytest.raises(ValueError, match="not used"):
        NumpyNet(arch, {**tensors, "extra.weight": np.zeros(1, np.float32)})
    first_conv = next(layer["name"] for layer in arch["layers"] if layer["op"] == "conv")
    with pytest.raises(KeyError):
        NumpyNet(arch, {k: v for k, v in tensors.items() if not k.startswith(first_conv + ".")})


def test_numpy_loader_verifies_like_the_torch_loader(tmp_path: Path) -> None:
    src = weights_dir() / "face"
    for f in src.glob("face_mesh.*"):
        shutil.copy(f, tmp_path / f.name)
    weights = tmp_path / "face_mesh.safetensors"
    blob = bytearray(weights.read_bytes())
    blob[-10] ^= 0xFF
    weights.write_bytes(bytes(blob))
    with pytest.raises(WeightsError, match="sha256"):
        load_weights_numpy(
            tmp_path / "face_mesh.manifest.json", model=MESH.model, model_version=MESH.version
        )
    with pytest.raises(WeightsError, match="not 'other'"):
        load_weights_numpy(
            src / "face_mesh.manifest.json", model="other", model_version=MESH.version
        )


@pytest.mark.parametrize("change", ["huge_pad", "wrong_channels", "unknown_op"])
def test_a_tampered_layer_list_is_refused_before_anything_runs(tmp_path: Path, change: str) -> None:
    import json

    src = weights_dir() / "face"
    for f in src.glob("face_mesh.*"):
        shutil.copy(f, tmp_path / f.name)
    mpath = tmp_path / "face_mesh.manifest.json"
    manifest = json.loads(mpath.read_text())
    layers = manifest["architecture"]["layers"]
    if change == "huge_pad":
        pad = next(layer for layer in layers if layer["op"] == "pad")
        pad["pads"][3][1] = 1_000_000
    elif change == "wrong_channels":
        prelu = next(layer for layer in layers if layer["op"] == "prelu")
        prelu["in"] = [manifest["architecture"]["input"]]  # 3 channels, not its 16
    else:
        layers[1]["op"] = "softmax"
    mpath.write_text(json.dumps(manifest))
    with pytest.raises(WeightsError, match="architecture"):
        load_numpy_net(MESH, tmp_path)
