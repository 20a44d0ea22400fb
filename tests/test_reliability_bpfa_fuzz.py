"""Fuzzing the BPFA definition loader beyond tests/test_bpfa_loader.py.

Contract under test, for *any* file handed to ``load_definition``: it returns a validated
automaton or raises :class:`DefinitionError` naming the file; nothing else escapes, nothing
hangs (a time bound per input), and YAML never constructs a Python object.

Hypothesis drives: arbitrary text as JSON/YAML, structural mutations of a valid definition
(replace/delete/add any node with JSON-like values incl. NaN/inf/huge/negative numbers and
unicode strings), probability values, and unicode ids. Fixed cases cover what random text
rarely reaches: deep nesting, invalid UTF-8, huge files, YAML python tags, alias bombs.
atheris was not used: the loader is pure Python over json/yaml, where hypothesis's structured
generation reaches the validation code far better than byte-level coverage fuzzing would.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from bpfa_definitions import minimal
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from moodrig.core.bpfa import load_definition, parse_definition
from moodrig.core.bpfa.model import Bpfa
from moodrig.core.errors import DefinitionError

TIME_BOUND_S = 5.0
"""Per input. MOODRIG_FUZZ_EXAMPLES=N runs N examples per property (default 150)."""
FUZZ = settings(max_examples=int(os.environ.get("MOODRIG_FUZZ_EXAMPLES", "150")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def dump(data: object, suffix: str) -> str:
    if suffix == ".json":
        return json.dumps(data)  # NaN/Infinity literals allowed: json.loads reads them
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def outcome(path: Path) -> str:
    """'ok' or 'DefinitionError'; any other exception, or a slow answer, fails the test."""
    t0 = time.perf_counter()
    try:
        result = load_definition(path)
        assert isinstance(result, Bpfa)
        out = "ok"
    except DefinitionError as exc:
        assert str(path) in str(exc), f"message does not name the file: {exc}"
        out = "DefinitionError"
    elapsed = time.perf_counter() - t0
    assert elapsed < TIME_BOUND_S, f"{path.name} took {elapsed:.1f}s"
    return out


def test_minimal_is_valid(tmp_path: Path) -> None:
    for suffix in (".json", ".yaml"):
        p = tmp_path / f"d{suffix}"
        p.write_text(dump(minimal(), suffix), encoding="utf-8")
        assert outcome(p) == "ok"


# ------------------------------------------------------------------ arbitrary text


@FUZZ
@given(text=st.text(max_size=400), suffix=st.sampled_from([".json", ".yaml", ".yml"]))
def test_arbitrary_text_never_escapes(tmp_path_factory: pytest.TempPathFactory, text: str, suffix: str) -> None:
    p = tmp_path_factory.mktemp("text") / f"def{suffix}"
    p.write_text(text, encoding="utf-8", errors="surrogatepass")
    assert outcome(p) == "DefinitionError"  # no random text is a complete, valid definition


YAML_ALPHABET = st.sampled_from([*list("{}[]:,-&*!|>'\"#%@` \n\tab01.?~"), "!!python/object:os.system", "<<: ", "---\n", "...\n", "&x ", "*x", "!!binary ", "!!set "])


@FUZZ
@given(parts=st.lists(YAML_ALPHABET, max_size=80), suffix=st.sampled_from([".json", ".yaml"]))
def test_syntax_soup_never_escapes(tmp_path_factory: pytest.TempPathFactory, parts: list[str], suffix: str) -> None:
    """Random sequences of JSON/YAML syntax tokens (anchors, tags, merges, flow/block styles)."""
    p = tmp_path_factory.mktemp("soup") / f"def{suffix}"
    p.write_text("".join(parts), encoding="utf-8")
    assert outcome(p) == "DefinitionError"


# ------------------------------------------------------------------ structural mutations

JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for k in path:
        node = node[k]
    return node


@FUZZ
@given(data=st.data(), suffix=st.sampled_from([".json", ".yaml"]))
def test_mutated_definitions_load_or_fail_cleanly(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, suffix: str) -> None:
    d = minimal()
    paths = [p for p in _paths(d) if p]
    n_mut = data.draw(st.integers(1, 3), label="mutations")
    for _ in range(n_mut):
        paths = [p for p in _paths(d) if p]
        path = data.draw(st.sampled_from(paths), label="path")
        parent = _get(d, path[:-1])
        op = data.draw(st.sampled_from(["replace", "delete", "add", "rename"]), label="op")
        if op == "replace":
            parent[path[-1]] = data.draw(JSONISH, label="value")
        elif op == "delete":
            del parent[path[-1]]
        elif op == "add" and isinstance(parent, dict):
            parent[data.draw(st.text(max_size=10), label="key")] = data.draw(JSONISH, label="value")
        elif op == "add":
            parent.insert(path[-1], data.draw(JSONISH, label="value"))
        elif isinstance(parent, dict):
            new = data.draw(st.text(max_size=10), label="new key")
            parent[new] = parent.pop(path[-1])
    p = tmp_path_factory.mktemp("mut") / f"def{suffix}"
    try:
        text = dump(d, suffix)
    except (ValueError, yaml.YAMLError):
        return  # not representable (e.g. integers beyond YAML's range); nothing to load
    p.write_text(text, encoding="utf-8", errors="surrogatepass")
    outcome(p)


BAD_NUMBERS = st.sampled_from([math.nan, math.inf, -math.inf, -0.5, 0.0, -0.0, 1.0000001, 2.0, 1e308, -1e308, 5e-324, "0.5", True, None, [0.5], {"p": 0.5}])


@FUZZ
@given(bad=BAD_NUMBERS, where=st.sampled_from(["to", "choice", "outcome"]), suffix=st.sampled_from([".json", ".yaml"]))
def test_bad_probabilities_are_refused_at_their_path(tmp_path_factory: pytest.TempPathFactory, bad: Any, where: str, suffix: str) -> None:
    d = minimal()
    if where == "to":
        d["transitions"][0]["to"]["hop"] = bad
        expected = "$.transitions[0].to"
    elif where == "choice":
        d["composites"]["pick"]["choice"]["rest"] = bad
        expected = "$.composites.pick.choice"
    else:
        d["actions"]["jump"]["outcomes"]["lo"]["p"] = bad
        expected = "$.actions.jump.outcomes"
    p = tmp_path_factory.mktemp("prob") / f"def{suffix}"
    p.write_text(dump(d, suffix), encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_definition(p)
    assert info.value.where.startswith(expected), info.value


ID_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")


@FUZZ
@given(new_id=st.text(min_size=0, max_size=12), suffix=st.sampled_from([".json", ".yaml"]))
@example(new_id="maybe\n", suffix=".json")  # `$` in the id pattern also matches before a final newline
@example(new_id="caf\u00e9", suffix=".yaml")
@example(new_id="*", suffix=".json")
def test_ids_are_accepted_iff_plain_ascii_identifiers(tmp_path_factory: pytest.TempPathFactory, new_id: str, suffix: str) -> None:
    """A behavior renamed consistently (definition, transition target) to any unicode string."""
    if new_id in ("idle", "hop", "maybe"):
        return
    d = minimal()
    d["behaviors"][new_id] = d["behaviors"].pop("maybe")
    d["transitions"][0]["to"] = {"hop": 0.4, new_id: 0.6}
    p = tmp_path_factory.mktemp("ids") / f"def{suffix}"
    p.write_text(dump(d, suffix), encoding="utf-8", errors="surrogatepass")
    got = outcome(p)
    assert got == ("ok" if ID_RE.fullmatch(new_id) else "DefinitionError"), repr(new_id)


# ------------------------------------------------------------------ fixed hostile inputs

PYTHON_TAGS = [
    "!!python/object/apply:pathlib.Path.touch [['{marker}']]",
    "!!python/object/apply:os.system ['touch {marker}']",
    "!!python/object/new:pathlib.Path ['{marker}']",
    "!!python/name:os.system",
    "!!python/module:os",
    "!!python/object:argparse.Namespace {{x: 1}}",
    "!<tag:yaml.org,2002:python/object/apply:os.system> ['touch {marker}']",
    "!custom {{a: 1}}",
]


@pytest.mark.parametrize("payload", PYTHON_TAGS)
@pytest.mark.parametrize("place", ["top", "value", "nested"])
def test_yaml_python_tags_are_refused_and_never_run(tmp_path: Path, payload: str, place: str) -> None:
    marker = tmp_path / "PWNED"
    value = payload.format(marker=marker)
    if place == "top":
        text = value + "\n"
    else:
        text = dump(minimal(), ".yaml").replace("name: mini", f"name: {value}" if place == "value" else f"name:\n  x: [{value}]")
    p = tmp_path / "def.yaml"
    p.write_text(text, encoding="utf-8")
    assert outcome(p) == "DefinitionError"
    assert not marker.exists()


def test_yaml_alias_bomb_is_bounded(tmp_path: Path) -> None:
    """'Billion laughs': 10⁹ leaves by aliases, placed where the loader iterates."""
    anchors = "x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"x{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 9)
    )
    for field in ("events", "transitions", "initial", "behaviors", "motions"):
        p = tmp_path / f"bomb_{field}.yaml"
        body = dump({k: v for k, v in minimal().items() if k != field}, ".yaml")
        p.write_text(anchors + body + f"{field}: *a8\n", encoding="utf-8")
        assert outcome(p) == "DefinitionError"


def test_yaml_merge_keys_and_anchors_of_a_valid_file_still_load(tmp_path: Path) -> None:
    text = dump(minimal(), ".yaml").replace("  idle:\n    body: rest", "  idle: &b\n    body: rest") + "x-note: *b\n"
    p = tmp_path / "def.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError, match="unknown key 'x-note'"):
        load_definition(p)


def _in_subprocess(code: str, timeout: float) -> tuple[str, float]:
    """Run loader code in a child so a hang or a crash is observed, not suffered."""
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", time.perf_counter() - t0
    return (proc.stdout.strip().splitlines() or [proc.stderr.strip()[-300:]])[-1], time.perf_counter() - t0


LOAD_AND_NAME = """
from moodrig.core.bpfa import load_definition
from moodrig.core.errors import DefinitionError
try:
    load_definition({path!r}); print("ok")
