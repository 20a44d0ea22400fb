"""AMEE-GAN inference: textures x expression vectors → edited textures.

Public API used by the Blender add-on::

    editor = AmeeEditor.load()                 # shipped weights, sha256-verified
    out = editor.edit(textures, expressions)   # (B, H, W, 3|4) float32 [0, 1], (B, 8)
    out = editor.edit(textures, expressions, source_expressions=np.zeros((B, 8), np.float32))
                                               # ... telling the model the textures are neutral
    m = editor.mask(textures, expressions)     # (B, H, W) float32, the mask actually used
    editor.model_id                            # cache key: sha256[:12] of the weights

``source_expressions`` is what each input texture already shows. Weights trained with the
source input (``editor.takes_source``) use it: from a known source the edit is more exact than
when the model must judge the source from the image. Older weights ignore it.

The model runs at its training resolution R (manifest ``resolution``); textures of any size
are downsampled (antialiased bilinear) to R x R, edited, and the edit is composited onto the
full-resolution texture through the upsampled mask (see composite.py): pixels where that mask
is exactly 0 are returned bit-identical, and the alpha channel is always passed through.
Non-square textures are squashed to R x R for the model; the composite keeps their size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from ..errors import InputError
from ..expression import N_EXPRESSION, check_expression
from .composite import composite, threshold_mask, to_model_resolution, upsample
from .config import AmeeConfig
from .fold import folded_generator
from .model import Generator
from .weights_io import (
    MASK_THRESHOLD,
    export_generator,
    load_generator,
    shipped_manifest,
    weights_id,
)

Device = str


def pick_device(device: str = "auto") -> torch.device:
    """"auto": CUDA, then MPS, then CPU; or the named device (error when unavailable)."""
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if device not in ("cpu", "cuda", "mps"):
        raise InputError(None, f"device must be 'auto', 'cpu', 'cuda' or 'mps', got {device!r}")
    if device == "cuda" and not torch.cuda.is_available():
        raise InputError(None, "device 'cuda' was requested but no CUDA GPU is available")
    if device == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise InputError(None, "device 'mps' was requested but MPS is not available")
    return torch.device(device)


def check_batch(textures: Any, expressions: Any) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Validate (B, H, W, 3|4) float32 in [0, 1] and (B, 8) in [0, 1]; raise InputError."""
    if not isinstance(textures, np.ndarray) or textures.dtype != np.float32:
        raise InputError(None, "textures must be a float32 numpy array (B, H, W, 3|4) in [0, 1]")
    if textures.ndim != 4 or textures.shape[3] not in (3, 4) or min(textures.shape[:3]) < 1:
        raise InputError(None, f"textures must have shape (B, H, W, 3|4), got {textures.shape}")
    # min / max propagate NaN and ±inf fails the range test, so two passes check finiteness too.
    lo, hi = float(textures.min()), float(textures.max())
    if not (lo >= 0.0 and hi <= 1.0):
        raise InputError(None, "texture values must be finite and lie in [0, 1]")
    return textures, _check_vectors(expressions, textures.shape[0], "expressions")


def check_sources(source_expressions: Any, batch: int) -> NDArray[np.float32] | None:
    """None, or validate (B, 8) in [0, 1] like the target expressions; raise InputError."""
    return None if source_expressions is None else _check_vectors(source_expressions, batch, "source expressions")


def _check_vectors(vectors: Any, batch: int, name: str) -> NDArray[np.float32]:
    """(batch, 8) expression vectors in [0, 1]; the InputError names ``name``."""
    try:
        ex = check_expression(vectors)
    except ValueError as exc:
        raise InputError(None, f"{name}: {exc}") from exc
    if ex.shape != (batch, N_EXPRESSION):
        raise InputError(None, f"{name} must have shape ({batch}, {N_EXPRESSION}), got {ex.shape}")
    return ex


def _channels_last(module: torch.nn.Module) -> None:
    """4-D weights to channels-last memory format in place (oneDNN's fast CPU layout)."""
    with torch.no_grad():
        for p in module.parameters():
            if p.dim() == 4:
                p.data = p.data.contiguous(memory_format=torch.channels_last)


