"""Read a definition file (JSON or YAML) into plain data, in bounded time and memory.

Nothing here validates content (``loader.py`` does); this module only guarantees that
whatever a file holds, reading it ends quickly with plain Python data or one
:class:`~moodrig.core.errors.DefinitionError` on one line naming the file and, for syntax
errors, the line and column. Guards:

* size: at most :data:`MAX_DEFINITION_BYTES` are ever read (checked before reading, and the
  read itself stops one byte past the cap);
* YAML aliases: every alias counts as the whole structure it repeats, and a document may
  expand to at most :data:`MAX_YAML_NODES` nodes ("billion laughs" bombs are refused while
  they are being composed, wherever the alias is used); an alias may not refer to a
  structure that contains it;
* YAML is read with libyaml's parser where available (the pure-Python one needs about 50 s
  for 16 MB) and a safe constructor: no Python object is ever built from a tag;
* numbers: integers longer than :data:`MAX_INT_DIGITS` digits are refused (``int()`` of a
  huge literal is slow and cannot become a float); duplicate keys are refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Hashable
from pathlib import Path
from typing import Any, cast

import yaml
from yaml.composer import Composer
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.error import Mark, MarkedYAMLError
from yaml.resolver import BaseResolver, Resolver

from ..errors import DefinitionError

MAX_DEFINITION_BYTES = 16_000_000
"""Definition files above this size are refused (the shipped library is a few tens of kB; a
1,000-behavior automaton is about 3 MB)."""

MAX_YAML_NODES = 1_000_000
"""Most YAML nodes (scalars, lists, mappings) a document may expand to, every alias counted
as the whole structure it repeats. Composing a node costs about 350 bytes, so this bounds a
YAML read to a few hundred MB; a 1,000-behavior automaton has about 200,000 nodes."""

MAX_INT_DIGITS = 300
"""Longest integer literal read (beyond it no float can hold the value either)."""

_ONE_LINE = re.compile(r"\s+")


def _one_line(text: str, limit: int = 200) -> str:
    """Whitespace (newlines included) collapsed, cut to ``limit`` characters."""
    s = _ONE_LINE.sub(" ", text).strip()
    return s if len(s) <= limit else s[: limit - 1] + "…"


# --------------------------------------------------------------------------- YAML


class _BoundedComposer(Composer):  # type: ignore[misc,unused-ignore]
    """Composer that counts the expanded size of the document as it is composed.

    ``_sizes[id(node)]`` is the node's size with every alias inside it expanded; an alias
    adds the size of the node it repeats. The count is checked at every node, so a bomb is
    refused after at most :data:`MAX_YAML_NODES` units of work, never expanded.
    """

    def __init__(self) -> None:
        super().__init__()
        self._sizes: dict[int, int] = {}
        self._expanded = 0

    def _add(self, n: int, mark: Mark | None) -> None:
        self._expanded += n
        if self._expanded > MAX_YAML_NODES:
            raise yaml.composer.ComposerError(
                None,
                None,
                f"the document expands to more than {MAX_YAML_NODES:,} YAML nodes "
                "(aliases count as the whole structure they repeat)",
                mark,
            )

    def compose_node(self, parent: Any, index: Any) -> Any:
        events: Any = self  # the parser half of the loader class provides the event stream
        if events.check_event(yaml.AliasEvent):
            event = events.peek_event()
            node: Any = super().compose_node(parent, index)  # refuses an undefined alias
            size = self._sizes.get(id(node))
            if size is None:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"alias *{event.anchor} refers to a structure that contains it",
                    event.start_mark,
                )
            self._add(size, event.start_mark)
            return node
        node = super().compose_node(parent, index)
        size = 1
        if isinstance(node, yaml.SequenceNode):
            size += sum(self._sizes[id(c)] for c in node.value)
        elif isinstance(node, yaml.MappingNode):
            size += sum(self._sizes[id(k)] + self._sizes[id(v)] for k, v in node.value)
        self._sizes[id(node)] = size
        self._add(1, node.start_mark)
        return node


def _construct_unique_mapping(loader: Any, node: yaml.MappingNode) -> dict[Any, Any]:
    """A mapping whose keys are hashable and unique (SafeLoader keeps the last duplicate)."""
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if not isinstance(key, Hashable):
            raise ConstructorError(
                None, None, "a list or mapping used as a key", key_node.start_mark
            )
        if key in seen:
            raise ConstructorError(
                None, None, f"duplicate key {_one_line(repr(key), 60)}", key_node.start_mark
            )
        seen.add(key)
    return cast(dict[Any, Any], loader.construct_mapping(node))


def _construct_bounded_int(loader: Any, node: yaml.ScalarNode) -> Any:
    """An integer of at most :data:`MAX_INT_DIGITS` digits."""
    digits = sum(ch.isdigit() for ch in str(node.value))
    if digits > MAX_INT_DIGITS:
        raise ConstructorError(None, None, f"an integer of {digits} digits", node.start_mark)
    return loader.construct_yaml_int(node)


try:  # libyaml's scanner and parser; composition stays in Python (it is where aliases are counted)
    from yaml._yaml import CParser

    class _Loader(  # type: ignore[misc,unused-ignore]
        _BoundedComposer, SafeConstructor, Resolver, CParser
    ):
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            _BoundedComposer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Loader(  # type: ignore[misc,no-redef,unused-ignore]
        Reader, Scanner, Parser, _BoundedComposer, SafeConstructor, Resolver
    ):
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            _BoundedComposer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)


for _tag, _fn in (
    (BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping),
    ("tag:yaml.org,2002:int", _construct_bounded_int),
):
    cast(Any, _Loader).add_constructor(_tag, _fn)


def _yaml_error(path: Path, exc: yaml.YAMLError) -> DefinitionError:
    """One line: where (line, column) and what, never the parser's multi-line report."""
    where = ""
    problem = str(exc)
    if isinstance(exc, MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        if mark is not None:
            where = f"line {mark.line + 1}, column {mark.column + 1}"
        problem = exc.problem or exc.context or problem
        if exc.context and exc.problem and "while" not in exc.context:
            problem = f"{exc.context}: {exc.problem}"
    return DefinitionError(
        path, where, f"not valid YAML: {_one_line(problem)}", "fix the file at that place"
    )


def _parse_yaml(path: Path, text: str) -> object:
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


# --------------------------------------------------------------------------- JSON


def _json_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {_one_line(repr(k), 60)}")
        out[k] = v
    return out


def _json_int(s: str) -> int | float:
    """Integers beyond :data:`MAX_INT_DIGITS` digits become inf (refused by the range checks)."""
    return int(s) if len(s) <= MAX_INT_DIGITS else float(s)


def _parse_json(path: Path, text: str) -> object:
    try:
        return json.loads(text, object_pairs_hook=_json_pairs, parse_int=_json_int)
    except json.JSONDecodeError as exc:
        raise DefinitionError(
            path,
            f"line {exc.lineno}, column {exc.colno}",
            f"not valid JSON: {_one_line(exc.msg)}",
            "fix the file at that place",
        ) from exc


# --------------------------------------------------------------------------- entry point


def read_raw(path: str | Path) -> object:
    """Parse a JSON or YAML file (duplicate keys refused) without validating its content."""
    p = Path(path)
    if not p.exists():
        raise DefinitionError(p, "", "file not found", "check the path")
    if p.is_dir():
        raise DefinitionError(
            p, "", "is a folder, not a definition file", "choose a .json, .yaml or .yml file"
        )
    if not p.is_file():
        raise DefinitionError(
            p,
            "",
            "is not a regular file (a pipe or a device?)",
            "choose a .json, .yaml or .yml file",
        )
    suffix = p.suffix.lower()
    if suffix not in (".json", ".yaml", ".yml"):
        raise DefinitionError(p, "", f"unknown file type {suffix!r}", "use .json, .yaml or .yml")
    too_big = DefinitionError(
        p,
        "",
        f"file is more than the {MAX_DEFINITION_BYTES:,} bytes a definition may have",
        "split it or remove generated bulk",
    )
    if p.stat().st_size > MAX_DEFINITION_BYTES:
        raise too_big
    try:
        with p.open("rb") as fh:
            data = fh.read(MAX_DEFINITION_BYTES + 1)  # the file may have grown since stat()
    except OSError as exc:
        raise DefinitionError(
            p, "", f"cannot be read ({exc.strerror})", "check the file's permissions"
        ) from exc
    if len(data) > MAX_DEFINITION_BYTES:
        raise too_big
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DefinitionError(
            p, "", f"not UTF-8 text ({exc.reason} at byte {exc.start})", "save the file as UTF-8"
        ) from exc
    try:
        if suffix == ".json":
            return _parse_json(p, text)
        return _parse_yaml(p, text)
    except RecursionError as exc:
        raise DefinitionError(p, "", "nested too deeply to read", "flatten the structure") from exc
    except yaml.YAMLError as exc:
        raise _yaml_error(p, exc) from exc
    except ValueError as exc:  # duplicate JSON keys; YAML values its constructors cannot build
        raise DefinitionError(
            p, "", f"not valid {suffix[1:].upper()}: {_one_line(str(exc))}", "fix the syntax"
        ) from exc
