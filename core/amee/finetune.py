"""AMEE-GAN's per-character fine-tuning (the loop: core/editing/finetune.py).

Every ordered pair (i, j) of the sheet's K + 1 images (the neutral texture and the labelled
ones) is a supervised example "repaint image i to expression j" with ground truth image j. The
generator is trained on them with the paired losses of training (no discriminator: the labels
are exact): the L1 of the final and of the intermediate image, weighted toward the pixels the
edit must change, and the mask terms. Weights with the source input
(``AmeeConfig.source_input``) are told each pair's source expression: the sheet's labels are
exact, and the add-on edits the known neutral texture.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray

from ..editing.finetune import Example, Progress, SheetTraining, sheet_batch, train_on_sheet
from ..editing.losses import changed_map, compose, weighted_l1
from ..editing.sheet import tune_from_sheet
from .infer import AmeeEditor
from .model import Generator


@dataclass(frozen=True)
class FinetuneConfig(SheetTraining):
    """AMEE-GAN fine-tuning settings (CLI flags map 1:1)."""

    lambda_rec: float = 100.0
    """Paired L1 weight of the final image (images in [-1, 1])."""
    lambda_int: float = 50.0
    """Paired L1 weight of the intermediate image I_m (as in training)."""
    changed_weight: float = 10.0
    """Per-pixel L1 weights 1 + changed_weight·changed (as in training; 0: plain mean)."""
    lambda_mask: float = 0.1
    """Mask sparsity weight (mean of M)."""
    lambda_mask_sup: float = 1.0
    """BCE of M against the change map between the pair's two images."""
    mask_pos_weight: float = 5.0
    """Weight of the changed pixels in the mask BCE (as in training)."""


def finetune(
    editor: AmeeEditor,
    neutral: NDArray[np.float32],
    examples: Sequence[Example],
    config: FinetuneConfig | None = None,
    progress: Progress | None = None,
) -> AmeeEditor:
    """Return a new editor adapted to this character (float32, on the editor's device)."""
    cfg = config or FinetuneConfig()
    x, labels = sheet_batch(editor, neutral, examples)
    a = torch.from_numpy(labels).to(editor.device)
    n = x.shape[0]
    pairs = np.array([(i, j) for i in range(n) for j in range(n)], dtype=np.int64)

    def loss(gen: Generator, pick: NDArray[np.int64]) -> torch.Tensor:
        i, j = pairs[pick, 0], pairs[pick, 1]
        src, tgt = x[i], x[j]
        image, mask = gen(src, a[j], a[i])  # the sheet's labels: source known
        final = compose(src, image, mask)
        changed = changed_map(src, tgt)
        w = 1.0 + cfg.changed_weight * changed
        total = cfg.lambda_rec * weighted_l1(final, tgt, w)
        if editor.config.use_mask:
            total = total + cfg.lambda_int * weighted_l1(image, tgt, w)
            total = total + cfg.lambda_mask * mask.mean()
            weight = 1.0 + (cfg.mask_pos_weight - 1.0) * changed
            total = total + cfg.lambda_mask_sup * F.binary_cross_entropy(
                mask.clamp(1e-6, 1 - 1e-6), changed, weight=weight
            )
        return total

    return train_on_sheet(
        editor,
        cfg,
        choices=len(pairs),
        salt=400,
        loss=loss,
        examples=len(examples),
        progress=progress,
    )


def finetune_from_sheet(
    sheet: Path,
    neutral: NDArray[np.float32],
    out_folder: Path,
    *,
    weights: Path | None = None,
    config: FinetuneConfig | None = None,
    progress: Progress | None = None,
    device: str = "auto",
) -> Path:
    """Fine-tune the shipped (or given) weights on ``sheet`` (sheet.py) on ``device``; save
    beside the .blend; return the manifest."""
    return tune_from_sheet(
        AmeeEditor.load,
        finetune,
        sheet,
        neutral,
        out_folder,
        weights=weights,
        config=config,
        progress=progress,
        device=device,
    )
