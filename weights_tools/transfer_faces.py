"""Analyse the London photos once for the transfer model's calibration and evaluation.

    python -m moodrig.weights_tools.transfer_faces --data ../shared/data \\
        --out runs/transfer/london_faces.npz

Runs moodrig's face analysis (``core.face.FaceAnalyzer``) on the front and 3/4 views (profiles
are not valid for Face Mesh) and stores, per photo with a face: the 468 landmarks, the 8
expression values, the head angles and the labels. The file stays under runs/ (research
data; only fitted numbers and measured figures leave it).
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

from moodrig.core.face import FaceAnalyzer, read_image

VIEWS = ("front", "left_3quarter", "right_3quarter")


def analyse(data: Path, out: Path, views: tuple[str, ...] = VIEWS) -> Path:
    root = data / "london_faces_dev"
    with (root / "labels.csv").open(newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["view"] in views]
    analyzer = FaceAnalyzer()
    keep: dict[str, list[object]] = {
        k: []
        for k in (
            "photo",
            "face_id",
            "label",
            "view",
            "landmarks",
            "expression",
            "head",
            "image_size",
        )
    }
    for r in rows:
        image = read_image(root / r["file"])
        res = analyzer.analyze(image)
        if res is None:
            print(f"  no face: {r['file']}")
            continue
        keep["photo"].append(r["file"])
        keep["face_id"].append(r["face_id"])
        keep["label"].append(r["expression"])
        keep["view"].append(r["view"])
        keep["landmarks"].append(res.landmarks)
        keep["expression"].append(res.expression)
        keep["head"].append([res.head.yaw, res.head.pitch, res.head.roll])
        keep["image_size"].append(image.shape[:2])
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, **{k: np.asarray(v) for k, v in keep.items()})
    print(f"analysed {len(keep['photo'])} of {len(rows)} photos → {out}")
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        description="Analyse the London photos for the transfer calibration / evaluation."
    )
    p.add_argument("--data", type=Path, default=Path("../shared/data"))
    p.add_argument("--out", type=Path, default=Path("runs/transfer/london_faces.npz"))
    a = p.parse_args(argv)
    analyse(a.data, a.out)


if __name__ == "__main__":
    main()
