"""Where an AMEE-GAN export's expression error is: bias per entry, mask softness, hard-mask MAE.

    python -m moodrig.weights_tools.amee_diagnose \\
        --weights runs/amee/full_stage5/export/amee_gan_step003000.manifest.json

On the held-out pairs of ``amee_eval`` (same styles, same pairs, same independent regressor):
per entry, the signed error on strong targets (> 0.5) of the output and of the painter's
ground truth, and what the regressor reads where the target is 0 (in all such pairs, and in
those whose source shows the entry above 0.3, so the edit must remove it); the share of mask pixels
(M > 0.01) that are soft (0.1 < M < 0.9); and the expression MAE when the same generator
outputs are composited through a hard mask (M > 0.5) or through none (M = 1). A diagnosis,
not a recipe: the shipped composite is the trained soft mask. Weights with the source input
are told each pair's source expression unless ``--source unknown``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from moodrig.core.amee.weights_io import AMEE_WEIGHTS
from moodrig.core.editing.losses import compose
from moodrig.core.expression import EXPRESSION_NAMES

from .amee_eval import eval_pairs, heldout_set
from .regressor import EXPRESSION_REGRESSOR, Reader


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Diagnose an AMEE-GAN export's expression error.")
    p.add_argument("--weights", type=Path, required=True, help="generator manifest")
    p.add_argument("--regressor", type=Path, default=EXPRESSION_REGRESSOR)
    p.add_argument("--styles", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--split",
        choices=("eval", "train"),
        default="eval",
        help="painter split of the styles: eval = held out; "
        "train = the first training styles (generalisation gap)",
    )
    p.add_argument(
        "--source",
        choices=("given", "unknown"),
        default="given",
        help="tell weights with the source input each pair's source expression, or not",
    )
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    gen, _ = AMEE_WEIGHTS.load(a.weights)
    reg = Reader(a.regressor)
    pairs = eval_pairs(8)
    masks = {
        "soft (as trained)": lambda m: m,
        "hard (M > 0.5)": lambda m: (m > 0.5).float(),
        "none (M = 1)": torch.ones_like,
    }
    est: dict[str, list[np.ndarray]] = {k: [] for k in masks}
    est_gt, targets, sources, soft, opened = [], [], [], 0, 0
    for item in heldout_set(a.seed, a.styles, gen.cfg.resolution, split=a.split):
        imgs, ex = item["images"], item["exprs"]
        src = np.stack([imgs[i][..., :3] for i, _ in pairs])
        tgt = np.stack([imgs[j][..., :3] for _, j in pairs])
        target = np.stack([ex[j] for _, j in pairs])
        source = np.stack([ex[i] for i, _ in pairs])
        x = torch.from_numpy(src).permute(0, 3, 1, 2) * 2 - 1
        with torch.inference_mode():
            image, m = gen(
                x,
                torch.from_numpy(target),
                torch.from_numpy(source) if a.source == "given" else None,
            )
        for name, fn in masks.items():
            out = ((compose(x, image, fn(m)).permute(0, 2, 3, 1).numpy() + 1) / 2).clip(0, 1)
            est[name].append(reg(out, imgs[0]))
        est_gt.append(reg(tgt, imgs[0]))
        targets.append(target)
        sources.append(source)
        mv = m[m > 0.01]
        soft += int(((mv > 0.1) & (mv < 0.9)).sum())
        opened += int(mv.numel())
    t, sa = np.concatenate(targets), np.concatenate(sources)
    e = np.concatenate(est["soft (as trained)"])
    g = np.concatenate(est_gt)
    told = f", source {a.source}" if gen.cfg.source_input else ""
    print(f"{a.weights}: {a.styles} styles of split '{a.split}' x {len(pairs)} pairs{told}")
    print(
        "| entry | output - target, target > 0.5 | ground truth - target, target > 0.5 "
        "| output read where target = 0 | ground truth read there "
        "| output read where target = 0, source > 0.3 (pairs) | ground truth read there |"
    )
    print("|---|---|---|---|---|---|---|")
    for k, name in enumerate(EXPRESSION_NAMES):
        strong, zero = t[:, k] > 0.5, t[:, k] == 0
        undo = zero & (sa[:, k] > 0.3)  # the edit must remove what the source shows
        removal = (
            f"{np.mean(e[undo, k]):.3f} ({int(undo.sum())}) | {np.mean(g[undo, k]):.3f}"
            if undo.any()
            else "- | -"
        )
        print(
            f"| {name} | {np.mean(e[strong, k] - t[strong, k]):+.3f} "
            f"| {np.mean(g[strong, k] - t[strong, k]):+.3f} "
            f"| {np.mean(e[zero, k]):.3f} | {np.mean(g[zero, k]):.3f} | {removal} |"
        )
    print(f"soft mask pixels (0.1 < M < 0.9) among M > 0.01: {soft / max(opened, 1):.1%}")
    for name, rows in est.items():
        print(f"expression MAE, mask {name}: {np.abs(np.concatenate(rows) - t).mean():.4f}")


if __name__ == "__main__":
    main()
