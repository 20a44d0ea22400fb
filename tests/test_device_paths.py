"""The device code paths, run on the CPU through the same functions a GPU runs (and on CUDA
where there is one): one ``device`` setting reaches every network; the editor keeps its work
on the device and copies out once; half precision only where measured safe (docs/gpu.md)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from moodrig.core.amee.infer import AmeeEditor
from moodrig.core.editing.device import pick_dtype, to_device
from moodrig.core.errors import InputError
from moodrig.core.expression import expression_vector
from moodrig.core.face.models import DETECTOR, MESH, full_float32, inference_net
from moodrig.core.painter import DEFAULT_STYLE, paint_face, random_style
from moodrig.core.paths import data_dir
from moodrig.core.transfer.infer import TransferEditor

SAMPLE = data_dir() / "sample_face.jpg"
CUDA = torch.cuda.is_available()
needs_cuda = pytest.mark.skipif(not CUDA, reason="no CUDA GPU on this machine")


def _textures() -> np.ndarray:
    zero = np.zeros(8, np.float32)
    styles = (DEFAULT_STYLE, random_style(np.random.default_rng(3)))
    return np.stack([paint_face(s, zero, 256) for s in styles])


def _vectors() -> np.ndarray:
    return np.stack(
        [
            expression_vector(smile=0.9, brow_raise=0.4),
            expression_vector(jaw_open=0.8, eye_close_l=1.0),
        ]
    )


@pytest.mark.parametrize("spec", [DETECTOR, MESH], ids=["detector", "mesh"])
def test_face_networks_run_the_gpu_form_on_the_cpu_with_the_same_numbers(spec) -> None:
    """A GPU runs the eager module (not traced); on the CPU it gives what the traced one does."""
    eager = inference_net(spec, "cpu", trace=False)
    traced = inference_net(spec, "cpu")
    assert not isinstance(eager, torch.jit.ScriptModule)
    assert isinstance(traced, torch.jit.ScriptModule)
    size = spec.input_size
    x = torch.rand(2, 3, size, size, generator=torch.Generator().manual_seed(0))
    x = x.contiguous(memory_format=torch.channels_last)
    with torch.inference_mode(), full_float32():
        for a, b in zip(eager(x), traced(x), strict=True):
            assert torch.allclose(a, b, atol=1e-4, rtol=1e-4)


def test_full_float32_restores_the_tf32_settings() -> None:
    before = (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32)
    with full_float32():
        assert not torch.backends.cudnn.allow_tf32
        assert not torch.backends.cuda.matmul.allow_tf32
    assert (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32) == before


def test_to_device_views_cpu_memory_and_copies_elsewhere() -> None:
    a = np.zeros((2, 4, 4, 4), np.float32)
    t = to_device(a, torch.device("cpu"))
    t[0, 0, 0, 0] = 1.0
    assert a[0, 0, 0, 0] == 1.0, "on the CPU the texture is not copied"


@pytest.mark.parametrize("cls", [AmeeEditor, TransferEditor], ids=["amee", "transfer"])
def test_half_precision_gives_the_same_textures(cls) -> None:
    """Each shipped editor in float16 gives the textures of float32 (measured on the CPU:
    at most 0.26/255, research/half_precision.py, docs/gpu.md), so on a GPU its network runs
    in float16; an editor not measured would stay float32 (``half_precision`` False)."""
    cuda = torch.device("cuda")
    assert cls.half_precision and pick_dtype(cuda, half=True) == torch.float16
    assert pick_dtype(cuda, half=False) == torch.float32
    assert pick_dtype(torch.device("cpu"), half=True) == torch.float32
    tex = _textures()
    full_editor = cls.load(device="cpu")
    vectors = (
        np.random.default_rng(0)
        .uniform(0, 1, (len(tex), full_editor.weights.vocabulary.size))
        .astype(np.float32)
    )
    full = full_editor.edit(tex, vectors)
    half_editor = cls.load(device="cpu", dtype=torch.float16)
    assert half_editor.dtype == torch.float16
    half = half_editor.edit(tex, vectors)
    diff = np.abs(half - full)[..., :3] * 255.0
    assert diff.max() <= 1.0, f"float16 moved a pixel by {diff.max():.2f}/255"
    assert np.array_equal(half[..., 3], tex[..., 3]), "alpha passes through"


def test_the_bake_device_reaches_the_face_analysis() -> None:
    """``device`` goes from the request into the face networks: a device that is not there
    is refused by the analysis itself."""
    from moodrig.core.face.source import track_from_source

    if CUDA:
        pytest.skip("this machine has CUDA: the refusal cannot be shown")
    with pytest.raises(InputError, match="no CUDA GPU"):
        track_from_source(SAMPLE, 24.0, hold_frames=2, device="cuda")


@needs_cuda
def test_editors_on_cuda_match_the_cpu() -> None:
    tex, vec = _textures(), _vectors()
    for cls, vectors in ((AmeeEditor, vec), (TransferEditor, None)):
        cpu = cls.load(device="cpu")
        gpu = cls.load(device="cuda")
        v = (
            vectors
            if vectors is not None
            else np.full((len(tex), cpu.weights.vocabulary.size), 0.5, np.float32)
        )
        a, ma = cpu.edit_with_mask(tex, v)
        b, mb = gpu.edit_with_mask(tex, v)
        assert b.dtype == np.float32 and b.shape == a.shape
        assert np.abs(a - b).max() * 255.0 <= 2.0, cls.__name__
        assert np.abs(ma - mb).max() <= 0.02, cls.__name__


@needs_cuda
def test_face_analysis_on_cuda_matches_the_cpu() -> None:
    from moodrig.core.face.source import track_from_source

    cpu = track_from_source(SAMPLE, 24.0, hold_frames=2, device="cpu")
    gpu = track_from_source(SAMPLE, 24.0, hold_frames=2, device="cuda")
    assert np.abs(cpu.expressions - gpu.expressions).max() <= 0.01
    assert np.abs(cpu.head - gpu.head).max() <= 0.5
