"""The training objective of docs/method.md eqs. 2–7, plus the paired and mask terms (one
definition, used by ``weights_tools/transfer_train.py``, per-character fine-tuning and the
evaluation).

Notation as in METHOD: x the content drawing, y a character texture (the style reference: the
character's neutral texture), z an image with the input's style (for the drawing domain: the
neutral drawing), ff = J(K_t(x), K_s(y)) composited onto y.

* eq. 2, generator:  φ = ½[(1 − Z_1(ff))² + (1 − Z_2(ff))²]
* eq. 3, discriminator: φ_s = ½[(1 − Z_1(y))² + Z_1(ff)²] + ½[(1 − Z_2(y))² + Z_2(ff)²]
  (LSGAN, as METHOD says; read with the squares on the residuals: taken literally,
  "1 − Z(y)²" and "1 − Z_1·Z_2²" are unbounded below and training diverges)
* eq. 4–5: rec_x1 = J(K_t(x), K_s(z)), rec_x2 = J(K_t(ff), K_s(z)), each composited onto z
* eq. 6–7: L_1 = ‖x − rec_x1‖₁, L_2 = ‖x − rec_x2‖₁, L' = α₁L_1 + α₂L_2
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from ..editing.losses import changed_map, compose, total_variation, weighted_l1
from .config import LossWeights
from .model import Style, TransferModel, TwoScaleDiscriminator


@dataclass
class Batch:
    """One training batch, NCHW in [-1, 1]."""

    content: Tensor
    """x: line drawings of the target geometry (N, 3, R, R)."""
    reference: Tensor
    """y: the character's neutral texture (N, 3, R, R), the style reference and composite base."""
    target: Tensor
    """The painter's ground truth for (character, geometry) (N, 3, R, R)."""
    drawing_reference: Tensor
    """z: the neutral drawing (1, 3, R, R), the drawing domain's style reference."""


def lsgan_generator(scores: tuple[Tensor, Tensor]) -> Tensor:
    """φ (eq. 2) from (Z_1(ff), Z_2(ff))."""
    z1, z2 = scores
    return 0.5 * (((1.0 - z1) ** 2).mean() + ((1.0 - z2) ** 2).mean())


def lsgan_discriminator(real: tuple[Tensor, Tensor], fake: tuple[Tensor, Tensor]) -> Tensor:
    """φ_s (eq. 3) from (Z_1(y), Z_2(y)) and (Z_1(ff), Z_2(ff))."""
    return 0.5 * (((1.0 - real[0]) ** 2).mean() + (fake[0] ** 2).mean()) + 0.5 * (
        ((1.0 - real[1]) ** 2).mean() + (fake[1] ** 2).mean()
    )


@dataclass
class Outputs:
    """What one generator pass produced (kept for the discriminator and the logs)."""

    final: Tensor
    """ff composited onto the reference (N, 3, R, R)."""
    image: Tensor
    """J's image before the mask (N, 3, R, R)."""
    mask: Tensor
    """M (N, 1, R, R)."""
    mask_logits: Tensor | None
    """M's logits (None without a mask head)."""
    style: Style
    """K_s(y)."""
    content_code: Tensor
    """K_t(x)."""


def transfer(model: TransferModel, content: Tensor, reference: Tensor) -> Outputs:
    """ff = M·J(K_t(x), K_s(y)) + (1 − M)·y."""
    c = model.content_encoder(content)
    s = model.style_encoder(reference)
    image, logits = model.decoder.decode(c, s)
    mask = torch.ones_like(image[:, :1]) if logits is None else torch.sigmoid(logits)
    return Outputs(compose(reference, image, mask), image, mask, logits, s, c)


