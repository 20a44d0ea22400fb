"""Headless command line.

Inside Blender::

    blender -b scene.blend --python-exit-code 1 -P <addon>/cli.py -- bake --source clip.mp4 \\
        --face Face --armature Rig --out out.blend

With the ``bpy`` module::

    python -m moodrig bake --scene scene.blend --source clip.mp4 --face Face --armature Rig --out out.blend
    python -m moodrig batch jobs.csv      # many bakes (``batch.py``; --help lists the columns)

Progress goes to stderr; failures exit non-zero with a one-line message.

The ``bake`` options are generated from :class:`~moodrig.core.request.BakeRequest`, one flag per
field, so they match the sidebar and the Python API. The rest is command-line plumbing, not a
request field: ``--scene`` (the .blend to open), ``--out`` (where to save the result), ``--face``
and ``--armature`` (objects, the API's own arguments) and ``--demo-timeline`` (bake the scripted
demo performance instead of a source).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from typing import Any

EXIT_USAGE, EXIT_FAILED = 2, 1


PLUMBING = ("scene", "demo_timeline", "face", "armature", "out")
"""``bake`` flags that are not :class:`BakeRequest` fields (see the module docstring)."""


def _request_module() -> Any:
    """``core/request.py`` of this package, also when Blender runs this file as a script."""
    package = __package__ or _package().__name__
    return importlib.import_module(f"{package}.core.request")


def _batch_module() -> Any:
    """``batch.py`` of this package (``batch`` and its workers), as :func:`_request_module`."""
    package = __package__ or _package().__name__
    return importlib.import_module(f"{package}.batch")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="moodrig", description="Synchronized expression textures and body behavior.")
    sub = parser.add_subparsers(dest="command", required=True)
    bake = sub.add_parser("bake", help="analyse a source and bake both tracks onto a character")
    bake.add_argument("--scene", type=Path,
                      help="the .blend to open (python -m moodrig only; in Blender: the open file)")
    bake.add_argument("--demo-timeline", action="store_true",
                      help="bake the scripted demo expression timeline instead of a source")
    bake.add_argument("--face", required=True, help="face mesh object name")
    bake.add_argument("--armature", required=True, help="armature object name")
    bake.add_argument("--out", type=Path, required=True, help="where to save the baked .blend")
    _batch_module().add_arguments(sub)
    for option in _request_module().request_options():
        if option.parse is None:  # a bool field: the flag switches it away from its default
            action = "store_false" if option.default else "store_true"
            bake.add_argument(option.flag, dest=option.name, action=action, help=option.help)
        else:
            bake.add_argument(option.flag, dest=option.name, type=option.parse,
                              default=option.default, choices=option.choices,
                              metavar=option.metavar, help=option.help)
    return parser


def bake_request(args: argparse.Namespace) -> Any:
    """Parsed ``bake`` flags → the :class:`BakeRequest` (paths made absolute, except
    ``//``-relative ones, which the bake reads against the opened .blend)."""
    module = _request_module()
    values = {option.name: getattr(args, option.name) for option in module.request_options()}
    request = module.BakeRequest(**values)
    return request.with_paths(lambda p: p if str(p).startswith("//") else p.resolve())


def _progress(step: Any) -> None:
    print(f"moodrig: {step.fraction:5.1%} {step.stage}", file=sys.stderr, flush=True)


def run(argv: list[str], package: Any) -> int:
    import bpy

    args = build_parser().parse_args(argv)
    if args.command != "bake":
        return int(_batch_module().main(args, package))
    from_module = package.__name__
    api = importlib.import_module(f"{from_module}.api")
    errors = importlib.import_module(f"{from_module}.core.errors")
    try:
        request = bake_request(args)  # invalid options fail before anything is opened or written
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
        elif args.source is None:
            raise errors.InputError(None, "give --source (photo, image sequence or video) or --demo-timeline")
        out = args.out.resolve()
        out.parent.mkdir(parents=True, exist_ok=True)
        if not bpy.data.filepath:
            bpy.ops.wm.save_as_mainfile(filepath=str(out))  # so //moodrig/ resolves beside the output
        # Textures go beside the output .blend, not beside the opened scene.
        result = api.bake(bpy.context.scene, args.face, args.armature, request, track=track,
                          progress=_progress, blend_path=out)
        bpy.ops.wm.save_as_mainfile(filepath=str(out))
    except errors.MoodrigError as exc:
        print(f"moodrig: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    for line in result.bone_map.lines()[1:]:
        print(f"moodrig: {line}", file=sys.stderr)
    print(f"moodrig: {result.bone_map_summary}; rest pose {result.rest_pose}", file=sys.stderr)
    for warning in result.warnings:
        print(f"moodrig: warning: {warning}", file=sys.stderr)
    print(f"moodrig: {result.keys_line()}", file=sys.stderr)
    sync = result.sync
    face = []
    if "texture" in result.face_outputs:
        face.append(f"{result.distinct_textures} distinct textures ({result.generated_textures} "
                    f"generated, {result.texture_bytes / 1e6:.1f} MB)")
    if "shapekeys" in result.face_outputs:
        conventions = importlib.import_module(f"{from_module}.core.shapekeys").CONVENTIONS
        source = result.shape_key_convention
        label = conventions[source].label if source in conventions else f"{source} mapping"
        face.append(f"{len(result.keyed_shape_keys)} shape keys ({label}, lag "
                    f"{sync.get('shape_key_lag')} f)")
        if result.missing_shape_keys:
            print(f"moodrig: warning: mapped shape keys not on '{args.face}' (not keyed): "
                  f"{', '.join(result.missing_shape_keys)}", file=sys.stderr)
    print(f"moodrig: baked {result.n_frames} frames, {', '.join(face)}, onset F1 "
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
