"""Detailed expression transfer: character textures × detail vectors → edited textures.

Public API (the bake's "detailed" mode)::

    editor = TransferEditor.load()              # shipped weights, sha256-verified
    out = editor.edit(textures, details)        # (B, H, W, 3|4) float32 [0, 1], (B, 11) → same shape
    m = editor.mask(textures, details)          # (B, H, W) the mask the composite used
    editor.model_id                             # cache key (content id of the weights)

The texture is the style reference (K_s reads it at model resolution R) and the composite base;
the detail vector is drawn as the canonical line drawing (``content.py``) that K_t reads. The
edit and mask are composited onto the full-resolution texture exactly as AMEE-GAN does
(``core/amee/composite.py``): mask values below the threshold become exactly 0, and wherever
the upsampled mask is 0 the output pixel is the input pixel, bit for bit; alpha passes through.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from ..amee.composite import composite, threshold_mask, to_model_resolution, upsample
from ..amee.infer import pick_device
from ..detail import N_DETAIL, check_detail
from ..errors import InputError
from .config import TransferConfig
from .content import draw_contents
from .model import TransferModel
from .weights_io import MASK_THRESHOLD, export_model, load_model, shipped_manifest, weights_id


def check_batch(textures: Any, details: Any) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Validate (B, H, W, 3|4) float32 in [0, 1] and (B, 11) in [0, 1]; raise InputError."""
    if not isinstance(textures, np.ndarray) or textures.dtype != np.float32:
        raise InputError(None, "textures must be a float32 numpy array (B, H, W, 3|4) in [0, 1]")
    if textures.ndim != 4 or textures.shape[3] not in (3, 4) or min(textures.shape[:3]) < 1:
        raise InputError(None, f"textures must have shape (B, H, W, 3|4), got {textures.shape}")
    if not np.all(np.isfinite(textures)) or textures.min() < 0.0 or textures.max() > 1.0:
        raise InputError(None, "texture values must be finite and lie in [0, 1]")
    try:
        d = check_detail(details)
    except ValueError as exc:
        raise InputError(None, str(exc)) from exc
    if d.shape != (textures.shape[0], N_DETAIL):
        raise InputError(None, f"detail vectors must have shape ({textures.shape[0]}, {N_DETAIL}), got {d.shape}")
    return textures, d


@dataclass
class TransferEditor:
    """A loaded transfer model plus the device / precision it runs at."""

    model: TransferModel
    """K_t, K_s, J in eval mode, on ``device``."""
    manifest: dict[str, Any]
    """Manifest of the weights (fine-tuned: of its base plus ``finetuned_from``)."""
    device: torch.device
    dtype: torch.dtype
    """Precision of the network pass (mask thresholding and compositing are float32)."""
    model_id: str
    """Content id of the weights (weights_io.weights_id); part of the texture cache key."""

    @classmethod
    def load(cls, manifest_path: str | Path | None = None, device: str = "auto",
             dtype: torch.dtype | None = None) -> TransferEditor:
        """Load verified weights (default: the shipped ones)."""
        mpath = Path(manifest_path) if manifest_path is not None else shipped_manifest()
        model, manifest = load_model(mpath)
        return cls.from_model(model, manifest, device=device, dtype=dtype)

    @classmethod
    def from_model(cls, model: TransferModel, manifest: dict[str, Any], *, device: str = "auto",
                   dtype: torch.dtype | None = None, model_id: str | None = None) -> TransferEditor:
        dev = pick_device(device)
        if dtype is None:
            dtype = torch.float32 if dev.type == "cpu" else torch.float16
        if dtype not in (torch.float32, torch.float16, torch.bfloat16):
            raise InputError(None, f"dtype must be float32, float16 or bfloat16, got {dtype}")
        model = model.eval()
        mid = model_id if model_id is not None else weights_id(model)
        return cls(model=model.to(device=dev, dtype=dtype), manifest=manifest, device=dev, dtype=dtype, model_id=mid)

    @property
    def config(self) -> TransferConfig:
        return self.model.cfg

    @property
    def resolution(self) -> int:
        return self.model.cfg.resolution

    @property
    def takes_source(self) -> bool:
        """False: the texture itself is the style reference; no source vector is read."""
        return False

    def _run(self, textures: NDArray[np.float32], details: NDArray[np.float32]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Full-res (rgb input, upsampled edit in [0, 1], upsampled thresholded mask), float32 CPU."""
        textures, d = check_batch(textures, details)
        h, w = textures.shape[1:3]
        rgb = torch.from_numpy(np.ascontiguousarray(textures[..., :3])).permute(0, 3, 1, 2)
        small = to_model_resolution(rgb, self.resolution)
        content = torch.from_numpy(draw_contents(d, self.resolution)).permute(0, 3, 1, 2)
        with torch.inference_mode():
            x = (content * 2.0 - 1.0).to(self.device, self.dtype)
            y = (small * 2.0 - 1.0).to(self.device, self.dtype)
            image, mask = self.model(x, y)
            image = ((image.float() + 1.0) * 0.5).clamp(0.0, 1.0).cpu()
            mask = threshold_mask(mask.float().cpu(), MASK_THRESHOLD)
            return rgb, upsample(image, h, w), upsample(mask, h, w)

    def edit(self, textures: NDArray[np.float32], details: NDArray[np.float32],
             source_vectors: NDArray[np.float32] | None = None) -> NDArray[np.float32]:
        """Redraw the detailed expression in the texture's own style: same shape; alpha untouched.
        ``source_vectors`` is accepted for the ``core.editor.Editor`` seam and not read."""
        rgb, image, mask = self._run(textures, details)
        with torch.inference_mode():
            final = composite(rgb, image, mask).permute(0, 2, 3, 1).numpy()
        out = textures.copy()
        out[..., :3] = final
        return out

    def mask(self, textures: NDArray[np.float32], details: NDArray[np.float32]) -> NDArray[np.float32]:
        """The full-resolution mask the composite uses: (B, H, W) float32 in [0, 1]."""
        _, _, mask = self._run(textures, details)
        out: NDArray[np.float32] = mask[:, 0].numpy().astype(np.float32)
        return out

    def style_code(self, textures: NDArray[np.float32]) -> NDArray[np.float32]:
        """K_s's global style code of each texture: (B, style_dim) (the style-consistency measure)."""
        textures, _ = check_batch(textures, np.zeros((textures.shape[0], N_DETAIL), np.float32))
        rgb = torch.from_numpy(np.ascontiguousarray(textures[..., :3])).permute(0, 3, 1, 2)
        with torch.inference_mode():
            y = (to_model_resolution(rgb, self.resolution) * 2.0 - 1.0).to(self.device, self.dtype)
            out: NDArray[np.float32] = self.model.style_encoder(y).code.float().cpu().numpy()
        return out

    def save(self, folder: str | Path, stem: str = "style_transfer_character", *, training: dict[str, Any] | None = None,
             extra: dict[str, Any] | None = None) -> Path:
        """Export this editor's weights (e.g. fine-tuned, beside a .blend); returns the manifest."""
        cpu = TransferModel(self.model.cfg)
        cpu.load_state_dict({k: v.detach().float().cpu() for k, v in self.model.state_dict().items()})
        return export_model(Path(folder) / f"{stem}.safetensors", cpu, training=training, extra=extra)
