"""How fast the tracking pass could be with describing free: the ceiling the network sets.

    .venv/bin/python research/tracking_ceiling.py [--frames 240] [--repeats 4] [--rounds 2]

The bench's tracking pass (``tests/bench/bench_face.py``: ``FaceAnalyzer.track_stream`` on the
640×480 clip, lanes as shipped) run as it is, and again with ``FaceAnalyzer.describe`` (head
pose, expressions, smile appearance, view check) replaced by a no-op, rounds interleaved so
that both see the same machine load: frames/s, cores used and Face Mesh calls per pass. The
second pass is what the Face Mesh lanes alone reach on this machine; set it against MediaPipe's
figure in ``bench/RESULTS.md`` (same clip) to see how much of the ``≥ 1.2×`` target is left
once the network is the only work (docs/history/face.md).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "bench"))

from bench_face import landmarks
from make_clips import make_clip, read_frames

from moodrig.core.face import analyzer


def _line(tag: str, r: dict[str, Any]) -> str:
    fps = r["fps"]
    return (
        f"{tag}: {fps['median']:.0f} frames/s [{fps['min']:.0f}–{fps['max']:.0f}], "
        f"cores {r['cores_used']:.2f}, Face Mesh calls {r['calls_per_pass']['mesh']} "
        f"for {r['calls_per_pass']['mesh_frames']} crops"
    )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--frames", type=int, default=240)
    p.add_argument("--repeats", type=int, default=4)
    p.add_argument("--rounds", type=int, default=2)
    a = p.parse_args(argv)
    warnings.simplefilter("ignore")
    frames = read_frames(make_clip(10), a.frames)
    describe = analyzer.FaceAnalyzer.describe
    for k in range(a.rounds):
        print(_line(f"round {k + 1}, as shipped", landmarks(frames, a.repeats, stages=False)))
        analyzer.FaceAnalyzer.describe = lambda self, image, *found: None  # type: ignore[method-assign,assignment]
        try:
            r = landmarks(frames, a.repeats, stages=False)
        finally:
            analyzer.FaceAnalyzer.describe = describe  # type: ignore[method-assign]
        print(_line(f"round {k + 1}, describing free", r), flush=True)


if __name__ == "__main__":
    main()
