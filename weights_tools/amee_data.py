"""AMEE-GAN training / evaluation data from the toon-face painter.

Every style gets ``per_style`` expression renders: index 0 is neutral (all zeros), the others
are random expression vectors, every other one scaled by α ~ U(0, 1) (docs/method.md §3). Any
ordered pair (i, j) of renders of one style is a training pair with the exact ground truth
for target j. Styles come from the split streams of painter_cache.py.

Cache layout (.npz under runs/): ``images`` uint8 (S, P, R, R, 3), ``expressions`` float32
(S, P, 8), plus ``resolution``, ``seed``, ``split``.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from moodrig.core.expression import N_EXPRESSION
from moodrig.core.image import to_uint8
from moodrig.core.painter import FaceStyle, paint_face, random_style

from .painter_cache import SPLITS, Arrays, cache_main, cached, style_rng, write_cache


def sample_expression(rng: np.random.Generator, *, scale: bool) -> NDArray[np.float32]:
    """Each entry is 0 with probability 0.35, else U(0, 1); optionally the whole vector × α."""
    vec = rng.uniform(0.0, 1.0, N_EXPRESSION) * (rng.uniform(0.0, 1.0, N_EXPRESSION) >= 0.35)
    if scale:
        vec = vec * rng.uniform(0.0, 1.0)
    return vec.astype(np.float32)


def style_and_expressions(
    seed: int, split: str, index: int, per_style: int
) -> tuple[FaceStyle, NDArray[np.float32]]:
    """The style and its (per_style, 8) expression vectors; row 0 is neutral."""
    rng = style_rng(seed, split, index)
    style = random_style(rng)
    exprs = np.zeros((per_style, N_EXPRESSION), dtype=np.float32)
    for k in range(1, per_style):
        exprs[k] = sample_expression(rng, scale=k % 2 == 0)
    return style, exprs


def render_split(
    seed: int, split: str, n_styles: int, per_style: int, size: int, progress: bool = False
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Float32 RGB renders (S, P, size, size, 3) in [0, 1] and expressions (S, P, 8)."""
    images = np.empty((n_styles, per_style, size, size, 3), dtype=np.float32)
    exprs = np.empty((n_styles, per_style, N_EXPRESSION), dtype=np.float32)
    t0 = time.time()
    for s in range(n_styles):
        style, ex = style_and_expressions(seed, split, s, per_style)
        exprs[s] = ex
        for k in range(per_style):
            images[s, k] = paint_face(style, ex[k], size)[..., :3]
        if progress and (s + 1) % 250 == 0:
            print(f"  {split}: {s + 1}/{n_styles} styles, {time.time() - t0:.0f} s", flush=True)
    return images, exprs


CACHE_ARRAYS = ("images", "expressions")


def build_cache(
    path: Path, *, seed: int, split: str, n_styles: int, per_style: int, size: int
) -> Path:
    """Render once and store as uint8 .npz (quantisation error ≤ 1/510, far below model error)."""
    return write_cache(
        path,
        _render_arrays(seed, split, n_styles, per_style, size),
        seed=seed,
        split=SPLITS[split],
        size=size,
    )


def _render_arrays(seed: int, split: str, n_styles: int, per_style: int, size: int) -> Arrays:
    images, exprs = render_split(seed, split, n_styles, per_style, size, progress=True)
    return {"images": to_uint8(images), "expressions": exprs}


def ensure_cache(
    path: Path, *, seed: int, split: str, n_styles: int, per_style: int, size: int
) -> tuple[NDArray[np.uint8], NDArray[np.float32]]:
    """Build the cache when missing or of the wrong shape, then load it: (images, expressions)."""
    images, exprs = cached(
        path,
        CACHE_ARRAYS,
        lambda: _render_arrays(seed, split, n_styles, per_style, size),
        seed=seed,
        split=SPLITS[split],
        size=size,
        n_styles=n_styles,
        per_style=per_style,
    )
    return images.astype(np.uint8, copy=False), exprs.astype(np.float32, copy=False)


def main(argv: list[str] | None = None) -> None:
    cache_main(
        argv,
        description="Pre-render an AMEE-GAN painter cache.",
        build=build_cache,
        styles=3000,
        per_style=8,
    )


if __name__ == "__main__":
    main()
