"""Experiment: the hand-made basis flows (research/faceedit_basis_flows.py) applied with gain 1
to one style of every family; prints the change fraction per entry, writes /tmp/basis/basis.png.
"""

import sys

import numpy as np
import torch
from faceedit_basis_flows import basis_flows
from PIL import Image

from moodrig.core.appearance.align import FaceFrame
from moodrig.core.appearance.fields import EditFields, render
from moodrig.weights_tools.faceedit_metrics import change_fraction
from moodrig.weights_tools.styles import FAMILY_NAMES, get_family

size = 256
R = 64
rows = []
scores = {}
for fam_name in FAMILY_NAMES:
    fam = get_family(fam_name)
    rng = np.random.default_rng(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
    st = fam.random_style(rng)
    neutral = fam.render(st, np.zeros(8, np.float32), size)
    frame = FaceFrame.from_features(neutral.points.astype(np.float64))
    m = np.vstack([frame.matrix, [0, 0, 1]])
    to_px = torch.tensor(frame.matrix, dtype=torch.float32)[None]
    to_c = torch.tensor(np.linalg.inv(m)[:2], dtype=torch.float32)[None]
    cp = torch.tensor(frame.to_canonical(neutral.points), dtype=torch.float32)[None]
    row = [neutral.image[..., :3]]
    for e in range(8):
        a = np.zeros(8, np.float32)
        a[e] = 1.0
        tgt = fam.render(st, a, size)
        flows = basis_flows(cp, torch.tensor(a)[None], R)
        flow = flows.sum(1)
        f = EditFields(
            flow,
            torch.ones(1, 1, R, R),
            torch.zeros(1, 3, R, R),
            torch.zeros(1, 3, R, R),
            torch.full((1, 1, R, R), -10.0),
        )
        src = torch.from_numpy(neutral.image[..., :3].copy()).permute(2, 0, 1)[None]
        out, _ = render(src, to_c, to_px, f)
        o = out[0].permute(1, 2, 0).numpy()
        scores.setdefault(fam_name, []).append(
            round(change_fraction(o, tgt.image[..., :3], neutral.image[..., :3]), 2)
        )
        row += [o, tgt.image[..., :3]]
    rows.append(np.concatenate(row, 1))
img = np.concatenate(rows, 0)
Image.fromarray((np.clip(img, 0, 1) * 255).astype(np.uint8)).resize(
    (img.shape[1] // 2, img.shape[0] // 2)
).save("/tmp/basis/basis.png")
for k, v in scores.items():
    print(k, v)
