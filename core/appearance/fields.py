"""Low-resolution edit fields → a full-resolution edit in the texture's own pixels.

The editor network sees the face in its canonical frame at a small size R and predicts five
fields there (all NCHW float32):

- ``flow`` (N, 2, R, R): where each pixel takes its colour from, as an offset in canonical
  units (a smile moves the mouth corners' pixels, a raised brow moves the brow's);
- ``mask`` (N, 1, R, R) in [0, 1]: the foreground mask; where it is 0 the texture is untouched;
- ``colour`` (N, 3, R, R): a smooth additive colour change (blush, shading);
- ``paint`` (N, 3, R, R) in [0, 1] and ``paint_logit`` (N, 1, R, R): what no warp can make,
  such as an open mouth's interior, drawn where the logit is positive.

:func:`render` applies them at the texture's resolution: every texture pixel finds its
canonical position, reads the fields there (bilinear), and samples the *original* texture at
its displaced position, so lines and texture detail stay as crisp as they were (nearest
sampling keeps pixel art's hard edges). The paint's coverage is an antialiased edge one
texture pixel wide wherever the logit changes sign (the logit read as a signed distance), so
painted shapes are crisp at any size too. Wherever the mask is exactly 0 the output pixel
*is* the input pixel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor


@dataclass
class EditFields:
    """The editor's five fields in the canonical frame (see the module docstring), and where
    its paint may be drawn."""

    flow: Tensor
    mask: Tensor
    colour: Tensor
    paint: Tensor
    paint_logit: Tensor
    paint_keep: Tensor | None = None
    """(N, 1, R, R) 0/1: where the paint may be drawn (``paint.paint_keep``); None:
    wherever its logit is positive (training)."""

    def __post_init__(self) -> None:
        n, _, r, r2 = self.mask.shape
        for name, t, c in (
            ("flow", self.flow, 2),
            ("colour", self.colour, 3),
            ("paint", self.paint, 3),
            ("paint_logit", self.paint_logit, 1),
            ("paint_keep", self.paint_keep, 1),
        ):
            if t is not None and t.shape != (n, c, r, r2):
                raise ValueError(f"field '{name}' must be {(n, c, r, r2)}, got {tuple(t.shape)}")

    def item(self, k: int) -> EditFields:
        """The fields of batch item ``k`` (a batch of one)."""
        return self._map(lambda t: t[k : k + 1])

    def to(self, device: torch.device) -> EditFields:
        return self._map(lambda t: t.to(device))

    def _map(self, fn: Callable[[Tensor], Tensor]) -> EditFields:
        return EditFields(
            flow=fn(self.flow),
            mask=fn(self.mask),
            colour=fn(self.colour),
            paint=fn(self.paint),
            paint_logit=fn(self.paint_logit),
            paint_keep=None if self.paint_keep is None else fn(self.paint_keep),
        )


def pixel_centres(
    height: int,
    width: int,
    y0: int = 0,
    x0: int = 0,
    *,
    device: torch.device | None = None,
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """(height, width, 2) pixel-centre coordinates (x, y) of rows y0.., columns x0.."""
    ys = torch.arange(y0, y0 + height, device=device, dtype=dtype) + 0.5
    xs = torch.arange(x0, x0 + width, device=device, dtype=dtype) + 0.5
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([gx, gy], dim=-1)


def _affine(points: Tensor, matrix: Tensor) -> Tensor:
    """points (N, H, W, 2), matrix (N, 2, 3) → (N, H, W, 2)."""
    return torch.einsum("nhwj,nij->nhwi", points, matrix[:, :, :2]) + matrix[:, None, None, :, 2]


def _sample(field: Tensor, canonical: Tensor, mode: str = "bilinear") -> Tensor:
    """Read (N, C, R, R) at canonical (N, H, W, 2) positions; 0 outside the square."""
    return F.grid_sample(
        field, canonical * 2.0 - 1.0, mode=mode, padding_mode="zeros", align_corners=False
    )


def paint_coverage(logit: Tensor) -> Tensor:
    """Antialiased coverage of the region logit > 0, one pixel wide at the sampled resolution:
    the logit divided by its gradient magnitude per pixel is a signed distance in pixels.

    The value is that crisp coverage; its gradient is the sigmoid's (straight through). The
    crisp coverage is flat (0 or 1) everywhere but on the edge, so on its own a shape could
    only move its edge and never appear where nothing is painted yet; training and
    fine-tuning need the sigmoid's gradient to start one."""
    padded = F.pad(logit, (1, 1, 1, 1), mode="replicate")
    gx = 0.5 * (padded[:, :, 1:-1, 2:] - padded[:, :, 1:-1, :-2])
    gy = 0.5 * (padded[:, :, 2:, 1:-1] - padded[:, :, :-2, 1:-1])
    grad = torch.sqrt(gx * gx + gy * gy + 1e-12)
    crisp = (0.5 + logit / grad.clamp_min(1e-3)).clamp(0.0, 1.0)
    if not logit.requires_grad:
        return crisp
    smooth = torch.sigmoid(logit)
    return crisp.detach() + smooth - smooth.detach()


MASK_CONTRAST = 2.0
"""How much :func:`decisive_mask` stretches the mask around 0.5 at inference."""


