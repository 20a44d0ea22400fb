"""BPFA measurements: sampling rate, validation time, synchronization figures (docs/bpfa.md).

Run ``.venv/bin/python research/bpfa_measure.py`` (``--help`` for options). Prints a Markdown
report; ``--json PATH`` also writes the figures and the resolved options.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from bpfa_chain import compile_chain, sample_steps, sample_steps_batch
from seed_stats import Estimate, summarize, sync_over_seeds

from moodrig.core.bpfa import (
    Event,
    SyncConfig,
    load_default_library,
    load_definition,
    parse_definition,
    sample_timeline,
)
from moodrig.weights_tools.bpfa_tracks import DEMO_CHARACTERS, DemoCharacter, demo_track

STRESS = DemoCharacter(
    "crowded (stress)", 30.0, (1, 1, 1, 1, 1), 0.8, (0.6, 1.5), (-0.6, 0.4), (18, 40)
)
"""Not one of the six: short episodes that often overlap (negative gaps), so gestures
interrupt each other and expressions mix."""


@dataclass(frozen=True)
class MeasureOptions:
    """Options of the measurement run.

    Attributes:
        behaviors: behaviors in the synthetic automaton for the rate and validation figures.
        events: alphabet size of that automaton.
        targets: targets per transition row.
        steps: steps of the single-chain sampling run.
        batch: instances of the batched sampling run.
        batch_steps: steps per instance of the batched run.
        repeats: repetitions of each timing (best is reported).
        seeds: seeds per demo character.
        seconds: length of each demo track.
        shifts: circular shifts of the chance baseline.
        stress: also measure the crowded stress character.
    """

    behaviors: int = 1000
    events: int = 20
    targets: int = 4
    steps: int = 1_000_000
    batch: int = 4096
    batch_steps: int = 5_000
    repeats: int = 7
    seeds: int = 30
    seconds: float = 60.0
    shifts: int = 1000
    stress: bool = True


def big_definition(
    n_behaviors: int, n_events: int, n_targets: int, seed: int = 0
) -> dict[str, Any]:
    """A valid definition with ``n_behaviors`` behaviors, a row for every (behavior, event)."""
    rng = np.random.default_rng(seed)
    events = [f"ev{i}" for i in range(n_events)]
    bids = [f"b{i}" for i in range(n_behaviors)]
    rows = []
    for b in bids:
        for e in [*events, "done"]:
            targets = rng.choice(n_behaviors, size=n_targets, replace=False)
            w = rng.integers(1, 10, size=n_targets).astype(np.float64)
            p = w / w.sum()
            rows.append(
                {
                    "from": b,
                    "event": e,
                    "to": {bids[t]: float(x) for t, x in zip(targets, p, strict=True)},
                }
            )
    return {
        "format": "moodrig.bpfa/1",
        "name": "big",
        "missing_transition": "error",
        "events": events,
        "motions": {"m": {"channels": [{"role": "head", "axis": "x", "table": [[0, 0.0, 0.1]]}]}},
        "actions": {"a": {"motion": "m", "outcomes": {"o": {"p": 1.0, "duration": 0.5}}}},
        "behaviors": {b: {"body": "a"} for b in bids},
        "initial": bids[0],
        "transitions": rows,
    }


def _best(fn: Any, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def measure_speed(o: MeasureOptions) -> dict[str, float]:
    """Validation time and sampling rates on the synthetic big automaton."""
    data = big_definition(o.behaviors, o.events, o.targets)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        t_file = _best(lambda: load_definition(path), o.repeats)
    t_parse = _best(lambda: parse_definition(data), o.repeats)
    bpfa, _ = parse_definition(data)
    t_compile = _best(lambda: compile_chain(bpfa), o.repeats)
    chain = compile_chain(bpfa)
    codes = np.random.default_rng(1).integers(0, len(chain.events), o.steps)
    t_single = _best(lambda: sample_steps(chain, codes, 0, np.random.default_rng(7)), o.repeats)
    bcodes = codes[: o.batch_steps]
    t_batch = _best(
        lambda: sample_steps_batch(
            chain, bcodes, 0, [np.random.default_rng(s) for s in range(o.batch)]
        ),
        o.repeats,
    )
    lib = load_default_library()
    evs = [
        Event(
            f"e{i}",
            "m",
            "*",
            ("smile_on", "frown_on", "neutral", "turn_left")[i % 4],
            i * 0.7,
            i * 0.7 + 0.5,
        )
        for i in range(5000)
    ]
    n_frames = round(5000 * 0.7 * 30)
    tl_holder: list[int] = []

    def run_timeline() -> None:
        tl = sample_timeline(lib, evs, n_frames, 30.0, 3)
        tl_holder.append(len(tl.segments))

    t_tl = _best(run_timeline, o.repeats)
    return {
        "rows": float(len(bpfa.automaton.transitions)),
        "validate_file_s": t_file,
        "validate_parsed_s": t_parse,
        "compile_s": t_compile,
        "steps_per_s_single": o.steps / t_single,
        "steps_per_s_batch": o.batch * o.batch_steps / t_batch,
        "timeline_segments_per_s": tl_holder[-1] / t_tl,
        "timeline_events_per_s": len(evs) / t_tl,
    }


def measure_sync(o: MeasureOptions) -> dict[str, dict[str, Estimate]]:
    """Per character: estimates over ``o.seeds`` seeds (and all characters pooled)."""
    lib = load_default_library()
    cfg = SyncConfig(n_shifts=o.shifts)
    out: dict[str, dict[str, Estimate]] = {}
    pooled = []
    chars = list(DEMO_CHARACTERS)
    for i, ch in enumerate(chars):
        reports, summ = sync_over_seeds(
            demo_track(ch, o.seconds, seed=100 + i), lib, range(o.seeds), cfg
        )
        out[ch.name] = summ
        pooled.extend(reports)
    out["all six"] = summarize(pooled)
    if o.stress:
        _, out[STRESS.name] = sync_over_seeds(
            demo_track(STRESS, o.seconds, seed=999), lib, range(o.seeds), cfg
        )
    return out


def _fmt(e: Estimate, digits: int = 3) -> str:
    return f"{e.mean:.{digits}f} [{e.lo:.{digits}f}, {e.hi:.{digits}f}]"


def report(speed: dict[str, float], sync: dict[str, dict[str, Estimate]], o: MeasureOptions) -> str:
    lines = [
        "# BPFA measurements",
        "",
        f"Python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end",
        "",
        f"## Speed ({o.behaviors} behaviors, {o.events + 1} events, {int(speed['rows'])} rows, "
        f"best of {o.repeats})",
        "",
        "- validation (load + check JSON file): "
        f"{speed['validate_file_s'] * 1e3:.1f} ms; "
        f"of parsed data: {speed['validate_parsed_s'] * 1e3:.1f} ms",
        f"- compile to integer tables: {speed['compile_s'] * 1e3:.1f} ms",
        "- sampling, one chain, tight loop: "
        f"{speed['steps_per_s_single']:,.0f} steps/s ({o.steps:,} steps)",
        f"- sampling, {o.batch} instances vectorised: {speed['steps_per_s_batch']:,.0f} steps/s",
        "- full timeline sampler (default library): "
        f"{speed['timeline_segments_per_s']:,.0f} segments/s, "
        f"{speed['timeline_events_per_s']:,.0f} events/s",
        "",
        f"## Synchronization ({o.seeds} seeds x {o.seconds:.0f} s per character; "
        f"baseline: {o.shifts} circular shifts)",
        "",
        "Mean [95% interval of the mean] over seeds.",
        "",
        "| character | onset F1 ±2 | precision | recall | median offset | F1 ±1 / ±4 / ±6 "
        "| allowed | chance F1 | chance allowed | yaw xcorr (lag) | chance xcorr |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, s in sync.items():
        lines.append(
            f"| {name} | {_fmt(s['onset_f1'])} | {s['precision'].mean:.3f} "
            f"| {s['recall'].mean:.3f} | {s['median_offset'].mean:.2f} | "
            f"{s['f1@1'].mean:.3f} / {s['f1@4'].mean:.3f} / {s['f1@6'].mean:.3f} "
            f"| {_fmt(s['allowed_fraction'])} | "
            f"{_fmt(s['baseline_f1'])} | {s['baseline_allowed_fraction'].mean:.3f} "
            f"| {s['xcorr_peak'].mean:.3f} ({s['xcorr_lag'].mean:+.1f}) "
            f"| {s['baseline_xcorr_peak'].mean:.3f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    d = MeasureOptions()
    for field, value in asdict(d).items():
        flag = "--" + field.replace("_", "-")
        if isinstance(value, bool):
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=value)
        else:
            p.add_argument(flag, type=type(value), default=value)
    p.add_argument("--json", type=Path, default=None, help="also write figures and options here")
    p.add_argument("--skip-speed", action="store_true")
    p.add_argument("--skip-sync", action="store_true")
    args = p.parse_args(argv)
    o = MeasureOptions(**{k: getattr(args, k) for k in asdict(d)})
    speed = (
        measure_speed(o)
        if not args.skip_speed
        else {
            "rows": 0.0,
            "validate_file_s": 0.0,
            "validate_parsed_s": 0.0,
            "compile_s": 0.0,
            "steps_per_s_single": 0.0,
            "steps_per_s_batch": 0.0,
            "timeline_segments_per_s": 0.0,
            "timeline_events_per_s": 0.0,
        }
    )
    sync = measure_sync(o) if not args.skip_sync else {}
    text = report(speed, sync, o)
    sys.stdout.write(text)
    if args.json:
        payload = {
            "options": asdict(o),
            "speed": speed,
            "sync": {k: {m: asdict(e) for m, e in v.items()} for k, v in sync.items()},
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
