"""Pre-rendered painter data on disk (.npz under runs/), shared by the training-data modules
(amee_data.py, transfer_data.py).

Styles come from split streams: ``train`` 0, ``eval`` 1, ``regressor`` 2 (the independent
evaluation regressors), ``finetune`` 3; splits draw from disjoint random streams, so held-out
styles never appear in training. A cache holds named arrays plus the ``resolution``, ``seed``
and ``split`` it was rendered for; loading checks those, so a cache is never silently reused
for other data.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

Arrays = dict[str, NDArray[np.generic]]

SPLITS = {"train": 0, "eval": 1, "regressor": 2, "finetune": 3}


def style_rng(seed: int, split: str, index: int) -> np.random.Generator:
    """Independent generator for style ``index`` of ``split``."""
    return np.random.default_rng([seed, SPLITS[split], index])


def write_cache(path: Path, arrays: Arrays, *, seed: int, split: int, size: int) -> Path:
    """Store ``arrays`` with their provenance (written to a ``.part.npz`` first, then renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part.npz")
    np.savez(tmp, **arrays, resolution=size, seed=seed, split=split)
    tmp.replace(path)
    return path


def read_cache(
    path: Path, names: tuple[str, ...], *, seed: int, split: int, size: int
) -> tuple[NDArray[np.generic], ...]:
    """The arrays ``names`` of a cache built for this seed / split / size."""
    with np.load(path) as z:
        if int(z["resolution"]) != size or int(z["seed"]) != seed or int(z["split"]) != split:
            raise ValueError(
                f"{path} was built for another resolution/seed/split; delete it to rebuild"
            )
        return tuple(z[n] for n in names)


def cached(
    path: Path,
    names: tuple[str, ...],
    render: Callable[[], Arrays],
    *,
    seed: int,
    split: int,
    size: int,
    n_styles: int,
    per_style: int,
) -> tuple[NDArray[np.generic], ...]:
    """Load the cache, rendering it first when it is missing or holds another number of
    styles or renders per style (its first array is (styles, per_style, ...))."""
    if path.is_file():
        arrays = read_cache(path, names, seed=seed, split=split, size=size)
        if arrays[0].shape[:2] == (n_styles, per_style):
            return arrays
    fresh = render()
    write_cache(path, fresh, seed=seed, split=split, size=size)
    return tuple(fresh[n] for n in names)


def cache_main(
    argv: list[str] | None,
    *,
    description: str,
    build: Callable[..., Path],
    styles: int,
    per_style: int,
) -> None:
    """The pre-render command line of a data module: ``build(out, seed=, split=, n_styles=,
    per_style=, size=)``."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--split", choices=sorted(SPLITS), default="train")
    p.add_argument("--styles", type=int, default=styles)
    p.add_argument("--per-style", type=int, default=per_style)
    p.add_argument("--size", type=int, default=64)
    a = p.parse_args(argv)
    build(a.out, seed=a.seed, split=a.split, n_styles=a.styles, per_style=a.per_style, size=a.size)
    print(f"wrote {a.out}")
