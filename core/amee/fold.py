"""Inference copy of a generator with every BatchNorm folded into the conv before it.

In eval mode a BatchNorm is a per-channel affine map, y = s·x + t with s = γ/√(var + ε) and
t = β − s·mean, so conv → BN equals one conv with weights scaled by s (per output channel) and
bias t (+ s·b). Folding removes a full pass over every feature map; the result differs from the
unfolded generator only by float rounding (~1e-6) and is just as deterministic. The stored
weights and the model id stay those of the unfolded generator.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from .model import Generator


def _fold_pair(conv: nn.Conv2d | nn.ConvTranspose2d, bn: nn.BatchNorm2d) -> None:
    """Fold ``bn`` into ``conv`` in place (conv gets a bias when it had none)."""
    if bn.running_mean is None or bn.running_var is None:
        raise ValueError("cannot fold a BatchNorm without running statistics")
    with torch.no_grad():
        var = bn.running_var.double()
        scale = torch.ones_like(var) if bn.weight is None else bn.weight.double()
        scale = scale / torch.sqrt(var + bn.eps)
        shift = (
            torch.zeros_like(var) if bn.bias is None else bn.bias.double()
        ) - scale * bn.running_mean.double()
        w = conv.weight.double()
        # Conv2d weights are (out, in, kh, kw); ConvTranspose2d weights are (in, out, kh, kw).
        shape = (1, -1, 1, 1) if isinstance(conv, nn.ConvTranspose2d) else (-1, 1, 1, 1)
        conv.weight.copy_((w * scale.reshape(shape)).to(conv.weight.dtype))
        bias = shift if conv.bias is None else shift + scale * conv.bias.double()
        conv.bias = nn.Parameter(bias.to(conv.weight.dtype), requires_grad=False)


def _fold_sequential(seq: nn.Sequential) -> None:
    """Replace every (conv, BatchNorm2d) pair of ``seq`` by the folded conv and an Identity."""
    mods = list(seq)
    for i in range(len(mods) - 1):
        conv, bn = mods[i], mods[i + 1]
        if isinstance(conv, (nn.Conv2d, nn.ConvTranspose2d)) and isinstance(bn, nn.BatchNorm2d):
            _fold_pair(conv, bn)
            seq[i + 1] = nn.Identity()


def folded_generator(gen: Generator) -> Generator:
    """An eval-mode float32 copy of ``gen`` with all BatchNorms folded (``gen`` is untouched)."""
    out = copy.deepcopy(gen).float().eval()
    for mod in out.modules():
        if isinstance(mod, nn.Sequential):
            _fold_sequential(mod)
    for p in out.parameters():
        p.requires_grad_(False)
    if any(isinstance(m, nn.BatchNorm2d) for m in out.modules()):
        raise ValueError(
            "a BatchNorm was left unfolded (not directly after a conv in an nn.Sequential)"
        )
    return out
