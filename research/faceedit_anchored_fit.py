"""Experiment: fit only the anchored displacement kernels (research/faceedit_anchored_flow.py) with
the warp-only render on the family cache, then the held-out change fraction per family.

    .venv/bin/python research/faceedit_anchored_fit.py LR STEPS   (from the repository root)
"""

import sys
import time
from pathlib import Path

import numpy as np
import torch
from faceedit_anchored_flow import AnchoredFlow

from moodrig.core.appearance.fields import EditFields, render
from moodrig.core.editing.losses import changed_map
from moodrig.weights_tools import faceedit_data
from moodrig.weights_tools.faceedit_train import PairSampler, TrainConfig, frames, pyramid_l1

torch.set_num_threads(1)
cfg = TrainConfig(neutral_source=1.0, identity=0.0, point_jitter=0.0)
sets = faceedit_data.ensure(Path("runs/faceedit/cache"), cfg.families, "train", 1000, 6, 128)
held = faceedit_data.ensure(Path("runs/faceedit/cache"), cfg.families, "heldout", 64, 6, 128)
rng = np.random.default_rng(0)
sampler = PairSampler(sets, cfg, rng)
model = AnchoredFlow()
opt = torch.optim.Adam(model.parameters(), lr=float(sys.argv[1]) if len(sys.argv) > 1 else 3e-3)
R = 64


def run(b):
    to_c, to_px, cpts = frames(b["points"], None, 0.0)
    flow = model(cpts, b["a_tgt"] - b["a_src"], R)
    n = flow.shape[0]
    f = EditFields(
        flow,
        torch.ones(n, 1, R, R),
        torch.zeros(n, 3, R, R),
        torch.zeros(n, 3, R, R),
        torch.full((n, 1, R, R), -1e3),
    )
    out, _ = render(b["src"][:, :3], to_c, to_px, f)
    return out


t0 = time.time()
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 1500
for step in range(1, steps + 1):
    b = sampler.batch(32)
    out = run(b)
    tgt = b["tgt"][:, :3]
    w = 1 + 10 * changed_map(b["src"][:, :3], tgt)
    loss = pyramid_l1(out, tgt, w, 5)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 100 == 0:
        with torch.no_grad():
            base = (b["src"][:, :3] - tgt).abs().sum().item()
            miss = (out - tgt).abs().sum().item()
        print(
            step,
            round(loss.item(), 5),
            "change",
            round(1 - miss / base, 3),
            round(time.time() - t0),
            flush=True,
        )
torch.save(model.state_dict(), "/tmp/anchored.pt")
# held-out change fraction per family
hs = PairSampler(held, cfg, np.random.default_rng(1))
for fam in sorted(held):
    hs.names = [fam]
    tot_b = tot_m = 0.0
    for _ in range(4):
        b = hs.batch(32)
        with torch.no_grad():
            out = run(b)
        tgt = b["tgt"][:, :3]
        tot_b += (b["src"][:, :3] - tgt).abs().sum().item()
        tot_m += (out - tgt).abs().sum().item()
    print(fam, "held-out change", round(1 - tot_m / tot_b, 3))
