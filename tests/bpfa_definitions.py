"""A small valid BPFA definition that tests mutate into every invalid kind."""

from __future__ import annotations

from typing import Any


def minimal() -> dict[str, Any]:
    """Valid as written; each invalid-definition test changes one thing in a copy."""
    return {
        "format": "moodrig.bpfa/1",
        "name": "mini",
        "missing_transition": "ignore",
        "events": ["poke", "calm"],
        "motions": {"m": {"channels": [{"role": "head", "axis": "x", "table": [[0, 0.1, 0.2]]}]}},
        "actions": {
            "rest": {"motion": "m", "outcomes": {"a": {"p": 1.0, "duration": 1.0}}},
            "jump": {
                "motion": "m",
                "outcomes": {
                    "lo": {"p": 0.25, "duration": 0.5},
                    "hi": {"p": 0.75, "duration": 0.5},
                },
            },
        },
        "composites": {
            "both": {"sequence": ["rest", "jump"]},
            "pick": {"choice": {"rest": 0.5, "jump": 0.5}},
        },
        "behaviors": {"idle": {"body": "rest"}, "hop": {"body": "both"}, "maybe": {"body": "pick"}},
        "initial": "idle",
        "transitions": [
            {"from": "idle", "event": "poke", "to": {"hop": 0.4, "maybe": 0.6}},
            {"from": "*", "event": "calm", "to": {"idle": 1.0}},
            {"from": "*", "event": "done", "to": {"idle": 1.0}},
        ],
    }
