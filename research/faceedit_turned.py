"""The face editor on faces turned or mirrored in their atlas (as UV packers lay islands): per
family and layout, how many faces were refused and the change achieved on the rest, with the
layout found from the picture or told (as the add-on reads it from the mesh).

    .venv/bin/python research/faceedit_turned.py --seeds 0 1 2 --atlas 1024
    .venv/bin/python research/faceedit_turned.py --seeds 0 --mirrored --told

The draws are the report's (seed 0) and the selection's (seeds 1, 2): 4 held-out styles per
family, the 8 single expressions and 2 mixed ones each (``faceedit_eval.targets``). The laid
atlas is the upright one turned by quarter turns (and flipped first when mirrored), its region
the laid rectangle; each edit is looked at upright again and scored against the upright truth.
"""

from __future__ import annotations

import argparse
import math
import warnings

import numpy as np
import torch
from numpy.typing import NDArray

from moodrig.core.appearance.editor import FaceEditor
from moodrig.core.appearance.orientation import Orientation
from moodrig.core.appearance.region import FaceRegion
from moodrig.core.errors import InputError
from moodrig.core.expression import N_EXPRESSION
from moodrig.weights_tools.faceedit_data import style_rng
from moodrig.weights_tools.faceedit_eval import targets
from moodrig.weights_tools.faceedit_metrics import score
from moodrig.weights_tools.styles import FAMILIES, get_family, synthesize_atlas


def lay(image: NDArray[np.generic], lies: Orientation) -> NDArray[np.generic]:
    """The atlas in which ``image`` (upright) lies as ``lies`` says: ``lies.view`` undone."""
    flipped = image[:, ::-1] if lies.mirrored else image
    return np.ascontiguousarray(np.rot90(flipped, -lies.turns))


def laid_region(box: NDArray[np.bool_], lies: Orientation) -> FaceRegion:
    """The UV rectangle of the region ``box`` (a mask of the upright atlas) once laid."""
    inside = lay(box, lies)
    height, width = inside.shape
    rows, cols = np.flatnonzero(inside.any(1)), np.flatnonzero(inside.any(0))
    return FaceRegion(
        cols[0] / width, 1 - (rows[-1] + 1) / height, (cols[-1] + 1) / width, 1 - rows[0] / height
    )


def family_row(
    editor: FaceEditor,
    family: str,
    atlas: int,
    seed: int,
    layouts: list[Orientation],
    told: bool,
    styles: int = 4,
) -> list[tuple[int, float]]:
    """Per layout: (faces refused, mean change achieved of the rest's edits)."""
    fam = get_family(family)
    changes: list[list[float]] = [[] for _ in layouts]
    refused = [0] * len(layouts)
    for k in range(styles):
        rng = style_rng(family, "heldout", 10_000 + seed * 1000 + k)
        style = fam.random_style(rng)
        tg = targets(rng, 2)
        side = int(atlas * rng.uniform(0.3, 0.6))
        exprs = np.concatenate([np.zeros((1, N_EXPRESSION), np.float32), tg])
        sample = synthesize_atlas(rng, family, style, exprs, (atlas, atlas), face_size=(side, side))
        x0, y0, x1, y1 = sample.region_px
        box = np.zeros(sample.images[0].shape[:2], bool)
        box[y0:y1, x0:x1] = True
        for i, lies in enumerate(layouts):
            image = lay(sample.images[0], lies)
            try:
                face = editor.prepare(image, laid_region(box, lies), None, lies if told else None)
            except InputError:
                refused[i] += 1
                continue
            out = editor.edit(face, tg, np.zeros_like(tg))
            for j in range(len(tg)):
                back = np.ascontiguousarray(lies.view(out[j]))
                s = score(
                    back, sample.images[1 + j], sample.images[0], (slice(y0, y1), slice(x0, x1))
                )
                if not math.isnan(s.change):
                    changes[i].append(s.change)
    return [(refused[i], float(np.mean(c)) if c else math.nan) for i, c in enumerate(changes)]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--atlas", type=int, default=1024)
    p.add_argument("--families", nargs="+", default=list(FAMILIES))
    p.add_argument("--mirrored", action="store_true", help="the mirrored layouts too")
    p.add_argument("--told", action="store_true", help="tell the editor the layout")
    args = p.parse_args()
    warnings.simplefilter("ignore")
    torch.set_num_threads(2)
    editor = FaceEditor.load(device="cpu")
    layouts = [Orientation(t, m) for m in (False, True)[: 1 + args.mirrored] for t in range(4)]
    print(f"layout {'told' if args.told else 'found from the picture'}")
    print("| seed | family | " + " | ".join(o.describe() for o in layouts) + " |")
    print("|---|---|" + "---|" * len(layouts))
    for seed in args.seeds:
        for family in args.families:
            row = family_row(editor, family, args.atlas, seed, layouts, args.told)
            cells = [f"{c:+.3f} ({n} refused)" for n, c in row]
            print(f"| {seed} | {family} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
