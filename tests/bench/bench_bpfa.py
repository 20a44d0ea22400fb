"""Worker: BPFA steps/s (single chain and batched) and validation time of a 1,000-behavior
automaton (the generator of research/bpfa_measure.py: 1,000 behaviors x 21 events, 4 targets a row).

    PYTHONPATH=tests/bench:research python tests/bench/bench_bpfa.py --repeats 7 --steps 200000

Baselines measured in the same run: a naive sampler (dict lookup by (behavior, event) names and
``random.choices`` per step, the obvious implementation) for steps/s, and ``json.loads`` of the
same definition file (the floor of reading it at all) for validation.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from pathlib import Path

import numpy as np
from common import emit, rate_stats, stats

from moodrig.weights_tools.metrics import time_repeats


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--steps", type=int, default=200_000)
    ap.add_argument("--batch", type=int, default=4096)
    ap.add_argument("--batch-steps", type=int, default=1000)
    a = ap.parse_args()
    from bpfa_chain import compile_chain, sample_steps, sample_steps_batch
    from bpfa_measure import MeasureOptions, big_definition

    from moodrig.core.bpfa import parse_definition
    from moodrig.core.bpfa.loader import load_definition

    o = MeasureOptions()
    data = big_definition(o.behaviors, o.events, o.targets)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.json"
        text = json.dumps(data)
        path.write_text(text, encoding="utf-8")
        refused = ""
        try:
            load_definition(path)
        except Exception as exc:  # the loader's size cap: recorded, and timed without it
            refused = str(exc)
        if refused:
            t_file = time_repeats(
                lambda: parse_definition(json.loads(path.read_text(encoding="utf-8")), path),
                a.repeats,
                warmup=1,
            )
        else:
            t_file = time_repeats(lambda: load_definition(path), a.repeats, warmup=1)
        t_json = time_repeats(
            lambda: json.loads(path.read_text(encoding="utf-8")), a.repeats, warmup=1
        )
    t_parse = time_repeats(lambda: parse_definition(data), a.repeats, warmup=1)
    bpfa, _ = parse_definition(data)
    t_compile = time_repeats(lambda: compile_chain(bpfa), a.repeats, warmup=1)
    chain = compile_chain(bpfa)
    codes = np.random.default_rng(1).integers(0, len(chain.events), a.steps)
    t_single = time_repeats(
        lambda: sample_steps(chain, codes, 0, np.random.default_rng(7)), a.repeats, warmup=1
    )
    bcodes = codes[: a.batch_steps]
    t_batch = time_repeats(
        lambda: sample_steps_batch(
            chain, bcodes, 0, [np.random.default_rng(s) for s in range(a.batch)]
        ),
        a.repeats,
        warmup=1,
    )
    # naive baseline
    table = {
        (r["from"], r["event"]): (list(r["to"]), list(r["to"].values()))
        for r in data["transitions"]
    }
    names = [chain.events[int(c)] for c in codes]

    def naive() -> None:
        rnd = random.Random(7)
        s = data["initial"]
        for e in names:
            tg, w = table[(s, e)]
            s = rnd.choices(tg, weights=w)[0]

    t_naive = time_repeats(naive, a.repeats, warmup=1)
    emit(
        {
            "behaviors": o.behaviors,
            "events": o.events + 1,
            "rows": len(bpfa.automaton.transitions),
            "definition_bytes": len(text),
            "load_definition_refused": refused,
            "validate_file_ms": stats([t * 1e3 for t in t_file]),
            "json_loads_ms": stats([t * 1e3 for t in t_json]),
            "validate_parsed_ms": stats([t * 1e3 for t in t_parse]),
            "compile_ms": stats([t * 1e3 for t in t_compile]),
            "steps_per_s_single": rate_stats(t_single, a.steps),
            "steps_per_s_batch": rate_stats(t_batch, a.batch * a.batch_steps),
            "steps_per_s_naive": rate_stats(t_naive, a.steps),
            "steps": a.steps,
            "batch": a.batch,
            "batch_steps": a.batch_steps,
        }
    )


if __name__ == "__main__":
    main()
