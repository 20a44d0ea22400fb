"""Job files of ``moodrig batch``: a CSV or JSON list of bakes, every row checked before
anything runs.

A job holds the plumbing of one bake (``scene``, ``face``, ``armature``, ``out``, and
``demo_timeline`` in place of a source) and any :class:`BakeRequest` field, named by the field
(``seed``, ``texture_folder``) or by its ``bake`` flag without the dashes (``textures``,
``appearance``). The columns come from :func:`request_options`, so a job accepts exactly the
options of a bake. Relative paths are read against the job file's folder, ``//`` paths against
the job's scene (as Blender reads them). A job without ``texture_folder`` writes its textures
to ``moodrig/<out name>/`` beside its output .blend.
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import hashlib
import io
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import outputs
from ..errors import InputError, MoodrigError
from ..request import BakeRequest, RequestOption, request_options

PLUMBING: dict[str, str] = {
    "scene": "the .blend to open",
    "face": "face mesh object name",
    "armature": "armature object name",
    "out": "where the baked .blend is saved",
    "demo_timeline": "true: bake the scripted demo timeline instead of a source",
}
"""Job columns that are not :class:`BakeRequest` fields (as the ``bake`` command's plumbing)."""
REQUIRED = ("scene", "face", "armature", "out")
OUTPUT_FIELDS = frozenset({"texture_folder"})
"""Request path fields a bake writes; every other path field is an input and must exist."""
TRUE, FALSE = frozenset({"true", "yes", "1", "on"}), frozenset({"false", "no", "0", "off", ""})


class JobFileError(MoodrigError):
    """Everything wrong with a job file, one line per problem, each naming the file, the row
    and the field."""

    def __init__(self, path: str | Path, problems: Iterable[str]) -> None:
        self.path = str(path)
        self.lines = [f"{self.path}: {p}" for p in problems]
        super().__init__("\n".join(self.lines))


@dataclass(frozen=True)
class Job:
    """One bake of a batch, with every path absolute."""

    row: int
    """Where the job is in its file: the spreadsheet row of a CSV (the header is row 1), the
    position in a JSON list (from 1)."""
    scene: Path
    """The .blend the bake opens (never written)."""
    face: str
    """Face mesh object name in the scene."""
    armature: str
    """Armature object name in the scene."""
    out: Path
    """Where the baked .blend is saved."""
    demo_timeline: bool
    """Bake the scripted demo timeline instead of ``request.source``."""
    request: BakeRequest
    """The bake's options; ``texture_folder`` is always set."""

    @property
    def texture_folder(self) -> Path:
        folder = self.request.texture_folder
        assert folder is not None  # set by the parser
        return folder

    def to_json(self) -> dict[str, Any]:
        """Plain JSON, for a worker process (:meth:`from_json` reads it back)."""
        return {
            "row": self.row,
            "scene": str(self.scene),
            "face": self.face,
            "armature": self.armature,
            "out": str(self.out),
            "demo_timeline": self.demo_timeline,
            "request": request_to_json(self.request),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Job:
        return cls(
            int(data["row"]),
            Path(data["scene"]),
            str(data["face"]),
            str(data["armature"]),
            Path(data["out"]),
            bool(data["demo_timeline"]),
            BakeRequest(**data["request"]),
        )


def request_to_json(request: BakeRequest) -> dict[str, Any]:
    """Every field of ``request`` as JSON values (``BakeRequest(**…)`` reads them back)."""
    return {f.name: _plain(getattr(request, f.name)) for f in dataclasses.fields(request)}


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def job_hash(job: Job) -> str:
    """What makes a finished job still valid: its options and the size and modification time
    of each input file. The row is not part of it: reordering the file reruns nothing."""
    spec = job.to_json()
    del spec["row"]
    inputs = {}
    for path in _input_paths(job):
        try:
            st = path.stat()
        except OSError:
            continue
        inputs[str(path)] = [st.st_size, st.st_mtime_ns]
    text = json.dumps({"job": spec, "inputs": inputs}, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _input_paths(job: Job) -> list[Path]:
    paths = [job.scene]
    for f in dataclasses.fields(job.request):
        value = getattr(job.request, f.name)
        if isinstance(value, Path) and f.name not in OUTPUT_FIELDS:
            paths.append(value)
    return paths


# ----------------------------------------------------------------------------- reading


def columns() -> dict[str, RequestOption | None]:
    """Every accepted column → the request option it sets (None: a plumbing column)."""
    out: dict[str, RequestOption | None] = dict.fromkeys(PLUMBING)
    options = list(request_options())
    for option in options:
        out[option.name] = option
    for option in options:
        if option.parse is not None:  # a switch's flag says the opposite of its field
            out.setdefault(_column(option.flag), option)
    return out


def _column(name: str) -> str:
    return name.strip().lstrip("-").lower().replace("-", "_")


Row = tuple[int, dict[str, Any]]
"""(row number, {column as written: value})."""


def read_rows(path: Path) -> list[Row]:
    """The job file's rows, without checking their values; raises :class:`JobFileError` on a
    file that is not a readable CSV or JSON list."""
    if not path.is_file():
        raise JobFileError(path, ["the job file does not exist"])
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise JobFileError(path, ["not UTF-8 text"]) from None
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv_rows(path, text)
    if suffix == ".json":
        return _json_rows(path, text)
    raise JobFileError(path, ["a job file is a .csv or a .json list"])


def _csv_rows(path: Path, text: str) -> list[Row]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[Row] = []
    header: list[str] | None = None
    problems = []
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if header is None:
                header = [c.strip() for c in cells]
                continue
            if len(cells) != len(header):
                problems.append(
                    f"row {reader.line_num}: malformed CSV, {len(cells)} cells "
                    f"but the header has {len(header)} columns"
                )
                continue
            rows.append((reader.line_num, dict(zip(header, cells, strict=True))))
    except csv.Error as exc:
        problems.append(f"row {reader.line_num}: malformed CSV ({exc})")
    if header is None and not problems:
        problems.append("no header row and no jobs")
    if problems:
        raise JobFileError(path, problems)
    return rows


def _json_rows(path: Path, text: str) -> list[Row]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JobFileError(
            path, [f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"]
        ) from None
    if isinstance(data, dict) and isinstance(data.get("jobs"), list):
        data = data["jobs"]
    if not isinstance(data, list):
        raise JobFileError(path, ["a JSON job file is a list of jobs (objects)"])
    bad = [
        f"row {i}: a job is an object of column → value, got {type(item).__name__}"
        for i, item in enumerate(data, start=1)
        if not isinstance(item, dict)
    ]
    if bad:
        raise JobFileError(path, bad)
    return [(i, item) for i, item in enumerate(data, start=1)]


# ----------------------------------------------------------------------------- parsing


def parse_jobs(path: Path, rows: list[Row]) -> tuple[list[Job], list[str]]:
    """Each row → a :class:`Job`; also returns every problem found (one line each)."""
    known = columns()
    problems: list[str] = []
    written = {name for _, cells in rows for name in cells}
    aliases: dict[str, str] = {}
    for name in sorted(written):
        key = _column(name)
        if key not in known:
            near = difflib.get_close_matches(key, list(known), n=1)
            hint = f"; did you mean '{near[0]}'?" if near else ""
            problems.append(f"unknown column '{name}'{hint}")
        aliases[name] = key
    canonical: dict[str, list[str]] = {}
    for name, key in aliases.items():
        if key in known:
            target = key if known[key] is None else known[key].name  # type: ignore[union-attr]
            canonical.setdefault(target, []).append(name)
    for target, names in canonical.items():
        if len(names) > 1:
            problems.append(f"columns {' and '.join(repr(n) for n in names)} both set {target}")
    if problems:
        return [], problems
    jobs = []
    base = path.resolve().parent
    for row, cells in rows:
        values: dict[str, Any] = {}
        for name, value in cells.items():
            option = known[aliases[name]]
            if not _blank(value):
                values[aliases[name] if option is None else option.name] = value
        job, found = _parse_row(row, values, base, known)
        problems += found
        if job is not None:
            jobs.append(job)
    return jobs, problems


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _parse_row(
    row: int, values: dict[str, Any], base: Path, known: Mapping[str, RequestOption | None]
) -> tuple[Job | None, list[str]]:
    """One row's values (by field name) → its job, or the row's problems (each naming the
    field, also where the column was written as a flag: ``textures`` → ``texture_folder``)."""
    problems: list[str] = []

    def bad(name: str, problem: str) -> None:
        problems.append(f"row {row}, field '{name}': {problem}")

    for name in REQUIRED:
        if name not in values:
            bad(name, "missing")
    scene = out = None
    if "scene" in values:
        scene = _path(values["scene"], base, None, "scene", bad)
        if scene is not None and not scene.is_file():
            bad("scene", f"{scene} does not exist")
            scene = None
    if "out" in values:
        out = _path(values["out"], base, None, "out", bad)
        if out is not None and out.suffix.lower() != ".blend":
            bad("out", f"{out} is not a .blend file name")
            out = None
    face, armature = (_text(values.get(n), n, bad) for n in ("face", "armature"))
    demo = False
    if "demo_timeline" in values:
        try:
            demo = parse_bool(values["demo_timeline"])
        except ValueError as exc:
            bad("demo_timeline", str(exc))
    given: dict[str, Any] = {}
    for name, raw in values.items():
        option = known.get(name)
        if option is None:
            continue
        value: Any
        if option.parse is Path:
            value = _path(raw, base, scene, name, bad)
            if value is None:
                continue
            if name not in OUTPUT_FIELDS and not value.exists():
                bad(name, f"{value} does not exist")
                continue
        else:
            try:
                value = _option_value(option, raw)
            except ValueError as exc:
                bad(name, str(exc))
                continue
        try:
            BakeRequest(**{name: value})
        except InputError as exc:
            bad(name, exc.problem)
            continue
        given[name] = value
    if demo and "source" in values:
        bad("source", "give a source or demo_timeline = true, not both")
    elif not demo and "source" not in values:
        problems.append(
            f"row {row}: give a source (photo, image sequence or video) or demo_timeline = true"
        )
    if problems or scene is None or out is None or face is None or armature is None:
        return None, problems
    given.setdefault("texture_folder", default_texture_folder(out, face))
    try:
        request = BakeRequest(**given)
    except InputError as exc:
        return None, [f"row {row}: {exc.problem}"]
    # A field whose text the request itself turns into a path (a name or a file) is read
    # against the same folders as the path columns above.
    request = request.with_paths(lambda p: _absolute(p, base, scene))
    for f in dataclasses.fields(request):
        value = getattr(request, f.name)
        parsed_as_path = (option := known.get(f.name)) is not None and option.parse is Path
        if isinstance(value, Path) and not parsed_as_path and not value.exists():
            bad(f.name, f"{value} does not exist")
    if problems:
        return None, problems
    return Job(row, scene, face, armature, out, demo, request), []


def _absolute(path: Path, base: Path, scene: Path) -> Path:
    text = str(path)
    if text.startswith("//"):
        return (scene.parent / text[2:]).resolve()
    return (base / path).resolve()


def default_texture_folder(out: Path, face: str) -> Path:
    """The single bake's default, ``moodrig-textures/<out stem>/<face>/`` beside the output
    .blend (``core/outputs.py``): one folder per output, so jobs that bake the same face of the
    same scene never share one, and never a name that shadows a Python module."""
    return outputs.default_texture_folder(out, face, out.parent)


def parse_bool(value: Any) -> bool:
    """A JSON bool or true/false, yes/no, 1/0, on/off (an empty cell is false)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValueError(f"not true or false: {value!r}")


def _option_value(option: RequestOption, raw: Any) -> Any:
    """A cell's value for a request field: text goes through the field's own parser (as the
    ``bake`` flag's would); a JSON number, bool or object is taken as it is."""
    if option.parse is None:
        return parse_bool(raw)
    if not isinstance(raw, str):
        return raw
    try:
        return option.parse(raw.strip())
    except ValueError:
        kind = getattr(option.parse, "__name__", "value")
        noun = {"int": "a whole number", "float": "a number"}.get(kind, kind)
        raise ValueError(f"not {noun}: {raw!r}") from None


def _text(value: Any, name: str, bad: Callable[[str, str], None]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        bad(name, f"an object name is text, got {value!r}")
        return None
    return value.strip()


def _path(
    value: Any, base: Path, scene: Path | None, name: str, bad: Callable[[str, str], None]
) -> Path | None:
    """Absolute path of a cell: ``//x`` is read against the scene's folder (None: not known
    yet, the scene is itself being read), anything else against ``base``."""
    if not isinstance(value, str):
        bad(name, f"a path is text, got {value!r}")
        return None
    text = value.strip()
    if text.startswith("//") and scene is None:
        bad(name, "a //-relative path needs a valid scene")
        return None
    return _absolute(Path(os.path.expanduser(text)), base, scene or base)
