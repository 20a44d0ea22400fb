"""The transfer model's per-character fine-tuning (the loop: core/editing/finetune.py).

The same sheet AMEE-GAN's fine-tuning reads (core/editing/sheet.py: the neutral texture plus
3–8 labelled expression textures of one character). Each labelled texture j gives one exact
example: content = the drawing of its (symmetric) detail vector, style reference = the neutral
texture, target = texture j; the neutral texture with the neutral drawing is an identity
example. The model is trained on them with the paired L1 and mask terms (no discriminator:
the labels are exact) plus METHOD's eq. 4 reconstruction of the drawings, so the content
encoder keeps reading drawings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from numpy.typing import NDArray

from ..detail import N_DETAIL, detail_from_expression
from ..editing.batch import DETAILS
from ..editing.finetune import (
    Example,
    Progress,
    SheetTraining,
    check_label,
    sheet_batch,
    train_on_sheet,
)
from ..editing.sheet import tune_from_sheet
from ..errors import InputError
from ..expression import N_EXPRESSION
from .config import LossWeights
from .content import draw_contents
from .infer import TransferEditor
from .losses import Batch, generator_loss
from .model import TransferModel


@dataclass(frozen=True)
class TransferFinetuneConfig(SheetTraining):
    """Transfer-model fine-tuning settings (CLI flags map 1:1)."""

    steps: int = 200
    """Adam steps (each a batch of examples)."""
    batch: int = 4
    """Examples per step."""
    pair: float = 100.0
    """Paired L1 weight."""
    alpha_1: float = 10.0
    """METHOD eq. 4 (drawing rebuilt in the drawing style); keeps K_t reading drawings."""
    mask: float = 0.1
    """Mask sparsity weight."""
    mask_sup: float = 1.0
    """BCE of the mask against the change map (neutral vs labelled texture)."""

    def weights(self) -> LossWeights:
        return LossWeights(
            alpha_gan=0.0,
            alpha_1=self.alpha_1,
            alpha_2=0.0,
            alpha_style=0.0,
            alpha_content=0.0,
            pair=self.pair,
            mask=self.mask,
            mask_sup=self.mask_sup,
        )


def _label(label: NDArray[np.float32], k: int) -> NDArray[np.float32]:
    """8 expression values (read as the symmetric detail vector) or 11 detail values."""
    arr = np.asarray(label, np.float32)
    if arr.shape == (N_EXPRESSION,):
        try:
            return detail_from_expression(arr)
        except ValueError as exc:
            raise InputError(None, f"label of example {k}: {exc}") from exc
    if arr.shape == (N_DETAIL,):
        return check_label(DETAILS, arr, k)
    raise InputError(
        None,
        f"label of example {k}: needs {N_EXPRESSION} expression or {N_DETAIL} "
        f"detail values, got shape {arr.shape}",
    )


def finetune_transfer(
    editor: TransferEditor,
    neutral: NDArray[np.float32],
    examples: Sequence[Example],
    config: TransferFinetuneConfig | None = None,
    progress: Progress | None = None,
) -> TransferEditor:
    """Return a new editor adapted to this character (float32, on the editor's device)."""
    cfg = config or TransferFinetuneConfig()
    targets, labels = sheet_batch(editor, neutral, examples, _label)
    drawings = torch.from_numpy(draw_contents(labels, editor.resolution)).permute(0, 3, 1, 2)
    drawings = (drawings * 2.0 - 1.0).to(editor.device)
    ref = targets[:1].expand(cfg.batch, -1, -1, -1)
    w = cfg.weights()

    def loss(model: TransferModel, pick: NDArray[np.int64]) -> torch.Tensor:
        batch = Batch(drawings[pick], ref, targets[pick], drawings[:1])
        total, _, _ = generator_loss(model, batch, w)
        return total

    return train_on_sheet(
        editor,
        cfg,
        choices=targets.shape[0],
        salt=401,
        loss=loss,
        examples=len(examples),
        progress=progress,
    )


def finetune_transfer_from_sheet(
    sheet: Path,
    neutral: NDArray[np.float32],
    out_folder: Path,
    *,
    weights: Path | None = None,
    config: TransferFinetuneConfig | None = None,
    progress: Progress | None = None,
    device: str = "auto",
) -> Path:
    """Fine-tune the shipped (or given) transfer weights on an expression sheet (sheet.py) on
    ``device``; save beside the .blend; return the manifest."""
    return tune_from_sheet(
        TransferEditor.load,
        finetune_transfer,
        sheet,
        neutral,
        out_folder,
        weights=weights,
        config=config,
        progress=progress,
        device=device,
    )
