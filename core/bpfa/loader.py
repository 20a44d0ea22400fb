"""Read and strictly validate BPFA definition files (JSON or YAML).

Every error is a :class:`~moodrig.core.errors.DefinitionError` naming the file, the JSON
path inside it (``$.transitions[3].to.nod``) and the fix. Nothing is normalised silently:
a probability row that does not sum to 1 within 1e-9 (``math.fsum``) is an error, as are
unknown ids, unknown keys, composite cycles, duplicate rows and ``expiry < timestamp``.
Unreachable and dead-end behaviors are warnings. The file format is described by
``core/data/behaviors/bpfa.schema.json`` and ``docs/bpfa.md``.
"""

from __future__ import annotations

import math
import re
import reprlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from ..errors import DefinitionError
from ..paths import data_dir
from ..rig import BONE_ROLES
from .model import (
    ANY,
    DONE_EVENT,
    EXPRESSION_STATES,
    Action,
    AngleTable,
    Automaton,
    Behavior,
    Bpfa,
    Channel,
    Composite,
    Event,
    MissingPolicy,
    Motion,
    Outcome,
    Transition,
)
from .reader import read_raw

FORMAT = "moodrig.bpfa/1"
"""Value of the mandatory ``format`` key."""

SUM_TOLERANCE = 1e-9
"""A probability row must sum to 1 within this (``math.fsum``)."""

MAX_NESTING = 10_000
"""Deepest chain of composites and sub-automata inside one another. Entering a behavior walks
its body's chain, so depth costs sampling time; hand-written files nest a few levels."""

_AXES = {"x": 0, "y": 1, "z": 2}
_SHAPES = ("ease", "pulse", "oscillate", "track", "cycle", "sway")
_SOURCES = ("none", "yaw", "pitch", "roll")
_POLICIES = ("ignore", "stay", "error")
_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*\Z")  # \Z: '$' would accept a trailing newline
_PI = re.compile(r"^\s*([+-]?\d*\.?\d*)\s*\*?\s*pi\s*(?:/\s*(\d+\.?\d*))?\s*$")
_NUMBER_TEXT = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")


