"""Sample a BPFA into a timeline of behavior segments.

One ``numpy.random.Generator`` per automaton instance, seeded by the caller; the only draws
are ``Generator.random()`` doubles (PCG64), so a seed gives the same timeline on every run and
platform. Events are processed in timestamp order (ties keep their given order); an event
queued behind a non-interruptible behavior is dropped once past its expiry. Composites and
sub-automata are expanded into actions when their behavior is entered; each action draws
its outcome.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import DefinitionError
from .model import ANY, DONE_EVENT, Automaton, Bpfa, Event, Segment, Timeline

MAX_EXPANSION = 10_000
"""Actions one behavior body may expand to before it is declared runaway."""
MAX_EXPANSION_STEPS = 5_000_000
"""Composites, sub-automaton steps and actions visited while expanding the bodies of one
timeline (a few seconds of work): deep chains under very short actions are refused, not
sampled for minutes."""


@dataclass(frozen=True)
class _Planned:
    action: str
    outcome: str
    scale: float
    frames: int


def _cdf(ps: Sequence[float]) -> list[float]:
    """Cumulative sums with the last entry forced to exactly 1 (rows are validated to 1e-9)."""
    acc = 0.0
    out: list[float] = []
    for p in ps:
        acc += p
        out.append(acc)
    out[-1] = 1.0
    return out


def _draw(rng: np.random.Generator, cdf: list[float]) -> int:
    """Index i with probability p_i: first cumulative value strictly above u ∈ [0, 1)."""
    return min(bisect.bisect_right(cdf, float(rng.random())), len(cdf) - 1)


@dataclass(frozen=True)
class _SubStep:
    """Marker on the expansion stack: the body of ``state`` in ``aut`` has just been expanded."""

    aut: Automaton
    state: str


class _Expander:
    """Turns a body id into a list of planned actions, drawing choices and outcomes.

    An explicit stack, not recursion: composites may be nested thousands deep. Items are
    expanded in the order a depth-first walk visits them, so the generator's draws (choices,
    outcomes, sub-automaton rows) happen in the same order as in a recursive walk. Chains of
    one-child sequences draw nothing and are skipped in one step (memoised).
    """

    def __init__(self, bpfa: Bpfa, fps: float, rng: np.random.Generator) -> None:
        self.bpfa = bpfa
        self.fps = fps
        self.rng = rng
        self.action_cdf = {a.id: _cdf([o.p for o in a.outcomes]) for a in bpfa.actions.values()}
        self.choice_cdf = {
            c.id: _cdf(c.weights) for c in bpfa.composites.values() if c.kind == "choice"
        }
        self.rows = {
            aut.name: {(t.behavior, t.event): (t.targets, _cdf(t.probs)) for t in aut.transitions}
            for aut in bpfa.subautomata.values()
        }
        self.bodies = {
            aut.name: {bb.id: bb.body for bb in aut.behaviors} for aut in bpfa.subautomata.values()
        }
        self.through: dict[str, str] = {}
        self.steps = 0

    def _through(self, body: str) -> str:
        """``body`` with its chain of one-child sequences skipped."""
        hit = self.through.get(body)
        if hit is not None:
            return hit
        comps = self.bpfa.composites
        chain = [body]
        end = body
        while end in comps and comps[end].kind == "sequence" and len(comps[end].children) == 1:
            nxt = comps[end].children[0]
            if nxt in self.through:
                end = self.through[nxt]
                break
            chain.append(nxt)
            end = nxt
        for c in chain:
            self.through[c] = end
        return end

    def expand(self, body: str) -> list[_Planned]:
        out: list[_Planned] = []
        b = self.bpfa
        stack: list[str | _SubStep] = [body]
        while stack:
            item = stack.pop()
            self.steps += 1
            if len(out) > MAX_EXPANSION:
                raise DefinitionError(
                    b.source,
                    f"$ (body {body!r})",
                    f"a body expanded to more than {MAX_EXPANSION:,} actions",
                    "make sub-automata reach a final behavior sooner",
                )
            if self.steps > MAX_EXPANSION_STEPS:
                raise DefinitionError(
                    b.source,
                    f"$ (body {body!r})",
                    "expanding the behaviors of this timeline took more than "
                    f"{MAX_EXPANSION_STEPS:,} steps",
                    "nest composites less deeply, or give their actions longer durations",
                )
            if isinstance(item, _SubStep):
                self._after_sub_body(item, stack)
                continue
            item = self._through(item)
            if item in b.actions:
                act = b.actions[item]
                o = act.outcomes[_draw(self.rng, self.action_cdf[item])]
                out.append(_Planned(item, o.name, o.scale, _frames_of(o.duration, self.fps)))
            elif item in b.composites:
                comp = b.composites[item]
                if comp.kind == "sequence":
                    stack.extend(reversed(comp.children))
                else:
                    stack.append(comp.children[_draw(self.rng, self.choice_cdf[item])])
            else:
                aut = b.subautomata[item]
                stack.append(_SubStep(aut, aut.initial))
                stack.append(self.bodies[aut.name][aut.initial])
        return out

    def _after_sub_body(self, step: _SubStep, stack: list[str | _SubStep]) -> None:
        """A sub-automaton's behavior has played: stop at a final one, else take its 'done' row."""
        aut, cur = step.aut, step.state
        if cur in aut.finals:
            return
        row = self.rows[aut.name].get((cur, DONE_EVENT))
        if row is None:
            if self.bpfa.missing == "error":
                raise DefinitionError(
                    self.bpfa.source,
                    f"$.automata.{aut.name}",
                    f"no row for ({cur!r}, 'done')",
                    "add the row",
                )
            nxt = cur  # ignore / stay: the behavior plays again
        else:
            nxt = row[0][_draw(self.rng, row[1])]
        stack.append(_SubStep(aut, nxt))
        stack.append(self.bodies[aut.name][nxt])


