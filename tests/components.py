"""Skip-or-fail for missing components, importable by test modules (conftest is not)."""

from __future__ import annotations

import os

import pytest


def truthy(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes"}


def require_component(ok: bool, what: str) -> None:
    """Skip (locally) or fail (CI=true) when a component the test needs is missing."""
    if ok:
        return
    if truthy("CI"):
        pytest.fail(f"{what} is missing under CI=true; .ci/run must install it")
    pytest.skip(f"{what} is not available")
