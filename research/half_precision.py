"""How far half precision moves each shipped editor's textures from float32 (docs/gpu.md).

Both editors edit 8 painter textures (256 px; the default face and 7 random styles) to random
expression (AMEE-GAN) or detail (transfer model) vectors on the CPU in float32, float16 and
bfloat16; the differences of the RGB outputs, in 8-bit levels, and of the masks are printed.
torch's CPU kernels compute float16 and bfloat16 convolutions correctly (slowly); a GPU's
kernels accumulate differently, so these figures are where the decision starts, and the CUDA
test (tests/test_device_paths.py) checks the GPU against the CPU where there is one.

    .venv/bin/python research/half_precision.py [--seed 0] [--size 256]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from moodrig.core.amee.infer import AmeeEditor
from moodrig.core.painter import DEFAULT_STYLE, paint_face, random_style
from moodrig.core.transfer.infer import TransferEditor


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--size", type=int, default=256)
    a = ap.parse_args()
    torch.set_num_threads(1)
    rng = np.random.default_rng(a.seed)
    zero = np.zeros(8, np.float32)
    styles = [DEFAULT_STYLE] + [random_style(np.random.default_rng(i)) for i in range(1, 8)]
    tex = np.stack([paint_face(s, zero, a.size) for s in styles])
    print("| editor | precision | RGB max | RGB mean | RGB p99 | share > 1 level | mask max |")
    print("|---|---|---|---|---|---|---|")
    for cls in (AmeeEditor, TransferEditor):
        ref = cls.load(device="cpu")
        vectors = rng.uniform(0, 1, (len(tex), ref.weights.vocabulary.size)).astype(np.float32)
        out, mask = ref.edit_with_mask(tex, vectors)
        for dtype in (torch.float16, torch.bfloat16):
            o, m = cls.load(device="cpu", dtype=dtype).edit_with_mask(tex, vectors)
            d = np.abs(o - out)[..., :3] * 255.0
            print(
                f"| {cls.__name__} | {str(dtype).removeprefix('torch.')} | {d.max():.2f} | "
                f"{d.mean():.4f} | {np.percentile(d, 99):.2f} | {(d > 1).mean():.4%} | "
                f"{np.abs(m - mask).max():.4f} |"
            )


if __name__ == "__main__":
    main()
