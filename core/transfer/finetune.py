"""Per-character adaptation of the transfer model from the artist's expression sheet.

The same sheet AMEE-GAN's fine-tuning reads (``core/amee/sheet.py``: the neutral texture plus
3–8 labelled expression textures of one character). Each labelled texture j gives one exact
example: content = the drawing of its (symmetric) detail vector, style reference = the neutral
texture, target = texture j; the neutral texture with the neutral drawing is an identity
example. The model is trained on them with the paired L1 and mask terms (no discriminator:
the labels are exact) plus METHOD's eq. 4 reconstruction of the drawings, so the content
encoder keeps reading drawings. The result is a new :class:`TransferEditor`; the shipped
weights are never touched. Save it beside the .blend with ``editor.save(folder)``.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from ..amee.composite import to_model_resolution
from ..amee.sheet import MAX_EXAMPLES, MIN_EXAMPLES, read_sheet
from ..detail import N_DETAIL, detail_from_expression
from ..errors import InputError
from ..expression import N_EXPRESSION
from .config import LossWeights
from .content import draw_contents
from .infer import TransferEditor, check_batch
from .losses import Batch, generator_loss
from .weights_io import storage_round_trip, weights_id


@dataclass(frozen=True)
class TransferFinetuneConfig:
    """Fine-tuning settings (CLI flags map 1:1)."""

    steps: int = 200
    """Adam steps (each a batch of examples)."""
    batch: int = 4
    """Examples per step."""
    lr: float = 5e-5
    """Adam learning rate, constant."""
    pair: float = 100.0
    """Paired L1 weight."""
    alpha_1: float = 10.0
    """METHOD eq. 4 (drawing rebuilt in the drawing style); keeps K_t reading drawings."""
    mask: float = 0.1
    """Mask sparsity weight."""
    mask_sup: float = 1.0
    """BCE of the mask against the change map (neutral vs labelled texture)."""
    seed: int = 0
    """Seeds example sampling."""
    threads: int = 0
    """torch.set_num_threads for the run (0: leave as is)."""

    def __post_init__(self) -> None:
        if self.steps < 1 or self.batch < 1 or not self.lr > 0:
            raise ValueError("TransferFinetuneConfig: steps, batch and lr must be positive")

    def weights(self) -> LossWeights:
        return LossWeights(alpha_gan=0.0, alpha_1=self.alpha_1, alpha_2=0.0, alpha_style=0.0, alpha_content=0.0,
                           pair=self.pair, mask=self.mask, mask_sup=self.mask_sup)


Example = tuple[NDArray[np.float32], NDArray[np.float32]]
"""(texture (H, W, 3|4) float32 in [0, 1], label: 8 expression values or 11 detail values)."""
Progress = Callable[[int, int, float], None]


def _label(arr: NDArray[np.float32], k: int) -> NDArray[np.float32]:
    try:
        if arr.shape == (N_EXPRESSION,):
            return detail_from_expression(arr)
        if arr.shape == (N_DETAIL,):
            check_batch(np.zeros((1, 1, 1, 3), np.float32), arr[None])
            return arr.astype(np.float32)
        raise ValueError(f"needs {N_EXPRESSION} expression or {N_DETAIL} detail values, got shape {arr.shape}")
    except (ValueError, InputError) as exc:
        raise InputError(None, f"label of example {k}: {exc}") from exc


def _stack(editor: TransferEditor, neutral: NDArray[np.float32], examples: Sequence[Example]
           ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(neutral (1, 3, R, R), targets (K+1, 3, R, R), drawings (K+1, 3, R, R)), in [-1, 1]."""
    if len(examples) < 1:
        raise InputError(None, "fine-tuning needs at least one labelled expression texture besides the neutral one")
    r = editor.resolution
    imgs: list[torch.Tensor] = []
    for k, tex in enumerate([neutral] + [t for t, _ in examples]):
        if not isinstance(tex, np.ndarray) or tex.ndim != 3:
            raise InputError(None, f"fine-tuning texture {k} must be an (H, W, 3|4) float32 array")
        check_batch(tex[None], np.zeros((1, N_DETAIL), np.float32))
        rgb = torch.from_numpy(np.ascontiguousarray(tex[..., :3])).permute(2, 0, 1)[None]
        imgs.append(to_model_resolution(rgb, r)[0])
    labels = np.stack([np.zeros(N_DETAIL, np.float32)] + [_label(np.asarray(d, np.float32), k) for k, (_, d) in enumerate(examples)])
    drawings = torch.from_numpy(draw_contents(labels, r)).permute(0, 3, 1, 2)
    targets = torch.stack(imgs)
    return targets[:1] * 2.0 - 1.0, targets * 2.0 - 1.0, drawings * 2.0 - 1.0


def finetune_transfer(editor: TransferEditor, neutral: NDArray[np.float32], examples: Sequence[Example],
                      config: TransferFinetuneConfig | None = None, progress: Progress | None = None) -> TransferEditor:
    """Return a new editor adapted to this character (runs on CPU, float32)."""
    cfg = config or TransferFinetuneConfig()
    ref, targets, drawings = _stack(editor, neutral, examples)
    n = targets.shape[0]
    w = cfg.weights()
    old_threads = torch.get_num_threads()
    if cfg.threads > 0:
        torch.set_num_threads(cfg.threads)
    model = copy.deepcopy(editor.model).to(device="cpu", dtype=torch.float32)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, betas=(0.5, 0.999))
    rng = np.random.default_rng([cfg.seed, 401])
    t0 = time.time()
    try:
        with torch.enable_grad():
            for step in range(1, cfg.steps + 1):
                pick = rng.integers(0, n, cfg.batch)
                batch = Batch(drawings[pick], ref.expand(cfg.batch, -1, -1, -1), targets[pick], drawings[:1])
                loss, _, _ = generator_loss(model, batch, w)
                opt.zero_grad(set_to_none=True)
                loss.backward()  # type: ignore[no-untyped-call]
                opt.step()
                if progress is not None:
                    progress(step, cfg.steps, float(loss.detach()))
    finally:
        torch.set_num_threads(old_threads)
    model.eval()
    storage_round_trip(model)
    manifest: dict[str, Any] = dict(editor.manifest)
    manifest["finetuned_from"] = editor.model_id
    manifest["finetune"] = {**asdict(cfg), "examples": len(examples), "seconds": round(time.time() - t0, 1)}
    return TransferEditor.from_model(model, manifest, device=str(editor.device.type), dtype=editor.dtype,
                                     model_id=weights_id(model))


def finetune_transfer_from_sheet(
    sheet: Path,
    neutral: NDArray[np.float32],
    out_folder: Path,
    *,
    weights: Path | None = None,
    config: TransferFinetuneConfig | None = None,
    progress: Progress | None = None,
) -> Path:
    """Fine-tune the shipped (or given) transfer weights on an AMEE-style ``labels.json``
    sheet; save beside the .blend; return the manifest."""
    examples = read_sheet(sheet)
    if not MIN_EXAMPLES <= len(examples) <= MAX_EXAMPLES:
        raise InputError(sheet, f"give {MIN_EXAMPLES} to {MAX_EXAMPLES} labelled textures (got {len(examples)})")
    base = TransferEditor.load(weights, device="cpu")
    tuned = finetune_transfer(base, neutral, examples, config, progress)
    info: dict[str, Any] = {"sheet": str(sheet), "base_model_id": base.model_id, "examples": len(examples)}
    return tuned.save(out_folder, training=info, extra={"finetuned_from": base.model_id})
