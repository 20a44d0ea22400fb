"""BPFA definition files: strict validation, messages that name file, path and fix."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from bpfa_definitions import minimal
from hypothesis import given, settings
from hypothesis import strategies as st

from moodrig.core.bpfa import (
    default_library_path,
    example_user_path,
    load_default_library,
    load_definition,
    load_definition_checked,
    parse_definition,
    validate,
)
from moodrig.core.bpfa.loader import definition_keys
from moodrig.core.errors import DefinitionError


def write(tmp_path: Path, data: object, name: str = "def.json") -> Path:
    p = tmp_path / name
    p.write_text(
        json.dumps(data) if name.endswith(".json") else yaml.safe_dump(data, sort_keys=False),
        encoding="utf-8",
    )
    return p


def test_shipped_files_load_without_warnings() -> None:
    lib, warns = load_definition_checked(default_library_path())
    assert warns == []
    assert lib.automaton.initial == "idle"
    behaviors = {b.id for b in lib.automaton.behaviors}
    assert {"idle", "laugh", "cross_arms", "lean_back", "look", "head_shake", "shrug"} <= behaviors
    user, uwarns = load_definition_checked(example_user_path())
    assert uwarns == []
    assert user.name == "shy_character"
    assert load_default_library().alphabet == lib.alphabet


def test_minimal_is_valid_and_wildcards_expand() -> None:
    bpfa, warns = parse_definition(minimal())
    assert warns == []
    rows = {(t.behavior, t.event) for t in bpfa.automaton.transitions}
    # '*' rows fill every behavior; the explicit row wins for its pair.
    assert {("idle", "calm"), ("hop", "calm"), ("maybe", "calm"), ("hop", "done")} <= rows
    assert ("hop", "poke") not in rows


def _set(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    def f(d: dict[str, Any]) -> None:
        keys = path.split("/")
        cur: Any = d
        for k in keys[:-1]:
            cur = cur[int(k)] if isinstance(cur, list) else cur[k]
        last = keys[-1]
        if isinstance(cur, list):
            cur[int(last)] = value
        else:
            cur[last] = value

    return f


INVALID: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    (
        "unknown target",
        _set("transitions/0/to", {"hop": 0.4, "nowhere": 0.6}),
        "$.transitions[0].to.nowhere",
        "unknown behavior 'nowhere'",
    ),
    (
        "unknown source",
        _set("transitions/0/from", "ghost"),
        "$.transitions[0].from",
        "unknown behavior 'ghost'",
    ),
    (
        "unknown event",
        _set("transitions/0/event", "sneeze"),
        "$.transitions[0].event",
        "unknown event 'sneeze'",
    ),
    (
        "unknown body",
        _set("behaviors/hop/body", "fly"),
        "$.behaviors.hop.body",
        "unknown body 'fly'",
    ),
    ("unknown initial", _set("initial", "sleep"), "$.initial", "unknown behavior 'sleep'"),
    (
        "unknown motion",
        _set("actions/rest/motion", "dance"),
        "$.actions.rest.motion",
        "unknown motion 'dance'",
    ),
    (
        "unknown composite child",
        _set("composites/both/sequence", ["rest", "nope"]),
        "$.composites.both.sequence[1]",
        "unknown id 'nope'",
    ),
    (
        "unknown role",
        _set("motions/m/channels/0/role", "tail"),
        "$.motions.m.channels[0].role",
        "unknown bone role 'tail'",
    ),
    (
        "unknown key",
        _set("behaviors/idle/colour", "red"),
        "$.behaviors.idle.colour",
        "unknown key 'colour'",
    ),
    (
        "p zero",
        _set("transitions/0/to", {"hop": 0.0, "maybe": 1.0}),
        "$.transitions[0].to.hop",
        "outside (0, 1]",
    ),
    (
        "p above one",
        _set("transitions/0/to", {"hop": 1.5, "maybe": -0.5}),
        "$.transitions[0].to.hop",
        "outside (0, 1]",
    ),
    (
        "row sum",
        _set("transitions/0/to", {"hop": 0.4, "maybe": 0.5}),
        "$.transitions[0].to",
        "sum to 0.9",
    ),
    (
        "outcome sum",
        _set("actions/jump/outcomes/hi/p", 0.7),
        "$.actions.jump.outcomes",
        "sum to 0.95",
    ),
    (
        "choice sum",
        _set("composites/pick/choice", {"rest": 0.5, "jump": 0.6}),
        "$.composites.pick.choice",
        "sum to 1.1",
    ),
    (
        "outcome p zero",
        _set("actions/rest/outcomes/a/p", 0),
        "$.actions.rest.outcomes.a.p",
        "outside (0, 1]",
    ),
    (
        "duplicate row",
        lambda d: d["transitions"].append({"from": "idle", "event": "poke", "to": {"idle": 1.0}}),
        "$.transitions[3]",
        "duplicate transition ('idle', 'poke')",
    ),
    (
        "duplicate wildcard",
        lambda d: d["transitions"].append({"from": "*", "event": "calm", "to": {"hop": 1.0}}),
        "$.transitions[3]",
        "duplicate transition ('*', 'calm')",
    ),
    (
        "composite cycle",
        lambda d: d["composites"].update({"x": {"sequence": ["y"]}, "y": {"choice": {"x": 1.0}}}),
        "$.composites.",
        "composite cycle",
    ),
    (
        "self cycle",
        _set("composites/both/sequence", ["rest", "both"]),
        "$.composites.both.sequence[1]",
        "composite cycle both -> both",
    ),
    (
        "expiry before timestamp",
        _set("script", [{"id": "e", "content": "poke", "timestamp": 2.0, "expiry": 1.0}]),
        "$.script[0].expiry",
        "expiry 1.0 is before timestamp 2.0",
    ),
    (
        "no policy",
        lambda d: d.pop("missing_transition"),
        "$",
        "missing required key 'missing_transition'",
    ),
    (
        "bad policy",
        _set("missing_transition", "normalise"),
        "$.missing_transition",
        "unknown policy",
    ),
    (
        "error policy needs rows",
        _set("missing_transition", "error"),
        "$.transitions",
        "while missing_transition is 'error'",
    ),
    ("bad format", _set("format", "other/2"), "$.format", "unsupported format"),
    (
        "table order",
        _set("motions/m/channels/0/table", [[10, 0, 0], [5, 0, 0]]),
        "$.motions.m.channels[0].table[1][0]",
        "must increase strictly",
    ),
    (
        "bad angle",
        _set("motions/m/channels/0/table", [[0, "tau/2", 0]]),
        "$.motions.m.channels[0].table[0][1]",
        "cannot read angle",
    ),
    (
        "negative duration",
        _set("actions/rest/outcomes/a/duration", -1),
        "$.actions.rest.outcomes.a.duration",
        "must be > 0",
    ),
    (
        "shared id",
        lambda d: d["composites"].update({"rest": {"sequence": ["jump"]}}),
        "$.composites.rest",
        "also used in $.actions",
    ),
    (
        "automaton in its own body",
        lambda d: d.update(
            {
                "automata": {
                    "loop": {
                        "behaviors": {"a": {"body": "wrap"}},
                        "initial": "a",
                        "final": ["a"],
                        "transitions": [],
                    }
                },
                "composites": {**d["composites"], "wrap": {"sequence": ["rest", "loop"]}},
            }
        ),
        "$.",
        "composite cycle",
    ),
    (
        "sub never finishes",
        lambda d: d.update(
            {
                "automata": {
                    "loop": {
                        "behaviors": {"a": {"body": "rest"}, "z": {"body": "rest"}},
                        "initial": "a",
                        "final": ["z"],
                        "transitions": [{"from": "a", "event": "done", "to": {"a": 1.0}}],
                    }
                }
            }
        ),
        "$.automata.loop",
        "can never reach a final behavior",
    ),
    (
        "sub external event",
        lambda d: d.update(
            {
                "automata": {
                    "s": {
                        "behaviors": {"a": {"body": "rest"}},
                        "initial": "a",
                        "final": ["a"],
                        "transitions": [{"from": "a", "event": "poke", "to": {"a": 1.0}}],
                    }
                }
            }
        ),
        "$.automata.s.transitions[0].event",
        "internal events only",
    ),
]


@pytest.mark.parametrize(
    ("case", "mutate", "where", "problem"), INVALID, ids=[c[0] for c in INVALID]
)
def test_invalid_files_are_rejected_with_path_and_fix(
    tmp_path: Path, case: str, mutate: Callable[[dict[str, Any]], None], where: str, problem: str
) -> None:
    data = minimal()
    mutate(data)
    path = write(tmp_path, data)
    with pytest.raises(DefinitionError) as info:
        load_definition(path)
    err = info.value
    assert err.path == str(path), case
    assert err.where.startswith(where), (case, err.where)
    assert problem in err.problem, (case, err.problem)
    assert err.fix, case
    assert str(path) in str(err) and "Fix:" in str(err)


def test_duplicate_keys_are_refused_in_json_and_yaml(tmp_path: Path) -> None:
    text = json.dumps(minimal())
    dup = text.replace('"initial": "idle"', '"initial": "idle", "initial": "hop"')
    p = tmp_path / "dup.json"
    p.write_text(dup)
    with pytest.raises(DefinitionError, match="duplicate key 'initial'"):
        load_definition(p)
    y = tmp_path / "dup.yaml"
    y.write_text(yaml.safe_dump(minimal()) + "initial: hop\n")
    with pytest.raises(DefinitionError, match="duplicate key"):
        load_definition(y)


def test_yaml_and_json_give_the_same_automaton(tmp_path: Path) -> None:
    a = load_definition(write(tmp_path, minimal(), "a.json"))
    b = load_definition(write(tmp_path, minimal(), "b.yaml"))
    assert a.automaton == b.automaton and a.actions == b.actions and a.composites == b.composites


def test_bare_yaml_on_key_gets_a_helpful_message(tmp_path: Path) -> None:
    text = yaml.safe_dump(minimal()).replace("event: poke", "on: poke", 1)
    p = tmp_path / "on.yaml"
    p.write_text(text)
    with pytest.raises(DefinitionError, match="quote them"):
        load_definition(p)


def test_sums_are_never_normalised_silently() -> None:
    d = minimal()
    d["transitions"][0]["to"] = {"hop": 0.4, "maybe": 0.6 + 5e-10}
    parse_definition(d)  # within 1e-9
    d["transitions"][0]["to"] = {"hop": 0.4, "maybe": 0.6 + 3e-9}
    with pytest.raises(DefinitionError, match="never normalises"):
        parse_definition(d)


def test_unreachable_and_dead_end_are_warnings() -> None:
    d = minimal()
    d["behaviors"]["orphan"] = {"body": "rest"}
    d["behaviors"]["trap"] = {"body": "rest"}
    d["transitions"] = [
        {"from": "idle", "event": "poke", "to": {"hop": 0.4, "maybe": 0.3, "trap": 0.3}},
        {"from": "hop", "event": "done", "to": {"idle": 1.0}},
        {"from": "maybe", "event": "done", "to": {"idle": 1.0}},
        {"from": "orphan", "event": "done", "to": {"idle": 1.0}},
    ]
    warns = validate(d)
    text = "\n".join(str(w) for w in warns)
    assert "'orphan' is unreachable" in text
    assert "'trap' is a dead end" in text
    assert all(w.where.startswith("$.behaviors.") for w in warns)


def test_error_policy_accepts_complete_rows() -> None:
    d = minimal()
    d["missing_transition"] = "error"
    d["transitions"] = [
        {"from": "*", "event": e, "to": {"idle": 1.0}} for e in ("poke", "calm", "done")
    ]
    bpfa, _ = parse_definition(d)
    assert bpfa.missing == "error"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=-2.0, max_value=2.0, allow_nan=False), min_size=1, max_size=5))
def test_any_probability_row_is_accepted_iff_valid(ps: list[float]) -> None:
    import math

    d = minimal()
    names = ["idle", "hop", "maybe", "idle2", "hop2"][: len(ps)]
    for n in names:
        d["behaviors"].setdefault(n, {"body": "rest"})
    d["transitions"][0]["to"] = dict(zip(names, ps, strict=True))
    valid = all(0.0 < p <= 1.0 for p in ps) and abs(math.fsum(ps) - 1.0) <= 1e-9
    if valid:
        parse_definition(copy.deepcopy(d))
    else:
        with pytest.raises(DefinitionError) as info:
            parse_definition(d)
        assert info.value.where.startswith("$.transitions[0].to")


def test_schema_matches_the_loader(repo_root: Path) -> None:
    schema = json.loads((repo_root / "core/data/behaviors/bpfa.schema.json").read_text())
    required, optional = definition_keys()
    assert set(schema["required"]) == set(required)
    assert set(schema["properties"]) == set(required) | set(optional)
    assert schema["additionalProperties"] is False
    from moodrig.core.rig import BONE_ROLES

    assert schema["$defs"]["channel"]["properties"]["role"]["enum"] == list(BONE_ROLES)
    lib = json.loads(default_library_path().read_text())
    assert set(lib) <= set(schema["properties"])


def test_numeric_limits_are_documented_and_in_the_schema(repo_root: Path) -> None:
    """docs/bpfa.md's Limits table and the JSON Schema state the ranges the loader enforces."""
    from moodrig.core.bpfa.loader import BOUNDS

    doc = (repo_root / "docs" / "bpfa.md").read_text(encoding="utf-8")
    for b in BOUNDS:
        assert b.range_text() in doc, b
    schema = json.loads((repo_root / "core/data/behaviors/bpfa.schema.json").read_text())
    d = schema["$defs"]
    props = {
        "duration": d["outcome"]["properties"]["duration"],
        "scale": d["outcome"]["properties"]["scale"],
        "blend": d["behavior"]["properties"]["blend"],
        "timestamp": d["event"]["properties"]["timestamp"],
        "expiry": d["event"]["properties"]["expiry"],
        "gain": d["channel"]["properties"]["gain"],
        "cycles": d["channel"]["properties"]["cycles"],
        "hz": d["channel"]["properties"]["hz"],
        "variation": d["channel"]["properties"]["variation"],
        "angle": d["angle"]["oneOf"][0],
    }
    for b in BOUNDS:
        p = props[b.what]
        assert p["maximum"] == b.hi, b
        assert p["exclusiveMinimum" if b.lo_open else "minimum"] == b.lo, b
