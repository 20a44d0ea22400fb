"""Architecture configs as manifests store them: JSON-ready dicts, refused when unknown fields
appear (weights made by a newer moodrig)."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any, TypeVar

C = TypeVar("C", bound="ArchitectureConfig")


class ArchitectureConfig:
    """Mixin for a frozen dataclass whose fields are numbers, flags and tuples of ints."""

    def to_dict(self) -> dict[str, Any]:
        """The fields, tuples as lists (as the manifest's JSON holds them)."""
        d = asdict(self)  # type: ignore[call-overload]
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}

    @classmethod
    def from_dict(cls: type[C], d: dict[str, Any]) -> C:
        """Inverse of ``to_dict``; ValueError on unknown fields (missing ones take defaults)."""
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown {cls.__name__} field(s) {sorted(unknown)}")
        kw = {
            k: tuple(int(c) for c in v) if isinstance(v, (list, tuple)) else v for k, v in d.items()
        }
        return cls(**kw)
