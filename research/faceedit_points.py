"""How the face editor's found feature points are framed, scored on held-out draws.

    .venv/bin/python research/faceedit_points.py --mode region context mirror [--seeds 1 2]

For every mode and seed, prints each family's change achieved, PSNR of the edit and mean
point error (eye distances) at ``--atlas`` (``faceedit_eval.evaluate_family``: 4 styles, 2
mixed targets). Modes: ``context`` is the product (``FaceEditor.locate_in_context``: the
region and two widened framings averaged); ``region`` the region alone; ``mirror`` the
region averaged with its mirror image, left and right swapped (not kept;
docs/history/face_editor.md).
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
import torch

from moodrig.core.appearance.editor import FaceEditor
from moodrig.weights_tools.faceedit_eval import evaluate_family
from moodrig.weights_tools.styles import FAMILY_NAMES

SWAPPED = [1, 0, 3, 2, 5, 4, 6]
"""Feature order after a left-right mirror (eye, brow and mouth corner pairs swap)."""

_CONTEXT = FaceEditor.locate_in_context


def _region(self: FaceEditor, texture: Any, rect: Any, points: Any, blocky: bool = False) -> Any:
    return points


def _mirror(self: FaceEditor, texture: Any, rect: Any, points: Any, blocky: bool = False) -> Any:
    crop = np.ascontiguousarray(texture[rect.slices][:, ::-1])
    flipped = self.locate(crop, blocky=blocky).points[SWAPPED].copy()
    flipped[:, 0] = rect.width - flipped[:, 0]
    return (points + flipped) / 2.0


MODES = {"context": _CONTEXT, "region": _region, "mirror": _mirror}


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
        FaceEditor.locate_in_context = MODES[mode]  # type: ignore[method-assign]
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
