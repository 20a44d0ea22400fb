"""Writing files so a crash never leaves a half-written one where a reader looks."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


@contextlib.contextmanager
def atomic_writer(path: str | Path) -> Iterator[BinaryIO]:
    """A binary file handle on a temporary file beside ``path``; when the block ends without
    an error the file is fsynced and renamed into place, else removed (for output written in
    pieces, e.g. a long document streamed frame by frame)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        # mkstemp makes the file 0600; give it the mode an ordinary write would (0666 & ~umask),
        # so render nodes and other users can read what moodrig wrote.
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename is None and exc.errno is not None:
            # A failed write (disk full, file too large) names no file: name the target.
            raise OSError(exc.errno, exc.strerror, str(target)) from exc
        raise


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to a temporary file beside ``path``, fsync it, then rename it into place."""
    with atomic_writer(path) as fh:
        fh.write(data)
    return Path(path)


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Text (UTF-8) counterpart of :func:`atomic_write_bytes`."""
    return atomic_write_bytes(path, text.encode("utf-8"))


STALE_PART_SECONDS = 300.0
"""A temporary ``.*.part`` file untouched this long belongs to a killed writer (a texture is
written in well under a second), so the next run may delete it."""


def remove_stale_parts(folder: str | Path, *, older_than: float = STALE_PART_SECONDS) -> list[Path]:
    """Delete the temporary files that killed atomic writes left in ``folder``; return them.

    Only moodrig's own names (``.<name>.<anything>.part``) are touched, and only when they are
    older than ``older_than`` seconds, so a writer still running beside this one keeps its file.
    """
    base = Path(folder)
    if not base.is_dir():
        return []
    now = time.time()
    removed = []
    for p in base.glob(".*.part"):
        try:
            if p.is_file() and not p.is_symlink() and now - p.stat().st_mtime > older_than:
                p.unlink()
                removed.append(p)
        except FileNotFoundError:
            continue  # another cleaner or the writer itself got there first
    return removed
