"""Headless command line.

Inside Blender::

    blender -b scene.blend --python-exit-code 1 -P <addon>/cli.py -- bake --source clip.mp4 \\
        --face Face --armature Rig --out out.blend

With the ``bpy`` module::

    python -m moodrig bake --scene scene.blend --source clip.mp4 --face Face --armature Rig --out out.blend

Progress goes to stderr; failures exit non-zero with a one-line message.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from typing import Any

EXIT_USAGE, EXIT_FAILED = 2, 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="moodrig", description="Synchronized expression textures and body behavior.")
    sub = parser.add_subparsers(dest="command", required=True)
    bake = sub.add_parser("bake", help="analyse a source and bake both tracks onto a character")
    bake.add_argument("--scene", type=Path, help="the .blend to open (python -m moodrig only; in Blender: the open file)")
    bake.add_argument("--source", help="photo, first file of an image sequence, or video")
    bake.add_argument("--demo-timeline", action="store_true", help="use the scripted demo expression timeline")
    bake.add_argument("--face", required=True, help="face mesh object name")
    bake.add_argument("--armature", required=True, help="armature object name")
    bake.add_argument("--out", type=Path, required=True, help="where to save the baked .blend")
    bake.add_argument("--seed", type=int, default=0)
    bake.add_argument("--bone-map", default="demo", help="demo, rigify or mixamo")
    bake.add_argument("--frame-start", type=int, default=None)
    bake.add_argument("--hold-frames", type=int, default=48, help="frames a single photo is held for")
    bake.add_argument("--person-baseline", action="store_true",
                      help="video: read expressions against the person's own neutral face (docs/face.md)")
    bake.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    bake.add_argument("--behaviors", type=Path, default=None, help="behavior definition file (JSON/YAML)")
    bake.add_argument("--weights", type=Path, default=None, help="fine-tuned AMEE-GAN manifest")
    bake.add_argument("--appearance", default="parameters", choices=["parameters", "detailed"],
                      help="parameters: AMEE-GAN from the 8 expression values; detailed: the style-transfer "
                           "model from per-side values (lopsided smiles, one raised brow)")
    bake.add_argument("--base-not-neutral", action="store_true",
                      help="the face texture shows an expression (default: neutral, and AMEE-GAN is told so)")
    bake.add_argument("--transfer-weights", type=Path, default=None, help="fine-tuned transfer-model manifest (detailed)")
    bake.add_argument("--textures", type=Path, default=None, help="texture folder (default //moodrig/<face>/)")
    return parser


def bake_options(args: argparse.Namespace) -> dict[str, Any]:
    """Parsed ``bake`` flags → the keyword options of ``api.bake`` (paths made absolute)."""
    options: dict[str, Any] = dict(device=args.device, hold_frames=args.hold_frames, frame_start=args.frame_start,
                                   appearance_mode=args.appearance, person_baseline=args.person_baseline,
                                   base_neutral=not args.base_not_neutral)
    for flag, key in (("transfer_weights", "transfer_weights"), ("behaviors", "behaviors"), ("weights", "weights"),
                      ("textures", "out")):
        if getattr(args, flag):
            options[key] = getattr(args, flag).resolve()
    return options


def _progress(step: Any) -> None:
    print(f"moodrig: {step.fraction:5.1%} {step.stage}", file=sys.stderr, flush=True)


def run(argv: list[str], package: Any) -> int:
    import bpy

    args = build_parser().parse_args(argv)
    from_module = package.__name__
    api = importlib.import_module(f"{from_module}.api")
    errors = importlib.import_module(f"{from_module}.core.errors")
    try:
        if args.scene is not None:
            if not args.scene.is_file():
                raise errors.InputError(args.scene, "scene file does not exist")
            bpy.ops.wm.open_mainfile(filepath=str(args.scene.resolve()))
        if not any(a.module == from_module for a in bpy.context.preferences.addons):
            package.register()
        track = None
        if args.demo_timeline:
            track = importlib.import_module(f"{from_module}.core.demo_timeline").scripted_track(
                fps=bpy.context.scene.render.fps / bpy.context.scene.render.fps_base)
        elif not args.source:
            raise errors.InputError(None, "give --source (photo, image sequence or video) or --demo-timeline")
        out = args.out.resolve()
        out.parent.mkdir(parents=True, exist_ok=True)
        if not bpy.data.filepath:
            bpy.ops.wm.save_as_mainfile(filepath=str(out))  # so //moodrig/ resolves beside the output
        options = bake_options(args)
        result = api.bake(bpy.context.scene, face=args.face, armature=args.armature, source=args.source, track=track,
                          seed=args.seed, bone_map=args.bone_map, progress=_progress, **options)
        bpy.ops.wm.save_as_mainfile(filepath=str(out))
    except errors.MoodrigError as exc:
        print(f"moodrig: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    sync = result.sync
    print(f"moodrig: baked {result.n_frames} frames, {result.distinct_textures} distinct textures "
          f"({result.generated_textures} generated, {result.texture_bytes / 1e6:.1f} MB), onset F1 "
          f"{sync.get('onset_f1')}, saved {out}", file=sys.stderr)
    return 0


def _package() -> Any:
    """The moodrig package this file belongs to, whether enabled as add-on/extension or not."""
    here = Path(__file__).resolve().parent
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if file and Path(file).resolve() == here / "__init__.py":
            return module
    sys.path.insert(0, str(here.parent))
    return importlib.import_module(here.name)


def main() -> None:
    """Entry point inside a Blender binary (``-P cli.py``)."""
    import os

    import bpy

    argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []
    code = run(argv, _package())
    if bpy.app.background and bpy.app.binary_path:
        # The work is saved. End the process here: Blender 3.4 crashes while quitting once torch
        # is loaded (exit 139), which would hide our exit code from the pipeline.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    if code:
        sys.exit(code)


if __name__ == "__main__":
    main()
