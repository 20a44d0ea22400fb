"""Networks of the style-consistent transfer (docs/method.md §2): K_t, K_s, J and the discriminator.

Tensor layouts: images NCHW float32 in [-1, 1] (core/image.py); content codes (N, C2, R/4, R/4);
style codes (N, style_dim) plus, with ``spatial_style``, feature maps at R, R/2 and R/4;
masks (N, 1, R, R) in [0, 1]. R = ``TransferConfig.resolution``; C0, C1, C2 = ``channels``.

MUNIT-like: the content encoder uses InstanceNorm (it removes per-image colour statistics, so
a drawing and a texture with the same geometry map to nearby codes); the decoder's residual
blocks are AdaIN-modulated by an MLP of the global style code; upsampling stages use LayerNorm.
The decoder also reads the style encoder's feature maps (``spatial_style``): a global code of 8
numbers cannot hold a character's colours, line weights and feature positions.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .config import TransferConfig

_SLOPE = 0.2


@dataclass
class Style:
    """What K_s says about one reference image."""

    code: Tensor
    """(N, style_dim) global style code, in (−1, 1) (tanh: a bounded code keeps the style
    reconstruction term from growing with the code's scale)."""
    maps: tuple[Tensor, Tensor, Tensor] | None
    """Feature maps at R, R/2, R/4 ((N, C0, R, R), (N, C1, R/2, R/2), (N, C2, R/4, R/4)), or
    None."""

    def expand(self, n: int) -> Style:
        """Broadcast a batch-1 style to ``n`` images (e.g. one character texture, many contents)."""
        if self.code.shape[0] == n:
            return self
        maps = (
            None
            if self.maps is None
            else (
                self.maps[0].expand(n, -1, -1, -1),
                self.maps[1].expand(n, -1, -1, -1),
                self.maps[2].expand(n, -1, -1, -1),
            )
        )
        return Style(self.code.expand(n, -1), maps)


class ResBlock(nn.Module):
    """conv3x3-IN-ReLU-conv3x3-IN plus identity (content encoder)."""

    def __init__(self, ch: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(ch, ch, 3, 1, 1),
            nn.InstanceNorm2d(ch),
            nn.ReLU(),
            nn.Conv2d(ch, ch, 3, 1, 1),
            nn.InstanceNorm2d(ch),
        )

    def forward(self, x: Tensor) -> Tensor:
        out: Tensor = x + self.body(x)
        return out


def adain(x: Tensor, gamma: Tensor, beta: Tensor) -> Tensor:
    """Instance-normalise x (N, C, h, w), then scale by (1 + γ) and shift by β ((N, C) each)."""
    return F.instance_norm(x) * (1.0 + gamma[:, :, None, None]) + beta[:, :, None, None]


class AdaResBlock(nn.Module):
    """conv3x3-AdaIN-ReLU-conv3x3-AdaIN plus identity; γ, β come from the style MLP."""

    def __init__(self, ch: int) -> None:
        super().__init__()
        self.ch = ch
        self.conv1 = nn.Conv2d(ch, ch, 3, 1, 1)
        self.conv2 = nn.Conv2d(ch, ch, 3, 1, 1)

    def forward(self, x: Tensor, params: Tensor) -> Tensor:
        """params: (N, 4·ch) = γ₁, β₁, γ₂, β₂."""
        c = self.ch
        g1, b1, g2, b2 = (
            params[:, :c],
            params[:, c : 2 * c],
            params[:, 2 * c : 3 * c],
            params[:, 3 * c :],
        )
        h = F.relu(adain(self.conv1(x), g1, b1))
        h = adain(self.conv2(h), g2, b2)
        out: Tensor = x + h
        return out


class LayerNorm2d(nn.Module):
    """MUNIT's LayerNorm over (C, h, w) per image, with a per-channel affine."""

    def __init__(self, ch: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ch))
        self.bias = nn.Parameter(torch.zeros(ch))

    def forward(self, x: Tensor) -> Tensor:
        h = F.layer_norm(x, x.shape[1:])
        return h * self.weight[None, :, None, None] + self.bias[None, :, None, None]


class ContentEncoder(nn.Module):
    """K_t: image (N, 3, R, R) → content code (N, C2, R/4, R/4)."""

    def __init__(self, cfg: TransferConfig) -> None:
        super().__init__()
        c0, c1, c2 = cfg.channels
        self.net = nn.Sequential(
            nn.Conv2d(3, c0, 3, 1, 1),
            nn.InstanceNorm2d(c0),
            nn.ReLU(),
            nn.Conv2d(c0, c1, 4, 2, 1),
            nn.InstanceNorm2d(c1),
            nn.ReLU(),
            nn.Conv2d(c1, c2, 4, 2, 1),
            nn.InstanceNorm2d(c2),
            nn.ReLU(),
            *(ResBlock(c2) for _ in range(cfg.n_residual)),
        )

    def forward(self, x: Tensor) -> Tensor:
        out: Tensor = self.net(x)
        return out


