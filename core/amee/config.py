"""Architecture configuration of AMEE-GAN, stored in every weights manifest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..editing.arch import (
    MAX_BLOCKS,
    MAX_STAGES,
    ArchitectureConfig,
    check_activation,
    check_int,
    check_resolution,
    check_widths,
)
from ..expression import N_EXPRESSION

MAX_EXPRESSIONS = 64
"""Longest expression vector a manifest may declare (the vocabulary has 8)."""


@dataclass(frozen=True)
class AmeeConfig(ArchitectureConfig):
    """Generator / discriminator shape. Everything needed to rebuild the modules from a manifest."""

    resolution: int = 64
    """Side of the square image the model works at, pixels; a multiple of 16 (4 stride-2 stages)."""
    enc_channels: tuple[int, ...] = (16, 32, 64, 96, 128)
    """Output channels of the 5 encoder convs (first: 3x3 stride 1; the others: 4x4 stride 2)."""
    n_residual: int = 3
    """Residual blocks between encoder and decoder, at resolution / 16."""
    skips: bool = True
    """AttGAN-style skip connections: decoder layer k also sees encoder features of its size."""
    inject: bool = True
    """Also concatenate the tiled expression vector to every decoder input (AttGAN inject layers);
    it is always concatenated to the latent (paper eq. 9)."""
    use_mask: bool = True
    """Foreground-mask head (final = M*I_m + (1-M)*I). False: M = 1 (ablation)."""
    disc_channels: tuple[int, ...] = (32, 64, 128, 128)
    """Discriminator trunk: 4x4 stride-2 convs with these output channels."""
    magnitude_head: bool = True
    """Discriminator's expression-magnitude regression head. False: real/fake head only
    (ablation)."""
    n_expression: int = N_EXPRESSION
    """Length of the expression vector (the shared vocabulary, core/expression.py)."""
    source_input: bool = False
    """The generator is also told the source texture's expression when it is known: the
    condition is [a_tgt, known·a_src, known] instead of a_tgt. Without it the generator must
    judge from the image how far the source is from the character's rest, which was most of
    the expression error on non-neutral sources (docs/amee.md). Unknown sources (known = 0)
    stay supported by the same weights."""

    @property
    def condition_dim(self) -> int:
        """Channels of the generator's condition vector (tiled into the latent and decoder)."""
        return 2 * self.n_expression + 1 if self.source_input else self.n_expression

    def __post_init__(self) -> None:
        # Every number bounded: a manifest's architecture must not ask for a network that
        # cannot fit in memory (a million residual blocks, a width of a million).
        check_resolution("AmeeConfig", self.resolution)
        check_widths("AmeeConfig", "enc_channels", self.enc_channels, (5, 5))
        check_widths("AmeeConfig", "disc_channels", self.disc_channels, (2, MAX_STAGES))
        check_int("AmeeConfig", "n_residual", self.n_residual, 0, MAX_BLOCKS)
        check_int("AmeeConfig", "n_expression", self.n_expression, 1, MAX_EXPRESSIONS)
        check_activation("AmeeConfig", self.resolution, (*self.enc_channels, *self.disc_channels))

    def to_dict(self) -> dict[str, Any]:
        """As the manifest stores it (see ``ArchitectureConfig.to_dict``)."""
        d = super().to_dict()
        if (
            not self.source_input
        ):  # as manifests wrote it before the field existed: same content ids
            del d["source_input"]
        return d
