"""Pre-rendered painter data on disk (.npz under runs/), shared by the training-data modules.

A cache holds named arrays plus the ``resolution``, ``seed`` and ``split`` it was rendered for;
loading checks those, so a cache is never silently reused for other data.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

Arrays = dict[str, NDArray[np.generic]]


def write_cache(path: Path, arrays: Arrays, *, seed: int, split: int, size: int) -> Path:
    """Store ``arrays`` with their provenance (written to a ``.part.npz`` first, then renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part.npz")
    np.savez(tmp, **arrays, resolution=size, seed=seed, split=split)
    tmp.replace(path)
    return path


def read_cache(path: Path, names: tuple[str, ...], *, seed: int, split: int, size: int) -> tuple[NDArray[np.generic], ...]:
    """The arrays ``names`` of a cache built for this seed / split / size."""
    with np.load(path) as z:
        if int(z["resolution"]) != size or int(z["seed"]) != seed or int(z["split"]) != split:
            raise ValueError(f"{path} was built for another resolution/seed/split; delete it to rebuild")
        return tuple(z[n] for n in names)


def cached(path: Path, names: tuple[str, ...], render: Callable[[], Arrays], *, seed: int, split: int, size: int,
           n_styles: int, per_style: int) -> tuple[NDArray[np.generic], ...]:
    """Load the cache, rendering it first when it is missing or holds another number of
    styles or renders per style (its first array is (styles, per_style, ...))."""
    if path.is_file():
        arrays = read_cache(path, names, seed=seed, split=split, size=size)
        if arrays[0].shape[:2] == (n_styles, per_style):
            return arrays
    fresh = render()
    write_cache(path, fresh, seed=seed, split=split, size=size)
    return tuple(fresh[n] for n in names)
