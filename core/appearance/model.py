"""AMEE-GAN's generator with field heads: it predicts *how* to edit, not the edited pixels.

The paper's mechanisms stay: an encoder of 5 convs with BatchNorm + LeakyReLU, the latent
concatenated with the expression vector, residual blocks, a decoder of transposed convs with
BatchNorm + LeakyReLU, and a foreground mask. Its outputs are the edit fields of
``fields.py`` (flow, mask, colour, paint) in the canonical face frame at R × R, which are then
applied to the texture at its own resolution; so the network's resolution bounds how precisely
a shape moves, never how sharp the result is.

Inputs: the canonical crop, NCHW float32 in [-1, 1], RGBA (alpha tells a head's outline from a
transparent background); the condition (N, :attr:`FieldConfig.condition_dim`) = target
expression (8), source expression × known (8), known (1), and the canonical feature points
(7 × 2, in [0, 1]). The discriminator is AMEE-GAN's (``core/amee/model.py``): real/fake and
expression-magnitude heads.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..amee.model import ResidualBlock, _dec_layer, _enc_layer, _tile
from ..editing.arch import ArchitectureConfig
from ..expression import N_EXPRESSION
from .align import N_FEATURES
from .fields import EditFields

_SLOPE = 0.2
N_FIELD_CHANNELS = 10
"""flow 2, mask 1, colour 3, paint 3, paint logit 1."""
PAINT_CHANNELS = slice(6, 10)
"""The head's paint colour and paint logit channels."""
_CLOSED_LOGITS = (2, 9)
"""Mask and paint logit channels: they start at -4 (nothing masked, nothing painted)."""


@dataclass(frozen=True)
class FieldConfig(ArchitectureConfig):
    """Shape of the field generator; everything needed to rebuild it from a manifest."""

    resolution: int = 64
    """Side of the canonical crop the network reads, pixels; a multiple of 16."""
    channels: tuple[int, ...] = (32, 48, 64, 96, 128)
    """Output widths of the 5 encoder convs (3x3 stride 1, then four 4x4 stride 2)."""
    n_residual: int = 3
    """Residual blocks at R / 16."""
    max_flow: float = 0.15
    """Largest displacement, in canonical units (the eye distance is 0.34)."""
    max_colour: float = 0.5
    """Largest additive colour change."""
    colour_cells: int = 8
    """The colour field is averaged over cells of this many texels: it stays smooth."""
    n_expression: int = N_EXPRESSION
    """Length of the expression vector."""
    colour: bool = True
    """Predict the smooth colour change (False: none)."""
    paint: bool = True
    """Predict painted shapes (False: warp only; nothing new is drawn)."""
    flat_paint: bool = False
    """Paint one colour per face (the paint field averaged where it is drawn): a painted
    shape is a flat fill with a crisp edge, such as an open mouth's dark interior, never a
    blur of the face's own colours."""
    coarse_flow: bool = False
    """Also predict the flow at R / 4 and R / 2 and add them (smoothly upsampled) to the fine
    one: a coarse flow value moves a whole patch, so its gradient gathers the reconstruction
    error of many pixels and the flow learns moves of several pixels instead of painting
    them."""

    @property
    def condition_dim(self) -> int:
        return 2 * self.n_expression + 1 + 2 * N_FEATURES

    def __post_init__(self) -> None:
        if not 16 <= self.resolution <= 512 or self.resolution % 16:
            raise ValueError(
                "FieldConfig.resolution must be a multiple of 16 in [16, 512], "
                f"got {self.resolution}"
            )
        if len(self.channels) != 5 or not all(1 <= c <= 1024 for c in self.channels):
            raise ValueError("FieldConfig.channels must hold 5 widths in [1, 1024]")
        if not 0 <= self.n_residual <= 16:
            raise ValueError("FieldConfig.n_residual must be in [0, 16]")
        if not (0.0 < self.max_flow <= 1.0 and 0.0 < self.max_colour <= 1.0):
            raise ValueError("FieldConfig.max_flow and max_colour must be in (0, 1]")
        if self.colour_cells < 1 or self.resolution % self.colour_cells:
            raise ValueError("FieldConfig.colour_cells must divide the resolution")


def condition(target: Tensor, source: Tensor | None, points: Tensor) -> Tensor:
    """[target, known·source, known, points]: (N, 8), (N, 8) or None (unknown), (N, 7, 2)."""
    n = target.shape[0]
    if source is None:
        src, known = torch.zeros_like(target), target.new_zeros(n, 1)
    else:
        src, known = source, target.new_ones(n, 1)
    return torch.cat([target, src * known, known, points.reshape(n, -1)], 1)


