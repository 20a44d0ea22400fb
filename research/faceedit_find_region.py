"""The face region found in whole atlases (``core.appearance.face_search``), against the true
one, on held-out draws of every family.

    .venv/bin/python research/faceedit_find_region.py [--atlas 1024] [--seed 1] [--negatives 20]

For each family (4 styles, faces of 30–60 % of the atlas side, 8 single expressions and 2 mixed
each, as in ``faceedit_eval``): how many faces were found, the found box's overlap with the true
face box (intersection over union), the search time, and the change achieved editing in the
found region and in the true one (points found by the locator in both). Then how many face-free
atlases (``styles.atlas_content``) a face was found in.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from moodrig.core.appearance.editor import FaceEditor
from moodrig.core.appearance.face_search import find_face_region, overlap
from moodrig.core.appearance.region import FaceRegion, PixelRect
from moodrig.core.errors import InputError
from moodrig.core.expression import N_EXPRESSION
from moodrig.weights_tools.faceedit_data import style_rng
from moodrig.weights_tools.faceedit_eval import targets
from moodrig.weights_tools.faceedit_metrics import score
from moodrig.weights_tools.styles import FAMILY_NAMES, atlas_content, get_family, synthesize_atlas


def _change(editor: FaceEditor, sample: object, region: FaceRegion, tg: np.ndarray) -> float:
    neutral = sample.images[0]  # type: ignore[attr-defined]
    rows = PixelRect(*sample.region_px).slices  # type: ignore[attr-defined]
    try:
        face = editor.prepare(neutral, region)
    except InputError:
        return float("nan")
    out = editor.edit(face, tg, np.zeros_like(tg))
    images = sample.images  # type: ignore[attr-defined]
    return float(
        np.mean([score(out[j], images[1 + j], neutral, rows).change for j in range(len(tg))])
    )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--atlas", type=int, default=1024)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--styles", type=int, default=4)
    p.add_argument("--negatives", type=int, default=20)
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    editor = FaceEditor.load(device="cpu")
    print("| family | found | overlap | search s | change, found region | change, true region |")
    print("|---|---|---|---|---|---|")
    for family in FAMILY_NAMES:
        fam = get_family(family)
        found = 0
        ious, secs, ch_found, ch_true = [], [], [], []
        for k in range(a.styles):
            rng = style_rng(family, "heldout", 10_000 + a.seed * 1000 + k)
            style = fam.random_style(rng)
            tg = targets(rng, 2)
            side = int(a.atlas * rng.uniform(0.3, 0.6))
            exprs = np.concatenate([np.zeros((1, N_EXPRESSION), np.float32), tg])
            sample = synthesize_atlas(
                rng, family, style, exprs, (a.atlas, a.atlas), face_size=(side, side)
            )
            t = time.perf_counter()
            hit = find_face_region(editor, sample.images[0])
            secs.append(time.perf_counter() - t)
            ch_true.append(_change(editor, sample, FaceRegion(*sample.region_uv), tg))
            if hit is None:
                continue
            found += 1
            ious.append(overlap(hit.rect, PixelRect(*sample.region_px)))
            ch_found.append(_change(editor, sample, hit.region, tg))
        print(
            f"| {family} | {found} of {a.styles} | {np.mean(ious):.2f} | {np.mean(secs):.1f} | "
            f"{np.nanmean(ch_found):+.3f} | {np.nanmean(ch_true):+.3f} |",
            flush=True,
        )
    rng = np.random.default_rng([a.seed, 404])
    false = 0
    for _ in range(a.negatives):
        img = atlas_content(rng, a.atlas, a.atlas, tuple(rng.uniform(0.3, 0.95, 3)))
        false += find_face_region(editor, img.astype(np.float32)) is not None
    print(f"\nface-free atlases with a face found: {false} of {a.negatives}")


if __name__ == "__main__":
    main()