@dataclass(frozen=True)
class Bound:
    """The accepted range of one kind of number in a definition file.

    Attributes:
        what: name used in messages ("duration").
        lo: lowest accepted value.
        hi: highest accepted value.
        unit: unit written after the range in messages ("s", "Hz", "" for none).
        lo_open: True when ``lo`` itself is refused (ranges like (0, 10]).
    """

    what: str
    lo: float
    hi: float
    unit: str = ""
    lo_open: bool = False

    def range_text(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        return f"{'(' if self.lo_open else '['}{self.lo:g}, {self.hi:g}]{unit}"


DURATION = Bound("duration", 0.001, 3600.0, "s")
"""An outcome's duration: one millisecond to one hour."""
BLEND = Bound("blend", 0.001, 60.0, "s")
"""A behavior's blend time: one millisecond to one minute."""
TIMESTAMP = Bound("timestamp", 0.0, 86_400.0, "s")
"""A scripted event's timestamp: from the start to 24 hours."""
EXPIRY = Bound("expiry", 0.0, 86_400.0, "s")
"""A scripted event's expiry (also ≥ its timestamp)."""
SCALE = Bound("scale", 0.0, 10.0, lo_open=True)
"""An outcome's amplitude factor."""
GAIN = Bound("gain", -10.0, 10.0)
"""A channel's factor on its table values."""
CYCLES = Bound("cycles", 0.0, 100.0, "per segment", lo_open=True)
"""Oscillations per segment of ``pulse`` and ``oscillate`` channels."""
HZ = Bound("hz", 0.0, 12.0, "Hz", lo_open=True)
"""Frequency of ``cycle`` channels: at most the Nyquist rate of 24 fps footage."""
VARIATION = Bound("variation", 0.0, math.pi, "rad")
"""Half-width of a channel's per-segment jitter."""
ANGLE = Bound("angle", -2.0 * math.pi, 2.0 * math.pi, "rad")
"""A start or end rotation in an angle table."""
BOUNDS = (DURATION, BLEND, TIMESTAMP, EXPIRY, SCALE, GAIN, CYCLES, HZ, VARIATION, ANGLE)
"""Every numeric range the loader enforces (docs/bpfa.md lists them; a test compares)."""

_SHORT = reprlib.Repr()
_SHORT.maxstring = 60
_SHORT.maxother = 60
_SHORT.maxlevel = 2
_SHORT.maxlist = _SHORT.maxdict = _SHORT.maxtuple = _SHORT.maxset = 4


def _show(value: object) -> str:
    """A short repr for messages: a value from a file may be huge or nested without end."""
    return _printable(_SHORT.repr(value))


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MAX_TEXT = 400
"""Longest part (where, problem, fix) of a message; longer ones are cut with '…'."""


def _printable(text: str) -> str:
    """Control characters (newlines from odd keys) escaped, so a message stays one line."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _clip(text: str) -> str:
    """Printable and at most :data:`_MAX_TEXT` characters."""
    s = _printable(text)
    return s if len(s) <= _MAX_TEXT else s[: _MAX_TEXT - 1] + "…"


@dataclass(frozen=True)
class DefinitionWarning:
    """A suspicious but usable part of a definition (unreachable or dead-end behavior).

    Attributes:
        path: file, or None for in-memory data.
        where: JSON path inside the file.
        problem: what is suspicious and why it matters.
    """

    path: str | None
    where: str
    problem: str

    def __str__(self) -> str:
        return f"{self.path or '<definition>'} at {self.where}: {self.problem}"


def default_library_path() -> Path:
    """The shipped humanoid behavior library."""
    return data_dir() / "behaviors" / "humanoid_default.json"


def example_user_path() -> Path:
    """The shipped example of a user's own definition file (YAML)."""
    return data_dir() / "behaviors" / "example_user.yaml"


def load_default_library() -> Bpfa:
    """Load and validate the shipped humanoid library."""
    return load_definition(default_library_path())


def load_definition(path: str | Path) -> Bpfa:
    """Load and strictly validate a ``.json``/``.yaml``/``.yml`` file; warnings are dropped."""
    return load_definition_checked(path)[0]


def load_definition_checked(path: str | Path) -> tuple[Bpfa, list[DefinitionWarning]]:
    """Load and strictly validate a definition file; returns it with its warnings."""
    return parse_definition(read_raw(path), path)


def validate(data: object | str | Path, path: str | Path | None = None) -> list[DefinitionWarning]:
    """Validate a file path or already-parsed data; raise on errors, return the warnings."""
    if isinstance(data, str | Path):
        return load_definition_checked(data)[1]
    return parse_definition(data, path)[1]


# --------------------------------------------------------------------------- checking helpers


class _Ctx:
    """Carries the file name so every check can raise a complete DefinitionError."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = None if path is None else str(path)
        self.warnings: list[DefinitionWarning] = []

    def fail(self, where: str, problem: str, fix: str) -> DefinitionError:
        return DefinitionError(self.path, _clip(where), _clip(problem), _clip(fix))

    def warn(self, where: str, problem: str) -> None:
        self.warnings.append(DefinitionWarning(self.path, _clip(where), _clip(problem)))

    def mapping(self, value: object, where: str) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(
                where,
                f"expected an object, got {type(value).__name__}",
                "write a mapping of key: value",
            )
        for k in value:
            if not isinstance(k, str):
                raise self.fail(
                    where,
                    f"key {_show(k)} is not a string",
                    "use string keys (YAML reads bare on/off/yes/no as booleans: quote them)",
                )
        return dict(value)

    def keys(
        self, obj: Mapping[str, Any], where: str, required: Iterable[str], optional: Iterable[str]
    ) -> None:
        req = tuple(required)
        known = set(req) | set(optional)
        for k in obj:
            if k not in known:
                raise self.fail(
                    f"{where}.{k}", f"unknown key {_show(k)}", f"known keys here: {sorted(known)}"
                )
        for k in req:
            if k not in obj:
                raise self.fail(where, f"missing required key {k!r}", f"add {k!r}")

    def string(self, value: object, where: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(
                where, f"expected a non-empty string, got {_show(value)}", "write a string"
            )
        return value

    def ident(self, value: object, where: str) -> str:
        s = self.string(value, where)
        if not _ID.match(s):
            raise self.fail(
                where,
                f"{_show(s)} is not a valid id",
                "use letters, digits, '_', '.', '-' (not starting with a digit)",
            )
        return s

    def number(self, value: object, where: str) -> float:
        """A finite int or float (not a bool), as a float; -0.0 reads as 0.0."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            hint = "write a number"
            if isinstance(value, str) and _NUMBER_TEXT.match(value):
                hint = (
                    "YAML reads an exponent only with a dot and a sign (1.0e+3), else as text: "
                    "write it so or without exponent"
                )
            raise self.fail(where, f"expected a finite number, got {_show(value)}", hint)
        try:
            x = float(value)
        except OverflowError:
            x = math.inf
        if not math.isfinite(x):
            raise self.fail(
                where, f"expected a finite number, got {_show(value)}", "write a number"
            )
        return x + 0.0

    def bounded(self, value: object, where: str, bound: Bound) -> float:
        """A number inside ``bound`` (the message names the quantity, its range and unit)."""
        x = self.number(value, where)
        lo_ok = x > bound.lo if bound.lo_open else x >= bound.lo
        if lo_ok and x <= bound.hi:
            return x
        if x <= 0 and (bound.lo > 0 or (bound.lo_open and bound.lo == 0)):
            raise self.fail(
                where,
                f"{bound.what} must be > 0, got {x:g}",
                f"use a positive value up to {bound.range_text()}",
            )
        raise self.fail(
            where,
            f"{bound.what} {x:g} is outside {bound.range_text()}",
            f"use a value in {bound.range_text()}",
        )

    def boolean(self, value: object, where: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(
                where, f"expected true or false, got {_show(value)}", "write true or false"
            )
        return value

    def angle(self, value: object, where: str) -> float:
        """Radians as a number or a string like ``pi/18``, ``2pi/9``, ``-pi``, within
        :data:`ANGLE`."""
        if isinstance(value, str):
            m = _PI.match(value)
            try:
                if m is None:
                    raise ValueError(value)
                num = m.group(1)
                coef = 1.0 if num in ("", "+") else -1.0 if num == "-" else float(num)
                den = float(m.group(2)) if m.group(2) else 1.0
            except ValueError:
                raise self.fail(
                    where,
                    f"cannot read angle {_show(value)}",
                    "write radians as a number or like 'pi/18', '2*pi/9'",
                ) from None
            if den == 0:
                raise self.fail(
                    where, f"division by zero in {_show(value)}", "use a non-zero denominator"
                )
            value = coef * math.pi / den
        return self.bounded(value, where, ANGLE)

    def distribution(
        self, value: object, where: str, what: str
    ) -> tuple[tuple[str, ...], tuple[float, ...]]:
        """An object ``{id: p}`` with every p in (0, 1] and fsum == 1 within 1e-9."""
        obj = self.mapping(value, where)
        if not obj:
            raise self.fail(
                where, f"empty {what}", f"list at least one {what} with its probability"
            )
        ids: list[str] = []
        ps: list[float] = []
        for k, v in obj.items():
            p = self.number(v, f"{where}.{k}")
            if not 0.0 < p <= 1.0:
                raise self.fail(
                    f"{where}.{k}",
                    f"probability {p} is outside (0, 1]",
                    "use a probability in (0, 1]; remove entries that never happen",
                )
            ids.append(k)
            ps.append(p)
        _check_sum(self, ps, where)
        return tuple(ids), tuple(ps)


def _known(ids: Iterable[str], limit: int = 12) -> str:
    """``known: a, b, c`` (at most ``limit`` names) for a fix message."""
    names = sorted(ids)
    more = f", ... ({len(names) - limit} more)" if len(names) > limit else ""
    return "known: " + ", ".join(names[:limit]) + more


def _check_sum(ctx: _Ctx, ps: list[float], where: str) -> None:
    total = math.fsum(ps)
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise ctx.fail(
            where,
            f"probabilities sum to {total!r}, not 1 (tolerance {SUM_TOLERANCE})",
            "adjust the values so they sum to exactly 1; moodrig never normalises silently",
        )


# --------------------------------------------------------------------------- sections


def _parse_table(ctx: _Ctx, value: object, where: str) -> AngleTable:
    if not isinstance(value, list) or not value:
        raise ctx.fail(
            where,
            "an angle table must be a non-empty list of [angle_deg, start, end] rows",
            "write rows like [10, 'pi/9', 'pi/9']",
        )
    angles: list[float] = []
    starts: list[float] = []
    ends: list[float] = []
    for i, row in enumerate(value):
        w = f"{where}[{i}]"
        if not isinstance(row, list) or len(row) != 3:
            raise ctx.fail(
                w,
                f"expected [angle_deg, start, end], got {_show(row)}",
                "write three values per row",
            )
        a = ctx.number(row[0], f"{w}[0]")
        if not 0.0 <= a <= 90.0:
            raise ctx.fail(
                f"{w}[0]",
                f"expression angle {a} is outside [0, 90] degrees",
                "use the absolute angle in degrees",
            )
        if angles and a <= angles[-1]:
            raise ctx.fail(
                f"{w}[0]",
                f"angles must increase strictly ({a} after {angles[-1]})",
                "sort the rows by angle, without repeats",
            )
        angles.append(a)
        starts.append(ctx.angle(row[1], f"{w}[1]"))
        ends.append(ctx.angle(row[2], f"{w}[2]"))
    return AngleTable(tuple(angles), tuple(starts), tuple(ends))


def _parse_channel(ctx: _Ctx, value: object, where: str, tables: dict[str, AngleTable]) -> Channel:
    obj = ctx.mapping(value, where)
    ctx.keys(
        obj,
        where,
        ("role", "axis", "table"),
        ("source", "follow", "shape", "cycles", "hz", "gain", "variation"),
    )
    role = ctx.string(obj["role"], f"{where}.role")
    if role not in BONE_ROLES:
        raise ctx.fail(
            f"{where}.role", f"unknown bone role {_show(role)}", f"use one of {list(BONE_ROLES)}"
        )
    axis_s = ctx.string(obj["axis"], f"{where}.axis").lower()
    if axis_s not in _AXES:
        raise ctx.fail(f"{where}.axis", f"unknown axis {_show(axis_s)}", "use 'x', 'y' or 'z'")
    raw_t = obj["table"]
    chosen: list[AngleTable] = []
    if isinstance(raw_t, str) or (
        isinstance(raw_t, list) and raw_t and all(isinstance(t, str) for t in raw_t)
    ):
        names = [raw_t] if isinstance(raw_t, str) else list(raw_t)
        for j, n in enumerate(names):
            if n not in tables:
                w = f"{where}.table" if isinstance(raw_t, str) else f"{where}.table[{j}]"
                raise ctx.fail(
                    w,
                    f"unknown table {_show(n)}",
                    f"define it under $.tables ({_known(tables)}) or write the rows inline",
                )
            chosen.append(tables[n])
    else:
        chosen.append(_parse_table(ctx, raw_t, f"{where}.table"))
    source = obj.get("source", "none")
    if source not in _SOURCES:
        raise ctx.fail(
            f"{where}.source", f"unknown source {_show(source)}", f"use one of {list(_SOURCES)}"
        )
    shape = obj.get("shape", "ease")
    if shape not in _SHAPES:
        raise ctx.fail(
            f"{where}.shape", f"unknown shape {_show(shape)}", f"use one of {list(_SHAPES)}"
        )
    follow = ctx.boolean(obj.get("follow", False), f"{where}.follow")
    if follow and source == "none":
        raise ctx.fail(
            f"{where}.follow",
            "follow needs a source angle",
            "set source to yaw, pitch or roll, or drop follow",
        )
    if shape == "track" and source == "none":
        raise ctx.fail(
            f"{where}.shape",
            "shape 'track' follows a head angle but source is 'none'",
            "set source to yaw, pitch or roll",
        )
    variation = ctx.bounded(obj.get("variation", 0.0), f"{where}.variation", VARIATION)
    return Channel(
        role=role,
        axis=_AXES[axis_s],
        tables=tuple(chosen),
        source=source,
        follow=follow,
        shape=shape,
        cycles=ctx.bounded(obj.get("cycles", 1.0), f"{where}.cycles", CYCLES),
        hz=ctx.bounded(obj.get("hz", 0.25), f"{where}.hz", HZ),
        gain=ctx.bounded(obj.get("gain", 1.0), f"{where}.gain", GAIN),
        variation=variation,
    )


def _parse_event(ctx: _Ctx, value: object, where: str, alphabet: set[str]) -> Event:
    obj = ctx.mapping(value, where)
    ctx.keys(obj, where, ("id", "content", "timestamp"), ("sender", "receiver", "expiry"))
    content = ctx.string(obj["content"], f"{where}.content")
    if content not in alphabet:
        raise ctx.fail(
            f"{where}.content",
            f"unknown event {_show(content)}",
            f"declare it in $.events ({_known(alphabet)})",
        )
    ts = ctx.bounded(obj["timestamp"], f"{where}.timestamp", TIMESTAMP)
    expiry = ctx.bounded(obj.get("expiry", ts), f"{where}.expiry", EXPIRY)
    if expiry < ts:
        raise ctx.fail(
            f"{where}.expiry",
            f"expiry {expiry} is before timestamp {ts}",
            "set expiry ≥ timestamp (seconds)",
        )
    return Event(
        id=ctx.string(obj["id"], f"{where}.id"),
        sender=ctx.string(obj.get("sender", "script"), f"{where}.sender"),
        receiver=ctx.string(obj.get("receiver", ANY), f"{where}.receiver"),
        content=content,
        timestamp=ts,
        expiry=expiry,
    )


def _parse_automaton(
    ctx: _Ctx,
    obj: dict[str, Any],
    where: str,
    name: str,
    bodies: set[str],
    alphabet: set[str],
    missing: MissingPolicy,
    is_sub: bool,
) -> Automaton:
    w_b = f"{where}.behaviors"
    raw_b = ctx.mapping(obj["behaviors"], w_b)
    if not raw_b:
        raise ctx.fail(w_b, "no behaviors", "declare at least one behavior")
    behaviors: list[Behavior] = []
    for bid, bval in raw_b.items():
        w = f"{w_b}.{bid}"
        ctx.ident(bid, w)
        b = ctx.mapping(bval, w)
        ctx.keys(b, w, ("body",), ("allowed_when", "interruptible", "blend"))
        body = ctx.string(b["body"], f"{w}.body")
        if body not in bodies:
            raise ctx.fail(
                f"{w}.body",
                f"unknown body {_show(body)}",
                f"name an action, composite or sub-automaton of this file ({_known(bodies)})",
            )
        allowed = b.get("allowed_when", [ANY])
        if not isinstance(allowed, list) or not allowed:
            raise ctx.fail(
                f"{w}.allowed_when",
                "expected a non-empty list of expression states",
                f"use states from {list(EXPRESSION_STATES)} or '*'",
            )
        for j, s in enumerate(allowed):
            if s != ANY and s not in EXPRESSION_STATES:
                raise ctx.fail(
                    f"{w}.allowed_when[{j}]",
                    f"unknown expression state {_show(s)}",
                    f"use one of {list(EXPRESSION_STATES)} or '*'",
                )
        behaviors.append(
            Behavior(
                id=bid,
                body=body,
                allowed_when=tuple(allowed),
                interruptible=ctx.boolean(b.get("interruptible", True), f"{w}.interruptible"),
                blend=ctx.bounded(b.get("blend", 0.25), f"{w}.blend", BLEND),
            )
        )
    ids = [b.id for b in behaviors]
    idset = set(ids)
    initial = ctx.string(obj["initial"], f"{where}.initial")
    if initial not in idset:
        raise ctx.fail(
            f"{where}.initial",
            f"unknown behavior {_show(initial)}",
            f"use a behavior of this automaton ({_known(ids)})",
        )
    finals_raw = obj.get("final", [])
    if not isinstance(finals_raw, list):
        raise ctx.fail(
            f"{where}.final", "expected a list of behavior ids", "write final: [id, ...]"
        )
    finals: list[str] = []
    for j, f in enumerate(finals_raw):
        if f not in idset:
            raise ctx.fail(
                f"{where}.final[{j}]",
                f"unknown behavior {_show(f)}",
                f"use a behavior of this automaton ({_known(ids)})",
            )
        finals.append(f)

    # Transitions: explicit rows first, then wildcard rows fill the pairs left empty.
    rows_raw = obj.get("transitions", [])
    if not isinstance(rows_raw, list):
        raise ctx.fail(
            f"{where}.transitions",
            "expected a list of rows",
            "write transitions: [{from, event, to}, ...]",
        )
    explicit: dict[tuple[str, str], Transition] = {}
    wildcard: dict[str, tuple[str, Transition]] = {}
    for i, rv in enumerate(rows_raw):
        w = f"{where}.transitions[{i}]"
        r = ctx.mapping(rv, w)
        ctx.keys(r, w, ("from", "event", "to"), ())
        src = ctx.string(r["from"], f"{w}.from")
        if src != ANY and src not in idset:
            raise ctx.fail(
                f"{w}.from",
                f"unknown behavior {_show(src)}",
                f"use '*' or a behavior of this automaton ({_known(ids)})",
            )
        ev = ctx.string(r["event"], f"{w}.event")
        if ev not in alphabet:
            raise ctx.fail(
                f"{w}.event",
                f"unknown event {_show(ev)}",
                f"declare it in $.events ({_known(alphabet)})",
            )
        if is_sub and ev != DONE_EVENT:
            raise ctx.fail(
                f"{w}.event",
                f"sub-automata run on internal events only, got {_show(ev)}",
                f"use event: {DONE_EVENT}",
            )
        targets, probs = ctx.distribution(r["to"], f"{w}.to", "target behavior")
        for t in targets:
            if t not in idset:
                raise ctx.fail(
                    f"{w}.to.{t}",
                    f"unknown behavior {_show(t)}",
                    f"use a behavior of this automaton ({_known(ids)})",
                )
        if src == ANY:
            if ev in wildcard:
                raise ctx.fail(
                    w,
                    f"duplicate transition ('*', {_show(ev)}); first at {wildcard[ev][0]}",
                    "merge the two rows into one",
                )
            wildcard[ev] = (w, Transition(ANY, ev, targets, probs))
        else:
            key = (src, ev)
            if key in explicit:
                raise ctx.fail(
                    w,
                    f"duplicate transition ({_show(src)}, {_show(ev)})",
                    "merge the two rows into one distribution",
                )
            explicit[key] = Transition(src, ev, targets, probs)
    transitions = list(explicit.values())
    for ev, (_, row) in wildcard.items():
        for bid in ids:
            if (bid, ev) not in explicit:
                transitions.append(Transition(bid, ev, row.targets, row.probs))
    have = {(t.behavior, t.event) for t in transitions}
    if missing == "error":
        letters = [DONE_EVENT] if is_sub else sorted(alphabet)
        for bid in ids:
            for ev in letters:
                if (bid, ev) not in have and not (ev == DONE_EVENT and bid in finals):
                    raise ctx.fail(
                        f"{where}.transitions",
                        f"no row for ({_show(bid)}, {_show(ev)}) "
                        "while missing_transition is 'error'",
                        f"add a row from {bid} on {ev}, "
                        "or set missing_transition to 'ignore' or 'stay'",
                    )

    aut = Automaton(
        name=name,
        behaviors=tuple(behaviors),
        transitions=tuple(transitions),
        initial=initial,
        finals=tuple(finals),
    )
    _graph_warnings(ctx, aut, w_b, is_sub)
    return aut


def _graph_warnings(ctx: _Ctx, aut: Automaton, w_b: str, is_sub: bool) -> None:
    succ: dict[str, set[str]] = {b.id: set() for b in aut.behaviors}
    for t in aut.transitions:
        succ[t.behavior].update(t.targets)
    seen = {aut.initial}
    stack = [aut.initial]
    while stack:
        for n in succ[stack.pop()]:
            if n not in seen:
                seen.add(n)
                stack.append(n)
    for b in aut.behaviors:
        if b.id not in seen:
            ctx.warn(
                f"{w_b}.{b.id}",
                f"behavior {_show(b.id)} is unreachable from the initial behavior "
                f"{_show(aut.initial)}",
            )
        elif b.id not in aut.finals and not (succ[b.id] - {b.id}):
            ctx.warn(
                f"{w_b}.{b.id}",
                f"behavior {_show(b.id)} is a dead end: "
                "no transition leaves it and it is not final",
            )
    if is_sub:
        finals = set(aut.finals)
        if not finals & seen:
            raise ctx.fail(
                w_b.rsplit(".", 1)[0],
                f"sub-automaton {_show(aut.name)} can never reach a final behavior",
                "declare a reachable final behavior",
            )


def _check_acyclic(
    ctx: _Ctx, edges: dict[str, list[tuple[str, str]]], places: dict[str, str]
) -> None:
    """Composites and sub-automata form a DAG no deeper than :data:`MAX_NESTING`.

    ``edges[n]`` = [(child, where)]; ``places[n]`` is n's own path in the file. An explicit
    stack, not recursion: a valid chain may be thousands of levels deep.
    """
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    depth: dict[str, int] = {}  # longest chain of composites/sub-automata from n down, n included
    for root in edges:
        if root in state:
            continue
        state[root] = 1
        path = [root]
        todo = [iter(edges[root])]
        while todo:
            n = path[-1]
            for child, where in todo[-1]:
                if child not in edges:
                    continue
                seen = state.get(child)
                if seen == 1:
                    cyc = [*path[path.index(child) :], child]
                    raise ctx.fail(
                        where,
                        f"composite cycle {' -> '.join(cyc)}",
                        "composites must form a tree/DAG; remove one of these references",
                    )
                if seen is None:
                    state[child] = 1
                    path.append(child)
                    todo.append(iter(edges[child]))
                    break
            else:
                todo.pop()
                path.pop()
                state[n] = 2
                depth[n] = 1 + max((depth[c] for c, _ in edges[n] if c in edges), default=0)
                if depth[n] > MAX_NESTING:
                    raise ctx.fail(
                        places[n],
                        f"composites and sub-automata nest more than {MAX_NESTING:,} levels "
                        f"deep below {_show(n)}",
                        "flatten the chain: a sequence may list many children",
                    )


def parse_definition(
    data: object, path: str | Path | None = None
) -> tuple[Bpfa, list[DefinitionWarning]]:
    """Validate parsed JSON/YAML data and build the :class:`Bpfa`; raise on the first error."""
    ctx = _Ctx(path)
    top = ctx.mapping(data, "$")
    ctx.keys(top, "$", *definition_keys())
    if top["format"] != FORMAT:
        raise ctx.fail(
            "$.format", f"unsupported format {_show(top['format'])}", f"set format to {FORMAT!r}"
        )
    name = ctx.ident(top["name"], "$.name")
    missing = top["missing_transition"]
    if missing not in _POLICIES:
        raise ctx.fail(
            "$.missing_transition",
            f"unknown policy {_show(missing)}",
            f"use one of {list(_POLICIES)}",
        )
    missing = cast(MissingPolicy, missing)

    events_raw = top["events"]
    if not isinstance(events_raw, list):
        raise ctx.fail(
            "$.events", "expected a list of event names", "write events: [smile_on, ...]"
        )
    alphabet: list[str] = [DONE_EVENT]
    seen = {DONE_EVENT}  # a set: checking duplicates in the list was quadratic in the event count
    for i, e in enumerate(events_raw):
        ctx.ident(e, f"$.events[{i}]")
        if e in seen:
            if e == DONE_EVENT:
                raise ctx.fail(
                    f"$.events[{i}]",
                    f"{DONE_EVENT!r} is the built-in internal event",
                    "remove it from the list",
                )
            raise ctx.fail(f"$.events[{i}]", f"duplicate event {_show(e)}", "list each event once")
        alphabet.append(e)
        seen.add(e)
    alpha = seen

    tables: dict[str, AngleTable] = {}
    for tname, tval in ctx.mapping(top.get("tables", {}), "$.tables").items():
        ctx.ident(tname, f"$.tables.{tname}")
        tables[tname] = _parse_table(ctx, tval, f"$.tables.{tname}")

    motions: dict[str, Motion] = {}
    for mid, mval in ctx.mapping(top.get("motions", {}), "$.motions").items():
        w = f"$.motions.{mid}"
        ctx.ident(mid, w)
        m = ctx.mapping(mval, w)
        ctx.keys(m, w, ("channels",), ())
        chans = m["channels"]
        if not isinstance(chans, list):
            raise ctx.fail(
                f"{w}.channels",
                "expected a list of channels",
                "write channels: [{role, axis, table, ...}]",
            )
        motions[mid] = Motion(
            mid,
            tuple(
                _parse_channel(ctx, c, f"{w}.channels[{i}]", tables) for i, c in enumerate(chans)
            ),
        )

    actions: dict[str, Action] = {}
    for aid, aval in ctx.mapping(top.get("actions", {}), "$.actions").items():
        w = f"$.actions.{aid}"
        ctx.ident(aid, w)
        a = ctx.mapping(aval, w)
        ctx.keys(a, w, ("motion", "outcomes"), ())
        motion = ctx.string(a["motion"], f"{w}.motion")
        if motion not in motions:
            raise ctx.fail(
                f"{w}.motion",
                f"unknown motion {_show(motion)}",
                f"define it under $.motions ({_known(motions)})",
            )
        outs_raw = ctx.mapping(a["outcomes"], f"{w}.outcomes")
        if not outs_raw:
            raise ctx.fail(
                f"{w}.outcomes", "an action needs at least one outcome", "add an outcome with p: 1"
            )
        outcomes: list[Outcome] = []
        for oname, oval in outs_raw.items():
            wo = f"{w}.outcomes.{oname}"
            ctx.ident(oname, wo)
            o = ctx.mapping(oval, wo)
            ctx.keys(o, wo, ("p", "duration"), ("scale",))
            p = ctx.number(o["p"], f"{wo}.p")
            if not 0.0 < p <= 1.0:
                raise ctx.fail(
                    f"{wo}.p", f"probability {p} is outside (0, 1]", "use a probability in (0, 1]"
                )
            duration = ctx.bounded(o["duration"], f"{wo}.duration", DURATION)
            outcomes.append(
                Outcome(oname, p, duration, ctx.bounded(o.get("scale", 1.0), f"{wo}.scale", SCALE))
            )
        _check_sum(ctx, [o.p for o in outcomes], f"{w}.outcomes")
        actions[aid] = Action(aid, motion, tuple(outcomes))

    composites_raw = ctx.mapping(top.get("composites", {}), "$.composites")
    automata_raw = ctx.mapping(top.get("automata", {}), "$.automata")
    namespaces: dict[str, str] = {}
    for section, keys in (
        ("actions", actions),
        ("composites", composites_raw),
        ("automata", automata_raw),
    ):
        for k in keys:
            if k in namespaces:
                raise ctx.fail(
                    f"$.{section}.{k}",
                    f"id {_show(k)} is also used in $.{namespaces[k]}",
                    "actions, composites and automata share one namespace; rename one",
                )
            namespaces[k] = section
    bodies = set(namespaces)

    composites: dict[str, Composite] = {}
    edges: dict[str, list[tuple[str, str]]] = {}
    for cid, cval in composites_raw.items():
        w = f"$.composites.{cid}"
        ctx.ident(cid, w)
        c = ctx.mapping(cval, w)
        if len(c) != 1 or next(iter(c)) not in ("sequence", "choice"):
            raise ctx.fail(
                w,
                f"a composite has exactly one key, 'sequence' or 'choice'; got {sorted(c)}",
                "write {sequence: [a, b]} or {choice: {a: 0.5, b: 0.5}}",
            )
        kind = next(iter(c))
        if kind == "sequence":
            seq = c["sequence"]
            if not isinstance(seq, list) or not seq:
                raise ctx.fail(
                    f"{w}.sequence", "expected a non-empty list of ids", "write sequence: [a, b]"
                )
            children = tuple(ctx.string(x, f"{w}.sequence[{i}]") for i, x in enumerate(seq))
            wheres = [f"{w}.sequence[{i}]" for i in range(len(children))]
            weights: tuple[float, ...] = ()
        else:
            children, weights = ctx.distribution(c["choice"], f"{w}.choice", "child")
            wheres = [f"{w}.choice.{x}" for x in children]
        for ch, wh in zip(children, wheres, strict=True):
            if ch not in bodies:
                raise ctx.fail(
                    wh,
                    f"unknown id {_show(ch)}",
                    f"name an action, composite or sub-automaton of this file ({_known(bodies)})",
                )
        composites[cid] = Composite(
            cid, cast(Literal["sequence", "choice"], kind), children, weights
        )
        edges[cid] = list(zip(children, wheres, strict=True))

    subautomata: dict[str, Automaton] = {}
    for sid, sval in automata_raw.items():
        w = f"$.automata.{sid}"
        ctx.ident(sid, w)
        s = ctx.mapping(sval, w)
        ctx.keys(s, w, ("behaviors", "initial", "final", "transitions"), ())
        sub = _parse_automaton(ctx, s, w, sid, bodies, alpha, missing, is_sub=True)
        subautomata[sid] = sub
        edges[sid] = [(b.body, f"{w}.behaviors.{b.id}.body") for b in sub.behaviors]
    places = {c: f"$.composites.{c}" for c in composites} | {
        a: f"$.automata.{a}" for a in subautomata
    }
    _check_acyclic(ctx, edges, places)

    automaton = _parse_automaton(ctx, top, "$", name, bodies, alpha, missing, is_sub=False)

    script: list[Event] = []
    script_raw = top.get("script", [])
    if not isinstance(script_raw, list):
        raise ctx.fail(
            "$.script",
            "expected a list of events",
            "write script: [{id, content, timestamp, expiry}]",
        )
    for i, ev in enumerate(script_raw):
        script.append(_parse_event(ctx, ev, f"$.script[{i}]", alpha))

    used_motions = {a.motion for a in actions.values()}
    for mid in motions:
        if mid not in used_motions:
            ctx.warn(f"$.motions.{mid}", f"motion {_show(mid)} is not used by any action")

    bpfa = Bpfa(
        automaton=automaton,
        alphabet=tuple(alphabet),
        missing=missing,
        actions=actions,
        composites=composites,
        motions=motions,
        subautomata=subautomata,
        source=ctx.path,
        script=tuple(script),
    )
    return bpfa, ctx.warnings


def definition_keys() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(required, optional) top-level keys; the JSON Schema is tested against these."""
    return (
        ("format", "name", "missing_transition", "events", "behaviors", "initial", "transitions"),
        (
            "description",
            "tables",
            "motions",
            "actions",
            "composites",
            "automata",
            "final",
            "script",
        ),
    )
