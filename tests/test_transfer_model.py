"""Transfer model: shapes, determinism, the mask guarantee, weights round trip and tamper
refusal."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from moodrig.core.detail import N_DETAIL, detail_vector
from moodrig.core.errors import InputError, WeightsError
from moodrig.core.painter import DEFAULT_STYLE, expression_region, paint_face, random_style
from moodrig.core.transfer.config import LossWeights, TransferConfig
from moodrig.core.transfer.infer import TransferEditor
from moodrig.core.transfer.losses import Batch, generator_loss, lsgan_discriminator, lsgan_generator
from moodrig.core.transfer.model import TransferModel, TwoScaleDiscriminator
from moodrig.core.transfer.weights_io import TRANSFER_WEIGHTS

SMALL = TransferConfig(
    resolution=32, channels=(8, 8, 16), n_residual=1, mlp_dim=16, disc_channels=(8, 16)
)


def _model(
    cfg: TransferConfig = SMALL, mask_bias: float | None = None, seed: int = 0
) -> TransferModel:
    torch.manual_seed(seed)
    m = TransferModel(cfg)
    if mask_bias is not None and m.decoder.mask_head is not None:
        with torch.no_grad():
            m.decoder.mask_head.bias.fill_(mask_bias)
    TRANSFER_WEIGHTS.storage_round_trip(m)
    return m.eval()


def _textures(n: int, size: int) -> np.ndarray:
    rng = np.random.default_rng(1)
    return np.stack([paint_face(random_style(rng), np.zeros(8), size) for _ in range(n)])


@pytest.mark.parametrize("spatial", [True, False])
def test_shapes(spatial: bool) -> None:
    cfg = TransferConfig(resolution=32, channels=(8, 8, 16), n_residual=1, spatial_style=spatial)
    m = TransferModel(cfg)
    x = torch.rand(3, 3, 32, 32) * 2 - 1
    c = m.content_encoder(x)
    s = m.style_encoder(x)
    assert c.shape == (3, 16, 8, 8) and s.code.shape == (3, cfg.style_dim)
    assert (s.maps is not None) == spatial
    image, mask = m(x, x)
    assert image.shape == (3, 3, 32, 32) and mask.shape == (3, 1, 32, 32)
    image, mask = image.detach(), mask.detach()
    assert float(image.abs().max()) <= 1.0 and float(mask.min()) >= 0.0 and float(mask.max()) <= 1.0
    z1, z2 = TwoScaleDiscriminator(cfg)(x)
    assert z1.shape[-1] == 2 * z2.shape[-1]


def test_losses_are_the_method_terms() -> None:
    ones, zeros = (torch.ones(2, 1, 4, 4),) * 2, (torch.zeros(2, 1, 4, 4),) * 2
    assert float(lsgan_generator(ones)) == 0.0 and float(lsgan_generator(zeros)) == 1.0
    assert (
        float(lsgan_discriminator(ones, zeros)) == 0.0
        and float(lsgan_discriminator(zeros, ones)) == 2.0
    )
    m, d = TransferModel(SMALL), TwoScaleDiscriminator(SMALL)
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    batch = Batch(x, x, x, x[:1])
    _, terms, _ = generator_loss(m, batch, LossWeights(), d)
    assert {"gan", "L1", "L2", "style", "content", "pair", "mask_bce", "mask_mean"} <= set(terms)
    _, terms0, _ = generator_loss(
        m, batch, LossWeights(alpha_gan=0, alpha_1=0, alpha_2=0, alpha_style=0, alpha_content=0)
    )
    assert set(terms0) == {"pair", "raw_pair", "mask_mean", "mask_bce", "total"}


def test_same_input_same_bits_and_any_texture_size() -> None:
    editor = TransferEditor.from_network(_model(mask_bias=0.0), {}, device="cpu")
    tex = _textures(2, 96)
    d = np.stack([detail_vector(smile_l=0.9), detail_vector(brow_raise_r=0.7, jaw_open=0.4)])
    a, b = editor.edit(tex, d), editor.edit(tex, d)
    assert a.shape == tex.shape and a.tobytes() == b.tobytes()
    assert np.array_equal(a[..., 3], tex[..., 3])  # alpha passes through
    assert editor.edit(tex[..., :3].copy(), d).shape == (2, 96, 96, 3)


def test_pixels_outside_the_mask_are_bit_identical() -> None:
    """Wherever the (thresholded, upsampled) mask is 0, the output *is* the input."""
    tex = _textures(3, 128)
    tex[..., :3] += np.random.default_rng(0).uniform(0, 1e-3, tex[..., :3].shape).astype(np.float32)
    tex = np.clip(tex, 0, 1)
    d = np.random.default_rng(1).uniform(0, 1, (3, N_DETAIL)).astype(np.float32)
    tried = 0
    for bias in np.linspace(-2.0, -8.0, 25):  # a bias where the mask is partly below the threshold
        model = _model(mask_bias=float(bias), seed=3)
        editor = TransferEditor.from_network(model, {}, device="cpu")
        mask = editor.mask(tex, d)
        zero = mask == 0
        if zero.mean() < 0.2 or zero.mean() > 0.8:
            continue
        tried += 1
        out = editor.edit(tex, d)
        assert np.array_equal(out[zero], tex[zero])
        assert not np.array_equal(out[~zero], tex[~zero])
    assert tried > 0
    closed = TransferEditor.from_network(_model(mask_bias=-30.0), {}, device="cpu")
    assert closed.edit(tex, d).tobytes() == tex.tobytes()


def test_bad_inputs_are_refused() -> None:
    editor = TransferEditor.from_network(_model(), {}, device="cpu")
    tex = _textures(1, 32)
    with pytest.raises(InputError, match="11"):
        editor.edit(tex, np.zeros((1, 8), np.float32))
    with pytest.raises(InputError):
        editor.edit(tex.astype(np.float64), np.zeros((1, N_DETAIL), np.float32))  # type: ignore[arg-type]
    with pytest.raises(InputError):
        editor.edit(tex, np.full((1, N_DETAIL), 2.0, np.float32))


def test_weights_round_trip_and_content_id(tmp_path: Path) -> None:
    m = _model(mask_bias=0.0)
    mpath = TRANSFER_WEIGHTS.export(tmp_path / "t.safetensors", m, training={"steps": 1})
    _, manifest = TRANSFER_WEIGHTS.load(mpath)
    assert manifest["detail_names"][1] == "smile_l" and manifest["resolution"] == 32
    a = TransferEditor.from_network(m, manifest, device="cpu")
    b = TransferEditor.load(mpath, device="cpu")
    assert a.model_id == b.model_id
    tex, d = _textures(1, 64), detail_vector(smile_r=1.0)[None]
    assert a.edit(tex, d).tobytes() == b.edit(tex, d).tobytes()
    other = TransferEditor.from_network(_model(seed=9), {}, device="cpu")
    assert other.model_id != a.model_id


def test_tampered_missing_and_foreign_weights_are_refused(tmp_path: Path) -> None:
    mpath = TRANSFER_WEIGHTS.export(tmp_path / "t.safetensors", _model())
    wpath = tmp_path / "t.safetensors"
    blob = bytearray(wpath.read_bytes())
    blob[-5] ^= 0xFF
    wpath.write_bytes(bytes(blob))
    with pytest.raises(WeightsError, match="sha256"):
        TransferEditor.load(mpath)
    with pytest.raises(WeightsError, match="missing"):
        TransferEditor.load(tmp_path / "nothing.manifest.json")
    mpath = TRANSFER_WEIGHTS.export(tmp_path / "u.safetensors", _model())
    manifest = json.loads(mpath.read_text())
    manifest["detail_names"] = manifest["detail_names"][::-1]
    mpath.write_text(json.dumps(manifest))
    with pytest.raises(WeightsError, match="vocabulary"):
        TRANSFER_WEIGHTS.load(mpath)
    amee = Path(__file__).resolve().parents[1] / "weights" / "amee" / "amee_gan.manifest.json"
    with pytest.raises(WeightsError, match="not 'moodrig-style-transfer'"):
        TRANSFER_WEIGHTS.load(amee)


def test_shipped_weights_load_and_keep_the_outside_of_the_region() -> None:
    if not TRANSFER_WEIGHTS.shipped_manifest().is_file():
        pytest.fail(
            f"{TRANSFER_WEIGHTS.shipped_manifest()} is missing: the trained transfer "
            "weights must be committed"
        )
    editor = TransferEditor.load(device="cpu")
    assert editor.manifest["storage_dtype"] == "float16"
    tex = paint_face(DEFAULT_STYLE, np.zeros(8), 256)[None]
    out = editor.edit(tex, detail_vector(smile_l=1.0, brow_raise_r=0.8, jaw_open=0.5)[None])[0]
    region = expression_region(DEFAULT_STYLE, 256)
    step = np.abs(np.rint(out * 255) - np.rint(tex[0] * 255)).max(-1)
    assert (step[region] > 0).mean() > 0.3, "the expression is edited"  # measured 0.59
    # The mask reaches a little past the painter's region; 8-bit changes there stay few and small.
    assert (step[~region] > 0).mean() < 0.03 and step[~region].max() <= 12


def test_the_built_addon_ships_the_transfer_weights(built_zip: Path) -> None:
    import zipfile

    names = zipfile.ZipFile(built_zip).namelist()
    for name in (
        "moodrig/weights/transfer/style_transfer.safetensors",
        "moodrig/weights/transfer/style_transfer.manifest.json",
        "moodrig/core/transfer/infer.py",
        "moodrig/core/detail.py",
    ):
        assert name in names, name
    assert not any("detail_regressor" in n for n in names), "the evaluation regressor does not ship"
