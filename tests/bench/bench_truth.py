"""Worker: sync against ground truth (weights_tools/sync_truth.py) on the London dev split.

    python tests/bench/bench_truth.py --people 6

Emits the pooled scores and the per-clip rows; ``{"skipped": reason}`` without the data.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from common import REPO, emit


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=6)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    a = ap.parse_args()
    if not (a.data / "london_faces_dev" / "labels.csv").is_file():
        emit({"skipped": f"no London dev split under {a.data}"})
        return
    from moodrig.weights_tools.sync_truth import run

    emit(run(a.data, a.people))


if __name__ == "__main__":
    main()
