"""Headless command line.

Inside Blender::

    blender -b scene.blend --python-exit-code 1 -P <addon>/cli.py -- bake --source clip.mp4 \\
        --face Face --armature Rig --out out.blend

With the ``bpy`` module::

    python -m moodrig bake --scene scene.blend --source clip.mp4 --face Face --armature Rig \\
        --out out.blend
    python -m moodrig batch jobs.csv      # many bakes (``batch.py``; --help lists the columns)

Progress goes to stderr; every failure is one line naming the file and the problem, exit 1
(usage errors exit 2, Ctrl-C 130; ``core/failures.py``).

The ``bake`` options are generated from :class:`~moodrig.core.request.BakeRequest`, one flag per
field, so they match the sidebar and the Python API. The rest is command-line plumbing, not a
request field: ``--scene`` (the .blend to open), ``--out`` (where to save the result), ``--face``
and ``--armature`` (objects, the API's own arguments), ``--demo-timeline`` (bake the scripted
demo performance instead of a source) and ``--overwrite``.

Outputs (``core/outputs.py``) are checked before anything is opened or generated: ``--out`` and
the texture folder must be writable and of the right kind, and an existing ``--out`` that
moodrig did not write is replaced only with ``--overwrite`` (kept as ``name.1.blend``). The
textures go beside the output .blend (default ``moodrig-textures/<out stem>/<face>/``; a
``//`` texture folder is relative to the output), and the saved .blend points at them with a
relative path. The .blend is saved under a temporary name and renamed into place, so it is
either complete or absent.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib
import os
import sys
from pathlib import Path
from typing import Any, cast

EXIT_USAGE, EXIT_FAILED = 2, 1


PLUMBING = ("scene", "demo_timeline", "face", "armature", "out", "overwrite")
"""``bake`` flags that are not :class:`BakeRequest` fields (see the module docstring)."""


def _core(name: str) -> Any:
    """``core/<name>.py`` of this package, also when Blender runs this file as a script."""
    package = __package__ or _package().__name__
    return importlib.import_module(f"{package}.core.{name}")


def _request_module() -> Any:
    """``core/request.py`` of this package."""
    return _core("request")


def _batch_module() -> Any:
    """``batch.py`` of this package (``batch`` and its workers), as :func:`_request_module`."""
    package = __package__ or _package().__name__
    return importlib.import_module(f"{package}.batch")


def build_parser() -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = _core("failures").ArgumentParser(
        prog="moodrig", description="Synchronized expression textures and body behavior."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    bake = sub.add_parser("bake", help="analyse a source and bake both tracks onto a character")
    bake.add_argument(
        "--scene",
        type=Path,
        help="the .blend to open (python -m moodrig only; in Blender: the open file)",
    )
    bake.add_argument(
        "--demo-timeline",
        action="store_true",
        help="bake the scripted demo expression timeline instead of a source",
    )
    bake.add_argument("--face", required=True, help="face mesh object name")
    bake.add_argument("--armature", required=True, help="armature object name")
    bake.add_argument("--out", type=Path, required=True, help="where to save the baked .blend")
    bake.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing --out (or texture-folder content) that moodrig "
        "did not write; the old file is kept as a numbered backup "
        "(name.1.blend)",
    )
    _batch_module().add_arguments(sub)
    for option in _request_module().request_options():
        if option.parse is None:  # a bool field: the flag switches it away from its default
            action = "store_false" if option.default else "store_true"
            bake.add_argument(option.flag, dest=option.name, action=action, help=option.help)
        else:
            bake.add_argument(
                option.flag,
                dest=option.name,
                type=option.parse,
                default=option.default,
                choices=option.choices,
                metavar=option.metavar,
                help=option.help,
            )
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


def check_outputs(args: argparse.Namespace, request: Any) -> tuple[Any, Any]:
    """Check ``--out`` and the texture folder before any work (``core/outputs.py``); returns
    the checked outputs and the request with its texture folder made absolute: by default
    ``moodrig-textures/<out stem>/<face>/`` beside the output, ``//`` relative to the output."""
    outputs = _core("outputs")
    out = Path(os.path.abspath(args.out))
    folder = args.texture_folder  # as given: a link is checked as the link, not its target
    if folder is None:
        try:
            folder = outputs.default_texture_folder(out, args.face, out.parent)
        except ValueError as exc:
            raise _core("errors").OutputError(
                out.parent, f"the texture folder would leave it ({exc})"
            ) from exc
    elif str(folder).startswith("//"):
        folder = out.parent / str(folder)[2:]
    checked = outputs.check_bake_outputs(out, folder, overwrite=args.overwrite)
    return checked, dataclasses.replace(request, texture_folder=checked.textures.path)


def run(argv: list[str], package: Any) -> int:
    """The command line's exit status; every failure one line (``core/failures.py``)."""
    failures = importlib.import_module(f"{package.__name__}.core.failures")
    return int(failures.run_command("moodrig", lambda: _run(argv, package), argv))


