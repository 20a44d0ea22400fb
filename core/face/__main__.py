"""Command line: ``python -m moodrig.core.face analyze IMAGE|VIDEO|SEQUENCE --json out.json --overlay out.png``.

Writes per-frame expression parameters and head angles as JSON (plus the resolved settings)
and an overlay picture (landmarks + parameter bars) of the photo, or of the first frame with
a face for a video. For a video, the JSON's "reading" (also one line on stderr) says how many
frames were read, skipped as undecodable and missing. ``--json`` and ``--overlay`` are checked
before the analysis and written last (core/outputs.py: a file moodrig did not write is replaced
only with ``--overwrite``, kept as a numbered backup). Any failure: one line, exit status 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

import cv2
import numpy as np
import torch
from numpy.typing import NDArray

from ..errors import MoodrigError, OutputError
from ..expression import EXPRESSION_NAMES
from ..failures import ArgumentParser, run_command
from ..outputs import check_file, write_file, write_text
from .analyzer import AnalyzerConfig, FaceAnalyzer, FaceResult
from .baseline import BaselineConfig
from .io import ReadStats, classify, read_image
from .overlay import draw_overlay
from .video import FrameRecord, VideoConfig, analyze_video, frame_at


def _face_json(r: FaceResult) -> dict[str, object]:
    return {
        "expression": {n: round(float(v), 5) for n, v in zip(EXPRESSION_NAMES, r.expression, strict=True)},
        "head": {"yaw": round(r.head.yaw, 3), "pitch": round(r.head.pitch, 3), "roll": round(r.head.roll, 3)},
        "box": [round(v, 2) for v in r.box],
        "score": round(r.score, 5),
        "view": r.view,
        "detected_by": r.detected_by,
    }


def _png(path: Path, rgb: NDArray[np.uint8]) -> bytes:
    ok, buf = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise MoodrigError(f"{path}: could not encode the overlay")
    return bytes(buf.tobytes())


def analyze(args: argparse.Namespace) -> int:
    json_out = check_file(args.json, overwrite=args.overwrite) if args.json else None
    overlay_out = check_file(args.overlay, overwrite=args.overwrite) if args.overlay else None
    if json_out and overlay_out and json_out.path == overlay_out.path:
        raise OutputError(json_out.path, "is given for both --json and --overlay")
    torch.set_num_threads(args.threads)
    acfg = AnalyzerConfig(threads=args.threads, person_baseline=BaselineConfig() if args.person_baseline else None)
    kind = classify(args.input)
    doc: dict[str, object] = {"input": str(args.input), "kind": kind, "expression_names": list(EXPRESSION_NAMES)}
    if kind == "image":
        image = read_image(args.input)
        result = FaceAnalyzer(acfg).analyze(image)
        doc["frames"] = [{"index": 0, "valid": result is not None, **(_face_json(result) if result else {})}]
        doc["settings"] = {"analyzer": asdict(acfg)}
        overlay_img = draw_overlay(image, result) if args.overlay else None
    else:
        vcfg = VideoConfig(analyzer=acfg)
        first: list[FrameRecord] = []

        def keep_first(rec: FrameRecord) -> None:
            if rec.face is not None and not first:
                first.append(rec)

        reading: list[ReadStats] = []
        track = analyze_video(
            args.input,
            fill=args.fill,
            max_frames=args.max_frames,
            config=vcfg,
            on_frame=keep_first,
            on_read=reading.append,
        )
        doc["fps"] = track.fps
        doc["reading"] = reading[0].as_dict()
        print(f"{args.input}: {reading[0].summary()}", file=sys.stderr)
        doc["fill"] = args.fill
        doc["frames"] = [
            {
                "index": i,
                "valid": bool(track.valid[i]),
                "expression": {
                    n: round(float(v), 5)
                    for n, v in zip(EXPRESSION_NAMES, track.expressions[i], strict=True)
                },
                "head": dict(
                    zip(
                        ("yaw", "pitch", "roll"),
                        (round(float(v), 3) for v in track.head[i]),
                        strict=True,
                    )
                ),
            }
            for i in range(len(track))
        ]
        doc["settings"] = {"video": asdict(vcfg)}
        overlay_img = None
        if args.overlay:
            frame = frame_at(args.input, first[0].index if first else 0, vcfg)
            overlay_img = (
                draw_overlay(frame, first[0].face if first else None) if frame is not None else None
            )
    text = json.dumps(doc, indent=1, default=str) + "\n"
    png = _png(args.overlay, overlay_img) if overlay_out and overlay_img is not None else None
    if json_out:
        write_text(json_out, text)
    else:
        print(text, end="")
    if overlay_out and png is not None:
        write_file(overlay_out, png)
    frames_out: list[dict[str, object]] = doc["frames"]  # type: ignore[assignment]
    n_valid = sum(1 for f in frames_out if f["valid"])
    print(f"{args.input}: {n_valid}/{len(frames_out)} frame(s) with a face", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = ArgumentParser(prog="python -m moodrig.core.face", description=__doc__,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    a = sub.add_parser("analyze", help="analyse a photo, video or numbered image sequence")
    a.add_argument(
        "input", help="image, video, folder of images or printf pattern (frame_%%04d.png)"
    )
    a.add_argument("--json", type=Path, help="write per-frame parameters here (default: stdout)")
    a.add_argument("--overlay", type=Path, help="write an overlay PNG here")
    a.add_argument(
        "--fill",
        choices=("hold", "interpolate"),
        default="hold",
        help="policy for frames without a face",
    )
    a.add_argument("--max-frames", type=int, default=None, help="stop after this many frames")
    a.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch CPU threads (1 is fastest for these small networks)",
    )
    a.add_argument(
        "--person-baseline",
        action="store_true",
        help="video: make the values relative to the person's own neutral, learnt over the clip",
    )
    a.add_argument(
        "--overwrite",
        action="store_true",
        help="replace --json/--overlay files moodrig did not write (kept as name.1.json)",
    )
    args = ap.parse_args(argv)
    return run_command(ap.prog, lambda: analyze(args), argv)


if __name__ == "__main__":
    raise SystemExit(main())
