"""``moodrig batch JOBS``, the Blender side: the command's flags, the object names of each
scene (read without opening it), how a worker process starts (this Python with the ``bpy``
module, or this Blender binary), and one job baked inside a worker. Checking, planning,
running and the status file are ``core/batch`` (Blender-free).

Each job runs in a fresh worker process (``batch-job``): ``bpy`` holds one .blend per process,
and a new process is the only way to start every job from its own scene with nothing left over
from another (resetting with ``read_factory_settings`` keeps add-on, module and torch state).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from .core import outputs as output_ledger
from .core.batch import outputs, worker
from .core.batch.jobs import PLUMBING, Job, JobFileError, columns
from .core.errors import InputError, MoodrigError

EXIT_BAD_FILE = 2


def add_arguments(sub: Any) -> None:
    """The ``batch`` command (and its hidden worker command) on the CLI's subparsers."""
    fields = [
        name for name, option in columns().items() if option is not None and option.name == name
    ]
    flags = [
        name for name, option in columns().items() if option is not None and option.name != name
    ]
    epilog = (
        f"JOBS columns: {', '.join(PLUMBING)}, and any bake option by name "
        f"({', '.join(fields)}) or by its flag ({', '.join(flags)}). A CSV has one job "
        "per row under a header; a JSON file is a list of objects. Relative paths are "
        "read against the job file's folder, //paths against the job's scene."
    )
    batch = sub.add_parser(
        "batch",
        help="bake many jobs from a CSV or JSON job file",
        description="Check every job, then bake them in worker processes "
        "on this machine or as Ray tasks on a cluster.",
        epilog=epilog,
    )
    batch.add_argument("jobs", type=Path, metavar="JOBS", help="CSV or JSON job file")
    batch.add_argument(
        "--workers",
        type=_count(1),
        metavar="N",
        help="worker processes on this machine (default: one per core, as many "
        "as the memory holds)",
    )
    batch.add_argument(
        "--threads",
        type=_count(1),
        metavar="N",
        help="torch threads per job (default: the cores shared out between the "
        "workers; with --ray: 1, the CPU slots a task holds)",
    )
    batch.add_argument(
        "--ray",
        metavar="auto|ADDRESS|local",
        help="run the jobs as Ray tasks: auto (the cluster this machine is in), "
        "host:port or ray://host:port, or local (a Ray started for this batch); "
        "needs pip install moodrig[ray]",
    )
    batch.add_argument(
        "--retries",
        type=_count(0),
        default=2,
        metavar="N",
        help="times a job runs again after its worker was lost (default: 2)",
    )
    batch.add_argument(
        "--status",
        type=Path,
        metavar="FILE",
        help="status file (default: batch_status.json beside JOBS)",
    )
    batch.add_argument(
        "--dry-run", action="store_true", help="check the job file and show the plan; run nothing"
    )
    job = sub.add_parser(
        "batch-job", description="one job of a batch, in a worker process (started by `batch`)"
    )  # no help=: not listed among the commands
    job.add_argument("spec", help="the job as JSON")


def _count(low: int) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be ≥ {low}, got {value}")
        return value

    return parse


def main(args: argparse.Namespace, package: Any) -> int:
    if args.command == "batch-job":
        return run_job_command(args.spec, package)
    return run_batch(args, package)


# ----------------------------------------------------------------------------- the batch


def run_batch(args: argparse.Namespace, package: Any) -> int:
    from .core.batch import ray_engine
    from .core.batch import run as batch

    options = batch.BatchOptions(
        workers=args.workers,
        threads=args.threads,
        ray=args.ray,
        retries=args.retries,
        status=args.status,
    )
    try:
        if options.ray is not None:
            ray_engine.check_installed()
        plan = batch.plan_batch(args.jobs, options, list_objects)
    except JobFileError as exc:
        for line in exc.lines:
            print(f"moodrig: error: {line}", file=sys.stderr)
        print("moodrig: nothing was run", file=sys.stderr)
        return EXIT_BAD_FILE
    except MoodrigError as exc:
        print(f"moodrig: error: {exc}", file=sys.stderr)
        return EXIT_BAD_FILE
    print(batch.format_plan(plan), file=sys.stdout if args.dry_run else sys.stderr, flush=True)
    if args.dry_run:
        return 0
    try:
        rows = batch.execute(plan, worker_argv(package))
    except MoodrigError as exc:
        print(f"moodrig: error: {exc}", file=sys.stderr)
        return EXIT_BAD_FILE
    except KeyboardInterrupt:
        print("moodrig: interrupted; running the batch again resumes it", file=sys.stderr)
        return batch.EXIT_INTERRUPTED
    print(batch.format_summary(rows), flush=True)
    return batch.exit_code(rows)


