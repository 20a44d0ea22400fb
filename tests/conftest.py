"""Shared test plumbing.

* ``shared_data``: path to ``../shared/data``. Absent → skip, unless MOODRIG_REQUIRE_SHARED=1,
  then fail (CI must never silently skip the real-photo tests).
* ``components.require_component``: skip when an external component (Debian's blender, xvfb) is missing,
  but fail under CI=true, where .ci/run has installed everything.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from components import truthy as _truthy

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("MOODRIG_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if SHARED_DATA.is_dir():
        return SHARED_DATA
    if _truthy("MOODRIG_REQUIRE_SHARED"):
        pytest.fail(f"MOODRIG_REQUIRE_SHARED=1 but {SHARED_DATA} does not exist")
    pytest.skip(f"shared test data not found at {SHARED_DATA}")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO
