"""AMEE-GAN networks: generator with foreground-mask head, and the two-headed discriminator.

Tensor layouts: images NCHW float32 in [-1, 1] (core/image.py), expression vectors (N, 8) in
[0, 1], masks (N, 1, H, W) in [0, 1]. H = W = ``AmeeConfig.resolution``. A generator built
with ``source_input`` also takes the source's expression (N, 8) and a known flag (N,).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .config import AmeeConfig

_SLOPE = 0.2


def _tile(a: Tensor, like: Tensor) -> Tensor:
    """(N, E) → (N, E, h, w) matching ``like``'s spatial size."""
    return a[:, :, None, None].expand(-1, -1, like.shape[2], like.shape[3])


class ResidualBlock(nn.Module):
    """conv3x3-BN-LeakyReLU-conv3x3-BN plus identity."""

    def __init__(self, ch: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(ch, ch, 3, 1, 1, bias=False),
            nn.BatchNorm2d(ch),
            nn.LeakyReLU(_SLOPE),
            nn.Conv2d(ch, ch, 3, 1, 1, bias=False),
            nn.BatchNorm2d(ch),
        )

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x + self.body(x), _SLOPE)


def _enc_layer(cin: int, cout: int, first: bool) -> nn.Sequential:
    conv = (
        nn.Conv2d(cin, cout, 3, 1, 1, bias=False)
        if first
        else nn.Conv2d(cin, cout, 4, 2, 1, bias=False)
    )
    return nn.Sequential(conv, nn.BatchNorm2d(cout), nn.LeakyReLU(_SLOPE))


def _dec_layer(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False),
        nn.BatchNorm2d(cout),
        nn.LeakyReLU(_SLOPE),
    )


class Generator(nn.Module):
    """G(I, a) → (I_m, M): 5-conv encoder, latent ⊕ a, residual blocks, 5-layer transposed decoder.

    Encoder resolutions (R = resolution): R, R/2, R/4, R/8, R/16. Decoder: four stride-2
    transposed convs back to R, then a stride-1 transposed conv with Tanh gives I_m; the mask
    head (3x3 conv + sigmoid) reads the same last features.
    """

    def __init__(self, cfg: AmeeConfig) -> None:
        super().__init__()
        self.cfg = cfg
        c = cfg.enc_channels
        e = cfg.condition_dim
        self.encoder = nn.ModuleList(
            _enc_layer(3 if i == 0 else c[i - 1], c[i], i == 0) for i in range(5)
        )
        self.fuse = nn.Sequential(
            nn.Conv2d(c[4] + e, c[4], 1, bias=False), nn.BatchNorm2d(c[4]), nn.LeakyReLU(_SLOPE)
        )
        self.residual = nn.Sequential(*(ResidualBlock(c[4]) for _ in range(cfg.n_residual)))
        inj = e if cfg.inject else 0
        dec: list[nn.Module] = []
        cin = c[4]
        for k in range(4):  # R/16 → R/8 → R/4 → R/2 → R
            skip = c[4 - k] if (cfg.skips and k > 0) else 0
            cout = c[3 - k]
            dec.append(_dec_layer(cin + skip + inj, cout))
            cin = cout
        self.decoder = nn.ModuleList(dec)
        last_in = c[0] + (c[0] if cfg.skips else 0) + inj
        self.to_image = nn.Sequential(nn.ConvTranspose2d(last_in, 3, 3, 1, 1), nn.Tanh())
        self.mask_head = nn.Conv2d(last_in, 1, 3, 1, 1) if cfg.use_mask else None

    def forward(
        self, x: Tensor, a: Tensor, a_src: Tensor | None = None, known: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        """x: (N, 3, R, R) in [-1, 1]; a: (N, E) target expression; a_src: (N, E) source
        expression and known: (N,) 1 where a_src is known (both only read with
        ``source_input``; None: unknown). Returns I_m (N, 3, R, R), M (N, 1, R, R)."""
        a = self.condition(a, a_src, known)
        feats: list[Tensor] = []
        h = x
        for layer in self.encoder:
            h = layer(h)
            feats.append(h)
        h = self.fuse(torch.cat([h, _tile(a, h)], 1))
        h = self.residual(h)
        for k, layer in enumerate(self.decoder):
            parts = [h]
            if self.cfg.skips and k > 0:
                parts.append(feats[4 - k])
            if self.cfg.inject:
                parts.append(_tile(a, h))
            h = layer(torch.cat(parts, 1) if len(parts) > 1 else h)
        parts = [h]
        if self.cfg.skips:
            parts.append(feats[0])
        if self.cfg.inject:
            parts.append(_tile(a, h))
        h = torch.cat(parts, 1) if len(parts) > 1 else h
        if self.mask_head is None:
            image = self.to_image(h)
            return image, torch.ones_like(image[:, :1])
        out = self._image_and_mask_logits(h)
        return torch.tanh(out[:, :3]), torch.sigmoid(out[:, 3:])

    def condition(
        self, a: Tensor, a_src: Tensor | None = None, known: Tensor | None = None
    ) -> Tensor:
        """The condition vector: ``a``, or with ``source_input`` [a, known·a_src, known]."""
        if not self.cfg.source_input:
            return a
        if a_src is None:
            return torch.cat([a, torch.zeros_like(a), a.new_zeros(a.shape[0], 1)], 1)
        k = a.new_ones(a.shape[0], 1) if known is None else known.reshape(-1, 1).to(a.dtype)
        return torch.cat([a, a_src * k, k], 1)

    def _image_and_mask_logits(self, h: Tensor) -> Tensor:
        """The last transposed conv (before Tanh) and the mask head's conv in one conv2d pass.

        A stride-1 transposed conv with padding p equals a conv with the kernel flipped and its
        in/out axes swapped, so both heads read ``h`` once: the two separate passes over this
        largest feature map, forward and backward, were ~15 % of a training step on CPU.
        Parameters and state dict are those of ``to_image`` and ``mask_head``.
        """
        deconv, head = self.to_image[0], self.mask_head
        assert isinstance(deconv, nn.ConvTranspose2d) and head is not None
        assert deconv.bias is not None and head.bias is not None
        if not isinstance(deconv.padding, tuple):
            raise ValueError("the image head needs an explicit numeric padding")
        pad = tuple(k - 1 - int(p) for k, p in zip(deconv.kernel_size, deconv.padding, strict=True))
        if pad != head.padding:
            raise ValueError(
                f"image head padding {pad} differs from the mask head's {head.padding}"
            )
        weight = torch.cat([deconv.weight.flip(2, 3).transpose(0, 1), head.weight], 0)
        return F.conv2d(h, weight, torch.cat([deconv.bias, head.bias]), 1, pad)


class Discriminator(nn.Module):
    """Shared conv trunk; heads: real/fake patch logits and expression-magnitude regression."""

    def __init__(self, cfg: AmeeConfig) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        cin = 3
        for cout in cfg.disc_channels:
            layers += [nn.Conv2d(cin, cout, 4, 2, 1), nn.LeakyReLU(_SLOPE)]
            cin = cout
        self.trunk = nn.Sequential(*layers)
        self.adv_head = nn.Conv2d(cin, 1, 3, 1, 1)
        self.mag_head = nn.Linear(cin, cfg.n_expression) if cfg.magnitude_head else None

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor | None]:
        """x: (N, 3, R, R) → (real/fake logits (N, 1, h, w), expression estimate (N, E) or None)."""
        h = self.trunk(x)
        adv = self.adv_head(h)
        mag = None if self.mag_head is None else torch.sigmoid(self.mag_head(h.mean(dim=(2, 3))))
        return adv, mag
