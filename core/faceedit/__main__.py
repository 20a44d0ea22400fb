"""Command line: edit one texture's face, or show where its feature points are.

    python -m moodrig.core.appearance edit IN.png --region u0,v0,u1,v1 --set smile=1,jaw_open=0.4 \\
        --out OUT.png [--features points.json] [--device auto]
    python -m moodrig.core.appearance locate IN.png --region u0,v0,u1,v1 [--json points.json]

Failures print one line naming the file and the problem and exit with 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from ..errors import InputError, MoodrigError
from ..expression import EXPRESSION_NAMES
from ..fileio import atomic_write_bytes, atomic_write_text
from .align import FEATURE_NAMES
from .api import as_region, edit_face, shipped_editor


def read_rgba(path: Path) -> NDArray[np.uint8]:
    if not path.is_file():
        raise InputError(path, "file not found")
    data = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if data is None:
        raise InputError(path, "cannot be read as an image")
    if data.dtype != np.uint8:
        raise InputError(path, f"only 8-bit images are edited, this one is {data.dtype}")
    bgr = cv2.cvtColor(data, cv2.COLOR_GRAY2BGR) if data.ndim == 2 else data
    code = cv2.COLOR_BGRA2RGBA if bgr.shape[2] == 4 else cv2.COLOR_BGR2RGB
    return np.asarray(cv2.cvtColor(bgr, code), dtype=np.uint8)


def write_png(path: Path, rgba: NDArray[np.uint8]) -> None:
    code = cv2.COLOR_RGBA2BGRA if rgba.shape[2] == 4 else cv2.COLOR_RGB2BGR
    ok, buf = cv2.imencode(".png", cv2.cvtColor(rgba, code))
    if not ok:
        raise InputError(path, "PNG encoding failed")
    atomic_write_bytes(path, buf.tobytes())


def parse_set(text: str) -> dict[str, float]:
    """``smile=1,jaw_open=0.4`` → mapping (names of the expression vocabulary)."""
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        if not sep or name.strip() not in EXPRESSION_NAMES:
            raise InputError(None, f"--set '{part}': use name=value with names from {', '.join(EXPRESSION_NAMES)}")
        try:
            out[name.strip()] = float(value)
        except ValueError as exc:
            raise InputError(None, f"--set '{part}': '{value}' is not a number") from exc
    return out


def read_features(path: Path) -> Any:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(path, f"cannot read the feature points ({exc})") from exc
    points = data.get("points") if isinstance(data, dict) else None
    if isinstance(points, dict):
        return [points.get(n) for n in FEATURE_NAMES]
    raise InputError(path, f"expected {{\"points\": {{name: [x, y]}}}} with the names {', '.join(FEATURE_NAMES)}")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m moodrig.core.appearance",
                                description="Edit a painted face's expression inside its region of a texture.")
    sub = p.add_subparsers(dest="command", required=True)
    edit = sub.add_parser("edit", help="repaint the face with an expression")
    edit.add_argument("image", type=Path)
    edit.add_argument("--region", default="0,0,1,1", help="face region u0,v0,u1,v1 (UV, v from the bottom)")
    edit.add_argument("--set", dest="values", default="", help="expression, e.g. smile=1,jaw_open=0.4")
    edit.add_argument("--features", type=Path, help="JSON {\"points\": {name: [x, y]}} in region pixels")
    edit.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    edit.add_argument("--out", type=Path, required=True)
    loc = sub.add_parser("locate", help="find the face's feature points")
    loc.add_argument("image", type=Path)
    loc.add_argument("--region", default="0,0,1,1")
    loc.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    loc.add_argument("--json", type=Path, help="write the points here (default: print them)")
    return p


def run(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        image = read_rgba(args.image)
        if args.command == "edit":
            features = read_features(args.features) if args.features else None
            out = edit_face(image, parse_set(args.values), args.region, features, args.device)
            write_png(args.out, out)
            return 0
        editor = shipped_editor(args.device)
        face = editor.prepare(image.astype(np.float32) / np.float32(255.0), as_region(args.region))
        body = {"region": list(as_region(args.region).as_tuple()), "presence": round(face.features.presence, 4),
                "points": {n: [round(float(v), 2) for v in p]
                           for n, p in zip(FEATURE_NAMES, face.features.points, strict=True)}}
        text = json.dumps(body, indent=2)
        if args.json:
            atomic_write_text(args.json, text + "\n")
        else:
            print(text)
        return 0
    except MoodrigError as exc:
        print(f"moodrig: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # an output that cannot be written
        print(f"moodrig: error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
