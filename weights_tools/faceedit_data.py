"""Training and evaluation data for the face editor: every style family, rendered once.

For each family and style: the neutral face and ``targets`` random expressions, all at the
same size (the family's faces are drawn at ``size`` × ``size``), plus the feature points. The
cache is a folder of ``.npy`` files read through memory maps (uint8 RGBA), so runs share it
and a run's memory stays small. Styles are drawn from seeded generators keyed by
(family, split, index): the ``train`` and ``heldout`` splits never share a style.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from moodrig.core.expression import N_EXPRESSION

SPLIT_SALT = {"train": 11, "heldout": 97}


def style_rng(family: str, split: str, index: int) -> np.random.Generator:
    salt = sum(ord(c) * (i + 1) for i, c in enumerate(family))
    return np.random.default_rng([SPLIT_SALT[split], salt, index])


def sample_expression(rng: np.random.Generator) -> NDArray[np.float32]:
    """A target expression: one to three entries on, each U(0.25, 1); sometimes a blink."""
    e = np.zeros(N_EXPRESSION, np.float32)
    k = int(rng.choice([1, 1, 2, 2, 3]))
    for i in rng.choice(N_EXPRESSION, size=k, replace=False):
        e[i] = rng.uniform(0.25, 1.0)
    if e[5] > 0 and rng.random() < 0.5:  # eyes usually close together
        e[6] = e[5]
    return e


def to_u8(img: NDArray[np.float32]) -> NDArray[np.uint8]:
    return np.clip(np.rint(img * 255.0), 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class StyleSet:
    """One family × split of the cache (memory-mapped)."""

    images: NDArray[np.uint8]
    """(S, 1 + T, size, size, 4): neutral first, then the T targets."""
    expressions: NDArray[np.float32]
    """(S, 1 + T, 8): zeros first."""
    points: NDArray[np.float32]
    """(S, 7, 2) feature points in pixels."""


def build(folder: Path, family: str, split: str, styles: int, targets: int, size: int) -> None:
    from .styles import FAMILIES

    fam = FAMILIES[family]
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"{family}_{split}"
    images = np.lib.format.open_memmap(
        f"{stem}_images.npy", "w+", np.uint8, (styles, 1 + targets, size, size, 4)
    )
    exprs = np.zeros((styles, 1 + targets, N_EXPRESSION), np.float32)
    points = np.zeros((styles, 7, 2), np.float32)
    for s in range(styles):
        rng = style_rng(family, split, s)
        style = fam.random_style(rng)
        neutral = fam.render(style, np.zeros(N_EXPRESSION, np.float32), size)
        images[s, 0] = to_u8(neutral.image)
        points[s] = neutral.points
        for t in range(targets):
            e = sample_expression(rng)
            exprs[s, 1 + t] = e
            images[s, 1 + t] = to_u8(fam.render(style, e, size).image)
    images.flush()
    np.save(f"{stem}_expressions.npy", exprs)
    np.save(f"{stem}_points.npy", points)
    (folder / f"{family}_{split}.json").write_text(
        json.dumps(
            {"family": family, "split": split, "styles": styles, "targets": targets, "size": size}
        )
    )


def load(folder: Path, family: str, split: str) -> StyleSet:
    stem = folder / f"{family}_{split}"
    return StyleSet(
        np.load(f"{stem}_images.npy", mmap_mode="r"),
        np.load(f"{stem}_expressions.npy"),
        np.load(f"{stem}_points.npy"),
    )


def ensure(
    folder: Path, families: tuple[str, ...], split: str, styles: int, targets: int, size: int
) -> dict[str, StyleSet]:
    out: dict[str, StyleSet] = {}
    for fam in families:
        meta = folder / f"{fam}_{split}.json"
        want = {"family": fam, "split": split, "styles": styles, "targets": targets, "size": size}
        if not meta.is_file() or json.loads(meta.read_text()) != want:
            t0 = time.time()
            build(folder, fam, split, styles, targets, size)
            print(
                f"faceedit data: {fam}/{split}: {styles} styles in {time.time() - t0:.0f} s",
                flush=True,
            )
        out[fam] = load(folder, fam, split)
    return out


def main(argv: list[str] | None = None) -> None:
    from .styles import FAMILIES

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=Path("runs/faceedit/cache"))
    p.add_argument("--families", nargs="+", default=sorted(FAMILIES))
    p.add_argument("--split", default="train", choices=sorted(SPLIT_SALT))
    p.add_argument("--styles", type=int, default=1000)
    p.add_argument("--targets", type=int, default=6)
    p.add_argument("--size", type=int, default=128)
    a: Any = p.parse_args(argv)
    ensure(a.out, tuple(a.families), a.split, a.styles, a.targets, a.size)


if __name__ == "__main__":
    main()
