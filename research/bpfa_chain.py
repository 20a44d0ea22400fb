"""The BPFA's transition chain alone, over pre-resolved integer tables: a throughput study.

:func:`moodrig.core.bpfa.sample_timeline` follows the full semantics (segments, queues,
expiry, composite expansion); these functions run only the top automaton's transition rows,
to see how fast the chain itself can be sampled (``research/bpfa_measure.py``,
``tests/bench/bench_bpfa.py``). Same draws as the sampler: one ``Generator.random()`` double
per step.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from moodrig.core.bpfa.model import Bpfa
from moodrig.core.bpfa.sampler import _cdf
from moodrig.core.errors import DefinitionError


@dataclass(frozen=True)
class CompiledChain:
    """Integer tables of the top automaton's transition rows.

    Attributes:
        behaviors: behavior ids, index = state code.
        events: alphabet, index = event code.
        row_of: (n_behaviors * n_events,) int64 row id, or -1 where no row.
        offsets: (n_rows + 1,) int64 start of each row in ``cdf``/``targets``.
        cdf: flattened cumulative probabilities; the last entry of a row is exactly 1.
        targets: flattened target state codes.
        missing: the definition's missing-row policy.
        cdf_pad: (n_rows, max_row_len) CDF rows padded with 2.0 (never ≤ a uniform).
        targets_pad: (n_rows, max_row_len) targets padded with the row's last target.
        py_rows: the same rows as Python tuples, ``py_rows[state][event] = (cdf, targets)``
            or None, for the single-chain loop (one C-level ``bisect`` per step).
    """

    behaviors: tuple[str, ...]
    events: tuple[str, ...]
    row_of: NDArray[np.int64]
    offsets: NDArray[np.int64]
    cdf: NDArray[np.float64]
    targets: NDArray[np.int64]
    missing: str
    cdf_pad: NDArray[np.float64]
    targets_pad: NDArray[np.int64]
    py_rows: tuple[tuple[tuple[tuple[float, ...], tuple[int, ...]] | None, ...], ...]


def compile_chain(bpfa: Bpfa) -> CompiledChain:
    """Pre-resolve the top automaton into integer tables (missing rows: self-loop unless
    the policy is 'error')."""
    aut = bpfa.automaton
    bidx = {b.id: i for i, b in enumerate(aut.behaviors)}
    eidx = {e: i for i, e in enumerate(bpfa.alphabet)}
    nb, ne = len(bidx), len(eidx)
    row_of = np.full(nb * ne, -1, dtype=np.int64)
    offsets = [0]
    cdf: list[float] = []
    targets: list[int] = []
    rows = {(t.behavior, t.event): t for t in aut.transitions}
    py_rows: list[tuple[tuple[tuple[float, ...], tuple[int, ...]] | None, ...]] = []
    for b, bi in bidx.items():
        per_event: list[tuple[tuple[float, ...], tuple[int, ...]] | None] = []
        for e, ej in eidx.items():
            t = rows.get((b, e))
            if t is None:
                if bpfa.missing == "error":
                    per_event.append(None)
                    continue
                tg, c = [bi], [1.0]
            else:
                tg, c = [bidx[x] for x in t.targets], _cdf(t.probs)
            per_event.append((tuple(c), tuple(tg)))
            r = len(offsets) - 1
            row_of[bi * ne + ej] = r
            cdf.extend(c)
            targets.extend(tg)
            offsets.append(len(cdf))
        py_rows.append(tuple(per_event))
    n_rows = len(offsets) - 1
    width = max((offsets[i + 1] - offsets[i] for i in range(n_rows)), default=1)
    cdf_pad = np.full((n_rows, width), 2.0)
    targets_pad = np.zeros((n_rows, width), dtype=np.int64)
    for i in range(n_rows):
        lo, hi = offsets[i], offsets[i + 1]
        cdf_pad[i, : hi - lo] = cdf[lo:hi]
        targets_pad[i, : hi - lo] = targets[lo:hi]
        targets_pad[i, hi - lo :] = targets[hi - 1]
    return CompiledChain(
        behaviors=tuple(bidx),
        events=tuple(eidx),
        row_of=row_of,
        offsets=np.asarray(offsets, dtype=np.int64),
        cdf=np.asarray(cdf, dtype=np.float64),
        targets=np.asarray(targets, dtype=np.int64),
        missing=bpfa.missing,
        cdf_pad=cdf_pad,
        targets_pad=targets_pad,
        py_rows=tuple(py_rows),
    )


def sample_steps(
    chain: CompiledChain,
    event_codes: NDArray[np.integer[Any]],
    start: int,
    rng: np.random.Generator,
) -> NDArray[np.int64]:
    """States after each event of ``event_codes`` (one chain); one uniform per step.

    A tight loop over pre-resolved Python tuples: per step one row lookup and one C-level
    ``bisect`` (numpy per-element access would be slower).
    """
    rows = chain.py_rows
    us = rng.random(len(event_codes)).tolist()
    evs = np.asarray(event_codes, dtype=np.int64).tolist()
    out: list[int] = []
    append = out.append
    draw = bisect.bisect_right
    s = start
    try:
        for e, u in zip(evs, us, strict=True):
            cdf, targets = rows[s][e]  # type: ignore[misc,unused-ignore]
            s = targets[draw(cdf, u)]
            append(s)
    except TypeError:
        e = evs[len(out)]
        raise DefinitionError(
            None,
            "$.transitions",
            f"no row for ({chain.behaviors[s]!r}, {chain.events[e]!r})",
            "add the row",
        ) from None
    return np.asarray(out, dtype=np.int64)


def sample_steps_batch(
    chain: CompiledChain,
    event_codes: NDArray[np.integer[Any]],
    start: int,
    rngs: Sequence[np.random.Generator],
) -> NDArray[np.int64]:
    """(K, T) states of K automaton instances (one generator each) fed the same events.

    Uniforms are drawn per instance from its own generator, so row k equals
    :func:`sample_steps` with ``rngs[k]``; each step is vectorised across instances: gather
    every instance's padded CDF row and count the entries ≤ its uniform.
    """
    ev = np.asarray(event_codes, dtype=np.int64)
    k, n = len(rngs), len(ev)
    us = np.stack([g.random(n) for g in rngs], axis=1) if k else np.zeros((n, 0))
    ne = len(chain.events)
    state = np.full(k, start, dtype=np.int64)
    out = np.empty((n, k), dtype=np.int64)
    for i in range(n):
        r = chain.row_of[state * ne + ev[i]]
        if np.any(r < 0):
            raise DefinitionError(
                None,
                "$.transitions",
                "an instance reached a (behavior, event) pair with no row",
                "add the row",
            )
        j = (chain.cdf_pad[r] <= us[i][:, None]).sum(axis=1)
        state = chain.targets_pad[r, j]
        out[i] = state
    return np.ascontiguousarray(out.T)
