"""Command line: edit one texture's face, or show where its feature points are.

    python -m moodrig.core.appearance edit IN.png --region u0,v0,u1,v1 --set smile=1,jaw_open=0.4 \\
        --out OUT.png [--features points.json] [--head-up right [--mirrored]] [--device auto]
    python -m moodrig.core.appearance locate IN.png --region u0,v0,u1,v1 [--head-up ...]
        [--json points.json]

``--head-up`` says where the top of the head points in a face turned in its atlas, and
``--mirrored`` that the mesh shows the texture flipped left to right; without them the turn is
found from the picture and the face is taken to be unmirrored.

8- and 16-bit PNGs (and what else OpenCV reads) are edited at their own depth. Failures print
one line naming the file and the problem and exit with 1.
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
from ..fileio import atomic_write_bytes
from .api import edit_face, shipped_editor, texture_region
from .orientation import HEAD_UP, Orientation
from .points_io import FeaturePoints, read_points, write_points
from .texels import CHANNEL_MAX, to_unit


def read_rgba(path: Path) -> NDArray[Any]:
    """RGB or RGBA, rows top-down, with the file's own 8 or 16 bits per channel (a grey image
    becomes RGB; OpenCV reads grey with alpha as BGRA)."""
    if not path.is_file():
        raise InputError(path, "file not found")
    data = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if data is None:
        raise InputError(path, "cannot be read as an image")
    if data.dtype not in CHANNEL_MAX:
        raise InputError(
            path, f"only 8- and 16-bit images are edited, this one has {data.dtype} channels"
        )
    if data.ndim == 2:
        data = cv2.cvtColor(data, cv2.COLOR_GRAY2BGR)
    if data.shape[2] not in (3, 4):
        raise InputError(path, f"has {data.shape[2]} channels; RGB or RGBA images are edited")
    code = cv2.COLOR_BGRA2RGBA if data.shape[2] == 4 else cv2.COLOR_BGR2RGB
    return np.asarray(cv2.cvtColor(data, code))


def write_png(path: Path, rgba: NDArray[Any]) -> None:
    """A PNG with the array's own 8 or 16 bits per channel."""
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
            raise InputError(
                None,
                f"--set '{part}': use name=value with names from {', '.join(EXPRESSION_NAMES)}",
            )
        try:
            out[name.strip()] = float(value)
        except ValueError as exc:
            raise InputError(None, f"--set '{part}': '{value}' is not a number") from exc
    return out


def add_orientation(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--head-up",
        choices=HEAD_UP,
        help="where the top of the head points in the texture (default: found from the picture)",
    )
    parser.add_argument(
        "--mirrored",
        action="store_true",
        help="the mesh shows the face texture flipped left to right (needs --head-up)",
    )


def orientation_of(args: argparse.Namespace) -> Orientation | None:
    if args.head_up is None:
        if args.mirrored:
            raise InputError(None, "--mirrored needs --head-up (where the top of the head points)")
        return None
    return Orientation.parse(args.head_up, args.mirrored)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m moodrig.core.appearance",
        description="Edit a painted face's expression inside its region of a texture.",
    )
    sub = p.add_subparsers(dest="command", required=True)
    edit = sub.add_parser("edit", help="repaint the face with an expression")
    edit.add_argument("image", type=Path)
    edit.add_argument(
        "--region",
        default="0,0,1,1",
        help="face region u0,v0,u1,v1 (UV, v from the bottom), or 'auto' to find it",
    )
    edit.add_argument(
        "--set", dest="values", default="", help="expression, e.g. smile=1,jaw_open=0.4"
    )
    edit.add_argument(
        "--features",
        type=Path,
        help="feature points JSON (docs/face_region.md; what `locate --json` writes)",
    )
    add_orientation(edit)
    edit.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    edit.add_argument("--out", type=Path, required=True)
    loc = sub.add_parser("locate", help="find the face's feature points")
    loc.add_argument("image", type=Path)
    loc.add_argument(
        "--region", default="0,0,1,1", help="u0,v0,u1,v1, or 'auto' to find it in the texture"
    )
    add_orientation(loc)
    loc.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    loc.add_argument("--json", type=Path, help="write the points here (default: print them)")
    return p


def run(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        image = read_rgba(args.image)
        region, lies = texture_region(image, args.region, args.device)
        given = orientation_of(args)
        orientation = given if given is not None else lies
        if args.command == "edit":
            features = None
            if args.features:
                rect = region.pixels(image.shape[1], image.shape[0])
                features = read_points(args.features).in_region(rect.width, rect.height)
            out = edit_face(
                image,
                parse_set(args.values),
                region,
                features,
                args.device,
                orientation=orientation,
            )
            write_png(args.out, out)
            return 0
        editor = shipped_editor(args.device)
        face = editor.prepare(to_unit(image), region, orientation=orientation)
        found = FeaturePoints(face.features.points, (face.rect.width, face.rect.height))
        extra = {"region": list(region.as_tuple()), "presence": round(face.features.presence, 4)}
        if args.json:
            write_points(args.json, found, **extra)
        else:
            print(json.dumps({**found.as_json(), **extra}, indent=2))
        return 0
    except MoodrigError as exc:
        print(f"moodrig: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # an output that cannot be written
        print(f"moodrig: error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