@dataclass
class AmeeEditor:
    """A loaded generator plus the device / precision it runs at."""

    generator: Generator
    """The generator in eval mode, on ``device``."""
    manifest: dict[str, Any]
    """Manifest of the weights (for a fine-tuned editor: of its base plus ``finetuned_from``)."""
    device: torch.device
    """Where the generator runs."""
    dtype: torch.dtype
    """Precision of the generator pass (mask thresholding and compositing are float32)."""
    model_id: str
    """Content id of the weights (weights_io.weights_id): the same for a generator, its export
    and its reload, so fine-tuned weights get their id before they are saved. Cache key."""
    runner: Generator | None = field(default=None, repr=False, compare=False)
    """What ``edit`` runs: a copy of ``generator`` with its BatchNorms folded into the convs
    (fold.py) and, on CPU, channels-last weights. Built by ``from_generator``; None: run
    ``generator`` itself."""

    @classmethod
    def load(cls, manifest_path: str | Path | None = None, device: str = "auto",
             dtype: torch.dtype | None = None) -> AmeeEditor:
        """Load verified weights (default: the shipped ones). dtype None: float32 on CPU,
        float16 on CUDA / MPS."""
        mpath = Path(manifest_path) if manifest_path is not None else shipped_manifest()
        gen, manifest = load_generator(mpath)
        return cls.from_generator(gen, manifest, device=device, dtype=dtype)

    @classmethod
    def from_generator(cls, generator: Generator, manifest: dict[str, Any], *, device: str = "auto",
                       dtype: torch.dtype | None = None, model_id: str | None = None) -> AmeeEditor:
        dev = pick_device(device)
        if dtype is None:
            dtype = torch.float32 if dev.type == "cpu" else torch.float16
        if dtype not in (torch.float32, torch.float16, torch.bfloat16):
            raise InputError(None, f"dtype must be float32, float16 or bfloat16, got {dtype}")
        generator = generator.eval()
        mid = model_id if model_id is not None else weights_id(generator)
        runner = folded_generator(generator).to(device=dev, dtype=dtype)
        if dev.type == "cpu":
            _channels_last(runner)
        generator = generator.to(device=dev, dtype=dtype)
        return cls(generator=generator, manifest=manifest, device=dev, dtype=dtype, model_id=mid, runner=runner)

    @property
    def config(self) -> AmeeConfig:
        return self.generator.cfg

    @property
    def resolution(self) -> int:
        return self.generator.cfg.resolution

    @property
    def takes_source(self) -> bool:
        """Whether the weights read ``source_expressions`` (AmeeConfig.source_input)."""
        return self.generator.cfg.source_input

    def _model_pass(self, textures: NDArray[np.float32], expressions: NDArray[np.float32],
                    source_expressions: NDArray[np.float32] | None = None
                    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Returns (full-res RGB input as an NCHW view of ``textures``, model-resolution edit in
        [0, 1], model-resolution thresholded mask), float32 on CPU."""
        textures, ex = check_batch(textures, expressions)
        src = check_sources(source_expressions, len(ex))
        # (B, H, W, C) → NCHW view with channels-last strides: no copy of the full-res texture.
        rgb = torch.from_numpy(textures)[..., :3].permute(0, 3, 1, 2)
        net = self.runner if self.runner is not None else self.generator
        with torch.inference_mode():
            small = to_model_resolution(rgb, self.resolution)
            x = (small * 2.0 - 1.0).to(self.device, self.dtype)
            if self.device.type == "cpu":
                x = x.contiguous(memory_format=torch.channels_last)
            a = torch.from_numpy(ex).to(self.device, self.dtype)
            a_src = None if src is None else torch.from_numpy(src).to(self.device, self.dtype)
            image, mask = net(x, a, a_src)
            image = ((image.float() + 1.0) * 0.5).clamp(0.0, 1.0).cpu()
            mask = threshold_mask(mask.float().cpu(), MASK_THRESHOLD)
        return rgb, image, mask

    def _run(self, textures: NDArray[np.float32], expressions: NDArray[np.float32],
             source_expressions: NDArray[np.float32] | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Returns full-res (rgb input, upsampled edit in [0,1], upsampled thresholded mask), float32 CPU."""
        rgb, image, mask = self._model_pass(textures, expressions, source_expressions)
        h, w = rgb.shape[2:]
        with torch.inference_mode():
            return rgb, upsample(image, h, w), upsample(mask, h, w)

    def edit(self, textures: NDArray[np.float32], expressions: NDArray[np.float32],
             source_expressions: NDArray[np.float32] | None = None) -> NDArray[np.float32]:
        """Repaint the expression: (B, H, W, 3|4) float32 [0, 1] → same shape; alpha untouched.
        ``source_expressions`` (B, 8): what the textures show now, when known (None: unknown)."""
        out, _ = self.edit_with_mask(textures, expressions, source_expressions)
        return out

    def edit_with_mask(self, textures: NDArray[np.float32], expressions: NDArray[np.float32],
                       source_expressions: NDArray[np.float32] | None = None
                       ) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """``edit`` and ``mask`` from one generator pass: ((B, H, W, 3|4), (B, H, W))."""
        rgb, image, mask = self._run(textures, expressions, source_expressions)
        out = textures.copy()
        with torch.inference_mode():
            final = composite(rgb, image, mask)  # (B, 3, H, W), channels-last strides
            torch.from_numpy(out)[..., :3].copy_(final.permute(0, 2, 3, 1))
        m: NDArray[np.float32] = mask[:, 0].numpy()
        return out, m

    def mask(self, textures: NDArray[np.float32], expressions: NDArray[np.float32],
             source_expressions: NDArray[np.float32] | None = None) -> NDArray[np.float32]:
        """The full-resolution mask the composite uses: (B, H, W) float32 in [0, 1]."""
        _, _, mask = self._run(textures, expressions, source_expressions)
        out: NDArray[np.float32] = mask[:, 0].numpy().astype(np.float32)
        return out

    def save(self, folder: str | Path, stem: str = "amee_gan_character", *, training: dict[str, Any] | None = None,
             extra: dict[str, Any] | None = None) -> Path:
        """Export this editor's generator (e.g. fine-tuned weights beside a .blend); returns the manifest."""
        gen = self.generator
        cpu_gen = Generator(gen.cfg)
        cpu_gen.load_state_dict({k: v.detach().float().cpu() for k, v in gen.state_dict().items()})
        return export_generator(Path(folder) / f"{stem}.safetensors", cpu_gen, training=training, extra=extra)
