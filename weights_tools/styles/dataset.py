"""Training and evaluation samples drawn from the face-style families.

Everything is a pure function of the numpy Generator passed in: the same generator state gives
the same samples, pixel for pixel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ...core.expression import N_EXPRESSION
from .atlas import TINY, AtlasSample, synthesize_atlas
from .base import FaceSample, Size, parse_size
from .families import FAMILY_NAMES, get_family

ATLAS_SIZES: tuple[tuple[int, int], ...] = (
    (1024, 1024),
    (2048, 2048),
    (2048, 1024),
    (1024, 2048),
    (512, 512),
    (64, 32),
)
"""Atlas sizes (width, height) :func:`sample_atlas` draws from."""
ATLAS_WEIGHTS: tuple[float, ...] = (0.3, 0.15, 0.15, 0.1, 0.15, 0.15)
"""Their probabilities."""


@dataclass(frozen=True)
class FacePair:
    """A neutral face and the same style with another expression."""

    neutral: FaceSample
    """The style at the zero expression."""
    target: FaceSample
    """The style at :attr:`expression`."""
    expression: NDArray[np.float32]
    """(8,) the target's expression."""
    region: NDArray[np.bool_]
    """(H, W) the pixels any expression can change; outside it neutral and target are equal."""
    family: str
    """Family name."""
    style: Any
    """The family's style."""


def random_expression(rng: np.random.Generator) -> NDArray[np.float32]:
    """A sparse random expression: 1 – 3 active entries, values in [0.15, 1], often 1."""
    e = np.zeros(N_EXPRESSION, dtype=np.float32)
    k = int(rng.choice([1, 2, 3], p=[0.5, 0.3, 0.2]))
    idx = rng.choice(N_EXPRESSION, size=k, replace=False)
    values = rng.uniform(0.15, 1.0, size=k)
    values[rng.uniform(size=k) < 0.3] = 1.0
    e[idx] = values
    return e


def random_family(rng: np.random.Generator) -> str:
    """A family name, each equally likely."""
    return FAMILY_NAMES[int(rng.integers(0, len(FAMILY_NAMES)))]


def random_face_size(rng: np.random.Generator, side: int) -> tuple[int, int]:
    """(width, height) with about side² pixels and a width:height between 0.75 and 1.33."""
    aspect = math.exp(rng.uniform(math.log(0.75), math.log(4.0 / 3.0)))
    return max(8, round(side * math.sqrt(aspect))), max(8, round(side / math.sqrt(aspect)))


def sample_pair(
    rng: np.random.Generator,
    family: str | None = None,
    size: Size = 128,
    expression: NDArray[np.floating[Any]] | None = None,
    random_aspect: bool = False,
) -> FacePair:
    """A random style of ``family`` (any family when None) rendered neutral and with
    ``expression`` (a random sparse one when None) at ``size``; with ``random_aspect`` the
    size becomes a random width:height in [0.75, 1.33] of about the same area."""
    name = family if family is not None else random_family(rng)
    fam = get_family(name)
    style = fam.random_style(rng)
    width, height = parse_size(size, fam.min_size)
    if random_aspect:
        width, height = random_face_size(rng, round(math.sqrt(width * height)))
    e = random_expression(rng) if expression is None else np.asarray(expression, dtype=np.float32)
    neutral = fam.render(style, np.zeros(N_EXPRESSION, dtype=np.float32), (width, height))
    target = fam.render(style, e, (width, height))
    return FacePair(neutral, target, e, fam.region(style, (width, height)), name, style)


def sample_atlas(
    rng: np.random.Generator,
    family: str | None = None,
    atlas_size: tuple[int, int] | None = None,
    n_targets: int = 1,
    expressions: NDArray[np.floating[Any]] | None = None,
) -> AtlasSample:
    """A random style placed in a random atlas. ``images[0]`` is neutral, the others carry
    ``expressions`` ((n, 8); by default ``n_targets`` random sparse ones). Atlas sizes come
    from :data:`ATLAS_SIZES`; a tiny atlas (a 64×32 game skin) gets a pixel-art face unless
    ``family`` says otherwise."""
    if atlas_size is None:
        atlas_size = ATLAS_SIZES[int(rng.choice(len(ATLAS_SIZES), p=np.asarray(ATLAS_WEIGHTS)))]
    if family is None:
        family = "pixel" if min(atlas_size) <= TINY else random_family(rng)
    style = get_family(family).random_style(rng)
    if expressions is None:
        targets = np.array(
            [random_expression(rng) for _ in range(n_targets)], dtype=np.float32
        ).reshape(n_targets, N_EXPRESSION)
    else:
        targets = np.asarray(expressions, dtype=np.float32).reshape(-1, N_EXPRESSION)
    exprs = np.concatenate([np.zeros((1, N_EXPRESSION), dtype=np.float32), targets])
    return synthesize_atlas(rng, family, style, exprs, atlas_size)
