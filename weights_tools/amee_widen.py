"""Widen a trained AMEE-GAN generator without changing what it computes.

Widening means more encoder / decoder channels, or the source-expression input
(``AmeeConfig.source_input``): its condition [a_tgt, known·a_src, known] starts with a_tgt, so
the old condition channels are its leading slice and the new ones start with zero weights.

Why: at 64 px the shipped generator's training loss had flattened at the same figure as its
held-out loss (underfitting, not overfitting), and its full-resolution layers are the narrowest
(16 channels at 64²). Training a wider network from scratch would throw away 12000 steps of
CPU time; widening in place keeps them.

Every weight of the source is copied into the leading slice of its channel group in the wider
network. The new channels keep the wider network's fresh initialisation for their *inputs*
and get zero weights on their *outputs*, so at step 0 the wide generator's image and mask are
those of the source (in eval and in train mode: new channels never reach an output). Training
then grows the outgoing weights from their non-zero gradients.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from moodrig.core.amee.config import AmeeConfig
from moodrig.core.amee.model import Generator


def _parts(cfg: AmeeConfig) -> dict[str, tuple[list[int], list[int]]]:
    """Module prefix → (input channel groups, output channel groups) of each conv / BN."""
    c, e = cfg.enc_channels, cfg.condition_dim
    inj = [e] if cfg.inject else []
    p: dict[str, tuple[list[int], list[int]]] = {}
    for i in range(5):
        p[f"encoder.{i}.0"] = ([3 if i == 0 else c[i - 1]], [c[i]])
        p[f"encoder.{i}.1"] = ([c[i]], [c[i]])
    p["fuse.0"] = ([c[4], e], [c[4]])
    p["fuse.1"] = ([c[4]], [c[4]])
    for r in range(cfg.n_residual):
        for conv, bn in ((0, 1), (3, 4)):
            p[f"residual.{r}.body.{conv}"] = ([c[4]], [c[4]])
            p[f"residual.{r}.body.{bn}"] = ([c[4]], [c[4]])
    cin = c[4]
    for k in range(4):
        skip = [c[4 - k]] if (cfg.skips and k > 0) else []
        p[f"decoder.{k}.0"] = ([cin, *skip, *inj], [c[3 - k]])
        p[f"decoder.{k}.1"] = ([c[3 - k]], [c[3 - k]])
        cin = c[3 - k]
    last = [c[0], *([c[0]] if cfg.skips else []), *inj]
    p["to_image.0"] = (last, [3])
    if cfg.use_mask:
        p["mask_head"] = (last, [1])
    return p


def _positions(old: list[int], new: list[int]) -> Tensor:
    """Indices, in the new concatenation, of the old concatenation's channels."""
    if len(old) != len(new) or any(o > n for o, n in zip(old, new, strict=True)):
        raise ValueError(f"cannot widen channel groups {old} to {new}")
    idx, start = [], 0
    for o, n in zip(old, new, strict=True):
        idx.append(torch.arange(start, start + o))
        start += n
    return torch.cat(idx)


def widen_generator(src: Generator, cfg: AmeeConfig, *, seed: int = 0) -> Generator:
    """A generator of architecture ``cfg`` (same as ``src.cfg`` but for wider ``enc_channels``
    and / or the added source input) that computes what ``src`` computes; see the module
    docstring."""
    old_cfg = src.cfg
    free = {"enc_channels": None, "source_input": None}
    if {**old_cfg.to_dict(), **free} != {**cfg.to_dict(), **free}:
        raise ValueError(f"only enc_channels and source_input may differ: {old_cfg} vs {cfg}")
    if old_cfg.source_input and not cfg.source_input:
        raise ValueError("cannot drop the source-expression input of a generator that has one")
    torch.manual_seed(seed)
    wide = Generator(cfg)
    old_parts, new_parts = _parts(old_cfg), _parts(cfg)
    old_state = src.state_dict()
    new_state = wide.state_dict()
    modules = dict(wide.named_modules())
    with torch.no_grad():
        for prefix, (new_in, new_out) in new_parts.items():
            old_in, old_out = old_parts[prefix]
            pin, pout = _positions(old_in, new_in), _positions(old_out, new_out)
            module = modules[prefix]
            is_t = isinstance(module, nn.ConvTranspose2d)
            for name in ("weight", "bias", "running_mean", "running_var"):
                key = f"{prefix}.{name}"
                if key not in new_state:
                    continue
                t, o = new_state[key], old_state[key]
                if isinstance(module, nn.BatchNorm2d) or name == "bias":
                    t[pout] = o
                    continue
                out_axis, in_axis = (1, 0) if is_t else (0, 1)
                keep_new = torch.ones(t.shape[in_axis], dtype=torch.bool)
                keep_new[pin] = False
                t.index_fill_(
                    in_axis, torch.nonzero(keep_new).flatten(), 0.0
                )  # new inputs: no effect
                block = t.index_select(out_axis, pout)
                block.index_copy_(in_axis, pin, o)
                t.index_copy_(out_axis, pout, block)
        for key, o in old_state.items():
            if key.endswith("num_batches_tracked"):
                new_state[key].copy_(o)
        wide.load_state_dict(new_state)
    return wide
