"""The source-expression input of AMEE-GAN: condition, editor API, widening, training, the bake."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from amee_tiny import trained_like

from moodrig.core.amee.config import AmeeConfig
from moodrig.core.amee.infer import AmeeEditor
from moodrig.core.amee.weights_io import AMEE_WEIGHTS
from moodrig.core.errors import InputError
from moodrig.core.painter import DEFAULT_STYLE, paint_face
from moodrig.core.pipeline import BakeRequest, run_bake_sync
from moodrig.core.track import ExpressionTrack
from moodrig.weights_tools.amee_train import TrainConfig, train
from moodrig.weights_tools.amee_widen import widen_generator

TINY = AmeeConfig(
    resolution=32, enc_channels=(4, 8, 8, 16, 16), n_residual=1, disc_channels=(8, 16)
)
TINY_SRC = AmeeConfig(
    **{
        **TINY.to_dict(),
        "enc_channels": TINY.enc_channels,
        "disc_channels": TINY.disc_channels,
        "source_input": True,
    }
)


def test_condition_layout_and_unknown_source() -> None:
    assert TINY.condition_dim == 8 and TINY_SRC.condition_dim == 17
    gen = trained_like(TINY_SRC, seed=0).eval()
    a, s = torch.rand(3, 8), torch.rand(3, 8)
    cond = gen.condition(a, s, torch.tensor([1.0, 0.0, 1.0]))
    assert torch.equal(cond[:, :8], a) and torch.equal(cond[:, 16], torch.tensor([1.0, 0.0, 1.0]))
    assert torch.equal(cond[1, 8:16], torch.zeros(8)) and torch.equal(cond[0, 8:16], s[0])
    x = torch.rand(3, 3, 32, 32) * 2 - 1
    with torch.no_grad():
        unknown = gen(x, a)
        zero_known = gen(x, a, s, torch.zeros(3))  # known = 0: the source values are not read
        given = gen(x, a, s)
    assert torch.equal(unknown[0], zero_known[0]) and torch.equal(unknown[1], zero_known[1])
    # A known source changes the edit: max |Δ| at least 0.84 over 300 random draws.
    assert (given[0] - unknown[0]).abs().max() > 0.1


def test_config_round_trip_keeps_old_content_ids() -> None:
    assert "source_input" not in TINY.to_dict()  # as written before the field existed
    assert (
        AmeeConfig.from_dict(TINY_SRC.to_dict()) == TINY_SRC
        and TINY_SRC.to_dict()["source_input"] is True
    )
    gen = trained_like(TINY)
    wide = widen_generator(gen, TINY_SRC)
    assert AMEE_WEIGHTS.weights_id(wide) != AMEE_WEIGHTS.weights_id(gen)


def test_editor_uses_and_checks_source_expressions(tmp_path: Path) -> None:
    torch.manual_seed(0)
    gen = trained_like(TINY_SRC)
    with torch.no_grad():
        assert gen.mask_head is not None
        gen.mask_head.bias.fill_(2.0)  # an open mask, so the edit shows
    editor = AmeeEditor.load(AMEE_WEIGHTS.export(tmp_path / "src.safetensors", gen), device="cpu")
    assert editor.takes_source
    rng = np.random.default_rng(0)
    tex = rng.uniform(0, 1, (2, 40, 40, 4)).astype(np.float32)
    ex = rng.uniform(0, 1, (2, 8)).astype(np.float32)
    neutral = np.zeros_like(ex)
    assert not np.array_equal(editor.edit(tex, ex, neutral), editor.edit(tex, ex))
    out, mask = editor.edit_with_mask(tex, ex, neutral)
    assert np.array_equal(out, editor.edit(tex, ex, neutral)) and np.array_equal(
        mask, editor.mask(tex, ex, neutral)
    )
    with pytest.raises(InputError, match="source expressions must have shape"):
        editor.edit(tex, ex, neutral[:1])
    with pytest.raises(InputError, match="source expressions"):
        editor.edit(tex, ex, neutral + 2.0)
    plain_weights = AMEE_WEIGHTS.export(tmp_path / "plain.safetensors", trained_like(TINY))
    plain = AmeeEditor.load(plain_weights, device="cpu")
    assert not plain.takes_source and np.array_equal(
        plain.edit(tex, ex, neutral), plain.edit(tex, ex)
    )


@pytest.mark.parametrize("channels", [TINY.enc_channels, (8, 8, 12, 16, 24)])
def test_adding_the_source_input_keeps_the_output(channels: tuple[int, ...]) -> None:
    src = trained_like(TINY)
    target = AmeeConfig(
        **{**TINY_SRC.to_dict(), "enc_channels": channels, "disc_channels": TINY.disc_channels}
    )
    wide = widen_generator(src, target)
    x, a, s = torch.rand(4, 3, 32, 32) * 2 - 1, torch.rand(4, 8), torch.rand(4, 8)
    for mode in ("eval", "train"):
        src.train(mode == "train")
        wide.train(mode == "train")
        with torch.no_grad():
            i0, m0 = src(x, a)
            for known in (None, torch.tensor([1.0, 0.0, 1.0, 1.0])):
                i1, m1 = wide(x, a, s if known is not None else None, known)
                torch.testing.assert_close(i1, i0, atol=1e-6, rtol=0)
                torch.testing.assert_close(m1, m0, atol=1e-6, rtol=0)
    with pytest.raises(ValueError, match="cannot drop"):
        widen_generator(trained_like(TINY_SRC), TINY)


def test_training_adds_the_source_input_to_an_export(tmp_path: Path) -> None:
    narrow = AmeeConfig(
        **{
            **TINY.to_dict(),
            "enc_channels": TINY.enc_channels,
            "disc_channels": TINY.disc_channels,
            "n_residual": 3,
        }
    )  # the training CLI's residual depth
    base = AMEE_WEIGHTS.export(tmp_path / "base.safetensors", trained_like(narrow))
    cfg = TrainConfig(
        out=str(tmp_path / "run"),
        steps=2,
        batch=4,
        styles=4,
        per_style=3,
        resolution=32,
        enc_channels=TINY.enc_channels,
        disc_channels=TINY.disc_channels,
        threads=1,
        log_every=1,
        sample_every=2,
        ckpt_every=1,
        cache_dir=str(tmp_path / "cache"),
        init_from=str(base),
        source_input=True,
        source_known_prob=0.5,
    )
    manifest = train(cfg, quiet=True)
    man = json.loads(manifest.read_text())
    assert (
        man["architecture"]["source_input"] is True and man["training"]["source_known_prob"] == 0.5
    )
    editor = AmeeEditor.load(manifest, device="cpu")
    tex = paint_face(DEFAULT_STYLE, np.zeros(8, np.float32), 48)[None]
    out = editor.edit(tex, np.full((1, 8), 0.5, np.float32), np.zeros((1, 8), np.float32))
    assert editor.takes_source and out.shape == tex.shape and np.isfinite(out).all()


class RecordingEditor:
    """Test double: records what each call was told; paints the painter's target."""

    model_id = "recording"
    takes_source = True
    resolution = 48  # the painter draws at any size; the textures here are 48 px

    def __init__(self) -> None:
        self.sources: list[np.ndarray | None] = []

    def edit(
        self, textures: np.ndarray, vectors: np.ndarray, source: np.ndarray | None = None
    ) -> np.ndarray:
        self.sources.append(source)
        return np.stack([paint_face(DEFAULT_STYLE, v, textures.shape[1]) for v in vectors])