def _run(argv: list[str], package: Any) -> int:
    args = build_parser().parse_args(argv)
    if args.command != "bake":
        return int(_batch_module().main(args, package))
    from_module = package.__name__
    errors = importlib.import_module(f"{from_module}.core.errors")
    outputs = importlib.import_module(f"{from_module}.core.outputs")
    request = bake_request(args)  # invalid options fail before anything is opened or written
    if args.scene is not None and not args.scene.is_file():
        raise errors.InputError(args.scene, "scene file does not exist")
    if not args.demo_timeline and args.source is None:
        raise errors.InputError(
            None, "give --source (photo, image sequence or video) or --demo-timeline"
        )
    checked, request = check_outputs(args, request)
    try:
        import bpy
    except ImportError as exc:
        raise errors.MoodrigError(
            f"Blender's bpy module cannot be imported ({exc}); run this "
            "inside Blender (blender -b -P cli.py -- bake ...) or install "
            "bpy"
        ) from exc
    api = importlib.import_module(f"{from_module}.api")
    if args.scene is not None:
        try:
            bpy.ops.wm.open_mainfile(filepath=str(args.scene.resolve()))
        except RuntimeError as exc:
            raise errors.InputError(
                args.scene.resolve(), f"Blender cannot open it ({str(exc).strip()})"
            ) from exc
    if not any(a.module == from_module for a in bpy.context.preferences.addons):
        package.register()
    track = None
    if args.demo_timeline:
        track = importlib.import_module(f"{from_module}.core.demo_timeline").scripted_track(
            fps=bpy.context.scene.render.fps / bpy.context.scene.render.fps_base
        )
    outputs.prepare(checked.textures)
    result = api.bake(
        bpy.context.scene, args.face, args.armature, request, track=track, progress=_progress
    )
    backup = _save(bpy, outputs, errors, checked.blend, result.image)
    for line in result.bone_map.lines()[1:]:
        print(f"moodrig: {line}", file=sys.stderr)
    print(f"moodrig: {result.bone_map_summary}; rest pose {result.rest_pose}", file=sys.stderr)
    for warning in result.warnings:
        print(f"moodrig: warning: {warning}", file=sys.stderr)
    print(f"moodrig: {result.keys_line()}", file=sys.stderr)
    sync = result.sync
    face = []
    if "texture" in result.face_outputs:
        face.append(
            f"{result.distinct_textures} distinct textures ({result.generated_textures} "
            f"generated, {result.texture_bytes / 1e6:.1f} MB)"
        )
    if "shapekeys" in result.face_outputs:
        conventions = importlib.import_module(f"{from_module}.core.shapekeys").CONVENTIONS
        source = result.shape_key_convention
        label = conventions[source].label if source in conventions else f"{source} mapping"
        face.append(
            f"{len(result.keyed_shape_keys)} shape keys ({label}, lag "
            f"{sync.get('shape_key_lag')} f)"
        )
        if result.other_meshes:
            others = ", ".join(f"'{n}' ({k})" for n, k in result.other_meshes.items())
            face.append(f"the same keys on {others}")
        if result.missing_shape_keys:
            print(
                f"moodrig: warning: mapped shape keys not on '{args.face}' (not keyed): "
                f"{', '.join(result.missing_shape_keys)}",
                file=sys.stderr,
            )
    kept = f" (the earlier file kept as {backup.name})" if backup is not None else ""
    print(
        f"moodrig: baked {result.n_frames} frames, {', '.join(face)}, onset F1 "
        f"{sync.get('onset_f1')}, saved {checked.blend.path}{kept}",
        file=sys.stderr,
    )
    return 0


def _save(bpy: Any, outputs: Any, errors: Any, blend: Any, image: Any) -> Path | None:
    """Save a copy of the open file under a temporary name beside the output, then rename it
    into place (``outputs.commit``: a file of the user's there is kept as a backup first).
    Relative paths are remapped to the output's folder; for a file that was never saved, the
    texture sequence is made relative to the output by hand. Returns the backup."""
    temporary = outputs.temporary_path(blend)
    saved = bool(bpy.data.filepath)
    if not saved and image is not None:
        with contextlib.suppress(ValueError):  # another drive on Windows: stays absolute
            relative = Path(os.path.relpath(image.filepath, blend.path.parent))
            image.filepath = "//" + relative.as_posix()
    try:
        bpy.ops.wm.save_as_mainfile(filepath=str(temporary), copy=True, relative_remap=saved)
    except BaseException as exc:
        for leftover in (temporary, Path(f"{temporary}@")):
            leftover.unlink(missing_ok=True)
        if isinstance(exc, RuntimeError):
            problem = f"could not be saved ({str(exc).strip()})"
            raise errors.OutputError(blend.path, problem) from exc
        raise
    return cast("Path | None", outputs.commit(blend, temporary))


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
    import bpy

    argv = sys.argv[sys.argv.index("--") + 1 :] if "--" in sys.argv else []
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