MAX_FRAME = 1 << 40
"""Frame numbers are clamped here: a time of 1e308 s is "after the end", never an overflow."""


def _frame(seconds: float, fps: float) -> int:
    """The frame nearest to ``seconds``, clamped to ±:data:`MAX_FRAME`."""
    x = seconds * fps + 0.5
    if not x < MAX_FRAME:  # also NaN and inf
        return MAX_FRAME
    return max(math.floor(x), -MAX_FRAME)


def _frames_of(seconds: float, fps: float) -> int:
    """A duration in frames: at least 1, at most :data:`MAX_FRAME`."""
    x = seconds * fps
    if not x < MAX_FRAME:
        return MAX_FRAME
    return max(1, round(x))


def sample_timeline(
    bpfa: Bpfa,
    events: Iterable[Event],
    n_frames: int,
    fps: float,
    seed: int | np.random.Generator,
) -> Timeline:
    """Run the automaton over ``n_frames`` frames at ``fps`` and return its segments.

    Events addressed to another receiver, or whose content is not in the alphabet, are not
    letters of this automaton and are skipped. ``seed`` may be a Generator (used as is).
    """
    if n_frames <= 0 or not math.isfinite(fps) or fps <= 0:
        raise ValueError(f"need n_frames > 0 and fps > 0, got {n_frames}, {fps}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    aut = bpfa.automaton
    alphabet = set(bpfa.alphabet)
    evs = sorted(
        (
            e
            for e in (*bpfa.script, *events)
            if e.receiver in (ANY, bpfa.name) and e.content in alphabet
        ),
        key=lambda e: e.timestamp,
    )
    rows = {(t.behavior, t.event): (t.targets, _cdf(t.probs)) for t in aut.transitions}
    behaviors = {b.id: b for b in aut.behaviors}
    exp = _Expander(bpfa, fps, rng)
    segments: list[Segment] = []

    cur = aut.initial
    plan = exp.expand(behaviors[cur].body)
    k = 0  # index of the playing action in plan
    t = 0  # frame the playing action started (or resumes, for ignored events)
    planned_start = 0
    queue: list[Event] = []
    ei = 0
    finished = False

    def emit(end: int) -> None:
        if end > t:
            p = plan[k]
            segments.append(Segment(t, end, cur, p.action, p.outcome, p.scale, p.frames))

    def decide(state: str, content: str) -> str | None:
        """Next behavior for ``content`` in ``state`` (None = keep playing)."""
        row = rows.get((state, content))
        if row is not None:
            return row[0][_draw(rng, row[1])]
        if bpfa.missing == "stay":
            return state
        if bpfa.missing == "error":
            raise DefinitionError(
                bpfa.source,
                "$.transitions",
                f"no row for ({state!r}, {content!r})",
                f"add a row from {state} on {content}",
            )
        return None

    while t < n_frames and not finished:
        end = planned_start + plan[k].frames
        interruptible = behaviors[cur].interruptible
        if ei < len(evs) and _frame(evs[ei].timestamp, fps) < min(end, n_frames):
            ev = evs[ei]
            ei += 1
            fe = max(_frame(ev.timestamp, fps), t)
            if not interruptible:
                queue.append(ev)
                continue
            jump = decide(cur, ev.content)
            if jump is None:
                continue
            emit(fe)
            cur, plan, k, t, planned_start = jump, exp.expand(behaviors[jump].body), 0, fe, fe
            continue
        # The playing action runs to its planned end.
        emit(min(end, n_frames))
        if end >= n_frames:
            break
        if k + 1 < len(plan):
            k, t, planned_start = k + 1, end, end
            continue
        # Body finished: queued events first (expired ones dropped), then the internal 'done'.
        nxt: str | None = None
        for ev in queue:
            if ev.expiry * fps < end:
                continue
            cand = decide(cur if nxt is None else nxt, ev.content)
            if cand is not None:
                nxt = cand
        queue = []
        if nxt is None:
            if cur in aut.finals:
                # A final behavior that has played out holds its last pose to the end.
                finished = True
                if segments:
                    last = segments.pop()
                    segments.append(
                        Segment(
                            last.start_frame,
                            n_frames,
                            last.behavior,
                            last.action,
                            last.outcome,
                            last.scale,
                            last.planned_frames,
                        )
                    )
                break
            nxt = decide(cur, DONE_EVENT)
            if nxt is None:
                nxt = cur  # 'ignore' on done: the body plays again
        cur, plan, k, t, planned_start = nxt, exp.expand(behaviors[nxt].body), 0, end, end
    return Timeline(fps=fps, n_frames=n_frames, segments=tuple(segments))
