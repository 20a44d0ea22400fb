"""The registry of face-style families, in a fixed order."""

from __future__ import annotations

from . import anime, flat, painter, painterly, pixel
from .base import Family

FAMILIES: dict[str, Family] = {
    "painter": Family(
        "painter", painter.random_style, painter.render, painter.region, painter.MIN_SIZE, None
    ),
    "pixel": Family(
        "pixel", pixel.random_style, pixel.render, pixel.region, pixel.MIN_SIZE, pixel.layers
    ),
    "anime": Family(
        "anime", anime.random_style, anime.render, anime.region, anime.MIN_SIZE, anime.layers
    ),
    "flat": Family("flat", flat.random_style, flat.render, flat.region, flat.MIN_SIZE, flat.layers),
    "painterly": Family(
        "painterly",
        painterly.random_style,
        painterly.render,
        painterly.region,
        painterly.MIN_SIZE,
        painterly.layers,
    ),
}
"""Every family by name: ``painter`` (moodrig's own painter) and four independent styles."""
FAMILY_NAMES: tuple[str, ...] = tuple(FAMILIES)


def get_family(name: str) -> Family:
    """The family called ``name``; ValueError naming the known ones otherwise."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise ValueError(
            f"unknown face-style family {name!r}; known: {', '.join(FAMILY_NAMES)}"
        ) from None
