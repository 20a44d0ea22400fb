"""Train the feature-point locator on every style family (CPU-friendly, resumable).

    python -m moodrig.weights_tools.locator_train --out runs/faceedit/locator --steps 8000

Each example is a face region as an artist would draw its rectangle: one family's neutral
face from the cache (``faceedit_data.py``), framed by a random margin on each side (cut into
the face's own background, or extended into atlas-like clutter: swatches, noise, gradients),
at a random aspect, squashed to the locator's input size. A share of the examples are
regions of clutter alone, which the presence head must call "no face". Loss: L1 of the points
(in units of the region) + binary cross-entropy of the presence logit.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray
from safetensors.torch import load_file, save_file

from moodrig.core.appearance.locator import Locator, LocatorConfig
from moodrig.core.appearance.weights_io import LOCATOR_WEIGHTS
from moodrig.core.fileio import atomic_write_text

from . import faceedit_data
from .styles import atlas_content
from .training import config_parser, parse_config


@dataclass(frozen=True)
class LocatorTrainConfig:
    """Everything a run depends on (saved as config.json)."""

    out: str = "runs/faceedit/locator"
    cache: str = "runs/faceedit/cache"
    families: tuple[str, ...] = ("anime", "flat", "painter", "painterly", "pixel")
    styles: int = 1000
    targets: int = 6
    size: int = 128
    seed: int = 0
    steps: int = 8000
    batch: int = 32
    lr: float = 2e-3
    negatives: float = 0.25
    """Share of regions that show no face."""
    threads: int = 1
    resolution: int = 96


def clutter(rng: np.random.Generator, h: int, w: int) -> NDArray[np.float32]:
    """Atlas-like filler: flat swatches, value noise, gradients, transparent gaps (RGBA)."""
    out = np.zeros((h, w, 4), np.float32)
    out[..., :3] = rng.random(3)
    out[..., 3] = 1.0
    for _ in range(int(rng.integers(2, 9))):
        y0, x0 = int(rng.integers(0, h)), int(rng.integers(0, w))
        y1, x1 = (
            min(h, y0 + int(rng.integers(4, max(5, h)))),
            min(w, x0 + int(rng.integers(4, max(5, w)))),
        )
        kind = rng.integers(4)
        if kind == 0:
            out[y0:y1, x0:x1, :3] = rng.random(3)
        elif kind == 1:
            small = rng.random((max(2, (y1 - y0) // 8), max(2, (x1 - x0) // 8), 3)).astype(
                np.float32
            )
            out[y0:y1, x0:x1, :3] = cv2.resize(
                small, (x1 - x0, y1 - y0), interpolation=cv2.INTER_CUBIC
            ).clip(0, 1)
        elif kind == 2:
            t = np.linspace(0.0, 1.0, x1 - x0, dtype=np.float32)[None, :, None]
            out[y0:y1, x0:x1, :3] = (1 - t) * rng.random(3) + t * rng.random(3)
        else:
            out[y0:y1, x0:x1] = 0.0
    return out


def example(
    rng: np.random.Generator,
    face: NDArray[np.uint8],
    points: NDArray[np.float32],
    res: int,
    negative: bool,
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """(RGBA (res, res, 4) in [0, 1], points (7, 2) in [0, 1] of the region)."""
    s = face.shape[0]
    img = face.astype(np.float32) / 255.0
    scale = rng.uniform(0.5, 2.0)
    margin = rng.uniform(-0.12, 0.6, 4) * s  # left, top, right, bottom
    if negative:
        side = int(res * 1.5)
        if rng.random() < 0.5:
            canvas = clutter(rng, side, side)
        else:  # atlas filler with skin-coloured body islands: the hardest negatives
            skin = tuple(float(v) for v in img[s // 2, s // 2, :3])
            canvas = atlas_content(rng, side, side, skin)
        h, w = int(rng.integers(res // 3, side)), int(rng.integers(res // 3, side))
        y, x = int(rng.integers(0, side - h + 1)), int(rng.integers(0, side - w + 1))
        region = canvas[y : y + h, x : x + w]
        return cv2.resize(region, (res, res), interpolation=cv2.INTER_AREA), np.zeros(
            (7, 2), np.float32
        )
    pad = int(np.ceil(max(0.0, float(margin.max())))) + 1
    canvas = clutter(rng, s + 2 * pad, s + 2 * pad)
    alpha = img[..., 3:4]
    canvas[pad : pad + s, pad : pad + s] = img * alpha + canvas[pad : pad + s, pad : pad + s] * (
        1 - alpha
    )
    canvas[pad : pad + s, pad : pad + s, 3] = np.maximum(
        img[..., 3], canvas[pad : pad + s, pad : pad + s, 3]
    )
    x0, y0 = pad - margin[0], pad - margin[1]
    x1, y1 = pad + s + margin[2], pad + s + margin[3]
    x0, y0, x1, y1 = (int(np.rint(v)) for v in (x0, y0, x1, y1))
    region = canvas[y0:y1, x0:x1]
    h, w = region.shape[:2]
    hs = max(8, int(h * scale))
    ws = max(8, int(w * scale * rng.uniform(0.8, 1.25)))
    region = cv2.resize(
        region, (ws, hs), interpolation=cv2.INTER_AREA if ws < w else cv2.INTER_LINEAR
    )
    out = cv2.resize(
        region, (res, res), interpolation=cv2.INTER_AREA if min(ws, hs) > res else cv2.INTER_LINEAR
    )
    pts = (points + np.array([pad - x0, pad - y0])) / np.array([w, h])
    return out.astype(np.float32), pts.astype(np.float32)


def train(cfg: LocatorTrainConfig) -> Path:
    torch.set_num_threads(cfg.threads)
    out = Path(cfg.out)
    (out / "export").mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "config.json", json.dumps(asdict(cfg), indent=2, default=list))
    sets = faceedit_data.ensure(
        Path(cfg.cache), cfg.families, "train", cfg.styles, cfg.targets, cfg.size
    )
    names = sorted(sets)
    rng = np.random.default_rng(cfg.seed)
    torch.manual_seed(cfg.seed)
    model = Locator(LocatorConfig(resolution=cfg.resolution))
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=1e-4)
    step = 0
    ckpt = out / "ckpt.safetensors"
    if ckpt.is_file():
        state = load_file(str(ckpt))
        model.load_state_dict({k[2:]: v for k, v in state.items() if k.startswith("M.")})
        meta = json.loads((out / "ckpt.json").read_text())
        step, rng.bit_generator.state = int(meta["step"]), meta["rng"]
    log = (out / "log.jsonl").open("a")
    t0 = time.time()
    while step < cfg.steps:
        lr = cfg.lr * 0.5 * (1 + np.cos(np.pi * step / cfg.steps))
        for g in opt.param_groups:
            g["lr"] = lr
        xs, ps, present = [], [], []
        for _ in range(cfg.batch):
            st = sets[names[int(rng.integers(len(names)))]]
            k = int(rng.integers(st.images.shape[0]))
            neg = bool(rng.random() < cfg.negatives)
            x, p = example(rng, np.asarray(st.images[k, 0]), st.points[k], cfg.resolution, neg)
            xs.append(x)
            ps.append(p)
            present.append(0.0 if neg else 1.0)
        x_t = torch.from_numpy(np.stack(xs)).permute(0, 3, 1, 2) * 2 - 1
        p_t = torch.from_numpy(np.stack(ps))
        pres = torch.tensor(present)
        model.train()
        pts, logit = model(x_t)
        err = (pts - p_t).abs().sum(-1).mean(-1)
        loss_pts = (err * pres).sum() / pres.sum().clamp_min(1.0)
        loss = 10.0 * loss_pts + F.binary_cross_entropy_with_logits(logit, pres)
        opt.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        opt.step()
        step += 1
        if step % 50 == 0:
            acc = ((logit > 0).float() == pres).float().mean().item()
            info = {
                "step": step,
                "loss": round(loss.item(), 4),
                "point_err": round(loss_pts.item(), 4),
                "presence_acc": round(acc, 3),
                "s_per_step": round((time.time() - t0) / 50, 3),
            }
            log.write(json.dumps(info) + "\n")
            log.flush()
            print(json.dumps(info), flush=True)
            t0 = time.time()
        if step % 500 == 0 or step == cfg.steps:
            save_file({f"M.{k}": v.contiguous() for k, v in model.state_dict().items()}, str(ckpt))
            atomic_write_text(
                out / "ckpt.json", json.dumps({"step": step, "rng": rng.bit_generator.state})
            )
    model.eval()
    LOCATOR_WEIGHTS.storage_round_trip(model)
    return LOCATOR_WEIGHTS.export(
        out / "export" / f"face_locator_step{step:06d}.safetensors",
        model,
        training=json.loads(json.dumps(asdict(cfg), default=list)),
    )


def main(argv: list[str] | None = None) -> None:
    p = config_parser(LocatorTrainConfig, __doc__.split("\n\n")[0], ablations={})
    print(train(parse_config(LocatorTrainConfig, p, argv, ablations={})))


if __name__ == "__main__":
    main()