def list_objects(scene: Path) -> list[str]:
    """Object names in a .blend, read from its library index without opening it."""
    import bpy

    try:
        with bpy.data.libraries.load(str(scene)) as (source, _):
            return list(source.objects)
    except OSError:
        raise InputError(scene, "cannot be read as a .blend file") from None


def worker_argv(package: Any) -> list[str]:
    """How this machine starts a worker: the Blender binary running ``cli.py`` when the batch
    runs inside one, else this Python with ``-m <package>``."""
    import bpy

    if bpy.app.binary_path:
        cli = Path(__file__).with_name("cli.py")
        return [
            bpy.app.binary_path,
            "-b",
            "--python-exit-code",
            "1",
            "-P",
            str(cli),
            "--",
            "batch-job",
        ]
    return [sys.executable, "-m", package.__name__, "batch-job"]


# ----------------------------------------------------------------------------- one job


def run_job_command(spec_text: str, package: Any) -> int:
    """The worker: bake one job, print its result line, exit 0 (done) or 1 (failed)."""
    worker.die_with_parent()
    try:
        result = run_job(json.loads(spec_text), package)
    except MoodrigError as exc:
        worker.report({"error": str(exc)})
        return worker.EXIT_FAILED
    except Exception as exc:
        traceback.print_exc()
        worker.report({"error": f"{type(exc).__name__}: {exc}".splitlines()[0]})
        return worker.EXIT_FAILED
    worker.report(result)
    return worker.EXIT_DONE


def run_job(spec: dict[str, Any], package: Any) -> dict[str, Any]:
    """Bake one job in this (fresh) process: textures into the staging folder, published when
    the bake has succeeded, then the .blend under a temporary name, renamed into place."""
    import bpy

    from . import api, cli
    from .core.appearance.cache import sequence_name

    t0 = time.perf_counter()
    _limit_threads(int(spec.get("threads", 0)))
    job = Job.from_json(spec["job"])
    folder = job.texture_folder
    resumed = outputs.prepare(folder, job.out)
    bpy.ops.wm.open_mainfile(filepath=str(job.scene))
    if not any(a.module == package.__name__ for a in bpy.context.preferences.addons):
        package.register()
    track = _demo_track() if job.demo_timeline else None
    staged = dataclasses.replace(job.request, texture_folder=outputs.staging_folder(folder))
    result = api.bake(
        bpy.context.scene, job.face, job.armature, staged, track=track, progress=cli._progress
    )
    made_textures = result.image is not None  # a face keyed by shape keys only has none
    if made_textures:
        outputs.publish(folder)
        result.image.filepath = _blend_path(folder / "sequence" / sequence_name(1))
    else:
        outputs.discard(folder)
    job.out.parent.mkdir(parents=True, exist_ok=True)
    temporary = outputs.temporary_blend(job.out)
    bpy.ops.wm.save_as_mainfile(filepath=str(temporary), copy=True)
    outputs.commit_file(temporary, job.out)
    output_ledger.record(job.out)  # a later single bake onto it knows it is moodrig's own
    return {
        "frames": result.n_frames,
        "textures": result.distinct_textures,
        "generated": result.generated_textures,
        "made_textures": made_textures,
        "resumed": resumed,
        "seconds": round(time.perf_counter() - t0, 3),
    }


def _demo_track() -> Any:
    import bpy

    from .core.demo_timeline import scripted_track

    render = bpy.context.scene.render
    return scripted_track(fps=render.fps / render.fps_base)


def _blend_path(path: Path) -> str:
    """``path`` relative to the open .blend where it can be (Blender remaps it on save)."""
    import bpy

    try:
        return str(bpy.path.relpath(str(path)))
    except ValueError:  # another drive (Windows)
        return str(path)


def _limit_threads(threads: int) -> None:
    """Torch's share of the cores (the math libraries read the environment the batch set)."""
    if threads < 1:
        return
    import torch

    torch.set_num_threads(threads)
    with contextlib.suppress(RuntimeError):  # settable only before torch's first parallel work
        torch.set_num_interop_threads(threads)
