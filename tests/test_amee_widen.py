"""Widening a trained generator keeps its output and leaves the new channels trainable."""

from __future__ import annotations

import pytest
import torch
from amee_tiny import trained_like

from moodrig.core.amee.config import AmeeConfig
from moodrig.core.editing.losses import compose
from moodrig.weights_tools.amee_widen import widen_generator

NARROW = AmeeConfig(resolution=32, enc_channels=(4, 8, 8, 16, 16), disc_channels=(8, 16))


@pytest.mark.parametrize("wide_ch", [(8, 12, 8, 16, 16), (4, 8, 12, 24, 32), (6, 10, 12, 20, 24)])
@pytest.mark.parametrize("skips,inject", [(True, True), (False, False), (True, False)])
def test_widened_generator_computes_the_same(
    wide_ch: tuple[int, ...], skips: bool, inject: bool
) -> None:
    narrow_cfg = AmeeConfig(
        **{
            **NARROW.to_dict(),
            "skips": skips,
            "inject": inject,
            "enc_channels": NARROW.enc_channels,
        }
    )
    src = trained_like(narrow_cfg)
    wide = widen_generator(src, AmeeConfig(**{**narrow_cfg.to_dict(), "enc_channels": wide_ch}))
    assert sum(p.numel() for p in wide.parameters()) > sum(p.numel() for p in src.parameters())
    x, a = torch.rand(3, 3, 32, 32) * 2 - 1, torch.rand(3, 8)
    for mode in ("eval", "train"):
        src.train(mode == "train")
        wide.train(mode == "train")
        with torch.no_grad():
            (i1, m1), (i2, m2) = src(x, a), wide(x, a)
        torch.testing.assert_close(i2, i1, atol=1e-6, rtol=0)
        torch.testing.assert_close(m2, m1, atol=1e-6, rtol=0)


def test_new_channels_learn() -> None:
    wide = widen_generator(
        trained_like(NARROW), AmeeConfig(**{**NARROW.to_dict(), "enc_channels": (8, 8, 8, 16, 16)})
    )
    w = wide.decoder[3][0].weight  # the last stride-2 layer, whose outputs 4..7 are new
    x, a = torch.rand(2, 3, 32, 32) * 2 - 1, torch.rand(2, 8)
    image, mask = wide(x, a)
    compose(x, image, mask).abs().mean().backward()
    head = wide.to_image[0].weight  # reads the decoder's new channels 4..7 with zero weights
    assert torch.all(head[4:8] == 0) and head.grad is not None and head.grad[4:8].abs().sum() > 0
    assert w.grad is not None


def test_only_wider_encoder_channels() -> None:
    src = trained_like(NARROW)
    with pytest.raises(ValueError, match="cannot widen"):
        widen_generator(src, AmeeConfig(**{**NARROW.to_dict(), "enc_channels": (4, 8, 8, 16, 8)}))
    with pytest.raises(ValueError, match="only enc_channels"):
        widen_generator(
            src,
            AmeeConfig(**{**NARROW.to_dict(), "enc_channels": (8, 8, 8, 16, 16), "n_residual": 2}),
        )
