"""BPFA behavior track: definitions, sampler, expression events, joint curves, sync metric.

Pure Python + numpy; never imports bpy. The add-on calls :func:`behavior_track`.
See ``docs/bpfa.md`` and docs/method.md §4–§5.
"""

from __future__ import annotations

from .api import BehaviorResult, behavior_track
from .diagram import to_dot, to_mermaid
from .events import EventConfig, events_from_track, expression_states
from .limits import JOINT_LIMITS
from .loader import (
    DefinitionWarning,
    default_library_path,
    example_user_path,
    load_default_library,
    load_definition,
    load_definition_checked,
    parse_definition,
    validate,
)
from .model import (
    Action,
    AngleTable,
    Automaton,
    Behavior,
    Bpfa,
    Channel,
    Composite,
    Event,
    Motion,
    Outcome,
    Segment,
    Timeline,
    Transition,
)
from .motion import check_curves, joint_curves
from .sampler import sample_timeline
from .sync import SyncConfig, SyncReport, driven_channels, sync_metrics

__all__ = [
    "JOINT_LIMITS",
    "Action",
    "AngleTable",
    "Automaton",
    "Behavior",
    "BehaviorResult",
    "Bpfa",
    "Channel",
    "Composite",
    "DefinitionWarning",
    "Event",
    "EventConfig",
    "Motion",
    "Outcome",
    "Segment",
    "SyncConfig",
    "SyncReport",
    "Timeline",
    "Transition",
    "behavior_track",
    "check_curves",
    "default_library_path",
    "driven_channels",
    "events_from_track",
    "example_user_path",
    "expression_states",
    "joint_curves",
    "load_default_library",
    "load_definition",
    "load_definition_checked",
    "parse_definition",
    "sample_timeline",
    "sync_metrics",
    "to_dot",
    "to_mermaid",
    "validate",
]