def test_bake_tells_the_model_the_base_is_neutral_unless_told_otherwise(tmp_path: Path) -> None:
    n = 6
    ex = np.zeros((n, 8), np.float32)
    ex[:, 1] = np.linspace(0, 1, n)
    track = ExpressionTrack(24.0, ex, np.zeros((n, 3), np.float32), np.ones(n, bool))
    base = paint_face(DEFAULT_STYLE, np.zeros(8), 48)
    told = RecordingEditor()
    first = run_bake_sync(track, base, BakeRequest(), tmp_path, told)
    assert told.sources and all(s is not None and not s.any() for s in told.sources)
    untold = RecordingEditor()
    second = run_bake_sync(track, base, BakeRequest(base_neutral=False), tmp_path, untold)
    assert untold.sources and all(s is None for s in untold.sources)
    # the two ways never share a cache entry
    assert (
        first.cache.generated == first.cache.distinct
        and second.cache.generated == second.cache.distinct
    )


def test_cli_flag_reaches_the_bake_request(tmp_path: Path) -> None:
    from moodrig.cli import bake_request, build_parser

    base = ["bake", "--face", "F", "--armature", "R", "--out", str(tmp_path / "o.blend")]
    assert bake_request(build_parser().parse_args(base)).base_neutral is True
    args = [*base, "--base-not-neutral", "--weights", "w.manifest.json"]
    opts = bake_request(build_parser().parse_args(args))
    assert opts.base_neutral is False and opts.weights.is_absolute()