def generator_loss(
    model: TransferModel,
    batch: Batch,
    w: LossWeights,
    disc: TwoScaleDiscriminator | None = None,
    recon_n: int = 0,
) -> tuple[Tensor, dict[str, float], Outputs]:
    """Total generator objective, its terms (floats, for the log) and the pass's outputs.

    Terms with weight 0 are not computed (they cost a decoder pass each). ``recon_n`` > 0
    computes L_1, L_2 and the latent terms on the first ``recon_n`` samples only (an unbiased
    estimate of the same means at less cost; each is one more decoder pass)."""
    x, y, gt, z = batch.content, batch.reference, batch.target, batch.drawing_reference
    out = transfer(model, x, y)
    ff, mask = out.final, out.mask
    r = x.shape[0] if recon_n <= 0 else min(recon_n, x.shape[0])
    xr, ffr, cr = x[:r], ff[:r], out.content_code[:r]
    zero = ff.new_zeros(())
    terms: dict[str, Tensor] = {}
    total = zero
    if w.alpha_gan > 0 and disc is not None:
        terms["gan"] = lsgan_generator(disc(ff))
        total = total + w.alpha_gan * terms["gan"]
    z_style = model.style_encoder(z) if (w.alpha_1 > 0 or w.alpha_2 > 0) else None
    if w.alpha_1 > 0 and z_style is not None:
        img1, m1 = model.decoder(cr, z_style.expand(r))
        terms["L1"] = (xr - compose(z.expand_as(xr), img1, m1)).abs().mean()
        total = total + w.alpha_1 * terms["L1"]
    ff_content = model.content_encoder(ffr) if (w.alpha_2 > 0 or w.alpha_content > 0) else None
    if w.alpha_2 > 0 and z_style is not None and ff_content is not None:
        img2, m2 = model.decoder(ff_content, z_style.expand(r))
        terms["L2"] = (xr - compose(z.expand_as(xr), img2, m2)).abs().mean()
        total = total + w.alpha_2 * terms["L2"]
    if w.alpha_content > 0 and ff_content is not None:
        terms["content"] = (ff_content - cr.detach()).abs().mean()
        total = total + w.alpha_content * terms["content"]
    if w.alpha_style > 0:
        # Against the ground truth's code, not the reference's: the reference's code rewards
        # copying the reference (measured: it drove the mask closed within 400 steps).
        # K_s's own weights take no gradient from this term (functional call with detached
        # parameters): it shapes the output only; otherwise K_s satisfies it by making every
        # code the same (measured: the term fell to 0 within 50 steps).
        with torch.no_grad():
            s_gt = model.style_encoder(gt[:r]).code
        frozen = {k: v.detach() for k, v in model.style_encoder.named_parameters()}
        s_ff = torch.func.functional_call(model.style_encoder, frozen, (ffr,)).code
        terms["style"] = (s_ff - s_gt).abs().mean()
        total = total + w.alpha_style * terms["style"]
    changed = changed_map(y, gt)
    weight = 1.0 + w.changed_weight * changed
    if w.pair > 0:
        terms["pair"] = weighted_l1(ff, gt, weight)
        total = total + w.pair * terms["pair"]
    if w.raw_pair > 0:
        terms["raw_pair"] = weighted_l1(out.image, gt, weight)
        total = total + w.raw_pair * terms["raw_pair"]
    if model.cfg.use_mask and out.mask_logits is not None:
        terms["mask_mean"] = mask.mean()
        total = total + w.mask * terms["mask_mean"] + w.mask_tv * total_variation(mask)
        if w.mask_sup > 0:
            terms["mask_bce"] = F.binary_cross_entropy_with_logits(
                out.mask_logits, changed, weight=1.0 + (w.mask_pos_weight - 1.0) * changed
            )
            total = total + w.mask_sup * terms["mask_bce"]
    logged = {k: float(v.detach()) for k, v in terms.items()}
    logged["total"] = float(total.detach())
    return total, logged, out


def discriminator_loss(disc: TwoScaleDiscriminator, real: Tensor, fake: Tensor) -> Tensor:
    """φ_s (eq. 3) on real character textures and (detached) generated ones."""
    return lsgan_discriminator(disc(real), disc(fake.detach()))
