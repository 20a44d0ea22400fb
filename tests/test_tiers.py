"""The tier rules of tests/tiers.py sort tests by what they use, and the slow list names tests
that exist (a renamed test would otherwise drop silently into the fast tier)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from tiers import TESTS, markers_for, slow_list

PARITY_PY = Path("/somewhere") / ".venv-parity" / "bin" / "python"


def _item(
    function: Any,
    *,
    fixtures: tuple[str, ...] = (),
    module: str = "test_x.py",
    nodeid: str = "tests/test_x.py::t",
) -> Any:
    """What markers_for reads of a pytest item."""
    return SimpleNamespace(
        function=function,
        fixturenames=fixtures,
        path=TESTS / module,
        nodeid=nodeid,
        _fixtureinfo=SimpleNamespace(name2fixturedefs={}),
    )


def _runs_a_snippet() -> None:
    from bpy_runner import run_bpy

    run_bpy("report(1)")


def _helper_twice_removed() -> None:
    _runs_a_snippet()


def _imports_bpy() -> None:
    import bpy  # type: ignore[import-not-found]  # noqa: F401


def _debian_blender() -> None:
    if shutil.which("blender"):
        subprocess.run(["blender", "-b", "--version"], check=True)


def _names_blender() -> dict[str, str]:
    return {"tier": "blender", "bin": shutil.which("python3") or ""}


def _parity() -> None:
    subprocess.run([str(PARITY_PY), "-c", "pass"], check=True)


def _plain() -> None:
    assert sorted([3, 1]) == [1, 3]


# Reached through a dict, so that the tests below do not earn these markers themselves.
SAMPLES = {
    "helper": _helper_twice_removed,
    "import": _imports_bpy,
    "parity": _parity,
    "plain": _plain,
    "gui": lambda: [_debian_blender() for _ in range(1)],
    "snippet": _runs_a_snippet,
    "word": _names_blender,
}


def test_each_rule_gives_its_marker() -> None:
    assert markers_for(_item(SAMPLES["helper"]), frozenset()) == ["blender"]
    assert markers_for(_item(SAMPLES["import"]), frozenset()) == ["blender"]
    assert markers_for(_item(SAMPLES["gui"]), frozenset()) == ["gui"]
    assert markers_for(_item(SAMPLES["parity"]), frozenset()) == ["parity"]
    plain = SAMPLES["plain"]
    none: frozenset[str] = frozenset()
    assert markers_for(_item(plain, fixtures=("shared_data", "tmp_path")), none) == ["shared"]
    assert markers_for(_item(plain, module="test_reliability_new.py"), none) == ["reliability"]
    assert markers_for(_item(plain), frozenset({"tests/test_x.py::t"})) == ["slow"]
    assert markers_for(_item(plain), frozenset()) == []
    assert markers_for(_item(SAMPLES["word"]), frozenset()) == [], "the word alone is no tier"


def test_fixture_functions_are_followed() -> None:
    item = _item(SAMPLES["plain"])
    item._fixtureinfo.name2fixturedefs = {"scene": [SimpleNamespace(func=SAMPLES["snippet"])]}
    assert markers_for(item, frozenset()) == ["blender"]


def test_the_slow_list_names_existing_tests(tmp_path: Path) -> None:
    listed = slow_list(TESTS / "slow_tests.txt")
    assert listed, "tests/slow_tests.txt lists no test"
    gone = []
    for nodeid in sorted(listed):
        path, _, name = nodeid.partition("::")
        source = TESTS.parent / path
        function = re.sub(r"\[.*\]$", "", name)
        if not source.is_file() or not re.search(rf"^def {function}\(", source.read_text(), re.M):
            gone.append(nodeid)
    assert not gone, f"tests/slow_tests.txt names tests that no longer exist: {gone}"
    (tmp_path / "list.txt").write_text("# header\n\ntests/a.py::t  # 3.0 s\ntests/b.py::u[x]\n")
    assert slow_list(tmp_path / "list.txt") == {"tests/a.py::t", "tests/b.py::u[x]"}
    assert slow_list(tmp_path / "missing.txt") == frozenset()
