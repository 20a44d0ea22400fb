"""The face editor on faces turned in their atlas by quarter turns (as UV packers turn
islands): per family and turn, how many faces were refused and the change achieved on the
rest, beside the same faces upright.

    .venv/bin/python research/faceedit_turned.py --seeds 0 1 2 --atlas 1024

The draws are the report's (seed 0) and the selection's (seeds 1, 2): 4 held-out styles per
family, the 8 single expressions and 2 mixed ones each (``faceedit_eval.targets``). The
turned atlas is ``np.rot90`` of the upright one, its region the turned rectangle, and each
edit is turned back and scored against the upright truth.
"""

from __future__ import annotations

import argparse
import math
import warnings

import numpy as np
import torch
from numpy.typing import NDArray

from moodrig.core.appearance.editor import FaceEditor
from moodrig.core.appearance.region import FaceRegion, PixelRect
from moodrig.core.errors import InputError
from moodrig.core.expression import N_EXPRESSION
from moodrig.weights_tools.faceedit_data import style_rng
from moodrig.weights_tools.faceedit_eval import targets
from moodrig.weights_tools.faceedit_metrics import score
from moodrig.weights_tools.styles import FAMILIES, get_family, synthesize_atlas


def turned_rect(rect: PixelRect, turns: int, width: int, height: int) -> PixelRect:
    """The pixels of ``rect`` in ``np.rot90(image, turns)`` of a ``width`` × ``height`` image."""
    corners = np.array([[rect.x0, rect.y0], [rect.x1, rect.y1]], dtype=np.float64)
    w = width
    for _ in range(turns % 4):  # one counter-clockwise turn: (x, y) → (y, w - x)
        corners = np.stack([corners[:, 1], w - corners[:, 0]], axis=1)
        w = height if w == width else width
    x0, y0 = corners.min(axis=0)
    x1, y1 = corners.max(axis=0)
    return PixelRect(int(x0), int(y0), int(x1), int(y1))


def family_row(
    editor: FaceEditor, family: str, atlas: int, seed: int, styles: int = 4
) -> dict[int, tuple[int, float]]:
    """Turns (0–3) → (faces refused, mean change achieved of the rest's edits)."""
    fam = get_family(family)
    changes: dict[int, list[float]] = {k: [] for k in range(4)}
    refused = dict.fromkeys(range(4), 0)
    for k in range(styles):
        rng = style_rng(family, "heldout", 10_000 + seed * 1000 + k)
        style = fam.random_style(rng)
        tg = targets(rng, 2)
        side = int(atlas * rng.uniform(0.3, 0.6))
        exprs = np.concatenate([np.zeros((1, N_EXPRESSION), np.float32), tg])
        sample = synthesize_atlas(rng, family, style, exprs, (atlas, atlas), face_size=(side, side))
        x0, y0, x1, y1 = sample.region_px
        height, width = sample.images[0].shape[:2]
        for turns in range(4):
            image: NDArray[np.float32] = np.ascontiguousarray(np.rot90(sample.images[0], turns))
            rect = turned_rect(PixelRect(x0, y0, x1, y1), turns, width, height)
            region = FaceRegion.from_pixels(rect, image.shape[1], image.shape[0])
            try:
                face = editor.prepare(image, region)
            except InputError:
                refused[turns] += 1
                continue
            out = editor.edit(face, tg, np.zeros_like(tg))
            for j in range(len(tg)):
                back = np.ascontiguousarray(np.rot90(out[j], -turns))
                s = score(
                    back, sample.images[1 + j], sample.images[0], (slice(y0, y1), slice(x0, x1))
                )
                if not math.isnan(s.change):
                    changes[turns].append(s.change)
    return {
        t: (refused[t], float(np.mean(changes[t])) if changes[t] else math.nan) for t in range(4)
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--atlas", type=int, default=1024)
    p.add_argument("--families", nargs="+", default=list(FAMILIES))
    args = p.parse_args()
    warnings.simplefilter("ignore")
    torch.set_num_threads(2)
    editor = FaceEditor.load(device="cpu")
    print("| seed | family | upright | 90° | 180° | 270° |")
    print("|---|---|---|---|---|---|")
    for seed in args.seeds:
        for family in args.families:
            row = family_row(editor, family, args.atlas, seed)
            cells = [f"{row[t][1]:+.3f} ({row[t][0]} refused)" for t in range(4)]
            print(f"| {seed} | {family} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