def decisive_mask(mask: Tensor, contrast: float = MASK_CONTRAST) -> Tensor:
    """The mask stretched around 0.5 by ``contrast`` (clipped to [0, 1]; exact zeros stay 0).

    A warp blended in at half strength shows a moved line and its unmoved self at once: two
    faint copies where the drawing has one crisp line. Trained with an L1 loss, the mask
    hedges with such values wherever the flow is unsure. Stretched, it takes the warp or
    the original instead: more of the change and the drawing's own sharpness, for a little
    PSNR (measured in docs/models/face_editor.md)."""
    stretched = ((mask - 0.5) * contrast + 0.5).clamp(0.0, 1.0)
    return torch.where(mask > 0, stretched, mask)


def render(
    source: Tensor,
    to_canonical: Tensor,
    to_pixels: Tensor,
    fields: EditFields,
    *,
    nearest: bool = False,
    origin: tuple[int, int] = (0, 0),
    size: tuple[int, int] | None = None,
) -> tuple[Tensor, Tensor]:
    """Apply ``fields`` to ``source`` at its own resolution.

    source: (N, C, H, W) in [0, 1] (C = 3; the caller keeps alpha); to_canonical: (N, 2, 3)
    pixel → canonical; to_pixels: (N, 2, 3) canonical → pixel (its 2 × 2 part turns canonical
    flow into pixel offsets). ``origin`` (y0, x0) and ``size`` (h, w) restrict the output to
    a window of the source (the pixels the mask can reach); default: all of it. ``nearest``
    (pixel art): nearest sampling, the mask cut at 0.5 and the paint's edge hard, so every
    output pixel is a colour of the input or the paint colour.
    Returns (edited window (N, C, h, w), upsampled mask (N, 1, h, w)).
    """
    n, _, height, width = source.shape
    y0, x0 = origin
    h, w = size if size is not None else (height, width)
    p = pixel_centres(h, w, y0, x0, device=source.device, dtype=source.dtype).expand(n, h, w, 2)
    c = _affine(p, to_canonical)
    mask = _sample(fields.mask, c)
    flow_c = _sample(fields.flow, c).permute(0, 2, 3, 1)  # (N, h, w, 2) canonical units
    offset = torch.einsum("nhwj,nij->nhwi", flow_c, to_pixels[:, :, :2])
    q = p + offset
    scale = torch.tensor([2.0 / width, 2.0 / height], device=source.device, dtype=source.dtype)
    warped = F.grid_sample(
        source,
        q * scale - 1.0,
        mode="nearest" if nearest else "bilinear",
        padding_mode="border",
        align_corners=False,
    )
    coloured = (warped + _sample(fields.colour, c)).clamp(0.0, 1.0)
    logit = _sample(fields.paint_logit, c)
    # Nearest for pixel art: a flat paint then reads back as exactly one colour.
    paint = _sample(fields.paint, c, "nearest" if nearest else "bilinear").clamp(0.0, 1.0)
    base = source[:, :, y0 : y0 + h, x0 : x0 + w]
    allowed = _inside(c)
    if fields.paint_keep is not None:  # whole cells: the kept shapes' edges lie inside them
        allowed = allowed * _sample(fields.paint_keep, c, "nearest")
    if nearest:  # pixel art: each pixel is a colour of the input or the paint, never a blend
        painted = torch.where((logit > 0) & (allowed > 0), paint, coloured)
        mask = (mask >= 0.5).to(mask.dtype)
        return torch.where(mask > 0, painted, base), mask
    alpha = paint_coverage(logit) * allowed
    painted = coloured + alpha * (paint - coloured)
    out = base + mask * (painted - base)
    return torch.where(mask > 0, out, base), mask


def _inside(canonical: Tensor) -> Tensor:
    """(N, 1, H, W): 1 where the canonical position lies in the unit square, else 0."""
    inside = ((canonical >= 0.0) & (canonical <= 1.0)).all(dim=-1, keepdim=True)
    return inside.permute(0, 3, 1, 2).to(canonical.dtype)


def reach(mask: Tensor) -> tuple[float, float, float, float] | None:
    """Canonical bounding box (u0, v0, u1, v1) of the mask's non-zero texels, one texel wider
    on every side (bilinear reads reach that far); None where the mask is all zero."""
    nz = torch.nonzero(mask.reshape(mask.shape[-2:]) > 0)
    if nz.numel() == 0:
        return None
    r = mask.shape[-1]
    rows, cols = nz[:, 0], nz[:, 1]
    return (
        float(cols.min() - 1) / r,
        float(rows.min() - 1) / r,
        float(cols.max() + 2) / r,
        float(rows.max() + 2) / r,
    )


def canonical_grid(to_pixels: Tensor, size: int, height: int, width: int) -> Tensor:
    """``grid_sample`` grid (N, size, size, 2) that reads an (H, W) image at the canonical
    square's ``size`` × ``size`` pixel centres (the differentiable canonical crop)."""
    n = to_pixels.shape[0]
    c = (pixel_centres(size, size, device=to_pixels.device, dtype=to_pixels.dtype) / size).expand(
        n, size, size, 2
    )
    q = _affine(c, to_pixels)
    scale = torch.tensor(
        [2.0 / width, 2.0 / height], device=to_pixels.device, dtype=to_pixels.dtype
    )
    return q * scale - 1.0
