"""The face region found in whole atlases (``core.appearance.face_search``), against the true
one, on held-out draws of every family.

    .venv/bin/python research/faceedit_find_region.py [--atlas 1024] [--seed 1] [--negatives 20]
        [--turned]

For each family (4 styles, faces of 30–60 % of the atlas side, 8 single expressions and 2 mixed
each, as in ``faceedit_eval``): how many faces were found, the found box's overlap with the true
face box (intersection over union), the search time, and the change achieved editing in the
found region (in the turn the search found the face in, as ``edit_face(region_uv="auto")``
does) and in the true one (points found by the locator in both; the turn from the picture).
Then how many face-free atlases (``styles.atlas_content``) a face was found in.
``--turned``: every atlas (face-free ones too) turned by a quarter turn, half, three quarters,
by turns, as a UV packer turns a face island.
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np
import torch

from moodrig.core.appearance.editor import FaceEditor
from moodrig.core.appearance.face_search import find_face_region, overlap
from moodrig.core.appearance.orientation import Orientation
from moodrig.core.appearance.region import FaceRegion, PixelRect
from moodrig.core.appearance.turns import turn_points
from moodrig.core.errors import InputError
from moodrig.core.expression import N_EXPRESSION
from moodrig.weights_tools.faceedit_data import style_rng
from moodrig.weights_tools.faceedit_eval import targets
from moodrig.weights_tools.faceedit_metrics import score
from moodrig.weights_tools.styles import FAMILY_NAMES, atlas_content, get_family, synthesize_atlas


def _change(
    editor: FaceEditor,
    sample: object,
    region: FaceRegion,
    tg: np.ndarray,
    orientation: Orientation | None = None,
) -> float:
    neutral = sample.images[0]  # type: ignore[attr-defined]
    rows = PixelRect(*sample.region_px).slices  # type: ignore[attr-defined]
    try:
        face = editor.prepare(neutral, region, orientation=orientation)
    except InputError:
        return float("nan")
    out = editor.edit(face, tg, np.zeros_like(tg))
    images = sample.images  # type: ignore[attr-defined]
    return float(
        np.mean([score(out[j], images[1 + j], neutral, rows).change for j in range(len(tg))])
    )


def _turned(sample: object, turns: int) -> object:
    """``sample`` with its images and face region turned by ``turns`` quarter turns."""
    images = sample.images  # type: ignore[attr-defined]
    height, width = images[0].shape[:2]
    x0, y0, x1, y1 = sample.region_px  # type: ignore[attr-defined]
    corners = turn_points(np.array([[x0, y0], [x1, y1]], float), turns, width, height)
    (a0, b0), (a1, b1) = np.rint(corners.min(axis=0)), np.rint(corners.max(axis=0))
    rect = PixelRect(int(a0), int(b0), int(a1), int(b1))
    turned = tuple(np.ascontiguousarray(np.rot90(img, turns)) for img in images)
    tw, th = turned[0].shape[1], turned[0].shape[0]
    return dataclasses.replace(
        sample,  # type: ignore[type-var]
        images=turned,
        region_px=(rect.x0, rect.y0, rect.x1, rect.y1),
        region_uv=FaceRegion.from_pixels(rect, tw, th).as_tuple(),
    )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--atlas", type=int, default=1024)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--styles", type=int, default=4)
    p.add_argument("--negatives", type=int, default=20)
    p.add_argument("--turned", action="store_true", help="turn every atlas by quarter turns")
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
            if a.turned:
                sample = _turned(sample, 1 + k % 3)
            t = time.perf_counter()
            hit = find_face_region(editor, sample.images[0])
            secs.append(time.perf_counter() - t)
            ch_true.append(_change(editor, sample, FaceRegion(*sample.region_uv), tg))
            if hit is None:
                continue
            found += 1
            ious.append(overlap(hit.rect, PixelRect(*sample.region_px)))
            ch_found.append(_change(editor, sample, hit.region, tg, hit.orientation))
        print(
            f"| {family} | {found} of {a.styles} | {np.mean(ious):.2f} | {np.mean(secs):.1f} | "
            f"{np.nanmean(ch_found):+.3f} | {np.nanmean(ch_true):+.3f} |",
            flush=True,
        )
    rng = np.random.default_rng([a.seed, 404])
    false = 0
    for n in range(a.negatives):
        img = atlas_content(rng, a.atlas, a.atlas, tuple(rng.uniform(0.3, 0.95, 3)))
        if a.turned:
            img = np.rot90(img, 1 + n % 3)
        false += find_face_region(editor, img.astype(np.float32)) is not None
    print(f"\nface-free atlases with a face found: {false} of {a.negatives}")


if __name__ == "__main__":
    main()
