"""Sort each test into tiers from what it uses, so new test files need no decorator.

The rules (tests/README.md repeats them for test authors):

* ``blender``: reaches ``run_bpy`` / ``bpy_available`` (tests/bpy_runner.py) or imports ``bpy``;
* ``gui``: reaches tests/gui_runner.py or looks for Debian's Blender executable with
  ``shutil.which("blender")`` (as every test that runs it must, to skip or fail clearly);
* ``parity``: reaches a module constant that names the ``.venv-parity`` interpreter;
* ``shared``: requests the ``shared_data`` fixture;
* ``reliability``: lives in a ``test_reliability_*`` module;
* ``slow``: listed in tests/slow_tests.txt (measured durations) or marked by hand.

"Reaches" means: named in the test function, in a fixture it requests, or in a function of the
test tree that those call, followed transitively (closures and comprehensions included).
Explicit ``pytest.mark.*`` decorators still apply; this only adds markers.
"""

from __future__ import annotations

import dis
import functools
import inspect
import types
from collections.abc import Iterable
from pathlib import Path, PurePath
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parent
BLENDER_NAMES = frozenset({"run_bpy", "bpy_available", "bpy"})
GUI_NAMES = frozenset({"run_blender_gui", "require_gui_tools", "xvfb"})
DEBIAN_BLENDER = "blender"
PARITY_VENV = ".venv-parity"


def slow_list(path: Path) -> frozenset[str]:
    """Node ids from ``path``: one per line, ``#`` starts a comment (the measured seconds)."""
    if not path.is_file():
        return frozenset()
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return frozenset(line for line in lines if line)


def _in_tests(fn: Any) -> bool:
    """A function of the test tree (this classifier excepted), whose calls count as the test's."""
    try:
        path = Path(inspect.getfile(fn)).resolve()
    except (TypeError, OSError):
        return False
    return path.is_relative_to(TESTS) and path != Path(__file__).resolve()


def _which_blender(code: types.CodeType) -> bool:
    """``which("blender")`` in ``code``: the constant loaded right after the name ``which``."""
    last_name = ""
    for ins in dis.get_instructions(code):
        if ins.opname == "LOAD_CONST" and ins.argval == DEBIAN_BLENDER and last_name == "which":
            return True
        if ins.opname in {"LOAD_ATTR", "LOAD_METHOD", "LOAD_GLOBAL", "LOAD_NAME"}:
            last_name = str(ins.argval)
        elif ins.opname not in {"PUSH_NULL", "PRECALL", "CACHE"}:
            last_name = ""
    return False


def _codes(code: types.CodeType) -> Iterable[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _codes(const)


@functools.cache
def _direct(fn: Any) -> tuple[frozenset[str], bool, tuple[Any, ...], tuple[Any, ...]]:
    """What ``fn`` itself names (nested code included): names, ``which("blender")``, the values
    of the globals named, and the test-tree functions among them. Cached: parametrized tests
    and shared helpers are read once."""
    scope = getattr(fn, "__globals__", {})
    names: set[str] = set()
    which_blender = False
    values: list[Any] = []
    for c in _codes(fn.__code__):
        names.update(c.co_names)
        which_blender = which_blender or _which_blender(c)
        values += [scope[name] for name in c.co_names if name in scope]
    callees = tuple(v for v in values if inspect.isfunction(v) and _in_tests(v))
    return frozenset(names), which_blender, tuple(values), callees


def reach(roots: Iterable[Any]) -> tuple[set[str], bool, list[Any]]:
    """Global and attribute names, whether ``which("blender")`` is called, and the values of the
    globals named, over ``roots`` and every function of the test tree they name, transitively."""
    names: set[str] = set()
    which_blender = False
    values: list[Any] = []
    todo = [inspect.unwrap(fn) for fn in roots]
    seen: set[Any] = set()
    while todo:
        fn = todo.pop()
        if getattr(fn, "__code__", None) is None or fn in seen:
            continue
        seen.add(fn)
        fn_names, fn_which, fn_values, callees = _direct(fn)
        names |= fn_names
        which_blender = which_blender or fn_which
        values += fn_values
        todo += callees
    return names, which_blender, values


def _fixture_functions(item: pytest.Item) -> list[Any]:
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return []
    return [d.func for defs in info.name2fixturedefs.values() for d in defs if _in_tests(d.func)]


def markers_for(item: pytest.Item, slow: frozenset[str]) -> list[str]:
    """The tier markers ``item`` earns by the rules of this module."""
    function = getattr(item, "function", None)
    names, which_blender, values = reach([function, *_fixture_functions(item)] if function else [])
    found = []
    if names & BLENDER_NAMES:
        found.append("blender")
    if names & GUI_NAMES or which_blender:
        found.append("gui")
    if any(isinstance(v, (str, PurePath)) and PARITY_VENV in str(v) for v in values):
        found.append("parity")
    if "shared_data" in getattr(item, "fixturenames", ()):
        found.append("shared")
    if item.path.name.startswith("test_reliability_"):
        found.append("reliability")
    if item.nodeid in slow:
        found.append("slow")
    return found
