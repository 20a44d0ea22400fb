"""Marking datablocks moodrig generated, so re-runs replace only its own and never the user's."""

from __future__ import annotations

from typing import Any

TAG = "moodrig_generated"


def tag(datablock: Any, role: str) -> Any:
    """Mark ``datablock`` as moodrig's, with the role it plays (e.g. 'demo_face_texture')."""
    datablock[TAG] = role
    return datablock


def is_moodrig(datablock: Any) -> bool:
    return bool(datablock.get(TAG))


def role_of(datablock: Any) -> str | None:
    value = datablock.get(TAG)
    return str(value) if value else None
