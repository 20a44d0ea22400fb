"""The BPFA data model (docs/method.md §4): frozen dataclasses, no behaviour.

Vocabulary:

* An *action* is the paper's uncertain action ⟨n, R, p⟩: a name, an outcome space and a
  probability per outcome. Each outcome also carries how long it lasts and how strongly
  its motion is played.
* A *composite* is a sequence of children or a weighted choice among them; a child is an
  action, another composite, or a sub-automaton (a BPFA is itself a composite behavior).
* A *behavior* is a state of the automaton; its body is an action, composite or
  sub-automaton.
* An *event* ⟨id, sender, receiver, content, timestamp, expiry⟩ triggers transitions; the
  content is the letter of the alphabet Σ.
* A *transition row* maps (behavior, event content) to a distribution over next behaviors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

DONE_EVENT = "done"
"""Internal event a behavior emits when its body has played to the end."""

ANY = "*"
"""Wildcard: in a transition's ``from`` (every behavior without its own row for that event)
and in ``allowed_when`` (every expression state)."""

EXPRESSION_STATES: tuple[str, ...] = (
    "neutral",
    "smile",
    "frown",
    "surprise",
    "look_left",
    "look_right",
)
"""Expression states a behavior may declare itself allowed in (see ``events.py``)."""

MissingPolicy = Literal["ignore", "stay", "error"]
"""What a (behavior, event) pair with no transition row does: ``ignore`` drops the event and
the behavior continues; ``stay`` re-enters the same behavior (restarts it); ``error`` raises."""

Shape = Literal["ease", "pulse", "oscillate", "track", "cycle", "sway"]
Source = Literal["none", "yaw", "pitch", "roll"]


@dataclass(frozen=True)
class AngleTable:
    """Expression angle → (start, end) joint rotation, as docs/method.md's Table 2.

    Attributes:
        angles: expression angles in degrees, strictly increasing, each in [0, 90].
        starts: joint rotation at the start of the motion, radians, one per angle.
        ends: joint rotation at the end of the motion, radians, one per angle.
    """

    angles: tuple[float, ...]
    starts: tuple[float, ...]
    ends: tuple[float, ...]


@dataclass(frozen=True)
class Channel:
    """One rotation curve of one bone role's Euler channel.

    Attributes:
        role: bone role (``moodrig.core.rig.BONE_ROLES``).
        axis: Euler channel, 0 = X, 1 = Y, 2 = Z (bone-local, radians).
        tables: candidate angle tables; one is drawn per segment by the seeded generator
            (a single table means no choice).
        source: head angle that is the table's "expression angle"; ``none`` reads the table
            at 0°.
        follow: multiply by the sign of the source angle (look toward the turned side).
        shape: ``ease`` start→end with smoothstep; ``pulse`` A·(1−cos)/2 (one-sided, e.g. a
            nod); ``oscillate`` A·sin (two-sided, e.g. a head shake); ``track`` start→end
            re-read every frame at the current angle; ``cycle`` A·sin at absolute time
            (breathing, phase continuous across segments); ``sway`` A times a sum of three
            sines at ``hz`` × 1, φ, 1 + √2 with phases drawn once per timeline from the seeded
            generator (idle sway that never repeats). A is interpolated start→end.
        cycles: oscillations per segment for ``pulse`` and ``oscillate`` (> 0).
        hz: frequency in Hz for ``cycle`` and the base frequency of ``sway`` (> 0).
        gain: factor applied to the table values (lets one table drive several joints).
        variation: half-width in radians of a uniform jitter drawn per segment for start and
            end (≥ 0).
    """

    role: str
    axis: int
    tables: tuple[AngleTable, ...]
    source: Source = "none"
    follow: bool = False
    shape: Shape = "ease"
    cycles: float = 1.0
    hz: float = 0.25
    gain: float = 1.0
    variation: float = 0.0


@dataclass(frozen=True)
class Motion:
    """A named set of channel curves; channels on the same bone axis add up."""

    id: str
    channels: tuple[Channel, ...]


@dataclass(frozen=True)
class Outcome:
    """One outcome r of an uncertain action.

    Attributes:
        name: outcome name, unique within its action.
        p: probability in (0, 1]; an action's outcomes sum to 1.
        duration: seconds the action lasts with this outcome (> 0).
        scale: amplitude factor applied to the motion (> 0).
    """

    name: str
    p: float
    duration: float
    scale: float = 1.0


@dataclass(frozen=True)
class Action:
    """Uncertain action ⟨name, outcomes, p⟩ played with one motion."""

    id: str
    motion: str
    outcomes: tuple[Outcome, ...]


@dataclass(frozen=True)
class Composite:
    """Sequence of, or weighted choice among, actions, composites and sub-automata.

    Attributes:
        id: unique id.
        kind: ``sequence`` plays every child in order; ``choice`` plays one drawn by weight.
        children: child ids.
        weights: probabilities of the children for ``choice`` (sum 1); empty for sequence.
    """

    id: str
    kind: Literal["sequence", "choice"]
    children: tuple[str, ...]
    weights: tuple[float, ...] = ()


@dataclass(frozen=True)
class Behavior:
    """A state of the automaton.

    Attributes:
        id: unique id within its automaton.
        body: id of the action, composite or sub-automaton it plays.
        allowed_when: expression states in which this behavior is appropriate (``*`` = all).
        interruptible: False queues events until the body ends (expired ones are dropped).
        blend: seconds over which the behavior eases in from the previous pose (> 0).
    """

    id: str
    body: str
    allowed_when: tuple[str, ...] = (ANY,)
    interruptible: bool = True
    blend: float = 0.25


@dataclass(frozen=True)
class Transition:
    """Row of δ_b / p_b: in ``behavior`` on ``event``, go to ``targets[i]`` with ``probs[i]``."""

    behavior: str
    event: str
    targets: tuple[str, ...]
    probs: tuple[float, ...]


@dataclass(frozen=True)
class Event:
    """Event ⟨id, sender, receiver, content, timestamp, expiry⟩; times in seconds.

    ``receiver`` ``*`` addresses every automaton; ``expiry`` ≥ ``timestamp``: an event still
    queued after its expiry is dropped.
    """

    id: str
    sender: str
    receiver: str
    content: str
    timestamp: float
    expiry: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.timestamp) and math.isfinite(self.expiry)):
            raise ValueError(f"event {self.id!r}: timestamp and expiry must be finite")
        if self.expiry < self.timestamp:
            raise ValueError(
                f"event {self.id!r}: expiry {self.expiry} is before timestamp {self.timestamp}"
            )


@dataclass(frozen=True)
class Automaton:
    """The states and transitions of one BPFA ⟨n, Q_b, Σ, δ_b, p_b, b_0, F_b⟩.

    Transitions are fully expanded (no wildcard left); ``transitions`` is in file order.
    """

    name: str
    behaviors: tuple[Behavior, ...]
    transitions: tuple[Transition, ...]
    initial: str
    finals: tuple[str, ...] = ()

    def behavior(self, bid: str) -> Behavior:
        """The behavior with id ``bid`` (KeyError if none)."""
        for b in self.behaviors:
            if b.id == bid:
                return b
        raise KeyError(bid)


@dataclass(frozen=True)
class Bpfa:
    """A validated definition: the top automaton plus the shared library it draws on.

    Attributes:
        automaton: the top-level automaton the sampler runs.
        alphabet: event contents Σ (always includes ``done``).
        missing: policy for a (behavior, event) pair without a row.
        actions, composites, motions: shared library, keyed by id.
        subautomata: automata usable as composite children, keyed by name.
        source: file the definition came from (for messages), or None.
        script: external events scripted in the file (played with the caller's events).
    """

    automaton: Automaton
    alphabet: tuple[str, ...]
    missing: MissingPolicy
    actions: dict[str, Action] = field(default_factory=dict)
    composites: dict[str, Composite] = field(default_factory=dict)
    motions: dict[str, Motion] = field(default_factory=dict)
    subautomata: dict[str, Automaton] = field(default_factory=dict)
    source: str | None = None
    script: tuple[Event, ...] = ()

    @property
    def name(self) -> str:
        """The top automaton's name."""
        return self.automaton.name


@dataclass(frozen=True)
class Segment:
    """One stretch of the timeline: frames [start_frame, end_frame) playing one action.

    Attributes:
        start_frame: first frame (inclusive).
        end_frame: one past the last frame.
        behavior: state of the top automaton.
        action: action being played (an id from ``Bpfa.actions``).
        outcome: drawn outcome name of that action.
        scale: amplitude factor of that outcome.
        planned_frames: frames the action lasts if not interrupted; shorter than end − start
            only for a final behavior holding its last pose to the end of the timeline.
    """

    start_frame: int
    end_frame: int
    behavior: str
    action: str
    outcome: str
    scale: float
    planned_frames: int


@dataclass(frozen=True)
class Timeline:
    """Behavior segments covering frames [0, n_frames) at ``fps``, in order, gap-free."""

    fps: float
    n_frames: int
    segments: tuple[Segment, ...]

    def behavior_per_frame(self) -> list[str]:
        """Behavior id of every frame (a log view, for tests; the sync metric never uses it)."""
        out: list[str] = []
        for s in self.segments:
            out.extend([s.behavior] * (s.end_frame - s.start_frame))
        return out
