"""The ``BakeRequest`` tables of docs/api.md and docs/cli.md, generated from ``core/request.py``.

Each row comes from the field itself: its name, type and default, its command-line flag and
help (``request_options``) and its docstring (the string under the field in the class body),
so the documentation cannot drift from the request object::

    python -m moodrig.weights_tools.request_doc --check    # exit 1 when a page is stale
    python -m moodrig.weights_tools.request_doc --write    # rewrite the tables

Each table sits between its page's ``<!-- NAME:begin -->`` and ``<!-- NAME:end -->`` markers.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import re
import sys
from pathlib import Path

from moodrig.core import request

DOCS = Path(__file__).resolve().parents[1] / "docs"
"""The documentation folder."""


def field_docstrings() -> dict[str, tuple[str, str]]:
    """Field name → (type as written, docstring) of every ``BakeRequest`` field, in order."""
    tree = ast.parse(inspect.getsource(request))
    cls = next(
        n
        for n in tree.body
        if isinstance(n, ast.ClassDef) and n.name == request.BakeRequest.__name__
    )
    out: dict[str, tuple[str, str]] = {}
    body = cls.body
    for stmt, nxt in zip(body, [*body[1:], None], strict=True):
        if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
            continue
        doc = ""
        if (
            isinstance(nxt, ast.Expr)
            and isinstance(nxt.value, ast.Constant)
            and isinstance(nxt.value.value, str)
        ):
            doc = inspect.cleandoc(nxt.value.value)
        out[stmt.target.id] = (ast.unparse(stmt.annotation), doc)
    return out


def plain(text: str) -> str:
    """reStructuredText roles and literals → Markdown code, on one line, ``|`` escaped."""
    text = re.sub(
        r":(?:class|func|data|meth|attr):`~?([^`]+)`",
        lambda m: f"`{m.group(1).split('.')[-1]}`",
        text,
    )
    text = text.replace("``", "`")
    return " ".join(text.split()).replace("|", "\\|")


def field_table() -> str:
    """The Markdown table: one row per ``BakeRequest`` field, in the class's order."""
    docs = field_docstrings()
    options = {o.name: o for o in request.request_options()}
    rows = ["| field | type | default | command line | meaning |", "|---|---|---|---|---|"]
    for f in dataclasses.fields(request.BakeRequest):
        kind, doc = docs[f.name]
        opt = options[f.name]
        value = "|".join(opt.choices) if opt.choices else opt.metavar or f.name.upper()
        flag = opt.flag if opt.parse is None else f"{opt.flag} {value}"
        rows.append(
            f"| `{f.name}` | `{plain(kind)}` | `{f.default!r}` | `{plain(flag)}` | {plain(doc)} |"
        )
    return "\n".join(rows) + "\n"


def flag_table() -> str:
    """The Markdown table of the ``bake`` command's request flags, in the class's order."""
    rows = ["| flag | `BakeRequest` field | default | what |", "|---|---|---|---|"]
    for opt in request.request_options():
        if opt.parse is None:
            flag, default = opt.flag, f"off (on: `{opt.name}={not opt.default}`)"
        else:
            value = "|".join(opt.choices) if opt.choices else opt.metavar or opt.name.upper()
            flag = f"{opt.flag} {value}"
            default = "–" if opt.default is None else f"`{opt.default}`"
        rows.append(f"| `{plain(flag)}` | `{opt.name}` | {default} | {plain(opt.help)} |")
    return "\n".join(rows) + "\n"


TABLES = {
    "api.md": ("bake-request-fields", field_table),
    "cli.md": ("bake-request-flags", flag_table),
}
"""Page → (marker name, the function that makes its table)."""


def render(text: str, marker: str, table: str) -> str:
    """``text`` with the table between ``marker``'s begin and end comments replaced."""
    begin, end = f"<!-- {marker}:begin -->", f"<!-- {marker}:end -->"
    if begin not in text or end not in text:
        raise ValueError(f"the markers {begin} … {end} are missing")
    a, b = text.index(begin) + len(begin), text.index(end)
    return text[:a] + "\n" + table + text[b:]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="exit 1 when a page is stale")
    mode.add_argument("--write", action="store_true", help="rewrite the tables in the pages")
    p.add_argument("--docs", type=Path, default=DOCS, help="the docs folder (default: docs/)")
    a = p.parse_args(argv)
    status = 0
    for page, (marker, make) in TABLES.items():
        path = a.docs / page
        text = path.read_text(encoding="utf-8")
        try:
            new = render(text, marker, make())
        except ValueError as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            return 1
        if a.write:
            path.write_text(new, encoding="utf-8")
        elif new != text:
            print(
                f"{path}: the BakeRequest table is stale; run python -m "
                "moodrig.weights_tools.request_doc --write",
                file=sys.stderr,
            )
            status = 1
    return status


if __name__ == "__main__":
    raise SystemExit(main())
