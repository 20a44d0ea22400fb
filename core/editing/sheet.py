"""An artist's expression sheet for per-character fine-tuning, and the one call the add-on uses.

``labels.json``: a list of ``{"image": "smile.png", "expression": {"smile": 0.8, ...}}`` (names
from the expression vocabulary, missing entries 0) or ``{"image": ..., "vector": [8 floats]}``;
image paths are relative to the sheet. Every editor fine-tunes from the same sheet (the transfer
model reads each label as its symmetric detail vector).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol, TypeVar

import cv2
import numpy as np
from numpy.typing import NDArray

from ..errors import InputError
from ..expression import expression_vector
from .finetune import Example, Progress, SheetTraining

MIN_EXAMPLES, MAX_EXAMPLES = 3, 8


def read_texture(path: Path) -> NDArray[np.float32]:
    """PNG/JPEG/... → float32 RGB(A) in [0, 1], or InputError naming the file."""
    if not path.is_file():
        raise InputError(path, "image file not found")
    data = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if data is None or data.ndim not in (2, 3):
        raise InputError(path, "cannot be read as an image")
    scale = 65535.0 if data.dtype == np.uint16 else 255.0
    if data.ndim == 2:
        data = cv2.cvtColor(data, cv2.COLOR_GRAY2BGR)
    code = cv2.COLOR_BGRA2RGBA if data.shape[2] == 4 else cv2.COLOR_BGR2RGB
    out: NDArray[np.float32] = (
        cv2.cvtColor(data, code).astype(np.float32) / np.float32(scale)
    ).clip(0.0, 1.0)
    return out


def read_sheet(sheet: Path) -> list[Example]:
    try:
        entries = json.loads(sheet.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(sheet, f"cannot read the label sheet ({exc})") from exc
    if not isinstance(entries, list) or not entries:
        raise InputError(sheet, "the label sheet must be a non-empty JSON list")
    out: list[Example] = []
    for k, e in enumerate(entries):
        if not isinstance(e, dict) or "image" not in e:
            raise InputError(sheet, f"entry {k} needs an 'image' field")
        try:
            if "vector" in e:
                vec = np.asarray(e["vector"], dtype=np.float32)
                if vec.shape != (8,):
                    raise ValueError("'vector' must hold 8 numbers")
            else:
                values = e.get("expression", {})
                if not isinstance(values, Mapping):
                    raise ValueError("'expression' must be an object of name: value")
                vec = expression_vector(**{str(n): float(v) for n, v in values.items()})
        except (ValueError, TypeError) as exc:
            raise InputError(sheet, f"entry {k}: {exc}") from exc
        out.append((read_texture(sheet.parent / str(e["image"])), vec))
    return out


class TunedEditor(Protocol):
    """What fine-tuning from a sheet needs of an editor: its id and a way to save it."""

    @property
    def model_id(self) -> str: ...

    def save(
        self,
        folder: str | Path,
        stem: str | None = ...,
        *,
        training: dict[str, Any] | None = ...,
        extra: dict[str, Any] | None = ...,
    ) -> Path: ...


T = TypeVar("T", bound=TunedEditor)


def tune_from_sheet(
    load: Callable[[Path | None, str], T],
    tune: Callable[..., T],
    sheet: Path,
    neutral: NDArray[np.float32],
    out_folder: Path,
    *,
    weights: Path | None = None,
    config: SheetTraining | None = None,
    progress: Progress | None = None,
    device: str = "auto",
) -> Path:
    """Fine-tune ``load(weights, device)`` (weights None: the shipped ones) on ``sheet`` with
    ``tune(base, neutral, examples, config, progress)``; save beside the .blend; return the
    manifest."""
    examples = read_sheet(sheet)
    if not MIN_EXAMPLES <= len(examples) <= MAX_EXAMPLES:
        raise InputError(
            sheet, f"give {MIN_EXAMPLES} to {MAX_EXAMPLES} labelled textures (got {len(examples)})"
        )
    base = load(weights, device)
    tuned = tune(base, neutral, examples, config, progress)
    info: dict[str, Any] = {
        "sheet": str(sheet),
        "base_model_id": base.model_id,
        "examples": len(examples),
    }
    return tuned.save(out_folder, training=info, extra={"finetuned_from": base.model_id})