class StyleEncoder(nn.Module):
    """K_s: image (N, 3, R, R) → :class:`Style` (no normalisation: style *is* the statistics)."""

    def __init__(self, cfg: TransferConfig) -> None:
        super().__init__()
        c0, c1, c2 = cfg.channels
        self.spatial = cfg.spatial_style
        self.s0 = nn.Sequential(nn.Conv2d(3, c0, 3, 1, 1), nn.LeakyReLU(_SLOPE))
        self.s1 = nn.Sequential(nn.Conv2d(c0, c1, 4, 2, 1), nn.LeakyReLU(_SLOPE))
        self.s2 = nn.Sequential(nn.Conv2d(c1, c2, 4, 2, 1), nn.LeakyReLU(_SLOPE))
        self.tail = nn.Sequential(
            nn.Conv2d(c2, c2, 4, 2, 1),
            nn.LeakyReLU(_SLOPE),
            nn.Conv2d(c2, c2, 4, 2, 1),
            nn.LeakyReLU(_SLOPE),
        )
        self.to_code = nn.Linear(c2, cfg.style_dim)

    def forward(self, x: Tensor) -> Style:
        f0 = self.s0(x)
        f1 = self.s1(f0)
        f2 = self.s2(f1)
        code = torch.tanh(self.to_code(self.tail(f2).mean(dim=(2, 3))))
        return Style(code, (f0, f1, f2) if self.spatial else None)


class Decoder(nn.Module):
    """J(content, style) → (image (N, 3, R, R) in [-1, 1], mask (N, 1, R, R) in [0, 1])."""

    def __init__(self, cfg: TransferConfig) -> None:
        super().__init__()
        self.cfg = cfg
        c0, c1, c2 = cfg.channels
        sp = cfg.spatial_style
        self.mlp = nn.Sequential(
            nn.Linear(cfg.style_dim, cfg.mlp_dim),
            nn.ReLU(),
            nn.Linear(cfg.mlp_dim, cfg.mlp_dim),
            nn.ReLU(),
            nn.Linear(cfg.mlp_dim, 4 * c2 * cfg.n_residual),
        )
        self.fuse = nn.Conv2d(c2 + (c2 if sp else 0), c2, 1)
        self.blocks = nn.ModuleList(AdaResBlock(c2) for _ in range(cfg.n_residual))
        self.up1 = nn.Sequential(
            nn.Conv2d(c2 + (c1 if sp else 0), c1, 3, 1, 1), LayerNorm2d(c1), nn.ReLU()
        )
        self.up2 = nn.Sequential(
            nn.Conv2d(c1 + (c0 if sp else 0), c0, 3, 1, 1), LayerNorm2d(c0), nn.ReLU()
        )
        self.to_image = nn.Sequential(nn.Conv2d(c0, 3, 3, 1, 1), nn.Tanh())
        self.mask_head = nn.Conv2d(c0, 1, 3, 1, 1) if cfg.use_mask else None

    def forward(self, content: Tensor, style: Style) -> tuple[Tensor, Tensor]:
        image, logits = self.decode(content, style)
        mask = torch.ones_like(image[:, :1]) if logits is None else torch.sigmoid(logits)
        return image, mask

    def decode(self, content: Tensor, style: Style) -> tuple[Tensor, Tensor | None]:
        """(image, mask logits or None without a mask head): the losses take the logits, so the
        mask BCE keeps its gradient however closed the mask is."""
        maps = style.maps
        h = content if maps is None else torch.cat([content, maps[2]], 1)
        h = self.fuse(h)
        params = self.mlp(style.code)
        per_block = 4 * self.cfg.channels[2]
        for k, block in enumerate(self.blocks):
            h = block(h, params[:, k * per_block : (k + 1) * per_block])
        h = F.interpolate(h, scale_factor=2.0, mode="nearest")
        h = self.up1(h if maps is None else torch.cat([h, maps[1]], 1))
        h = F.interpolate(h, scale_factor=2.0, mode="nearest")
        h = self.up2(h if maps is None else torch.cat([h, maps[0]], 1))
        image = self.to_image(h)
        return image, None if self.mask_head is None else self.mask_head(h)


class TransferModel(nn.Module):
    """K_t, K_s and J together: what ships. ``forward`` = one transfer at model resolution."""

    def __init__(self, cfg: TransferConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.content_encoder = ContentEncoder(cfg)
        self.style_encoder = StyleEncoder(cfg)
        self.decoder = Decoder(cfg)

    def forward(self, content: Tensor, reference: Tensor) -> tuple[Tensor, Tensor]:
        """content: drawings (N, 3, R, R); reference: the character's textures (N, 3, R, R), both
        in [-1, 1]. Returns J's image and the mask (composite with
        ``core/editing/losses.compose``)."""
        image, mask = self.decoder(self.content_encoder(content), self.style_encoder(reference))
        return image, mask


class PatchDiscriminator(nn.Module):
    """One scale: 4x4 stride-2 convs with LeakyReLU, then a 3x3 conv to patch scores."""

    def __init__(self, channels: tuple[int, ...]) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        cin = 3
        for cout in channels:
            layers += [nn.Conv2d(cin, cout, 4, 2, 1), nn.LeakyReLU(_SLOPE)]
            cin = cout
        layers.append(nn.Conv2d(cin, 1, 3, 1, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        out: Tensor = self.net(x)
        return out


class TwoScaleDiscriminator(nn.Module):
    """Z_1 on the image, Z_2 on the image average-pooled to half size (METHOD eqs. 2–3)."""

    def __init__(self, cfg: TransferConfig) -> None:
        super().__init__()
        self.z1 = PatchDiscriminator(cfg.disc_channels)
        self.z2 = PatchDiscriminator(cfg.disc_channels)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """x: (N, 3, R, R) → (Z_1 patch scores, Z_2 patch scores)."""
        return self.z1(x), self.z2(F.avg_pool2d(x, 3, 2, 1, count_include_pad=False))