class FieldGenerator(nn.Module):
    """G(crop, condition) → :class:`EditFields` at R × R (skip connections as in AttGAN; the
    condition is tiled into the latent and every decoder input)."""

    def __init__(self, cfg: FieldConfig) -> None:
        super().__init__()
        self.cfg = cfg
        c, e = cfg.channels, cfg.condition_dim
        self.encoder = nn.ModuleList(
            _enc_layer(4 if i == 0 else c[i - 1], c[i], i == 0) for i in range(5)
        )
        self.fuse = nn.Sequential(
            nn.Conv2d(c[4] + e, c[4], 1, bias=False), nn.BatchNorm2d(c[4]), nn.LeakyReLU(_SLOPE)
        )
        self.residual = nn.Sequential(*(ResidualBlock(c[4]) for _ in range(cfg.n_residual)))
        dec: list[nn.Module] = []
        cin = c[4]
        for k in range(4):  # R/16 → R
            skip = c[4 - k] if k > 0 else 0
            dec.append(_dec_layer(cin + skip + e, c[3 - k]))
            cin = c[3 - k]
        self.decoder = nn.ModuleList(dec)
        self.head = nn.Conv2d(c[0] + c[0] + e, N_FIELD_CHANNELS, 3, 1, 1)
        # Flow heads on the decoder's R / 4 and R / 2 features (zero at the start).
        self.coarse = (
            nn.ModuleList(nn.Conv2d(c[3 - k], 2, 3, 1, 1) for k in (1, 2))
            if cfg.coarse_flow
            else None
        )
        if self.coarse is not None:
            with torch.no_grad():
                for conv in self.coarse:
                    assert isinstance(conv, nn.Conv2d) and conv.bias is not None
                    conv.weight.zero_()
                    conv.bias.zero_()
        self.quiet_head(slice(0, N_FIELD_CHANNELS))

    def quiet_head(self, channels: slice) -> None:
        """Set these head channels to "change nothing": their weights scaled to 1 %, their biases
        zero, the mask and paint logits at -4 (closed mask, no flow, no paint)."""
        bias = self.head.bias
        assert bias is not None
        with torch.no_grad():
            self.head.weight[channels] *= 0.01
            bias[channels] = 0.0
            for k in _CLOSED_LOGITS:
                if k in range(N_FIELD_CHANNELS)[channels]:
                    bias[k] = -4.0

    def forward(self, x: Tensor, cond: Tensor) -> EditFields:
        feats: list[Tensor] = []
        h = x
        for layer in self.encoder:
            h = layer(h)
            feats.append(h)
        h = self.residual(self.fuse(torch.cat([h, _tile(cond, h)], 1)))
        coarse: list[Tensor] = []
        for k, layer in enumerate(self.decoder):
            parts = [h] + ([feats[4 - k]] if k > 0 else []) + [_tile(cond, h)]
            h = layer(torch.cat(parts, 1))
            if self.coarse is not None and k in (1, 2):
                coarse.append(self.coarse[k - 1](h))
        out = self.head(torch.cat([h, feats[0], _tile(cond, h)], 1))
        cells = self.cfg.colour_cells
        colour = torch.tanh(out[:, 3:6]) * self.cfg.max_colour
        if cells > 1:
            colour = F.interpolate(
                F.avg_pool2d(colour, cells),
                scale_factor=cells,
                mode="bilinear",
                align_corners=False,
            )
        flow_logits = out[:, 0:2]
        for f in coarse:
            flow_logits = flow_logits + F.interpolate(
                f, size=out.shape[-2:], mode="bicubic", align_corners=False
            )
        paint = torch.sigmoid(out[:, 6:9])
        if self.cfg.flat_paint:
            paint = flat_fill(paint, out[:, 9:10])
        return EditFields(
            flow=torch.tanh(flow_logits) * self.cfg.max_flow,
            mask=torch.sigmoid(out[:, 2:3]),
            colour=colour if self.cfg.colour else torch.zeros_like(colour),
            paint=paint,
            paint_logit=out[:, 9:10] if self.cfg.paint else torch.full_like(out[:, 9:10], -1e3),
        )


def flat_fill(paint: Tensor, logit: Tensor) -> Tensor:
    """(N, 3, R, R) paint → one colour per item: its mean weighted by how far inside the
    painted shape (logit > 0) each texel lies; texels outside it do not count."""
    weight = F.relu(logit)
    total = weight.sum(dim=(2, 3), keepdim=True)
    mean = (paint * weight).sum(dim=(2, 3), keepdim=True) / total.clamp_min(1e-6)
    return mean.expand_as(paint)