except DefinitionError as e:
    print("DefinitionError")
except BaseException as e:
    print("ESCAPED " + type(e).__name__)
"""


@pytest.mark.parametrize(
    "name, text",
    [
        ("deep.json", "[" * 100_000 + "]" * 100_000),
        ("deep_obj.json", '{"a":' * 50_000 + "1" + "}" * 50_000),
        ("deep.yaml", "[" * 20_000 + "]" * 20_000),
        ("deep_block.yaml", "".join("  " * i + "a:\n" for i in range(3000)) + "  " * 3000 + "b\n"),
    ],
)
def test_deep_nesting_is_a_definition_error(tmp_path: Path, name: str, text: str) -> None:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    got, _ = _in_subprocess(LOAD_AND_NAME.format(path=str(p)), timeout=60)
    assert got == "DefinitionError", f"{name}: {got}"


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_invalid_utf8_is_a_definition_error(tmp_path: Path, suffix: str) -> None:
    p = tmp_path / f"latin1{suffix}"
    p.write_bytes(dump(minimal(), suffix).replace("mini", "caf\u00e9").encode("latin-1"))
    got, _ = _in_subprocess(LOAD_AND_NAME.format(path=str(p)), timeout=60)
    assert got == "DefinitionError", got


def test_huge_definition_is_refused_or_parsed_quickly(tmp_path: Path) -> None:
    """A 2 MB file (200,000 event names): refused for its size or parsed within a bound,
    never minutes of CPU (found: validation time grows with the square of the event count;
    after the fix it parses in about a second)."""
    d = minimal()
    d["events"] = d["events"] + [f"e{i}" for i in range(200_000)]
    p = tmp_path / "huge.json"
    p.write_text(json.dumps(d), encoding="utf-8")
    assert p.stat().st_size > 2_000_000
    got, elapsed = _in_subprocess(LOAD_AND_NAME.format(path=str(p)), timeout=20)
    assert got in ("ok", "DefinitionError"), f"{got} after {elapsed:.0f}s"


def test_a_large_valid_definition_still_loads(tmp_path: Path) -> None:
    """The size guard, wherever it is, must not refuse realistic libraries (500 behaviors)."""
    d = minimal()
    for i in range(500):
        d["behaviors"][f"b{i}"] = {"body": "rest"}
    d["transitions"][0]["to"] = {"hop": 0.4, "maybe": 0.6}
    d["transitions"].append({"from": "hop", "event": "poke", "to": {f"b{i}": 1 / 500 for i in range(500)}})
    parse_definition(copy.deepcopy(d))  # in-memory first: sums of 500 × 0.002 are exact enough
    p = tmp_path / "large.json"
    p.write_text(json.dumps(d), encoding="utf-8")
    assert outcome(p) == "ok"
