"""Where a batch job writes, and how its outputs appear only when complete.

A job bakes its textures into a hidden sibling of its texture folder (``.<name>.partial``),
whose content-addressed cache a retried job resumes from. When the bake has succeeded the
staging folder is renamed to the texture folder (a folder from an earlier run is renamed
aside first and then removed), and only then is the .blend saved, under a temporary name in
its own folder and renamed into place. So a reader that sees the .blend sees complete
textures, and a killed worker leaves nothing but hidden names that its retry reuses or
removes. The textures' final folder is known before the .blend is saved, so the .blend refers
to it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..fileio import remove_stale_parts

TEXTURE_ENTRIES = frozenset({"cache", "sequence"})
"""What a bake writes into a texture folder; a folder holding anything else is the user's."""


def staging_folder(folder: Path) -> Path:
    """Where a job bakes its textures before they are published to ``folder``."""
    return folder.with_name(f".{folder.name}.partial")


def retired_folder(folder: Path) -> Path:
    """Where the previous content of ``folder`` waits while the new one is renamed in."""
    return folder.with_name(f".{folder.name}.old")


def temporary_blend(out: Path) -> Path:
    """The name a job saves its .blend under before renaming it to ``out``."""
    return out.with_name(f".{out.name}.part")


def foreign_entries(folder: Path) -> list[str]:
    """Names in ``folder`` that a bake did not write (empty: the folder is moodrig's, or
    absent). Publishing replaces the whole folder, so it must hold nothing else."""
    if not folder.exists():
        return []
    if not folder.is_dir():
        return [folder.name]
    return sorted(p.name for p in folder.iterdir() if p.name not in TEXTURE_ENTRIES)


def prepare(folder: Path, out: Path) -> bool:
    """Before a job bakes: remove what an earlier, killed attempt left beside ``out`` and
    ``folder`` (a half-saved .blend, a half-swapped texture folder), and give the staging
    folder the textures already published, so nothing is generated twice. Returns whether a
    killed attempt's staging folder was found (the job resumes from it)."""
    for leftover in out.parent.glob(f"{temporary_blend(out).name}*"):
        leftover.unlink(missing_ok=True)
    old = retired_folder(folder)
    if old.exists() and not folder.exists():
        os.replace(old, folder)  # killed between the two renames of publish(): undo the first
    shutil.rmtree(old, ignore_errors=True)
    staging = staging_folder(folder)
    resumed = staging.is_dir()
    if resumed:
        # One worker at a time holds a job, so a killed attempt's temporary texture files are
        # dead at any age (the bake itself only clears them after STALE_PART_SECONDS).
        for sub in (staging, staging / "cache", staging / "sequence"):
            remove_stale_parts(sub, older_than=0.0)
    published = folder / "cache"
    if published.is_dir():
        cache = staging / "cache"
        cache.mkdir(parents=True, exist_ok=True)
        for texture in published.iterdir():
            target = cache / texture.name
            if texture.is_file() and not texture.name.startswith(".") and not target.exists():
                try:
                    os.link(texture, target)
                except OSError:
                    shutil.copy2(texture, target)
    return resumed


def publish(folder: Path) -> None:
    """Rename the staging folder to ``folder``, replacing what an earlier run published there."""
    staging, old = staging_folder(folder), retired_folder(folder)
    if folder.exists():
        shutil.rmtree(old, ignore_errors=True)
        os.replace(folder, old)
        os.replace(staging, folder)
        shutil.rmtree(old)
    else:
        folder.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging, folder)


def discard(folder: Path) -> None:
    """Remove the staging folder of a bake that made no textures (it may hold what
    :func:`prepare` linked in)."""
    shutil.rmtree(staging_folder(folder), ignore_errors=True)


def commit_file(temporary: Path, target: Path) -> None:
    """Flush ``temporary`` to disk and rename it to ``target`` (one atomic step)."""
    fd = os.open(temporary, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, target)
