"""Shared test plumbing.

* ``shared_data``: path to ``../shared/data``. Absent → skip, unless MOODRIG_REQUIRE_SHARED=1,
  then fail (CI must never silently skip the real-photo tests).
* ``built_zip``: the add-on zip, built once per session from this tree.
* ``components.require_component``: skip when an external component (Debian's blender, xvfb) is
  missing, but fail under CI=true, where .ci/run has installed everything.
* Tiers: every collected test gets its markers from what it uses (``tiers.markers_for``), so a
  new test file is sorted without a decorator; see tests/README.md.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from components import truthy as _truthy
from tiers import markers_for, slow_list

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


@pytest.fixture(scope="session")
def built_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The add-on zip built from this tree by build_addon.build, once per session: tests that
    install, unpack or list it share one build. Read it, never modify it."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    import build_addon

    return build_addon.build(REPO, tmp_path_factory.mktemp("dist"))


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    slow = slow_list(Path(__file__).with_name("slow_tests.txt"))
    for item in items:
        for name in markers_for(item, slow):
            item.add_marker(name)
