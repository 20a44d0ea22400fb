"""Key reduction on the demo clip: how many keys the sparse bake writes, and how far from the
dense motion it strays (docs/bpfa.md, "Sparse keys").

Run ``.venv/bin/python research/sparse_keys.py`` (``--help`` for options). The clip is the
one ``make demo`` bakes: ``scripted_track`` (24 fps, 10 s) through the default library, seed 0,
on the demo rig; ``--mode QUATERNION`` measures the same rotations keyed as quaternions.
"""

from __future__ import annotations

import argparse
import math

from moodrig.core.bpfa import behavior_track, load_default_library
from moodrig.core.demo_timeline import scripted_track
from moodrig.core.keyreduce import sparse_summary
from moodrig.core.rotation import ROTATION_MODES, euler_to_matrix, to_mode


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fps", type=float, default=24.0)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tolerance-deg", type=float, default=0.5)
    ap.add_argument("--mode", choices=ROTATION_MODES, default="XYZ")
    args = ap.parse_args()
    curves = behavior_track(
        scripted_track(args.fps, args.seconds), load_default_library(), seed=args.seed
    ).curves
    values = {
        r: to_mode(euler_to_matrix(c.astype(float), "XYZ"), args.mode) for r, c in curves.items()
    }
    summary = sparse_summary(
        values, dict.fromkeys(values, args.mode), math.radians(args.tolerance_deg)
    )
    print(f"demo clip, {args.fps:g} fps, {args.seconds:g} s, seed {args.seed}, {args.mode}:")
    print(summary.line())


if __name__ == "__main__":
    main()
