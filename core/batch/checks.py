"""Checks across the jobs of a batch, run before anything starts: no two jobs write the same
file or folder, no job writes over an input or over something the user made, and the named
objects exist in each scene."""

from __future__ import annotations

import bisect
import dataclasses
import os
from collections.abc import Callable, Collection, Iterable
from pathlib import Path

from ..errors import MoodrigError
from .jobs import OUTPUT_FIELDS, Job
from .outputs import foreign_entries

ListObjects = Callable[[Path], Collection[str]]
"""Object names of a .blend (the Blender side reads them without opening the file)."""


def check_batch(jobs: list[Job], batch_outputs: Collection[Path] = ()) -> list[str]:
    """Every collision between the jobs' outputs and inputs, one line each.

    ``batch_outputs``: the .blend files this batch wrote before (its status file); any other
    existing file at a job's ``out`` is the user's and is not overwritten.
    """
    problems: list[str] = []
    scenes: dict[Path, Job] = {}
    for job in jobs:
        scenes.setdefault(job.scene, job)
    outs: dict[Path, Job] = {}
    for job in jobs:
        first = outs.setdefault(job.out, job)
        if job.out in scenes:
            problems.append(
                f"row {job.row}, field 'out': {job.out} is the scene of row "
                f"{scenes[job.out].row}; a batch never writes over its inputs"
            )
        elif first is not job:
            problems.append(
                f"row {job.row}, field 'out': {job.out} is also the output of row {first.row}"
            )
        elif job.out.exists() and job.out not in batch_outputs:
            problems.append(
                f"row {job.row}, field 'out': {job.out} exists and is not an output "
                "of this batch; move it or pick another name"
            )
    # A repeated output's default texture folder repeats too: say it once, as the output.
    problems += _folder_problems([job for job in jobs if outs[job.out] is job])
    return problems


def _folder_problems(jobs: list[Job]) -> list[str]:
    """Texture folders: distinct, not nested in each other, holding no file of any job (a
    published folder is replaced as a whole), and holding nothing the user made."""
    problems = []
    folders = _sorted((job.texture_folder, job) for job in jobs)
    files = _sorted((path, job) for job in jobs for path in _files(job))
    for job in jobs:
        folder = job.texture_folder
        inside = [(path, other) for path, other in _within(folders, folder) if other is not job]
        held = _within(files, folder)
        if inside:
            path, other = inside[0]
            what = "is also" if path == folder else "holds"
            problems.append(
                f"row {job.row}, field 'texture_folder': {folder} {what} the "
                f"texture folder of row {other.row}"
            )
        elif held:
            path, other = held[0]
            problems.append(
                f"row {job.row}, field 'texture_folder': {folder} would hold {path} "
                f"(row {other.row}); pick a folder of its own"
            )
        elif foreign := foreign_entries(folder):
            problems.append(
                f"row {job.row}, field 'texture_folder': {folder} holds files "
                f"moodrig did not write ({', '.join(foreign[:3])}); pick an empty "
                "or new folder"
            )
    return problems


Keyed = list[tuple[str, Path, Job]]


def _sorted(pairs: Iterable[tuple[Path, Job]]) -> Keyed:
    return sorted(((str(path), path, job) for path, job in pairs), key=lambda t: t[0])


def _within(items: Keyed, folder: Path) -> list[tuple[Path, Job]]:
    """The items at ``folder`` or inside it: one contiguous run of the sorted keys."""
    prefix = str(folder)
    found = []
    for key, path, job in items[bisect.bisect_left(items, prefix, key=lambda t: t[0]) :]:
        if not key.startswith(prefix):
            break
        if len(key) == len(prefix) or key[len(prefix)] == os.sep:
            found.append((path, job))
    return found


def _files(job: Job) -> list[Path]:
    paths = [job.scene, job.out]
    for f in dataclasses.fields(job.request):
        value = getattr(job.request, f.name)
        if isinstance(value, Path) and f.name not in OUTPUT_FIELDS:
            paths.append(value)
    return paths


def check_objects(jobs: list[Job], list_objects: ListObjects) -> list[str]:
    """Each job's face and armature exist in its scene (each scene read once)."""
    problems = []
    names: dict[Path, Collection[str] | str] = {}
    for job in jobs:
        if job.scene not in names:
            try:
                names[job.scene] = list_objects(job.scene)
            except MoodrigError as exc:
                names[job.scene] = str(exc)
        found = names[job.scene]
        if isinstance(found, str):
            problems.append(f"row {job.row}, field 'scene': {found}")
            continue
        for field, name in (("face", job.face), ("armature", job.armature)):
            if name not in found:
                listed = ", ".join(sorted(found)[:8])
                problems.append(
                    f"row {job.row}, field '{field}': no object '{name}' in "
                    f"{job.scene.name} (objects: {listed})"
                )
    return problems
