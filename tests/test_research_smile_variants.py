"""research/smile_variants.py: its feature readers see what the product networks compute."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from smile_variants import MESH_BACKBONE, MESH_LANDMARK_HEAD, layer_outputs, region_patch

from moodrig.core.face import calibration as calib
from moodrig.core.face.models import MESH, load_net
from moodrig.core.face.smile import MOUTH_REGION, mouth_patch


def test_layer_outputs_records_the_tensors_forward_computes() -> None:
    """Hooks on the producing layers: Face Mesh's two outputs recorded this way are the ones
    ``forward`` returns, the feature tensors have the shapes the script expects, and no hook
    is left behind."""
    net = load_net(MESH)
    seeded = torch.Generator().manual_seed(0)
    x = torch.rand(1, 3, MESH.input_size, MESH.input_size, generator=seeded)
    with torch.inference_mode():
        got = layer_outputs(net, x, [*net.output_ids, MESH_BACKBONE, MESH_LANDMARK_HEAD])
        outs = net(x)
    for oid, out in zip(net.output_ids, outs, strict=True):
        assert torch.equal(got[oid].permute(0, 2, 3, 1).reshape(out.shape), out)  # NCHW -> NHWC
    assert got[MESH_BACKBONE].shape == (1, 128, 6, 6)  # the backbone output both heads read
    assert got[MESH_LANDMARK_HEAD].shape == (1, 32, 3, 3)
    assert not any(layer._forward_hooks for layer in net.layers.values())
    add = next(out for op, _, _, out, _ in net.plan if op == "add")
    with pytest.raises(ValueError, match="not the output of a conv"):
        layer_outputs(net, x, [add])


def test_region_patch_of_the_mouth_region_is_the_product_mouth_patch() -> None:
    can = calib.cached().canonical
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)
    face = (can * 180 + np.array([320.0, 200.0, 0.0])).astype(np.float32)
    for size in (64, 96):
        square = region_patch(img, face, can, MOUTH_REGION, size, size)
        assert np.array_equal(square, mouth_patch(img, face, can, size))
    assert region_patch(img, face, can, (-0.8, 0.8, 0.2, 1.1), 128, 72).shape == (72, 128)
