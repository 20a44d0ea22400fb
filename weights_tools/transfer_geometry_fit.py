"""Measure the per-side calibration of ``core/transfer/geometry.py`` on the London front photos.

    python -m moodrig.weights_tools.transfer_geometry_fit --faces runs/transfer/london_faces.npz

Prints SMILE_SPAN (mean per-side corner lift, smiling − neutral, the same person) and the
neutral-face mean left − right differences of corner lift and brow height. The constants in
``geometry.py`` are these numbers; the evaluation report re-prints them from the data.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from moodrig.core.transfer.geometry import frontalised, side_measures


def fit(faces: Path) -> dict[str, Any]:
    z = np.load(faces)
    front = z["view"] == "front"
    rows = []
    for i in np.nonzero(front)[0]:
        m = side_measures(frontalised(z["landmarks"][i]))
        rows.append(
            (str(z["face_id"][i]), str(z["label"][i]), m.lift_l, m.lift_r, m.brow_l, m.brow_r)
        )
    by_id: dict[str, dict[str, tuple[float, float, float, float]]] = {}
    for fid, label, *vals in rows:
        by_id.setdefault(fid, {})[label] = (vals[0], vals[1], vals[2], vals[3])
    paired = [v for v in by_id.values() if "neutral" in v and "smiling" in v]
    lift_gain = [
        0.5 * ((v["smiling"][0] - v["neutral"][0]) + (v["smiling"][1] - v["neutral"][1]))
        for v in paired
    ]
    neutral = np.array([v["neutral"] for v in by_id.values() if "neutral" in v])
    smiling = np.array([v["smiling"] for v in by_id.values() if "smiling" in v])
    return {
        "people": len(paired),
        "smile_span": float(np.mean(lift_gain)),
        "smile_span_sd": float(np.std(lift_gain)),
        "neutral_lift_diff": float(np.mean(neutral[:, 0] - neutral[:, 1])),
        "neutral_lift_diff_sd": float(np.std(neutral[:, 0] - neutral[:, 1])),
        "neutral_brow_diff": float(np.mean(neutral[:, 2] - neutral[:, 3])),
        "neutral_brow_diff_sd": float(np.std(neutral[:, 2] - neutral[:, 3])),
        "smiling_lift_diff_sd": float(np.std(smiling[:, 0] - smiling[:, 1])),
        "smiling_brow_diff_sd": float(np.std(smiling[:, 2] - smiling[:, 3])),
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Measure the transfer geometry's per-side calibration.")
    p.add_argument("--faces", type=Path, default=Path("runs/transfer/london_faces.npz"))
    a = p.parse_args(argv)
    print(json.dumps(fit(a.faces), indent=2))


if __name__ == "__main__":
    main()
