"""Painter data for the style-consistent transfer: random styles × random asymmetric geometry.

Every style gets ``per_style`` renders: index 0 is its neutral texture (the style reference),
the others random detail vectors (``sample_detail``: per-side values drawn independently,
symmetric, or one side only). For each render the content drawing of its detail vector is
stored too (style-independent, ``core/transfer/content.py``). Styles come from the same split
streams as AMEE-GAN's data (``painter_cache.style_rng``), so held-out styles are the same
characters AMEE-GAN is evaluated on; the detail vectors come from a separate stream.

Cache (.npz under runs/): ``images`` uint8 (S, P, R, R, 3), ``drawings`` uint8 (S, P, R, R)
(grey), ``details`` float32 (S, P, 11), plus ``resolution``, ``seed``, ``split``.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from moodrig.core.detail import DETAIL_INDEX, N_DETAIL, SIDED
from moodrig.core.image import to_uint8
from moodrig.core.painter import FaceStyle, paint_detail, random_style
from moodrig.core.transfer.content import draw_content

from .painter_cache import SPLITS, Arrays, cache_main, cached, style_rng, write_cache

DETAIL_STREAM = 11
"""Second seed word of the detail-vector stream (style streams use the split's number)."""


def sample_detail(rng: np.random.Generator, *, scale: bool) -> NDArray[np.float32]:
    """Each entry 0 with probability 0.35, else U(0, 1); sided pairs: independent (½), symmetric
    (¼) or one side only (¼); optionally the whole vector × α ~ U(0, 1)."""
    vec = rng.uniform(0.0, 1.0, N_DETAIL) * (rng.uniform(0.0, 1.0, N_DETAIL) >= 0.35)
    for name in SIDED:
        li, ri = DETAIL_INDEX[f"{name}_l"], DETAIL_INDEX[f"{name}_r"]
        mode = rng.uniform()
        if mode < 0.25:
            vec[ri] = vec[li]
        elif mode < 0.5:
            if rng.uniform() < 0.5:
                vec[li] = 0.0
            else:
                vec[ri] = 0.0
    if scale:
        vec = vec * rng.uniform(0.0, 1.0)
    return vec.astype(np.float32)


def style_and_details(
    seed: int, split: str, index: int, per_style: int
) -> tuple[FaceStyle, NDArray[np.float32]]:
    """The style and its (per_style, 11) detail vectors; row 0 is neutral."""
    style = random_style(style_rng(seed, split, index))
    rng = np.random.default_rng([seed, DETAIL_STREAM, SPLITS[split], index])
    details = np.zeros((per_style, N_DETAIL), dtype=np.float32)
    for k in range(1, per_style):
        details[k] = sample_detail(rng, scale=k % 3 == 0)
    return style, details


def render_split(
    seed: int, split: str, n_styles: int, per_style: int, size: int, progress: bool = False
) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.float32]]:
    """Float32 renders (S, P, R, R, 3), drawings (S, P, R, R) and details (S, P, 11)."""
    images = np.empty((n_styles, per_style, size, size, 3), dtype=np.float32)
    drawings = np.empty((n_styles, per_style, size, size), dtype=np.float32)
    details = np.empty((n_styles, per_style, N_DETAIL), dtype=np.float32)
    t0 = time.time()
    for s in range(n_styles):
        style, d = style_and_details(seed, split, s, per_style)
        details[s] = d
        for k in range(per_style):
            images[s, k] = paint_detail(style, d[k], size)[..., :3]
            drawings[s, k] = draw_content(d[k], size)[..., 0]
        if progress and (s + 1) % 250 == 0:
            print(f"  {split}: {s + 1}/{n_styles} styles, {time.time() - t0:.0f} s", flush=True)
    return images, drawings, details


Cache = tuple[NDArray[np.uint8], NDArray[np.uint8], NDArray[np.float32]]
CACHE_ARRAYS = ("images", "drawings", "details")


def _render_arrays(seed: int, split: str, n_styles: int, per_style: int, size: int) -> Arrays:
    images, drawings, details = render_split(seed, split, n_styles, per_style, size, progress=True)
    return {"images": to_uint8(images), "drawings": to_uint8(drawings), "details": details}


def build_cache(
    path: Path, *, seed: int, split: str, n_styles: int, per_style: int, size: int
) -> Path:
    return write_cache(
        path,
        _render_arrays(seed, split, n_styles, per_style, size),
        seed=seed,
        split=SPLITS[split],
        size=size,
    )


def ensure_cache(
    path: Path, *, seed: int, split: str, n_styles: int, per_style: int, size: int
) -> Cache:
    """Build the cache when missing or of the wrong shape, then load it: (images, drawings,
    details)."""
    images, drawings, details = cached(
        path,
        CACHE_ARRAYS,
        lambda: _render_arrays(seed, split, n_styles, per_style, size),
        seed=seed,
        split=SPLITS[split],
        size=size,
        n_styles=n_styles,
        per_style=per_style,
    )
    return (
        images.astype(np.uint8, copy=False),
        drawings.astype(np.uint8, copy=False),
        details.astype(np.float32, copy=False),
    )


def main(argv: list[str] | None = None) -> None:
    cache_main(
        argv,
        description="Pre-render a transfer-model painter cache.",
        build=build_cache,
        styles=2000,
        per_style=6,
    )


if __name__ == "__main__":
    main()
