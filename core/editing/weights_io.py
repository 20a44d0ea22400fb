"""One editor's weights format: safetensors + manifest, verified (core/weights.py does the I/O).

Only the editing network ships; discriminators exist for training. Floating tensors are stored
as float16 (``storage_dtype``) to keep the files small; :meth:`WeightsFormat.storage_round_trip`
applies the same rounding to a network in memory, so what runs is always exactly what is (or
will be) on disk. :meth:`WeightsFormat.weights_id` hashes the stored tensors themselves (names,
dtypes, shapes, bytes) with the architecture, not the file: safetensors does not fix the order
of its header, so two exports of the same tensors can differ in bytes while holding one model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import torch
from torch import nn

from ..errors import WeightsError
from ..paths import weights_dir
from ..weights import (
    REEXPORT_FIX,
    check_architecture,
    content_id,
    export_weights,
    half_storage_tensors,
    load_stored_state,
    load_weights,
    round_to_storage,
)
from .batch import Vocabulary

Net = TypeVar("Net", bound=nn.Module)


@dataclass(frozen=True)
class WeightsFormat(Generic[Net]):
    """How one model's network is stored, identified and verified."""

    model: str
    """Manifest ``model`` name; weights of another model are refused."""
    version: int
    """Manifest ``model_version``; other versions are refused."""
    vocabulary: Vocabulary
    """The vectors the network reads; the manifest records their names, checked on load."""
    shipped: str
    """Path of the shipped weights under ``weights/``, without the suffixes."""
    normalisation: str
    """How images enter the network (recorded in the manifest for other readers)."""
    build: Callable[[Mapping[str, Any]], Net]
    """Architecture dict → a new network; TypeError / ValueError when the dict is invalid."""
    architecture: Callable[[Net], dict[str, Any]]
    """Network → its architecture dict (stored in the manifest and hashed into the id)."""
    fixed: Mapping[str, Any] = field(default_factory=dict)
    """Further manifest fields the weights must carry exactly (e.g. the content-drawing layout
    version the network was trained on); written on export, checked on load."""
    salt: tuple[str, ...] = ()
    """Hashed into the content id besides architecture and tensors (e.g. that layout version)."""
    storage_dtype: torch.dtype = torch.float16
    """Precision of the stored floating tensors."""
    mask_threshold: float = 0.01
    """Mask values below this are set to exactly 0 before upsampling and compositing."""

    def shipped_manifest(self) -> Path:
        """Manifest of the weights shipped with moodrig (``weights/<shipped>.manifest.json``)."""
        return weights_dir() / f"{self.shipped}.manifest.json"

    def storage_tensors(self, net: Net) -> dict[str, torch.Tensor]:
        """State dict as stored: float tensors in ``storage_dtype``, BN step counters dropped."""
        return half_storage_tensors(net, self.storage_dtype)

    def storage_round_trip(self, net: Net) -> None:
        """Round the network's float tensors to the storage precision, in place."""
        round_to_storage(net, self.storage_dtype)

    def weights_id(self, net: Net) -> str:
        """Content id of the stored tensors, the architecture and ``salt``; equal for a network
        and its export / reload."""
        return content_id(self.architecture(net), self.storage_tensors(net), *self.salt)

    def meta(self, net: Net) -> dict[str, Any]:
        """The manifest fields besides tensors, architecture and training."""
        return {
            "resolution": self.architecture(net)["resolution"],
            self.vocabulary.manifest_key: list(self.vocabulary.names),
            **self.fixed,
            "mask_threshold": self.mask_threshold,
            "normalisation": self.normalisation,
            "storage_dtype": str(self.storage_dtype).removeprefix("torch."),
        }

    def export(
        self,
        path: str | Path,
        net: Net,
        *,
        training: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> Path:
        """Write ``<stem>.safetensors`` + ``<stem>.manifest.json``; returns the manifest path.
        ``extra`` adds (or replaces) manifest fields."""
        meta = {**self.meta(net), **(extra or {})}
        return export_weights(
            path,
            self.storage_tensors(net),
            model=self.model,
            model_version=self.version,
            architecture=self.architecture(net),
            training=training,
            extra=meta,
        )

    def load(self, manifest_path: str | Path) -> tuple[Net, dict[str, Any]]:
        """Verify (sizes, sha256, version, vocabulary, architecture bounds, shapes) and build the
        network in eval mode, float32."""
        mpath = Path(manifest_path)
        tensors, manifest = load_weights(mpath, model=self.model, model_version=self.version)
        arch = manifest.get("architecture", {})
        if not isinstance(arch, dict):
            raise WeightsError(mpath, "architecture config must be an object", REEXPORT_FIX)
        vocab = self.vocabulary
        if manifest.get(vocab.manifest_key) != list(vocab.names):
            raise WeightsError(
                mpath, f"weights were trained for another {vocab.kind} vocabulary", REEXPORT_FIX
            )
        for key, want in self.fixed.items():
            if manifest.get(key) != want:
                raise WeightsError(
                    mpath,
                    f"weights were made with {key} {manifest.get(key)!r}, "
                    f"this moodrig has {want!r}",
                    REEXPORT_FIX,
                )
        # Bounded before anything is built: the config's own ranges, then an empty copy of the
        # network whose shapes must be exactly the stored tensors (core/weights.py).
        check_architecture(lambda: self.build(dict(arch)), tensors, mpath)
        net = self.build(dict(arch))
        load_stored_state(net, tensors, mpath)
        net.eval()
        return net, manifest
