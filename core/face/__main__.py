"""Command line: ``python -m moodrig.core.face analyze INPUT [INPUT ...] --json out.json``.

INPUT is a photo, a video, a numbered image sequence (folder or printf pattern), or several
photos. Several photo files, or a folder with ``--photos``, are analysed as independent photos
in one process (each photo's values are its own, as for a single photo); a folder without
``--photos`` is a numbered sequence, tracked as a video.

Writes per-frame expression parameters, head angles and view as JSON (plus the resolved
settings; ``--landmarks`` adds the 468 Face Mesh points per frame in image pixels) and an
overlay picture (landmarks + parameter bars) of the photo, of the first frame with a face for
a video, or one per photo into the ``--overlay`` folder for a batch. For a video, the JSON's
"reading" (also one line on stderr) says how many frames were read, skipped as undecodable and
missing, and every frame carries the stable smile decision (``smiling``, ``docs/face.md``).
``--json`` and ``--overlay`` are checked before the analysis and written last (core/outputs.py:
a file moodrig did not write is replaced only with ``--overwrite``, kept as a numbered backup).
Any failure: one line, exit status 1 (a photo of a batch that cannot be read: its entry says
why, the others are analysed, exit status 1).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError, MoodrigError, OutputError
from ..expression import EXPRESSION_NAMES
from ..failures import ArgumentParser, run_command
from ..outputs import FileOutput, check_file, commit, temporary_path, write_file
from .io import classify, sequence_files

if TYPE_CHECKING:
    from .analyzer import FaceResult
    from .netspec import Engine


def _round(values: Iterable[float], digits: int) -> list[float]:
    return [round(float(v), digits) for v in values]


def _landmarks_json(landmarks: NDArray[np.floating[Any]]) -> list[list[float]]:
    """468 × (x, y, z) in image pixels, 0.01 px."""
    out: list[list[float]] = np.round(np.asarray(landmarks, dtype=np.float64), 2).tolist()
    return out


def _face_json(r: FaceResult, landmarks: bool) -> dict[str, object]:
    out: dict[str, object] = {
        "expression": dict(zip(EXPRESSION_NAMES, _round(r.expression, 5), strict=True)),
        "head": dict(
            zip(
                ("yaw", "pitch", "roll"),
                _round((r.head.yaw, r.head.pitch, r.head.roll), 3),
                strict=True,
            )
        ),
        "box": _round(r.box, 2),
        "score": round(r.score, 5),
        "view": r.view,
        "detected_by": r.detected_by,
    }
    if landmarks:
        out["landmarks"] = _landmarks_json(r.landmarks)
    return out


def _write_png(out: FileOutput, rgb: NDArray[np.uint8]) -> None:
    import cv2

    ok, buf = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise MoodrigError(f"{out.path}: could not encode the overlay")
    write_file(out, bytes(buf.tobytes()))


def write_doc(
    target: FileOutput | None, head: dict[str, object], frames: Iterable[dict[str, object]]
) -> int:
    """Write ``head`` plus a ``frames`` list streamed one frame at a time (a long video's
    landmarks never sit in memory as one document), to ``target`` atomically or to stdout.
    Returns the number of frames written."""
    count = 0

    def chunks() -> Iterator[str]:
        nonlocal count
        body = json.dumps(head, indent=1, default=str)
        yield (body[:-2] + ",\n") if head else "{\n"
        yield ' "frames": ['
        for f in frames:
            yield ("," if count else "") + "\n  " + json.dumps(f, default=str)
            count += 1
        yield "\n ]\n}\n"

    if target is None:
        for c in chunks():
            sys.stdout.write(c)
        sys.stdout.flush()
    else:
        tmp = temporary_path(target)
        try:
            with tmp.open("wb") as fh:
                for c in chunks():
                    fh.write(c.encode("utf-8"))
        except BaseException as exc:
            tmp.unlink(missing_ok=True)
            if isinstance(exc, OSError) and exc.filename is None and exc.errno is not None:
                # a failed write (disk full, file too large) names no file: name the output
                raise OSError(exc.errno, exc.strerror, str(target.path)) from exc
            raise
        commit(target, tmp)
    return count


def _summary(source: object, valid: int, total: int) -> None:
    print(f"{source}: {valid}/{total} frame(s) with a face", file=sys.stderr)


PHOTO_ENGINE_LIMIT = 48
"""Up to this many photos run on the numpy engine, more photos and every video on torch.
Measured on the 2-core machine: torch costs about 1.4 s more CPU to start (import and
tracing), then about 27 ms less per photo (12 against 38 ms): even at about 50 photos."""


def photo_engine(args: argparse.Namespace, photos: int) -> Engine:
    if args.engine != "auto":
        return args.engine  # type: ignore[no-any-return]
    return "numpy" if photos <= PHOTO_ENGINE_LIMIT else "torch"


def analyze_photos(args: argparse.Namespace, paths: list[Path]) -> int:
    """Each photo on its own (population neutral, photo refinement), one analyser for all."""
    from .analyzer import AnalyzerConfig, FaceAnalyzer
    from .io import read_image
    from .netspec import engine_threads
    from .overlay import draw_overlay

    acfg = AnalyzerConfig(threads=args.threads, engine=photo_engine(args, len(paths)))
    analyzer = FaceAnalyzer(acfg)
    overlays = (
        [
            check_file(args.overlay / f"{i:04d}_{p.stem}.png", overwrite=args.overwrite)
            for i, p in enumerate(paths)
        ]
        if args.overlay
        else None
    )
    failed = [0]
    found = [0]

    def frames() -> Iterator[dict[str, object]]:
        for i, path in enumerate(paths):
            entry: dict[str, object] = {"index": i, "file": str(path)}
            try:
                image = read_image(path)
            except InputError as exc:
                print(f"error: {exc}", file=sys.stderr)
                failed[0] += 1
                yield {**entry, "valid": False, "error": str(exc)}
                continue
            with engine_threads(acfg.engine, acfg.threads):
                result = analyzer.analyze(image)
            found[0] += result is not None
            yield {
                **entry,
                "valid": result is not None,
                **(_face_json(result, args.landmarks) if result else {}),
            }
            if overlays is not None:
                _write_png(overlays[i], draw_overlay(image, result))

    head: dict[str, object] = {
        "input": [str(p) for p in paths],
        "kind": "photos",
        "expression_names": list(EXPRESSION_NAMES),
        "settings": {"analyzer": asdict(acfg)},
    }
    n = write_doc(args.json_out, head, frames())
    _summary(f"{len(paths)} photo(s)", found[0], n)
    return 1 if failed[0] else 0


def analyze_photo(args: argparse.Namespace, path: Path) -> int:
    from .analyzer import AnalyzerConfig, FaceAnalyzer
    from .io import read_image
    from .netspec import engine_threads
    from .overlay import draw_overlay

    acfg = AnalyzerConfig(threads=args.threads, engine=photo_engine(args, 1))
    image = read_image(path)
    with engine_threads(acfg.engine, acfg.threads):
        result = FaceAnalyzer(acfg).analyze(image)
    head: dict[str, object] = {
        "input": str(path),
        "kind": "image",
        "expression_names": list(EXPRESSION_NAMES),
        "settings": {"analyzer": asdict(acfg)},
    }
    frame = {
        "index": 0,
        "valid": result is not None,
        **(_face_json(result, args.landmarks) if result else {}),
    }
    write_doc(args.json_out, head, [frame])
    if args.overlay_out:
        _write_png(args.overlay_out, draw_overlay(image, result))
    _summary(path, int(result is not None), 1)
    return 0


def analyze_clip(args: argparse.Namespace, path: Path, kind: str) -> int:
    """A video or numbered sequence, tracked; per-frame values, decision, view (+ landmarks)."""
    import tempfile

    from .analyzer import AnalyzerConfig
    from .baseline import BaselineConfig
    from .io import ReadStats
    from .overlay import draw_overlay
    from .video import FrameRecord, VideoConfig, analyze_video, frame_at, smile_states

    engine: Engine = "torch" if args.engine == "auto" else args.engine
    vcfg = VideoConfig(
        analyzer=AnalyzerConfig(threads=args.threads, engine=engine),
        person_baseline=BaselineConfig() if args.person_baseline else None,
    )
    first: list[FrameRecord] = []
    views: list[str | None] = []
    reading: list[ReadStats] = []
    # landmarks wait in a temporary file (5.6 kB a frame), not in memory, until the JSON is written
    with tempfile.TemporaryFile() if args.landmarks else contextlib.nullcontext() as spool:

        def on_frame(rec: FrameRecord) -> None:
            if rec.face is not None and not first:
                first.append(rec)
            views.append(rec.face.view if rec.face is not None else None)
            if spool is not None:
                lm = (
                    rec.face.landmarks
                    if rec.face is not None
                    else np.full((468, 3), np.nan, np.float32)
                )
                spool.write(np.ascontiguousarray(lm, dtype=np.float32).tobytes())

        track = analyze_video(
            path,
            fill=args.fill,
            max_frames=args.max_frames,
            config=vcfg,
            on_frame=on_frame,
            on_read=reading.append,
        )
        print(f"{path}: {reading[0].summary()}", file=sys.stderr)
        smiling = smile_states(track, vcfg.smile_decision)
        if spool is not None:
            spool.seek(0)

        def frames() -> Iterator[dict[str, object]]:
            for i in range(len(track)):
                f: dict[str, object] = {
                    "index": i,
                    "valid": bool(track.valid[i]),
                    "expression": dict(
                        zip(EXPRESSION_NAMES, _round(track.expressions[i], 5), strict=True)
                    ),
                    "smiling": bool(smiling[i]),
                    "head": dict(
                        zip(("yaw", "pitch", "roll"), _round(track.head[i], 3), strict=True)
                    ),
                    "view": views[i] if i < len(views) else None,
                }
                if spool is not None:
                    lm = np.frombuffer(spool.read(468 * 3 * 4), dtype=np.float32).reshape(468, 3)
                    f["landmarks"] = None if np.isnan(lm).any() else _landmarks_json(lm)
                yield f

        head: dict[str, object] = {
            "input": str(path),
            "kind": kind,
            "expression_names": list(EXPRESSION_NAMES),
            "fps": track.fps,
            "reading": reading[0].as_dict(),
            "fill": args.fill,
            "settings": {"video": asdict(vcfg)},
        }
        write_doc(args.json_out, head, frames())
    if args.overlay_out:
        frame = frame_at(path, first[0].index if first else 0, vcfg)
        if frame is not None:
            _write_png(args.overlay_out, draw_overlay(frame, first[0].face if first else None))
    _summary(path, int(track.valid.sum()), len(track))
    return 0


def resolve_inputs(inputs: list[str], photos: bool) -> tuple[str, list[Path]]:
    """("photos", files) for several photos or ``--photos``; else (kind, [the one input])."""
    if len(inputs) == 1 and not photos:
        return classify(inputs[0]), [Path(inputs[0])]
    paths: list[Path] = []
    for s in inputs:
        p = Path(s)
        if p.is_dir() or "%" in s:
            paths += sequence_files(s)
            continue
        kind = classify(p)
        if kind != "image":
            raise InputError(
                p,
                f"is a {kind}: several inputs (or --photos) must all be photos; "
                "analyse a video on its own",
            )
        paths.append(p)
    return "photos", paths


def analyze(args: argparse.Namespace) -> int:
    if args.threads < 1:
        raise MoodrigError(f"--threads must be at least 1, got {args.threads}")
    kind, paths = resolve_inputs(args.input, args.photos)
    args.json_out = check_file(args.json, overwrite=args.overwrite) if args.json else None
    args.overlay_out = None
    if args.overlay and kind != "photos":
        args.overlay_out = check_file(args.overlay, overwrite=args.overwrite)
        if args.json_out and args.json_out.path == args.overlay_out.path:
            raise OutputError(args.json_out.path, "is given for both --json and --overlay")
    if kind == "photos":
        if args.person_baseline:
            raise MoodrigError("--person-baseline is for a video or sequence, not for photos")
        return analyze_photos(args, paths)
    if kind == "image":
        return analyze_photo(args, paths[0])
    return analyze_clip(args, paths[0], kind)


def main(argv: list[str] | None = None) -> int:
    ap = ArgumentParser(
        prog="python -m moodrig.core.face",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = ap.add_subparsers(dest="command", required=True)
    a = sub.add_parser(
        "analyze", help="analyse a photo, several photos, a video or a numbered image sequence"
    )
    a.add_argument(
        "input",
        nargs="+",
        help="image, video, folder of images or printf pattern (frame_%%04d.png); "
        "several images = photos",
    )
    a.add_argument("--json", type=Path, help="write per-frame parameters here (default: stdout)")
    a.add_argument(
        "--overlay", type=Path, help="write an overlay PNG here (photos: a folder, one PNG each)"
    )
    a.add_argument(
        "--photos",
        action="store_true",
        help="analyse a folder's images (or the inputs) as independent photos, not a sequence",
    )
    a.add_argument(
        "--landmarks",
        action="store_true",
        help="add the 468 Face Mesh points (x, y, z in image pixels) of every frame",
    )
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
        "--engine",
        choices=("auto", "torch", "numpy"),
        default="auto",
        help="what runs the networks; auto: numpy (no torch start-up) for up to "
        f"{PHOTO_ENGINE_LIMIT} photos, "
        "else torch (faster per frame)",
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
