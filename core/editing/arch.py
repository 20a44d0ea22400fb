"""Architecture configs as manifests store them: JSON-ready dicts, refused when unknown fields
appear (weights made by a newer moodrig), and bounded, so a manifest cannot ask for a network
that does not fit in memory: every field's type is checked when the dict is read, and each
config's ``__post_init__`` puts a range on every number (:func:`check_int`,
:func:`check_widths`)."""

from __future__ import annotations

import dataclasses
import numbers
from dataclasses import asdict, fields
from typing import Any, TypeVar

C = TypeVar("C", bound="ArchitectureConfig")

MAX_RESOLUTION = 512
"""Largest working resolution of an editing network, pixels (the shipped ones work at 64)."""
MAX_WIDTH = 1024
"""Most channels of one layer (the shipped networks use at most 128)."""
MAX_STAGES = 8
"""Most entries of a tuple of widths (discriminator stages)."""
MAX_BLOCKS = 32
"""Most residual blocks (the shipped networks use 2 and 3)."""
MAX_ACTIVATION = 1 << 22
"""Most elements of one feature map of one image, resolution² × width (16 MB in float32; the
shipped networks' largest is 64² × 128 = 0.5 M)."""


class ArchitectureConfig:
    """Mixin for a frozen dataclass whose fields are numbers, flags and tuples of ints."""

    def to_dict(self) -> dict[str, Any]:
        """The fields, tuples as lists (as the manifest's JSON holds them)."""
        d = asdict(self)  # type: ignore[call-overload]
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}

    @classmethod
    def from_dict(cls: type[C], d: dict[str, Any]) -> C:
        """Inverse of ``to_dict``; ValueError on unknown fields or on a value of the wrong type
        (missing fields take defaults). Ranges are the config's own ``__post_init__``."""
        known = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
        unknown = set(d) - set(known)
        if unknown:
            raise ValueError(f"unknown {cls.__name__} field(s) {sorted(unknown)}")
        kw = {k: _typed(cls.__name__, k, v, known[k]) for k, v in d.items()}
        return cls(**kw)


def _typed(owner: str, name: str, value: Any, f: dataclasses.Field[Any]) -> Any:
    """A manifest value as the field's type: bool fields take JSON booleans, int fields whole
    numbers, tuple fields lists of whole numbers (at most :data:`MAX_STAGES` of them)."""
    default = f.default
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ValueError(f"{owner}.{name} must be true or false, got {value!r}")
        return value
    if isinstance(default, tuple):
        if not isinstance(value, (list, tuple)) or len(value) > MAX_STAGES:
            raise ValueError(f"{owner}.{name} must be a list of at most {MAX_STAGES} widths")
        for v in value:
            _whole(owner, name, v)
        return tuple(value)
    if isinstance(default, int):
        _whole(owner, name, value)
    return value


def _whole(owner: str, name: str, value: Any) -> None:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise ValueError(f"{owner}.{name} must be a whole number, got {value!r}")


def check_int(owner: str, name: str, value: Any, low: int, high: int) -> None:
    """ValueError unless ``value`` is a whole number in [low, high]."""
    _whole(owner, name, value)
    if not low <= value <= high:
        raise ValueError(f"{owner}.{name} must be in [{low}, {high}], got {value}")


def check_widths(
    owner: str, name: str, values: Any, count: tuple[int, int], high: int = MAX_WIDTH
) -> None:
    """ValueError unless ``values`` holds count[0] to count[1] whole numbers in [1, high]."""
    if not isinstance(values, (tuple, list)) or not count[0] <= len(values) <= count[1]:
        n = str(count[0]) if count[0] == count[1] else f"{count[0]} to {count[1]}"
        raise ValueError(f"{owner}.{name} must hold {n} widths")
    for v in values:
        check_int(owner, name, v, 1, high)


def check_resolution(owner: str, value: Any) -> None:
    """ValueError unless ``value`` is a multiple of 16 in [16, :data:`MAX_RESOLUTION`]."""
    check_int(owner, "resolution", value, 16, MAX_RESOLUTION)
    if value % 16:
        raise ValueError(f"{owner}.resolution must be a multiple of 16, got {value}")


def check_activation(owner: str, resolution: int, widths: tuple[int, ...]) -> None:
    """ValueError when a feature map at full resolution with the widest layer's channels would
    exceed :data:`MAX_ACTIVATION` elements (a large file is not needed to ask for that)."""
    size = resolution * resolution * max(widths)
    if size > MAX_ACTIVATION:
        raise ValueError(
            f"{owner}: resolution {resolution} with {max(widths)} channels gives "
            f"feature maps of {size} elements, more than {MAX_ACTIVATION}"
        )
