"""The editor both models configure: verified weights, a device, and batched texture edits.

Public API (``AmeeEditor`` reads expression vectors, ``TransferEditor`` detail vectors)::

    editor = AmeeEditor.load()                       # shipped weights, sha256-verified
    out = editor.edit(textures, vectors)             # (B, H, W, 3|4) float32 [0, 1] → same shape
    out, m = editor.edit_with_mask(textures, vectors)  # ... and the (B, H, W) mask it used
    editor.model_id                                  # cache key: content id of the weights
    editor.save(folder)                              # e.g. fine-tuned weights beside a .blend

The network runs at its training resolution R (manifest ``resolution``): textures of any size
are downsampled (antialiased bilinear) to R x R, edited, and the edit is composited onto the
full-resolution texture through the upsampled mask (composite.py): pixels where that mask is
exactly 0 are returned bit-identical, and the alpha channel always passes through. Non-square
textures are squashed to R x R for the model; the composite keeps their size.

Everything between the input and the output runs on the editor's device: the textures are
copied there once, resized, edited, upsampled and composited there, and the result is copied
back once. On the CPU there is no copy at all (the input is viewed in place), and the same
functions run as on a GPU, so the CPU tests exercise the device path.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from .batch import check_textures
from .composite import composite, threshold_mask, to_model_resolution, upsample
from .device import pick_device, pick_dtype, to_device
from .weights_io import Net, WeightsFormat


class NetworkConfig(Protocol):
    """What the editor reads from a network's architecture config."""

    @property
    def resolution(self) -> int:
        """Side of the square images the network works at, pixels."""
        ...


Self = TypeVar("Self", bound="ModelEditor[Any]")
"""The editor class a classmethod was called on (typing.Self needs Python 3.11; Blender 3.x
embeds 3.10)."""


