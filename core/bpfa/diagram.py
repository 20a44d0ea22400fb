"""Export the top automaton as Mermaid or Graphviz DOT (behaviors as nodes, ``event / p`` edges).

Rows from a ``*`` wildcard are expanded in the model, so the diagram shows every edge; the
initial behavior is marked, final behaviors get a double border.
"""

from __future__ import annotations

import re

from .model import Bpfa


def _p(p: float) -> str:
    return f"{p:.3g}"


def _mermaid_id(s: str) -> str:
    return "b_" + re.sub(r"[^A-Za-z0-9_]", "_", s)


def _edges(bpfa: Bpfa) -> list[tuple[str, str, str]]:
    """(source, target, label) with every (event, p) of one source → target pair joined."""
    labels: dict[tuple[str, str], list[str]] = {}
    for t in bpfa.automaton.transitions:
        for target, p in zip(t.targets, t.probs, strict=True):
            labels.setdefault((t.behavior, target), []).append(f"{t.event} / {_p(p)}")
    return [(s, d, ", ".join(ls)) for (s, d), ls in labels.items()]


def to_mermaid(bpfa: Bpfa) -> str:
    """Mermaid ``stateDiagram-v2`` text."""
    aut = bpfa.automaton
    lines = ["stateDiagram-v2", f"    %% {aut.name}: missing rows -> {bpfa.missing}"]
    for b in aut.behaviors:
        lines.append(f'    state "{b.id}" as {_mermaid_id(b.id)}')
    lines.append(f"    [*] --> {_mermaid_id(aut.initial)}")
    for s, d, label in _edges(bpfa):
        lines.append(f"    {_mermaid_id(s)} --> {_mermaid_id(d)} : {label.replace(':', ' ')}")
    for f in aut.finals:
        lines.append(f"    {_mermaid_id(f)} --> [*]")
    return "\n".join(lines) + "\n"


def _dot_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(bpfa: Bpfa) -> str:
    """Graphviz ``digraph`` text."""
    aut = bpfa.automaton
    lines = [
        f"digraph {_dot_str(aut.name)} {{",
        "    rankdir=LR;",
        "    node [shape=box, style=rounded];",
    ]
    lines.append('    "__start" [shape=point];')
    for b in aut.behaviors:
        periph = ", peripheries=2" if b.id in aut.finals else ""
        lines.append(f"    {_dot_str(b.id)} [label={_dot_str(b.id)}{periph}];")
    lines.append(f'    "__start" -> {_dot_str(aut.initial)};')
    for s, d, label in _edges(bpfa):
        lines.append(f"    {_dot_str(s)} -> {_dot_str(d)} [label={_dot_str(label)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
