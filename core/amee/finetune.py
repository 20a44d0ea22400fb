"""Per-character fine-tuning: adapt the generator to one artist's texture from a few examples.

Given the character's neutral texture and K (3–8) labelled expression textures of the same
character, every ordered pair (i, j) of those K + 1 images is a supervised example "repaint
image i to expression j" with ground truth image j. The generator is trained on them with the
paired losses of training (no discriminator: the labels are exact): the L1 of the final and of
the intermediate image, weighted toward the pixels the edit must change, and the mask terms.
BatchNorm statistics stay frozen (eval mode), so a handful of images cannot skew them.
Weights with the source input (``AmeeConfig.source_input``) are told each pair's source
expression: the sheet's labels are exact, and the add-on edits the known neutral texture.
The result is a new :class:`AmeeEditor`; the shipped weights are never touched. Save it
beside the .blend with ``editor.save(folder)``.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray

from ..errors import InputError
from ..expression import N_EXPRESSION
from .composite import to_model_resolution
from .infer import AmeeEditor, check_batch
from .model import compose
from .weights_io import storage_round_trip, weights_id


@dataclass(frozen=True)
class FinetuneConfig:
    """Fine-tuning settings (CLI flags map 1:1)."""

    steps: int = 300
    """Adam steps (each a batch of pairs)."""
    batch: int = 8
    """Pairs per step."""
    lr: float = 5e-5
    """Adam learning rate, constant."""
    lambda_rec: float = 100.0
    """Paired L1 weight of the final image (images in [-1, 1])."""
    lambda_int: float = 50.0
    """Paired L1 weight of the intermediate image I_m (as in training)."""
    changed_weight: float = 10.0
    """Per-pixel L1 weights 1 + changed_weight·changed (as in training; 0: plain mean)."""
    lambda_mask: float = 0.1
    """Mask sparsity weight (mean of M)."""
    lambda_mask_sup: float = 1.0
    """BCE of M against the change map between the pair's two images."""
    mask_pos_weight: float = 5.0
    """Weight of the changed pixels in the mask BCE (as in training)."""
    seed: int = 0
    """Seeds pair sampling."""
    threads: int = 0
    """torch.set_num_threads for the run (0: leave as is)."""

    def __post_init__(self) -> None:
        if self.steps < 1 or self.batch < 1 or not self.lr > 0:
            raise ValueError("FinetuneConfig: steps, batch and lr must be positive")


Example = tuple[NDArray[np.float32], NDArray[np.float32]]
Progress = Callable[[int, int, float], None]
"""progress(step, total_steps, loss)."""


def _stack(editor: AmeeEditor, neutral: NDArray[np.float32], examples: Sequence[Example]) -> tuple[torch.Tensor, torch.Tensor]:
    if len(examples) < 1:
        raise InputError(None, "fine-tuning needs at least one labelled expression texture besides the neutral one")
    imgs: list[torch.Tensor] = []
    exprs = [np.zeros(N_EXPRESSION, dtype=np.float32)]
    for k, tex in enumerate([neutral] + [t for t, _ in examples]):
        if not isinstance(tex, np.ndarray) or tex.ndim != 3:
            raise InputError(None, f"fine-tuning texture {k} must be an (H, W, 3|4) float32 array")
        check_batch(tex[None], np.zeros((1, N_EXPRESSION), dtype=np.float32))
        rgb = torch.from_numpy(np.ascontiguousarray(tex[..., :3])).permute(2, 0, 1)[None]
        imgs.append(to_model_resolution(rgb, editor.resolution)[0])
    for k, (_, ex) in enumerate(examples):
        arr = np.asarray(ex, dtype=np.float32)
        try:
            check_batch(np.zeros((1, 1, 1, 3), dtype=np.float32), arr[None])
        except InputError as exc:
            raise InputError(None, f"label of example {k}: {exc}") from exc
        exprs.append(arr)
    return torch.stack(imgs) * 2.0 - 1.0, torch.from_numpy(np.stack(exprs))


def _weighted_l1(x: torch.Tensor, y: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Mean |x − y| with per-pixel weights w (N, 1, H, W)."""
    return ((x - y).abs() * w).sum() / (w.sum() * x.shape[1])


def finetune(editor: AmeeEditor, neutral: NDArray[np.float32], examples: Sequence[Example],
             config: FinetuneConfig | None = None, progress: Progress | None = None) -> AmeeEditor:
    """Return a new editor adapted to this character (runs on CPU, float32)."""
    cfg = config or FinetuneConfig()
    x, a = _stack(editor, neutral, examples)
    n = x.shape[0]
    pairs = np.array([(i, j) for i in range(n) for j in range(n)], dtype=np.int64)
    old_threads = torch.get_num_threads()
    if cfg.threads > 0:
        torch.set_num_threads(cfg.threads)
    gen = copy.deepcopy(editor.generator).to(device="cpu", dtype=torch.float32)
    gen.eval()  # frozen BatchNorm statistics
    opt = torch.optim.Adam(gen.parameters(), lr=cfg.lr, betas=(0.5, 0.999))
    rng = np.random.default_rng([cfg.seed, 400])
    t0 = time.time()
    try:
        with torch.enable_grad():
            for step in range(1, cfg.steps + 1):
                pick = pairs[rng.integers(0, len(pairs), cfg.batch)]
                src, tgt = x[pick[:, 0]], x[pick[:, 1]]
                image, mask = gen(src, a[pick[:, 1]], a[pick[:, 0]])  # the sheet's labels: source known
                final = compose(src, image, mask)
                changed = F.max_pool2d(((src - tgt).abs().amax(1, keepdim=True) > 2.0 / 255.0).float(), 3, 1, 1)
                w = 1.0 + cfg.changed_weight * changed
                loss = cfg.lambda_rec * _weighted_l1(final, tgt, w)
                if gen.cfg.use_mask:
                    loss = loss + cfg.lambda_int * _weighted_l1(image, tgt, w)
                    loss = loss + cfg.lambda_mask * mask.mean()
                    loss = loss + cfg.lambda_mask_sup * F.binary_cross_entropy(
                        mask.clamp(1e-6, 1 - 1e-6), changed, weight=1.0 + (cfg.mask_pos_weight - 1.0) * changed)
                opt.zero_grad(set_to_none=True)
                loss.backward()  # type: ignore[no-untyped-call]
                opt.step()
                if progress is not None:
                    progress(step, cfg.steps, float(loss.item()))
    finally:
        torch.set_num_threads(old_threads)
    gen.eval()
    storage_round_trip(gen)
    manifest: dict[str, Any] = dict(editor.manifest)
    manifest["finetuned_from"] = editor.model_id
    manifest["finetune"] = {**asdict(cfg), "examples": len(examples), "seconds": round(time.time() - t0, 1)}
    return AmeeEditor.from_generator(gen, manifest, device=str(editor.device.type), dtype=editor.dtype,
                                     model_id=weights_id(gen))