@dataclass
class ModelEditor(ABC, Generic[Net]):
    """A loaded network plus the device / precision it runs at. Subclasses name the weights
    format and the network's forward pass."""

    network: Net
    """The network in eval mode, on ``device``."""
    manifest: dict[str, Any]
    """Manifest of the weights (for a fine-tuned editor: of its base plus ``finetuned_from``)."""
    device: torch.device
    """Where the network runs."""
    dtype: torch.dtype
    """Precision of the network pass (mask thresholding and compositing are float32)."""
    model_id: str
    """Content id of the weights (WeightsFormat.weights_id): the same for a network, its export
    and its reload, so fine-tuned weights get their id before they are saved. Cache key."""
    runner: nn.Module | None = field(default=None, repr=False, compare=False)
    """What the model pass runs when it is not ``network`` itself (an inference copy built by
    ``from_network``); None: ``network``."""

    weights: ClassVar[WeightsFormat[Any]]
    """The model's weights format (name, version, vocabulary, shipped path)."""
    half_precision: ClassVar[bool] = False
    """Whether the network pass runs in float16 on a GPU by default: only where measured to
    give the same textures as float32 (docs/gpu.md, tests/test_device_paths.py)."""
    save_stem: ClassVar[str]
    """File stem ``save`` uses by default."""

    @classmethod
    def load(
        cls: type[Self],
        manifest_path: str | Path | None = None,
        device: str = "auto",
        dtype: torch.dtype | None = None,
    ) -> Self:
        """Load verified weights (default: the shipped ones). dtype None: float32 on the CPU;
        on CUDA / MPS float16 where ``half_precision``, else float32."""
        mpath = Path(manifest_path) if manifest_path is not None else cls.weights.shipped_manifest()
        network, manifest = cls.weights.load(mpath)
        return cls.from_network(network, manifest, device=device, dtype=dtype)

    @classmethod
    def from_network(
        cls: type[Self],
        network: Net,
        manifest: dict[str, Any],
        *,
        device: str = "auto",
        dtype: torch.dtype | None = None,
        model_id: str | None = None,
    ) -> Self:
        """Wrap a network (eval mode from here on); ``model_id`` None: its content id."""
        dev = pick_device(device)
        dt = pick_dtype(dev, dtype, half=cls.half_precision)
        network = network.eval()
        mid = model_id if model_id is not None else cls.weights.weights_id(network)
        runner = cls._runner(network, dev, dt)
        network = network.to(device=dev, dtype=dt)
        return cls(
            network=network, manifest=manifest, device=dev, dtype=dt, model_id=mid, runner=runner
        )

    @classmethod
    def _runner(cls, network: Net, device: torch.device, dtype: torch.dtype) -> nn.Module | None:
        """An inference copy of ``network`` for the model pass, or None to run ``network``."""
        return None

    @property
    @abstractmethod
    def config(self) -> NetworkConfig:
        """The network's architecture config."""

    @property
    def resolution(self) -> int:
        """Side of the square images the network works at, pixels."""
        return self.config.resolution

    @property
    def takes_source(self) -> bool:
        """Whether ``source_vectors`` (what the textures show now) inform the edit."""
        return False

    @abstractmethod
    def _forward(
        self,
        net: nn.Module,
        small: torch.Tensor,
        vectors: NDArray[np.float32],
        sources: NDArray[np.float32] | None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One network pass: ``small`` (B, 3, R, R) float32 in [0, 1] on ``device`` → (image
        in [-1, 1], mask in [0, 1]) on ``device``."""

    def _model_pass(
        self,
        textures: NDArray[np.float32],
        vectors: NDArray[np.float32],
        source_vectors: NDArray[np.float32] | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Returns (full-res RGB input as an NCHW view of the textures on ``device``,
        model-resolution edit in [0, 1], model-resolution thresholded mask), float32 on
        ``device``."""
        textures = check_textures(textures)
        vocab = self.weights.vocabulary
        vec = vocab.check_batch(vectors, textures.shape[0])
        src = (
            None
            if source_vectors is None
            else vocab.check_batch(source_vectors, len(vec), f"source {vocab.label}")
        )
        # (B, H, W, C) → one copy to the device (none on the CPU), then an NCHW view with
        # channels-last strides: the full-res texture is never copied again.
        rgb = to_device(textures, self.device)[..., :3].permute(0, 3, 1, 2)
        net = self.runner if self.runner is not None else self.network
        with torch.inference_mode():
            small = to_model_resolution(rgb, self.resolution)
            image, mask = self._forward(net, small, vec, src)
            image = ((image.float() + 1.0) * 0.5).clamp(0.0, 1.0)
            mask = threshold_mask(mask.float(), self.weights.mask_threshold)
        return rgb, image, mask

    def _run(
        self,
        textures: NDArray[np.float32],
        vectors: NDArray[np.float32],
        source_vectors: NDArray[np.float32] | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Full-res (rgb input, upsampled edit in [0, 1], upsampled thresholded mask), float32
        on ``device``."""
        rgb, image, mask = self._model_pass(textures, vectors, source_vectors)
        h, w = rgb.shape[2:]
        with torch.inference_mode():
            return rgb, upsample(image, h, w), upsample(mask, h, w)

    def _composite(
        self,
        textures: NDArray[np.float32],
        vectors: NDArray[np.float32],
        source_vectors: NDArray[np.float32] | None,
    ) -> tuple[NDArray[np.float32], torch.Tensor]:
        """The edited textures (a new array; alpha passed through) and the full-res mask on
        ``device``: the composite is made on the device and copied out once."""
        rgb, image, mask = self._run(textures, vectors, source_vectors)
        out = textures.copy()
        with torch.inference_mode():
            final = composite(rgb, image, mask)  # (B, 3, H, W), channels-last strides
            torch.from_numpy(out)[..., :3].copy_(final.permute(0, 2, 3, 1))
        return out, mask

    def edit(
        self,
        textures: NDArray[np.float32],
        vectors: NDArray[np.float32],
        source_vectors: NDArray[np.float32] | None = None,
    ) -> NDArray[np.float32]:
        """Repaint: (B, H, W, 3|4) float32 [0, 1] → same shape; alpha untouched.
        ``source_vectors`` (B, n): what the textures show now, when known (None: unknown)."""
        out, _ = self._composite(textures, vectors, source_vectors)
        return out

    def edit_with_mask(
        self,
        textures: NDArray[np.float32],
        vectors: NDArray[np.float32],
        source_vectors: NDArray[np.float32] | None = None,
    ) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """``edit`` and ``mask`` from one network pass: ((B, H, W, 3|4), (B, H, W))."""
        out, mask = self._composite(textures, vectors, source_vectors)
        m: NDArray[np.float32] = mask[:, 0].cpu().numpy()
        return out, m

    def mask(
        self,
        textures: NDArray[np.float32],
        vectors: NDArray[np.float32],
        source_vectors: NDArray[np.float32] | None = None,
    ) -> NDArray[np.float32]:
        """The full-resolution mask the composite uses: (B, H, W) float32 in [0, 1]."""
        _, _, mask = self._run(textures, vectors, source_vectors)
        out: NDArray[np.float32] = mask[:, 0].cpu().numpy().astype(np.float32)
        return out

    def save(
        self,
        folder: str | Path,
        stem: str | None = None,
        *,
        training: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Path:
        """Export the network (e.g. fine-tuned weights beside a .blend) as
        ``folder/<stem>.safetensors`` + manifest; returns the manifest path."""
        fmt = self.weights
        net = fmt.build(fmt.architecture(self.network))
        state = self.network.state_dict()
        net.load_state_dict({k: v.detach().float().cpu() for k, v in state.items()})
        path = Path(folder) / f"{stem or self.save_stem}.safetensors"
        return fmt.export(path, net, training=training, extra=extra)
