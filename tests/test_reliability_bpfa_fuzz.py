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

import numpy as np
import pytest
import yaml
from bpfa_definitions import minimal
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from peak_rss import outcomes_in_child

from moodrig.core.bpfa import load_definition, parse_definition
from moodrig.core.bpfa.model import Bpfa, Event
from moodrig.core.errors import DefinitionError

TIME_BOUND_S = 5.0
"""Per input. MOODRIG_FUZZ_EXAMPLES=N runs N examples per property (default 150)."""
FUZZ = settings(
    max_examples=int(os.environ.get("MOODRIG_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


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
def test_arbitrary_text_never_escapes(
    tmp_path_factory: pytest.TempPathFactory, text: str, suffix: str
) -> None:
    p = tmp_path_factory.mktemp("text") / f"def{suffix}"
    p.write_text(text, encoding="utf-8", errors="surrogatepass")
    assert outcome(p) == "DefinitionError"  # no random text is a complete, valid definition


YAML_ALPHABET = st.sampled_from(
    [
        *list("{}[]:,-&*!|>'\"#%@` \n\tab01.?~"),
        "!!python/object:os.system",
        "<<: ",
        "---\n",
        "...\n",
        "&x ",
        "*x",
        "!!binary ",
        "!!set ",
    ]
)


@FUZZ
@given(parts=st.lists(YAML_ALPHABET, max_size=80), suffix=st.sampled_from([".json", ".yaml"]))
def test_syntax_soup_never_escapes(
    tmp_path_factory: pytest.TempPathFactory, parts: list[str], suffix: str
) -> None:
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
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
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
def test_mutated_definitions_load_or_fail_cleanly(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, suffix: str
) -> None:
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


BAD_NUMBERS = st.sampled_from(
    [
        math.nan,
        math.inf,
        -math.inf,
        -0.5,
        0.0,
        -0.0,
        1.0000001,
        2.0,
        1e308,
        -1e308,
        5e-324,
        "0.5",
        True,
        None,
        [0.5],
        {"p": 0.5},
    ]
)


@FUZZ
@given(
    bad=BAD_NUMBERS,
    where=st.sampled_from(["to", "choice", "outcome"]),
    suffix=st.sampled_from([".json", ".yaml"]),
)
def test_bad_probabilities_are_refused_at_their_path(
    tmp_path_factory: pytest.TempPathFactory, bad: Any, where: str, suffix: str
) -> None:
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
@example(
    new_id="maybe\n", suffix=".json"
)  # `$` in the id pattern also matches before a final newline
@example(new_id="caf\u00e9", suffix=".yaml")
@example(new_id="*", suffix=".json")
def test_ids_are_accepted_iff_plain_ascii_identifiers(
    tmp_path_factory: pytest.TempPathFactory, new_id: str, suffix: str
) -> None:
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
def test_yaml_python_tags_are_refused_and_never_run(
    tmp_path: Path, payload: str, place: str
) -> None:
    marker = tmp_path / "PWNED"
    value = payload.format(marker=marker)
    if place == "top":
        text = value + "\n"
    else:
        text = dump(minimal(), ".yaml").replace(
            "name: mini", f"name: {value}" if place == "value" else f"name:\n  x: [{value}]"
        )
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
    text = (
        dump(minimal(), ".yaml").replace("  idle:\n    body: rest", "  idle: &b\n    body: rest")
        + "x-note: *b\n"
    )
    p = tmp_path / "def.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError, match="unknown key 'x-note'"):
        load_definition(p)


def _in_subprocess(code: str, timeout: float) -> tuple[str, float]:
    """Run loader code in a child so a hang or a crash is observed, not suffered."""
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return "timeout", time.perf_counter() - t0
    return (proc.stdout.strip().splitlines() or [proc.stderr.strip()[-300:]])[
        -1
    ], time.perf_counter() - t0


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
    d["transitions"].append(
        {"from": "hop", "event": "poke", "to": {f"b{i}": 1 / 500 for i in range(500)}}
    )
    parse_definition(copy.deepcopy(d))  # in-memory first: sums of 500 × 0.002 are exact enough
    p = tmp_path / "large.json"
    p.write_text(json.dumps(d), encoding="utf-8")
    assert outcome(p) == "ok"


# ------------------------------------------------------------------ aliases used as values

BOMB_VALUE = (
    "[&a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol], "
    + ", ".join(f"&a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9))
    + ", *a8]"
)
"""A flow list whose last item repeats 10⁹ leaves through aliases, all defined inside it."""

BOMB_PLACES = {
    "name": ("name: mini", "name: {v}"),
    "events": ("events:\n- poke\n- calm", "events: {v}"),
    "event item": ("- poke\n- calm", "- {v}\n- calm"),
    "initial": ("initial: idle", "initial: {v}"),
    "body": ("    body: rest", "    body: {v}"),
    "duration": ("duration: 1.0", "duration: {v}"),
    "table": ("table:\n      - - 0\n        - 0.1\n        - 0.2", "table: {v}"),
    "transition target": ("    hop: 0.4", "    hop: {v}"),
    "script": ("initial: idle", "initial: idle\nscript: {v}"),
}

LOAD_DEFINITION = """
from moodrig.core.bpfa import load_definition as load
from moodrig.core.errors import DefinitionError
"""


def _yaml_minimal() -> str:
    return yaml.safe_dump(minimal(), sort_keys=False)


def test_yaml_alias_bomb_used_as_a_value_is_refused_quickly_in_bounded_memory(
    tmp_path: Path,
) -> None:
    """The bomb sits in accepted fields (no unknown key is refused first): it must be refused
    while it is being read, never expanded by a check or an error message."""
    base = _yaml_minimal()
    paths = []
    for place, (old, new) in BOMB_PLACES.items():
        assert base.count(old) == 1, place
        p = tmp_path / f"bomb_{place.replace(' ', '_')}.yaml"
        p.write_text(base.replace(old, new.format(v=BOMB_VALUE)), encoding="utf-8")
        paths.append(str(p))
    r = outcomes_in_child(LOAD_DEFINITION, "DefinitionError", paths)
    for p in paths:
        msg, seconds = r[p]
        assert msg.startswith(p) and "1,000,000 YAML nodes" in msg and "\n" not in msg, msg
        assert seconds < TIME_BOUND_S, (p, seconds)
    assert r["growth_mb"] < 100, f"peak RSS grew {r['growth_mb']:.0f} MB"


def test_a_few_aliases_in_a_valid_file_still_load(tmp_path: Path) -> None:
    text = _yaml_minimal().replace("    - role: head", "    - &chan\n      role: head")
    text = text.replace("        - 0.2\n", "        - 0.2\n    - *chan\n", 1)
    p = tmp_path / "aliases.yaml"
    p.write_text(text, encoding="utf-8")
    bpfa = load_definition(p)
    assert len(bpfa.motions["m"].channels) == 2


def test_recursive_yaml_alias_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "recursive.yaml"
    p.write_text(_yaml_minimal().replace("name: mini", "name: &r [1, *r]"), encoding="utf-8")
    with pytest.raises(DefinitionError, match="refers to a structure that contains it") as info:
        load_definition(p)
    assert info.value.path == str(p) and info.value.where == "line 2, column 14"


@pytest.mark.slow
def test_yaml_node_count_is_bounded(tmp_path: Path) -> None:
    """1.2 million plain scalars (no alias): refused at the node cap, in bounded memory."""
    p = tmp_path / "many.yaml"
    p.write_text(
        _yaml_minimal().replace("events:\n", "events:\n" + "- a\n" * 1_200_000, 1), encoding="utf-8"
    )
    r = outcomes_in_child(LOAD_DEFINITION, "DefinitionError", [str(p)])
    assert "1,000,000 YAML nodes" in r[str(p)][0]
    assert r["growth_mb"] < 700, r


# ------------------------------------------------------------------ syntax errors, sizes


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("unclosed.yaml", "format: moodrig.bpfa/1\nname: [mini\n", "line 3, column 1"),
        ("tab.yaml", "format: moodrig.bpfa/1\nname:\n\t- x\n", "line 3, column 1"),
        ("colon.yaml", "format: a: b\n", "line 1, column 10"),
        ("unclosed.json", '{"format": "moodrig.bpfa/1",\n "name": [1, 2\n}', "line 3, column 1"),
        ("trailing.json", '{"a": 1,}', "line 1, column 9"),
    ],
)
def test_syntax_errors_are_one_line_naming_file_line_and_column(
    tmp_path: Path, name: str, text: str, where: str
) -> None:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_definition(p)
    msg = str(info.value)
    assert "\n" not in msg and "<unicode string>" not in msg, msg
    assert msg.startswith(f"{p} at {where}: not valid "), msg


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    p = tmp_path / "big.json"
    with p.open("wb") as fh:
        fh.truncate(16_000_001)  # sparse: the size is there, the bytes never are
    t0 = time.perf_counter()
    with pytest.raises(DefinitionError, match="more than the 16,000,000 bytes"):
        load_definition(p)
    assert time.perf_counter() - t0 < 1.0


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_non_files_are_refused_without_blocking(tmp_path: Path, kind: str) -> None:
    p = tmp_path / f"odd.{'yaml' if kind == 'fifo' else 'json'}"
    if kind == "folder":
        p.mkdir()
    else:
        os.mkfifo(p)
    with pytest.raises(
        DefinitionError, match="folder" if kind == "folder" else "not a regular file"
    ):
        load_definition(p)


# ------------------------------------------------------------------ deep composite chains


def _chain(n: int, kind: str) -> dict[str, Any]:
    """A valid, acyclic chain of ``n`` composites (or sub-automata) each holding the previous."""
    d = minimal()
    prev = "rest"
    for i in range(n):
        if kind == "sequence":
            d["composites"][f"c{i}"] = {"sequence": [prev]}
        elif kind == "choice":
            d["composites"][f"c{i}"] = {"choice": {prev: 1.0}}
        elif kind == "pair":
            d["composites"][f"c{i}"] = {"sequence": [prev, "jump"] if i % 100 == 0 else [prev]}
        else:
            d.setdefault("automata", {})[f"c{i}"] = {
                "behaviors": {"s": {"body": prev}},
                "initial": "s",
                "final": ["s"],
                "transitions": [],
            }
        prev = f"c{i}"
    d["behaviors"]["hop"]["body"] = prev
    d["transitions"][0]["to"] = {"hop": 1.0}
    return d


@pytest.mark.parametrize("kind", ["sequence", "choice", "pair", "automaton"])
def test_a_chain_of_1500_nested_composites_loads_and_plays(tmp_path: Path, kind: str) -> None:
    from moodrig.core.bpfa import behavior_track, sync_metrics
    from moodrig.weights_tools.bpfa_tracks import DEMO_CHARACTERS, demo_track

    p = tmp_path / f"chain_{kind}.json"
    p.write_text(json.dumps(_chain(1500, kind)), encoding="utf-8")
    bpfa = load_definition(p)
    track = demo_track(DEMO_CHARACTERS[0], 10.0, 1)
    poke = Event("cue", "test", "*", "poke", 1.0, 1.5)
    res = behavior_track(track, bpfa, seed=2, external_events=[poke])
    assert "hop" in {s.behavior for s in res.timeline.segments}
    assert all(np.isfinite(c).all() for c in res.curves.values())
    sync_metrics(track, res.curves, bpfa, res.events)  # the sync metric walks composites too


@pytest.mark.parametrize("kind", ["sequence", "choice", "automaton"])
def test_a_chain_of_100000_nested_composites_is_refused_with_the_limit(
    tmp_path: Path, kind: str
) -> None:
    p = tmp_path / f"chain_{kind}.json"
    p.write_text(json.dumps(_chain(100_000, kind)), encoding="utf-8")
    got, elapsed = _in_subprocess(LOAD_AND_MESSAGE.format(path=str(p)), timeout=60)
    assert got.startswith(str(p)) and "more than 10,000 levels deep" in got, got
    assert elapsed < 30, elapsed


LOAD_AND_MESSAGE = """
from moodrig.core.bpfa import load_definition
from moodrig.core.errors import DefinitionError
try:
    load_definition({path!r}); print("ok")
except DefinitionError as e:
    print(str(e))
except BaseException as e:
    print("ESCAPED " + type(e).__name__)
"""


# ------------------------------------------------------------------ numeric extremes

NUMERIC_FIELDS: dict[str, tuple[tuple[Any, ...], str]] = {
    "duration": (
        ("actions", "rest", "outcomes", "a", "duration"),
        "$.actions.rest.outcomes.a.duration",
    ),
    "scale": (("actions", "jump", "outcomes", "hi", "scale"), "$.actions.jump.outcomes.hi.scale"),
    "p": (("actions", "rest", "outcomes", "a", "p"), "$.actions.rest.outcomes"),
    "blend": (("behaviors", "hop", "blend"), "$.behaviors.hop.blend"),
    "cycles": (("motions", "m", "channels", 0, "cycles"), "$.motions.m.channels[0].cycles"),
    "hz": (("motions", "m", "channels", 0, "hz"), "$.motions.m.channels[0].hz"),
    "gain": (("motions", "m", "channels", 0, "gain"), "$.motions.m.channels[0].gain"),
    "variation": (
        ("motions", "m", "channels", 0, "variation"),
        "$.motions.m.channels[0].variation",
    ),
    "table angle": (
        ("motions", "m", "channels", 0, "table", 0, 0),
        "$.motions.m.channels[0].table[0][0]",
    ),
    "table start": (
        ("motions", "m", "channels", 0, "table", 0, 1),
        "$.motions.m.channels[0].table[0][1]",
    ),
    "table end": (
        ("motions", "m", "channels", 0, "table", 0, 2),
        "$.motions.m.channels[0].table[0][2]",
    ),
    "timestamp": (("script", 0, "timestamp"), "$.script[0].timestamp"),
    "expiry": (("script", 0, "expiry"), "$.script[0].expiry"),
    "choice": (("composites", "pick", "choice", "rest"), "$.composites.pick.choice"),
    "transition": (("transitions", 0, "to", "hop"), "$.transitions[0].to"),
}

EXTREMES = [
    1e308,
    -1e308,
    math.inf,
    -math.inf,
    math.nan,
    -0.0,
    0.0,
    5e-324,
    -5e-324,
    2.2250738585072014e-308,
    1e-310,
    1.7976931348623157e308,
    10**400,
    -(10**400),
    2**63,
    1e-3,
    0.999999,
    12.0,
    12.000001,
    3600.0,
    3600.0001,
    86400.0,
    100.0,
    100.5,
    -10.0,
    10.0,
    10.01,
    math.pi,
    7.0,
    -7.0,
]
"""Floats at and beyond every limit, subnormals, signed zeros, non-finite values, huge ints."""


def _with_value(field: str, value: Any) -> dict[str, Any]:
    d = minimal()
    d["script"] = [
        {"id": "cue", "content": "poke", "timestamp": 1.0}
        if field == "timestamp"
        else {"id": "cue", "content": "poke", "timestamp": 0.0, "expiry": 1.5}
    ]
    d["motions"]["m"]["channels"][0]["shape"] = "cycle" if field == "hz" else "oscillate"
    keys, _ = NUMERIC_FIELDS[field]
    node: Any = d
    for k in keys[:-1]:
        node = node[k]
    node[keys[-1]] = value
    return d


def _play_short(bpfa: Bpfa) -> None:
    """A loaded definition must play: finite curves, or a DefinitionError (never NaN keys)."""
    from moodrig.core.bpfa import behavior_track
    from moodrig.core.track import ExpressionTrack

    n = 72
    head = np.zeros((n, 3), np.float32)
    head[:, 0] = np.linspace(-30, 30, n)
    res = behavior_track(ExpressionTrack(24.0, np.zeros((n, 8), np.float32), head), bpfa, seed=1)
    assert all(np.isfinite(c).all() for c in res.curves.values())


@FUZZ
@given(
    field=st.sampled_from(sorted(NUMERIC_FIELDS)),
    value=st.sampled_from(EXTREMES) | st.floats(allow_nan=True, allow_infinity=True),
    suffix=st.sampled_from([".json", ".yaml"]),
)
@example(field="duration", value=1e308, suffix=".json")
@example(field="timestamp", value=1e308, suffix=".yaml")
@example(field="cycles", value=1e308, suffix=".json")
@example(field="hz", value=1e308, suffix=".json")
@example(field="variation", value=1e308, suffix=".json")
@example(field="blend", value=1e308, suffix=".json")
@example(field="duration", value=5e-324, suffix=".yaml")
@example(field="scale", value=-0.0, suffix=".json")
def test_numeric_extremes_are_refused_at_their_path_or_play_finite(
    tmp_path_factory: pytest.TempPathFactory, field: str, value: Any, suffix: str
) -> None:
    """Every number of a definition, set to extremes: a DefinitionError at that number's path
    (one line, naming the file), or a definition whose curves are finite."""
    p = tmp_path_factory.mktemp("num") / f"def{suffix}"
    try:
        text = dump(_with_value(field, value), suffix)
    except (ValueError, OverflowError, yaml.YAMLError):
        return
    p.write_text(text, encoding="utf-8")
    t0 = time.perf_counter()
    try:
        bpfa = load_definition(p)
    except DefinitionError as exc:
        msg = str(exc)
        assert msg.startswith(str(p)) and "\n" not in msg, msg
        assert exc.where.startswith(NUMERIC_FIELDS[field][1]) or exc.where.startswith("line "), (
            field,
            value,
            exc.where,
        )
        return
    finally:
        assert time.perf_counter() - t0 < TIME_BOUND_S
    try:
        _play_short(bpfa)
    except DefinitionError as exc:  # a refusal of the curves is fine; NaN keys or a crash are not
        assert str(exc).startswith(str(p)), exc


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("duration", 1e308, "duration 1e+308 is outside [0.001, 3600] s"),
        ("duration", 5e-324, "duration 4.94066e-324 is outside [0.001, 3600] s"),
        ("duration", -0.0, "duration must be > 0, got 0"),
        ("timestamp", 1e308, "timestamp 1e+308 is outside [0, 86400] s"),
        ("expiry", 1e308, "expiry 1e+308 is outside [0, 86400] s"),
        ("cycles", 1e308, "cycles 1e+308 is outside (0, 100] per segment"),
        ("hz", 1e308, "hz 1e+308 is outside (0, 12] Hz"),
        ("variation", 1e308, "variation 1e+308 is outside [0, 3.14159] rad"),
        ("blend", 1e308, "blend 1e+308 is outside [0.001, 60] s"),
        ("scale", 1e308, "scale 1e+308 is outside (0, 10]"),
        ("gain", -1e308, "gain -1e+308 is outside [-10, 10]"),
        ("table start", 1e308, "angle 1e+308 is outside [-6.28319, 6.28319] rad"),
        ("table end", "1000000pi", "angle 3.14159e+06 is outside [-6.28319, 6.28319] rad"),
        ("duration", math.nan, "expected a finite number, got nan"),
        ("hz", math.inf, "expected a finite number, got inf"),
        ("duration", 10**400, "expected a finite number"),
    ],
)
def test_numbers_beyond_their_range_name_the_range(
    tmp_path: Path, field: str, value: Any, problem: str
) -> None:
    p = tmp_path / "def.json"
    p.write_text(json.dumps(_with_value(field, value)), encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_definition(p)
    assert info.value.where == NUMERIC_FIELDS[field][1], info.value
    assert info.value.problem.startswith(problem), info.value.problem
    assert info.value.fix


def test_yaml_exponent_without_dot_gets_a_hint(tmp_path: Path) -> None:
    p = tmp_path / "def.yaml"
    p.write_text(_yaml_minimal().replace("duration: 1.0", "duration: 1e308"), encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"got '1e308'.*dot and a sign"):
        load_definition(p)


SAMPLE_AND_MESSAGE = """
import time
from moodrig.core.bpfa import load_definition, sample_timeline
from moodrig.core.errors import DefinitionError
bpfa = load_definition({path!r})
t0 = time.perf_counter()
try:
    sample_timeline(bpfa, [], {frames}, 24.0, 0); print("ok", time.perf_counter() - t0)
except DefinitionError as e:
    print(str(e))
"""


@pytest.mark.slow
def test_deep_chains_under_millisecond_actions_are_refused_not_sampled_for_minutes(
    tmp_path: Path,
) -> None:
    """10,000 nested single choices (each draws, so none can be skipped) above a 1 ms action,
    entered once per frame for an hour: sampling stops at its step budget with a message."""
    d = _chain(10_000, "choice")
    d["actions"]["rest"]["outcomes"]["a"]["duration"] = 0.001
    d["behaviors"]["idle"]["body"] = "c9999"
    p = tmp_path / "deep.json"
    p.write_text(json.dumps(d), encoding="utf-8")
    got, elapsed = _in_subprocess(
        SAMPLE_AND_MESSAGE.format(path=str(p), frames=24 * 3600), timeout=120
    )
    assert got.startswith(str(p)) and "took more than 5,000,000 steps" in got, got
    assert elapsed < 60, elapsed
    ok, _ = _in_subprocess(SAMPLE_AND_MESSAGE.format(path=str(p), frames=24 * 10), timeout=120)
    assert ok.startswith("ok"), ok  # ten seconds of it sample fine
