"""The face editor on faces leaning in their atlas (an island packed at an angle, a face
painted askew): per family and angle, the mean change achieved and the faces refused, with the
lean found from the picture or told (as the add-on reads it from the mesh).

    .venv/bin/python research/faceedit_leaning.py --atlas 1024 [--told]

The draws are the report's (seed 0): 4 held-out styles per family, the 8 single expressions
and 2 mixed ones each (``faceedit_eval.targets``). The atlas and every truth are turned about
the face's centre by the same angle (bilinear), the region is the box round the turned face,
and each edit is scored against the turned truth. Pixel art is left out by default: turned
with smoothing it is no longer pixel art.
"""

from __future__ import annotations

import argparse
import math
import warnings

import cv2
import numpy as np
import torch

from moodrig.core.appearance.editor import FaceEditor
from moodrig.core.appearance.orientation import Orientation
from moodrig.core.appearance.region import FaceRegion, PixelRect
from moodrig.core.errors import InputError
from moodrig.core.expression import N_EXPRESSION
from moodrig.weights_tools.faceedit_data import style_rng
from moodrig.weights_tools.faceedit_eval import targets
from moodrig.weights_tools.faceedit_metrics import score
from moodrig.weights_tools.styles import get_family, synthesize_atlas


def turned_box(rect: PixelRect, m: np.ndarray, width: int, height: int) -> PixelRect:
    """The pixel box round ``rect`` turned by the (2, 3) map ``m``, inside the image."""
    x0, y0, x1, y1 = rect.x0, rect.y0, rect.x1, rect.y1
    corners = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]], float) @ m.T
    lo = np.floor(corners.min(axis=0)).astype(int)
    hi = np.ceil(corners.max(axis=0)).astype(int)
    return PixelRect(
        max(0, int(lo[0])), max(0, int(lo[1])), min(width, int(hi[0])), min(height, int(hi[1]))
    )


def family_row(
    editor: FaceEditor, family: str, atlas: int, angles: list[float], told: bool, styles: int = 4
) -> list[tuple[int, float]]:
    """Per angle (degrees counter-clockwise): (faces refused, mean change of the rest's edits)."""
    changes: list[list[float]] = [[] for _ in angles]
    refused = [0] * len(angles)
    for k in range(styles):
        rng = style_rng(family, "heldout", 10_000 + k)
        style = get_family(family).random_style(rng)
        tg = targets(rng, 2)
        side = int(atlas * rng.uniform(0.3, 0.6))
        exprs = np.concatenate([np.zeros((1, N_EXPRESSION), np.float32), tg])
        sample = synthesize_atlas(rng, family, style, exprs, (atlas, atlas), face_size=(side, side))
        x0, y0, x1, y1 = sample.region_px
        for i, angle in enumerate(angles):
            m = cv2.getRotationMatrix2D(((x0 + x1) / 2, (y0 + y1) / 2), angle, 1.0)
            images = [
                np.asarray(
                    cv2.warpAffine(im, m, (atlas, atlas), borderMode=cv2.BORDER_REFLECT),
                    np.float32,
                )
                for im in sample.images
            ]
            rect = turned_box(PixelRect(x0, y0, x1, y1), m, atlas, atlas)
            lies = Orientation(0, False, -angle) if told and angle else None
            try:
                face = editor.prepare(
                    images[0], FaceRegion.from_pixels(rect, atlas, atlas), None, lies
                )
            except InputError:
                refused[i] += 1
                continue
            out = editor.edit(face, tg, np.zeros_like(tg))
            for j in range(len(tg)):
                s = score(out[j], images[1 + j], images[0], rect.slices)
                if not math.isnan(s.change):
                    changes[i].append(s.change)
    return [(refused[i], float(np.mean(c)) if c else math.nan) for i, c in enumerate(changes)]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--atlas", type=int, default=1024)
    p.add_argument("--angles", type=float, nargs="+", default=[0, 10, 20, 30, 45])
    p.add_argument("--families", nargs="+", default=["painter", "anime", "flat", "painterly"])
    p.add_argument("--told", action="store_true", help="tell the editor the lean")
    args = p.parse_args()
    warnings.simplefilter("ignore")
    torch.set_num_threads(2)
    editor = FaceEditor.load(device="cpu")
    print(f"lean {'told' if args.told else 'found from the picture'}")
    print("| family | " + " | ".join(f"{a:g}°" for a in args.angles) + " |")
    print("|---|" + "---|" * len(args.angles))
    for family in args.families:
        row = family_row(editor, family, args.atlas, args.angles, args.told)
        cells = [f"{c:+.3f} ({n} refused)" for n, c in row]
        print(f"| {family} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
