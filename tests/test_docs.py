"""The documentation: no issue numbers in the product or its user docs, every relative link
and anchor resolves, every page is on the map, and the BakeRequest tables match the code."""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from pathlib import Path

import pytest

from moodrig.core.request import BakeRequest
from moodrig.weights_tools import request_doc

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
HISTORY = DOCS / "history"
ISSUE = re.compile(r"\bissue\s*#?\d+", re.IGNORECASE)
PAGES = sorted([ROOT / "README.md", *DOCS.rglob("*.md")])


def _no_history(paths: list[Path]) -> list[Path]:
    return [p for p in paths if HISTORY not in p.parents]


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT)) if ROOT in path.parents else path.name


def _issue_citations(paths: list[Path]) -> list[str]:
    return [
        f"{_name(p)}:{n}: {line.strip()}"
        for p in paths
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if ISSUE.search(line)
    ]


def test_user_docs_and_product_code_cite_no_issue_numbers() -> None:
    paths = _no_history([ROOT / "README.md", *DOCS.rglob("*.md")])
    for folder in ("core", "blender_addon", "weights_tools", "research"):
        paths += sorted((ROOT / folder).rglob("*.py"))
    paths += [*sorted((ROOT / "mk").glob("*.mk")), ROOT / "Makefile"]
    assert _issue_citations(paths) == []


def test_the_issue_pattern_finds_what_it_is_for(tmp_path: Path) -> None:
    page = tmp_path / "a.md"
    page.write_text("Targets of issue #4.\nSee Issue 12 and (issue#9).\nAn issue with it.\n")
    assert len(_issue_citations([page])) == 2


_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation and symbols dropped, spaces → -."""
    text = heading.strip().lower()
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LN")
    return kept.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading anchor of a Markdown page (repeated headings get -1, -2, …)."""
    seen: dict[str, int] = {}
    out: set[str] = set()
    for heading in _HEADING.findall(_FENCE.sub("", page.read_text(encoding="utf-8"))):
        base = slug(heading)
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def links(page: Path) -> list[str]:
    """The link targets of a Markdown page, outside code blocks and code spans."""
    text = _CODE.sub("", _FENCE.sub("", page.read_text(encoding="utf-8")))
    return _LINK.findall(text)


def broken_links(page: Path) -> list[str]:
    out = []
    for target in links(page):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):
            continue  # http:, https:, mailto:
        path_part, _, anchor = target.partition("#")
        dest = (page.parent / path_part).resolve() if path_part else page
        if not dest.exists():
            out.append(f"{_name(page)}: {target} (no such file)")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            out.append(f"{_name(page)}: {target} (no such heading)")
    return out


def test_the_link_check_finds_missing_files_and_headings(tmp_path: Path) -> None:
    (tmp_path / "b.md").write_text("# Title\n\n## Inference (`core/amee/infer.py`)\n")
    page = tmp_path / "a.md"
    page.write_text(
        "[ok](b.md#inference-coreameeinferpy) [x](c.md) [y](b.md#nope)\n"
        "`[not a link](zzz.md)`\n```\n[nor this](zzz.md)\n```\n[web](https://x.y)\n"
    )
    assert broken_links(page) == ["a.md: c.md (no such file)", "a.md: b.md#nope (no such heading)"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_points_to_an_existing_file_and_heading(page: Path) -> None:
    assert broken_links(page) == []


def test_every_page_under_docs_is_on_the_map() -> None:
    index = DOCS / "index.md"
    linked = {(DOCS / t.partition("#")[0]).resolve() for t in links(index)}
    missing = [
        str(p.relative_to(DOCS))
        for p in DOCS.rglob("*.md")
        if p != index and p.resolve() not in linked
    ]
    assert missing == [], f"docs/index.md does not link {missing}"


def test_the_bake_request_tables_are_generated_from_the_code() -> None:
    assert request_doc.main(["--check"]) == 0, (
        "docs/api.md or docs/cli.md is stale: python -m moodrig.weights_tools.request_doc --write"
    )
    api, cli = ((DOCS / name).read_text(encoding="utf-8") for name in ("api.md", "cli.md"))
    for f in dataclasses.fields(BakeRequest):
        assert f"| `{f.name}` |" in api, f"docs/api.md does not list BakeRequest.{f.name}"
        assert f"`{f.name}`" in cli, f"docs/cli.md does not list BakeRequest.{f.name}"


def test_every_field_has_a_docstring() -> None:
    docs = request_doc.field_docstrings()
    assert list(docs) == [f.name for f in dataclasses.fields(BakeRequest)]
    assert [name for name, (_, doc) in docs.items() if not doc] == []
