"""How the face editor's found feature points are framed, scored on held-out draws.

    .venv/bin/python research/faceedit_points.py --mode region context mirror [--seeds 1 2]

For every mode and seed, prints each family's change achieved, PSNR of the edit and mean
point error (eye distances) at ``--atlas`` (``faceedit_eval.evaluate_family``: 4 styles, 2
mixed targets). Modes: ``context`` is the product (``FaceEditor.framings``: the region and
two widened framings averaged); ``region`` the region alone; ``mirror`` the
region averaged with its mirror image, left and right swapped; ``refine`` the product's points
averaged with a second look at square framings of the face placed from those points (a
similarity fit to the families' mean points, margins of 12, 24 and 36 % of the face, the
middle of what the locator learnt). ``mirror`` and ``refine`` were not kept
(docs/history/face_editor.md).
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
import torch

from moodrig.core.appearance.editor import FaceEditor
from moodrig.core.appearance.region import PixelRect
from moodrig.weights_tools.faceedit_eval import evaluate_family
from moodrig.weights_tools.styles import FAMILY_NAMES

SWAPPED = [1, 0, 3, 2, 5, 4, 6]
"""Feature order after a left-right mirror (eye, brow and mouth corner pairs swap)."""

_FRAMINGS = FaceEditor.framings


def _context(self: FaceEditor, texture: Any, rect: Any, points: Any, blocky: bool = False) -> Any:
    return np.mean(_FRAMINGS(self, texture, rect, points, blocky), axis=0)


def _region(self: FaceEditor, texture: Any, rect: Any, points: Any, blocky: bool = False) -> Any:
    return points


def _mirror(self: FaceEditor, texture: Any, rect: Any, points: Any, blocky: bool = False) -> Any:
    crop = np.ascontiguousarray(texture[rect.slices][:, ::-1])
    flipped = self.locate(crop, blocky=blocky).points[SWAPPED].copy()
    flipped[:, 0] = rect.width - flipped[:, 0]
    return (points + flipped) / 2.0


MEAN_POINTS = np.array(
    [
        [0.338, 0.49],
        [0.662, 0.49],
        [0.324, 0.359],
        [0.676, 0.359],
        [0.408, 0.756],
        [0.592, 0.756],
        [0.5, 0.758],
    ]
)
"""The five families' mean feature points in their face square (training cache, 1000 styles
each), the frame a second look is placed by."""

REFINE_MARGINS = (0.12, 0.24, 0.36)


def _refine(self: FaceEditor, texture: Any, rect: Any, points: Any, blocky: bool = False) -> Any:
    first = _context(self, texture, rect, points, blocky)
    found = first + np.array([rect.x0, rect.y0])
    canon = MEAN_POINTS - MEAN_POINTS.mean(axis=0)
    side = float(((found - found.mean(axis=0)) * canon).sum() / (canon * canon).sum())
    corner = found.mean(axis=0) - side * MEAN_POINTS.mean(axis=0)
    height, width = texture.shape[:2]
    looks = []
    for m in REFINE_MARGINS:
        (x0, y0), (x1, y1) = np.rint(corner - m * side), np.rint(corner + (1 + m) * side)
        box = PixelRect(max(0, int(x0)), max(0, int(y0)), min(width, int(x1)), min(height, int(y1)))
        if box.width >= 8 and box.height >= 8:
            seen = self.locate(texture[box.slices], blocky=blocky).points
            looks.append(seen + np.array([box.x0 - rect.x0, box.y0 - rect.y0]))
    return (first + np.mean(looks, axis=0)) / 2.0 if looks else first


MODES = {"context": _context, "region": _region, "mirror": _mirror, "refine": _refine}


def _as_framings(mode: Any) -> Any:
    """A mode's points as the editor's one framing (so the upright view is taken as found)."""

    def framings(
        self: FaceEditor, texture: Any, rect: Any, points: Any, blocky: bool = False, turns: int = 0
    ) -> Any:
        if turns:
            return _FRAMINGS(self, texture, rect, points, blocky, turns)
        return [mode(self, texture, rect, points, blocky)]

    return framings


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mode", nargs="+", choices=sorted(MODES), default=["region", "context"])
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    p.add_argument("--atlas", type=int, default=1024)
    p.add_argument("--families", nargs="+", default=list(FAMILY_NAMES))
    a = p.parse_args(argv)
    torch.set_num_threads(2)
    editor = FaceEditor.load()
    for mode in a.mode:
        FaceEditor.framings = _as_framings(MODES[mode])  # type: ignore[method-assign]
        for seed in a.seeds:
            for family in a.families:
                r = evaluate_family(editor, family, a.atlas, 4, 2, seed)
                print(
                    f"{mode:8s} seed {seed} {family:10s} change {r.change:+.3f} "
                    f"PSNR {r.psnr_edit:.2f} dB point error {r.point_error:.3f} "
                    f"refused {r.refused}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
