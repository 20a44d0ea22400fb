"""Per-character fine-tuning of the face editor from the artist's expression sheet.

The sheet (``core/editing/sheet.py``) gives the character's neutral texture and K (3–8)
labelled expression textures, all at the texture's own size and with the face in the same
region. Every ordered pair (i, j) of the K + 1 images is an exact example "edit image i,
which shows expression i, to expression j". The loss is the editor's training loss, computed
where the user looks: the fields are applied to the region at the sheet's own resolution
(``fields.render``, the code the bake runs) and compared with image j there, plus the mask
terms. Pixel art is compared on its art pixels, rendered smoothly so that the flow has a
gradient; the bake then renders it block by block. The generator trains in float32 on the
editor's device with BatchNorm statistics frozen; the locator is not trained. The result is
a new editor; the shipped weights are never touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray

from ..editing.finetune import Example, Progress, SheetTraining, check_label, tune_network
from ..editing.losses import changed_map, weighted_l1
from ..editing.sheet import tune_from_sheet
from ..errors import InputError
from .align import FaceFrame, canonical_crop
from .editor import FaceEditor, PreparedFace, check_texture
from .fields import render
from .model import condition
from .orientation import Orientation
from .pixelart import to_art_pixels
from .region import FaceRegion
from .weights_io import EDITOR_WEIGHTS

CHANGED_WEIGHT = 10.0
"""Per-pixel L1 weight 1 + CHANGED_WEIGHT·changed (as in training)."""
MASK_WEIGHT = 0.05
MASK_SUPERVISION = 1.0


def _sheet(
    editor: FaceEditor, face: PreparedFace, examples: Sequence[Example]
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(region RGB (K+1, 3, h, w), canonical crops (K+1, 4, R, R) in [-1, 1], labels (K+1, 8)).

    The RGB is what the edit is applied to: the region's art pixels for pixel art (the model
    still reads the region as the artist sees it, as in :meth:`FaceEditor.prepare`)."""
    if len(examples) < 1:
        raise InputError(
            None,
            "fine-tuning needs at least one labelled expression texture besides the neutral one",
        )
    rows, cols = face.rect.slices
    works, inputs, labels = (
        [face.work],
        [face.model_input[0]],
        [np.zeros(8, np.float32)],
    )
    frame = FaceFrame.from_features(face.features.points)  # the region's own frame
    for k, (tex, label) in enumerate(examples):
        check_texture(tex)
        if tex.shape != face.texture.shape:
            raise InputError(
                None,
                f"sheet texture {k} is {tex.shape[1]}×{tex.shape[0]}, the neutral texture "
                f"{face.texture.shape[1]}×{face.texture.shape[0]}: paint the sheet at one size",
            )
        crop = tex[rows, cols]
        works.append(crop if face.grid is None else np.asarray(to_art_pixels(crop, face.grid)))
        rgba = (
            crop
            if crop.shape[2] == 4
            else np.concatenate([crop, np.ones((*crop.shape[:2], 1), np.float32)], 2)
        )
        inputs.append(
            torch.from_numpy(canonical_crop(rgba, frame, editor.resolution)).permute(2, 0, 1) * 2
            - 1
        )
        labels.append(check_label(EDITOR_WEIGHTS.vocabulary, label, k))
    rgb = torch.from_numpy(np.stack([w[..., :3] for w in works])).permute(0, 3, 1, 2).contiguous()
    return rgb, torch.stack(inputs), torch.from_numpy(np.stack(labels))


def finetune_face(
    editor: FaceEditor,
    neutral: NDArray[np.float32],
    examples: Sequence[Example],
    *,
    region: FaceRegion | None = None,
    features: Any = None,
    orientation: Orientation | None = None,
    config: SheetTraining | None = None,
    progress: Progress | None = None,
) -> FaceEditor:
    """A new editor adapted to this character (on ``editor``'s device)."""
    cfg = config or SheetTraining()
    face = editor.prepare(neutral, region, features, orientation)
    rgb, x, a = _sheet(editor, face, examples)
    dev = editor.device
    rgb, x, a = rgb.to(dev), x.to(dev), a.to(dev)
    n = rgb.shape[0]
    pairs = np.array([(i, j) for i in range(n) for j in range(n)], dtype=np.int64)
    m = np.vstack([face.frame.matrix, [0.0, 0.0, 1.0]])
    to_px = torch.tensor(face.frame.matrix, dtype=torch.float32, device=dev)[None]
    to_c = torch.tensor(np.linalg.inv(m)[:2], dtype=torch.float32, device=dev)[None]
    points = face.canonical_points.to(dev)

    def loss(model: torch.nn.Module, chosen: NDArray[np.int64]) -> torch.Tensor:
        pick = pairs[chosen]
        src, tgt = pick[:, 0], pick[:, 1]
        b = len(pick)
        cond = condition(a[tgt], a[src], points.expand(b, -1, -1))
        f = model(x[src], cond)
        out, mask = render(rgb[src], to_c.expand(b, -1, -1), to_px.expand(b, -1, -1), f)
        changed = changed_map(rgb[src], rgb[tgt])
        value = 50.0 * weighted_l1(out, rgb[tgt], 1.0 + CHANGED_WEIGHT * changed)
        return (
            value
            + MASK_WEIGHT * mask.mean()
            + MASK_SUPERVISION
            * F.binary_cross_entropy(
                mask.clamp(1e-6, 1 - 1e-6), changed, weight=1.0 + 4.0 * changed
            )
        )

    net, seconds = tune_network(
        editor.generator, dev, cfg, choices=len(pairs), salt=21, loss=loss, progress=progress
    )
    EDITOR_WEIGHTS.storage_round_trip(net)
    manifest: dict[str, Any] = {
        **editor.manifest,
        "finetuned_from": editor.model_id,
        "finetune": {**asdict(cfg), "examples": len(examples), "seconds": round(seconds, 1)},
    }
    return FaceEditor.from_modules(net, editor.locator, manifest, device=str(dev.type))


def finetune_face_from_sheet(
    sheet: Path,
    neutral: NDArray[np.float32],
    out_folder: Path,
    *,
    region: FaceRegion | None = None,
    features: Any = None,
    orientation: Orientation | None = None,
    weights: Path | None = None,
    config: SheetTraining | None = None,
    progress: Progress | None = None,
    device: str = "auto",
) -> Path:
    """Fine-tune the shipped (or given) face editor on ``sheet`` (``editing/sheet.py``) for the
    face in ``region`` (its ``features`` points, or found by the locator, looking at the face
    in ``orientation`` when the mesh tells it); save beside the .blend; return the manifest."""

    def load(manifest: Path | None, dev: str) -> FaceEditor:
        return FaceEditor.load(manifest_path=manifest, device=dev)

    def tune(
        editor: FaceEditor,
        base: NDArray[np.float32],
        examples: Sequence[Example],
        cfg: SheetTraining | None,
        report: Progress | None,
    ) -> FaceEditor:
        return finetune_face(
            editor,
            base,
            examples,
            region=region,
            features=features,
            orientation=orientation,
            config=cfg,
            progress=report,
        )

    return tune_from_sheet(
        load,
        tune,
        sheet,
        neutral,
        out_folder,
        weights=weights,
        config=config,
        progress=progress,
        device=device,
    )
