"""Where moodrig writes: every output path checked before any work, and replaced only when
moodrig wrote it.

Checks. A file output (the baked .blend, the face CLI's JSON and overlay, fine-tuned
weights) must not be a folder, a FIFO or a device; a folder output (the textures) must not
be a file. The folder that will hold either must exist or be creatable, and be writable: a
file is really created and removed there (or in its nearest existing parent), so
permissions, read-only mounts, immutable folders and ACLs all give their true answer, also
for root. A refusal is one :class:`OutputError` line naming the path and the problem.

Replacing. An existing file is replaced only when moodrig wrote it. Each folder moodrig
writes a file into keeps a small ledger, ``.moodrig-outputs.json``: the sha256 and size of
every file it wrote there. A file whose bytes still match its entry is moodrig's own earlier
output and is replaced without asking; anything else (a file moodrig never wrote, or one the
user changed since, e.g. opened and saved the .blend) is the user's: refused, unless
``overwrite``, and then first kept under the next free numbered name (``shot.blend`` →
``shot.1.blend``) before the new file is renamed into place. Why a ledger: a .blend (often
compressed) cannot be read cheaply for a marker, JSON and PNG outputs have nowhere to hold
one, and a marker would survive the user's own edits where a hash does not; one hidden
ledger per folder instead of a sidecar per file keeps the user's folder tidy. A lost or
damaged ledger only makes moodrig ask for ``--overwrite``, it never lets a file go.

Texture folders. Inside a texture folder moodrig owns ``cache/`` (content-addressed
``<hex>.png``) and ``sequence/`` (``frame_00001.png`` …); other entries are never touched.
An owned entry holding anything else is the user's: refused, or with ``overwrite`` renamed
to ``sequence.1`` before the bake.

Names. No output may create, in the folder the process runs from, an entry named like an
importable top-level Python module: a folder ``moodrig/`` there made ``python -m moodrig``
import it instead of the package. The default texture folder, ``moodrig-textures``, is not a
Python identifier, so it can never shadow a module.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import keyword
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any

from .errors import OutputError
from .fileio import atomic_write_bytes, atomic_write_text
from .paths import contained_path

LEDGER = ".moodrig-outputs.json"
"""The ledger of the files moodrig wrote into a folder (name → sha256 and size)."""
MAX_LEDGER_BYTES = 1 << 20
"""A larger ledger is ignored (as if absent: nothing there counts as moodrig's)."""
TEXTURE_ROOT = "moodrig-textures"
"""Default texture folder beside a .blend; not a Python identifier, so never a module name."""
OWNED_ENTRIES: dict[str, re.Pattern[str]] = {
    "cache": re.compile(r"[0-9a-f]{8,64}\.png"),
    "sequence": re.compile(r"frame_\d+\.png"),
}
"""What moodrig keeps inside a texture folder: entry name → the names of its files."""
PART = re.compile(r"\..+\.part")
"""Temporary files of moodrig's atomic writes (core/fileio.py)."""
OVERWRITE_HINT = (
    "give --overwrite to replace it (a numbered backup is kept), or choose another name"
)


@dataclass(frozen=True)
class FileOutput:
    """A checked file output."""

    path: Path
    """Absolute path (symbolic links in its folders kept as given)."""
    overwrite: bool
    """The user allowed replacing a file moodrig did not write (a backup is kept)."""
    existing: str
    """What is there now: 'none', 'moodrig' (its own earlier output) or 'user'."""


@dataclass(frozen=True)
class FolderOutput:
    """A checked folder output (textures)."""

    path: Path
    """Absolute path of the folder."""
    move_aside: tuple[str, ...]
    """Owned entries holding the user's files, renamed to numbered backups by :func:`prepare`
    (only with overwrite)."""


@dataclass(frozen=True)
class BakeOutputs:
    """Everything a bake writes: the .blend and its texture folder."""

    blend: FileOutput
    textures: FolderOutput


# --------------------------------------------------------------------------- checks


def check_file(
    path: str | Path,
    *,
    overwrite: bool = False,
    suffixes: tuple[str, ...] = (),
    cwd: str | Path | None = None,
) -> FileOutput:
    """A file output that can be written now: OutputError otherwise (one line)."""
    p = _absolute(path)
    if p.name in ("", ".", "..") or str(path).endswith(("/", os.sep)):
        raise OutputError(p, "is a folder name; give a file name")
    if suffixes and p.suffix.lower() not in suffixes:
        raise OutputError(p, f"must end in {' or '.join(suffixes)}")
    if p.name == LEDGER:
        raise OutputError(
            p, "is the name of moodrig's own list of its outputs; choose another name"
        )
    _check_name_length(p)
    check_shadowing(p, cwd=cwd)
    existing = _existing_file(p)
    _check_parent(p.parent, p)
    if existing == "user" and not overwrite:
        raise OutputError(
            p, f"exists and moodrig did not write it (or it was changed since); {OVERWRITE_HINT}"
        )
    return FileOutput(p, overwrite, existing)


def check_folder(
    path: str | Path,
    *,
    overwrite: bool = False,
    cwd: str | Path | None = None,
    owned: Mapping[str, re.Pattern[str]] = OWNED_ENTRIES,
) -> FolderOutput:
    """A folder that can be written now (by default a texture folder, whose ``owned`` entries
    must hold only moodrig's files): OutputError otherwise (one line)."""
    p = _absolute(path)
    check_shadowing(p, cwd=cwd, folder=True)
    if not os.path.lexists(p):
        _check_parent(p, p)
        return FolderOutput(p, ())
    if not p.is_dir():
        kind = "a broken link" if p.is_symlink() else "a file"
        raise OutputError(p, f"is {kind}, not a folder")
    _check_writable(p, p)
    move = []
    for name, pattern in owned.items():
        entry = p / name
        foreign = _foreign(entry, pattern)
        if foreign is None:
            continue
        if not overwrite:
            raise OutputError(
                p,
                f"holds {foreign} where moodrig keeps its textures; give "
                f"--overwrite to move '{name}' aside (kept as {name}.1, or the "
                "next free number), or choose another folder",
            )
        move.append(name)
    return FolderOutput(p, tuple(move))


def check_bake_outputs(
    out: str | Path, textures: str | Path, *, overwrite: bool = False, cwd: str | Path | None = None
) -> BakeOutputs:
    """The bake's .blend and texture folder, checked together before any work."""
    blend = check_file(out, overwrite=overwrite, suffixes=(".blend",), cwd=cwd)
    folder = check_folder(textures, overwrite=overwrite, cwd=cwd)
    owned = [folder.path / name for name in OWNED_ENTRIES]
    if (
        blend.path == folder.path
        or blend.path in folder.path.parents
        or any(o == blend.path or o in blend.path.parents for o in owned)
    ):
        raise OutputError(
            blend.path,
            f"lies where the textures go ({folder.path}); choose another name or texture folder",
        )
    return BakeOutputs(blend, folder)


def check_shadowing(path: Path, *, cwd: str | Path | None = None, folder: bool = False) -> None:
    """OutputError when writing ``path`` would create, in ``cwd`` (default: the folder the
    process runs from), an entry that hides an importable top-level module."""
    base = _absolute(cwd if cwd is not None else os.getcwd())
    try:
        rel = _absolute(path).relative_to(base)
    except ValueError:
        return
    if not rel.parts or os.path.lexists(base / rel.parts[0]):
        return  # nothing new appears in the folder itself
    top = rel.parts[0]
    module = _module_name(top, is_file=len(rel.parts) == 1 and not folder)
    if module is not None and _importable(module):
        raise OutputError(
            path,
            f"would create '{top}' in the folder moodrig runs from, which "
            f"hides the Python module '{module}' from Python started there "
            "(python -m moodrig too); choose another name",
        )


def default_texture_folder(blend: Path | None, face_name: str, fallback: Path) -> Path:
    """``moodrig-textures/<blend stem>/<face>/`` beside the .blend (one folder per .blend, so
    two files in one folder never share a face's frames); without a .blend, under
    ``fallback``. ValueError when a link makes it leave that folder."""
    if blend is None:
        return contained_path(fallback, TEXTURE_ROOT, face_name)
    return contained_path(blend.parent, TEXTURE_ROOT, blend.stem, face_name)


# --------------------------------------------------------------------------- writing


def prepare(folder: FolderOutput) -> list[Path]:
    """Rename the owned entries that hold the user's files to numbered backups (overwrite
    only); returns the backups."""
    moved = []
    for name in folder.move_aside:
        entry = folder.path / name
        if os.path.lexists(entry):
            target = _free_name(entry)
            os.rename(entry, target)
            moved.append(target)
    return moved


def temporary_path(output: FileOutput) -> Path:
    """A hidden name beside the output for writing it whole before :func:`commit`."""
    p = output.path
    return p.with_name(f".{p.stem}.{os.getpid()}.moodrig-part{p.suffix}")


def commit(output: FileOutput, temporary: Path) -> Path | None:
    """Rename a finished ``temporary`` file to the output, as one step; a file of the user's
    there is kept first under the next free numbered name (returned). The output is checked
    again here (it may have changed during the work); the temporary file never stays."""
    try:
        backup = _make_room(output)
        os.replace(temporary, output.path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    record(output.path)
    return backup


def write_file(output: FileOutput, data: bytes) -> Path | None:
    """Write ``data`` to the output atomically (as :func:`commit`); returns the backup."""
    backup = _make_room(output)
    atomic_write_bytes(output.path, data)
    record(output.path, hashlib.sha256(data).hexdigest())
    return backup


def write_text(output: FileOutput, text: str) -> Path | None:
    """UTF-8 counterpart of :func:`write_file`."""
    return write_file(output, text.encode("utf-8"))


def keep_backup(output: FileOutput) -> Path | None:
    """Before a writer that replaces the file itself (e.g. a weights export): keep the user's
    file under the next free numbered name, as :func:`commit` does."""
    return _make_room(output)


def record(path: Path, digest: str | None = None) -> None:
    """Enter ``path`` (as it is now) in its folder's ledger. A ledger that cannot be written
    only means the next run asks for --overwrite, so that failure is not an error."""
    folder = path.parent
    entries = {name: e for name, e in _ledger(folder).items() if (folder / name).is_file()}
    try:
        entries[path.name] = {"sha256": digest or _sha256(path), "bytes": path.stat().st_size}
        atomic_write_text(
            folder / LEDGER,
            json.dumps({"format": 1, "files": entries}, indent=1, sort_keys=True) + "\n",
        )
    except OSError:
        pass


def is_own(path: Path) -> bool:
    """Whether ``path`` is a regular file whose bytes are what moodrig last wrote there."""
    entry = _ledger(path.parent).get(path.name)
    if not isinstance(entry, dict):
        return False
    try:
        st = path.lstat()
        if not stat.S_ISREG(st.st_mode) or st.st_size != entry.get("bytes"):
            return False
        return _sha256(path) == entry.get("sha256")
    except OSError:
        return False


# --------------------------------------------------------------------------- helpers


def _absolute(path: str | Path) -> Path:
    """Absolute, with '..' collapsed, symbolic links kept (os.path.abspath)."""
    return Path(os.path.abspath(os.fspath(path)))


def _check_name_length(p: Path) -> None:
    try:
        limit = os.pathconf(_nearest_existing(p.parent), "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        limit = 255
    # The temporary name adds a dot, the process id and '.moodrig-part'.
    if len(temporary_path(FileOutput(p, False, "none")).name.encode()) > limit:
        raise OutputError(p, f"the file name is too long (at most about {limit - 24} bytes)")


def _existing_file(p: Path) -> str:
    """'none', 'moodrig' or 'user' for what is at ``p``; OutputError when it is no file."""
    if not os.path.lexists(p):
        return "none"
    if p.is_symlink():
        if p.is_dir():
            raise OutputError(p, "is a link to a folder; give a file name")
        return "user"  # a link is never moodrig's: replacing it would cut the user's link
    mode = p.lstat().st_mode
    if stat.S_ISDIR(mode):
        raise OutputError(p, "is a folder; give a file name")
    if not stat.S_ISREG(mode):
        raise OutputError(p, "is not a regular file (a FIFO, socket or device)")
    return "moodrig" if is_own(p) else "user"


def _nearest_existing(folder: Path) -> Path:
    while not os.path.lexists(folder) and folder.parent != folder:
        folder = folder.parent
    return folder


def _check_parent(folder: Path, target: Path) -> None:
    """``folder`` (which will hold ``target``, or is it) exists and is writable, or can be
    made: its nearest existing parent is a writable folder."""
    anchor = _nearest_existing(folder)
    if not anchor.is_dir():
        kind = "a broken link" if anchor.is_symlink() else "a file"
        if anchor == target:
            raise OutputError(target, f"is {kind}, not a folder")
        if anchor == folder:
            raise OutputError(target, f"{anchor} is {kind}, not a folder")
        raise OutputError(target, f"{anchor} is {kind}, so the folder {folder} cannot be made")
    _check_writable(anchor, target)


def _check_writable(folder: Path, target: Path) -> None:
    """Create and remove a file in ``folder``: the one test every file system answers right
    (permissions, read-only mounts, immutable folders, ACLs, also for root)."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".moodrig-probe-", dir=folder)
    except OSError as exc:
        what = "the folder is not writable" if folder == target else f"{folder} is not writable"
        raise OutputError(target, f"{what} ({exc.strerror or exc})") from exc
    os.close(fd)
    os.unlink(probe)


def _foreign(entry: Path, pattern: re.Pattern[str]) -> str | None:
    """What in an owned entry of a texture folder moodrig did not write (None: nothing)."""
    if not os.path.lexists(entry):
        return None
    if entry.is_symlink() or not entry.is_dir():
        return f"a file named '{entry.name}'"
    with os.scandir(entry) as it:
        for item in it:
            regular = item.is_file(follow_symlinks=False)
            if not regular or not (pattern.fullmatch(item.name) or PART.fullmatch(item.name)):
                return f"'{entry.name}/{item.name}' (not written by moodrig)"
    return None


def _module_name(name: str, *, is_file: bool) -> str | None:
    """The top-level module an entry of this name would provide, if any."""
    if is_file:
        for suffix in importlib.machinery.all_suffixes():
            if name.endswith(suffix):
                stem = name[: -len(suffix)]
                return stem if stem.isidentifier() and not keyword.iskeyword(stem) else None
        return None
    return name if name.isidentifier() and not keyword.iskeyword(name) else None


def _importable(module: str) -> bool:
    if module in sys.modules or module in sys.builtin_module_names:
        return True
    if module in getattr(sys, "stdlib_module_names", ()):
        return True
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _make_room(output: FileOutput) -> Path | None:
    """Decide, at the moment of writing, what the file now at the output is; keep it as a
    numbered backup when it is the user's (overwrite only)."""
    p = output.path
    now = _existing_file(p)
    if now != "user":
        return None
    if not output.overwrite:
        raise OutputError(p, f"appeared or changed while moodrig worked; {OVERWRITE_HINT}")
    for n in count(1):
        backup = p.with_name(f"{p.stem}.{n}{p.suffix}")
        if os.path.lexists(backup):
            continue
        try:
            os.link(p, backup, follow_symlinks=False)  # the same bytes under a second name
        except FileExistsError:
            continue
        except OSError:
            _copy_exclusive(p, backup)
        return backup
    raise AssertionError("unreachable")


def _copy_exclusive(source: Path, target: Path) -> None:
    """A copy that never replaces an existing file (for file systems without hard links)."""
    if source.is_symlink():
        os.symlink(os.readlink(source), target)
        return
    with open(source, "rb") as src, open(target, "xb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    shutil.copystat(source, target)


def _free_name(entry: Path) -> Path:
    for n in count(1):
        candidate = entry.with_name(f"{entry.name}.{n}")
        if not os.path.lexists(candidate):
            return candidate
    raise AssertionError("unreachable")


def _ledger(folder: Path) -> dict[str, Any]:
    """The folder's ledger entries; an absent, oversized or damaged ledger is empty."""
    path = folder / LEDGER
    try:
        st = path.lstat()
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_LEDGER_BYTES:
            return {}
        data = json.loads(path.read_bytes()[:MAX_LEDGER_BYTES].decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    files = data.get("files") if isinstance(data, dict) else None
    return files if isinstance(files, dict) else {}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()
