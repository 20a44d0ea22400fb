"""Shape-key faces: which shape keys the expression track drives, and by how much.

A face that is a mesh animated by shape keys (ARKit-52 capture rigs, VRM/VRoid avatars, game
characters with geometry eyes and brows) is keyed from the same per-frame expression track
as the textures and the body. A mapping is a list of rows ``(shape key, entry, weight)``; a
key's value at a frame is ``clamp(Σ weight · entry, 0, 1)`` over its rows, where an entry is
one of :data:`ENTRIES` (the 8 shared expression values and the 6 per-side values of
``core/detail.py``). Keys without a row are never touched.

Three conventions ship as tables (:data:`CONVENTIONS`, documented in docs/shapekeys.md):
ARKit-52, VRM 0.x (with VRoid Studio's ``Fcl_`` names) and VRM 1.0. A convention is detected
from a mesh's key names (:func:`detect`); names are matched case- and separator-insensitively,
with any prefix ending at a separator (``Face.M_F00_000_00_Fcl_EYE_Close_L``,
``ARKit_eyeBlinkLeft``), ``L``/``R`` for ``Left``/``Right`` and Blender's ``.001`` suffix.
Mappings are saved and loaded as small JSON files (:func:`load_map`, :func:`save_map`).

Standard library at import: ``core/request.py`` imports this module while the add-on
registers, before numpy may be installed; numpy is imported by the functions that need it.
"""

from __future__ import annotations

import functools
import json
import math
import numbers
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError
from .fileio import atomic_write_text

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from .track import ExpressionTrack

ENTRIES: tuple[str, ...] = (
    "jaw_open",
    "smile",
    "frown",
    "brow_raise",
    "brow_furrow",
    "eye_close_l",
    "eye_close_r",
    "eye_wide",
    "smile_l",
    "smile_r",
    "frown_l",
    "frown_r",
    "brow_raise_l",
    "brow_raise_r",
)
"""What a row can read: the 8 expression values (order of ``core.expression.EXPRESSION_NAMES``)
then the per-side smile, frown and brow raise of ``core.detail`` (the character's own left and
right). Without per-side analysis both sides take the shared value."""
WEIGHT_LIMIT = 10.0
"""A row's weight lies in [-WEIGHT_LIMIT, WEIGHT_LIMIT]; negative weights subtract (a frown
without a furrowed brow reads as sorrow)."""
FORMAT = "moodrig-shape-key-map"
"""The ``format`` field of a mapping file."""
VERSION = 1
"""The mapping-file version this module writes and the newest it reads."""
RECOGNISED_MIN = 3
"""Keys of one convention a mesh needs before ``face_output="auto"`` keys its shape keys."""
FACE_OUTPUTS: tuple[str, ...] = ("auto", "texture", "shapekeys", "both")
"""Where the expression track shows on the face (``BakeRequest.face_output``): ``auto`` keys
the shape keys when the mesh has a recognised set (:data:`RECOGNISED_MIN` keys of a convention,
or a mapping of its own), else repaints the texture."""


# ----------------------------------------------------------------------------- mappings


@dataclass(frozen=True)
class ShapeKeyRow:
    """One term of a shape key's value: ``weight`` times the track's ``entry``."""

    key: str
    """Shape-key name: the mesh's own, or a convention's name matched to the mesh's variant."""
    entry: str
    """One of :data:`ENTRIES`."""
    weight: float = 1.0
    """Factor in [-WEIGHT_LIMIT, WEIGHT_LIMIT]."""

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not self.key.strip():
            raise ValueError(f"a shape-key name must be a non-empty string, got {self.key!r}")
        if self.entry not in ENTRIES:
            raise ValueError(
                f"unknown expression entry {self.entry!r}; use one of {', '.join(ENTRIES)}"
            )
        w = self.weight
        if (
            isinstance(w, bool)
            or not isinstance(w, numbers.Real)
            or not math.isfinite(w)
            or abs(w) > WEIGHT_LIMIT
        ):
            raise ValueError(
                f"the weight of '{self.key}' must be a number in "
                f"[-{WEIGHT_LIMIT:g}, {WEIGHT_LIMIT:g}], got {w!r}"
            )
        object.__setattr__(self, "weight", float(w))


@dataclass(frozen=True)
class ShapeKeyMap:
    """A mapping: rows summed per key. ``convention`` says where the rows came from."""

    rows: tuple[ShapeKeyRow, ...]
    convention: str = "custom"

    def __post_init__(self) -> None:
        object.__setattr__(self, "rows", tuple(self.rows))
        if not all(isinstance(r, ShapeKeyRow) for r in self.rows):
            raise ValueError("a shape-key map holds ShapeKeyRow values")

    def keys(self) -> tuple[str, ...]:
        """The keyed shape keys, in row order, each once."""
        return tuple(dict.fromkeys(r.key for r in self.rows))


@dataclass(frozen=True)
class ResolvedMap:
    """A mapping matched to one mesh: rows name the mesh's own keys."""

    convention: str
    rows: tuple[ShapeKeyRow, ...]
    missing: tuple[str, ...]
    """Keys of the mapping the mesh does not have (listed to the user, never keyed)."""

    def keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.key for r in self.rows))


# ----------------------------------------------------------------------------- conventions


@dataclass(frozen=True)
class KeySpec:
    """One key of a convention: its name, what drives it, and its other names."""

    name: str
    terms: tuple[tuple[str, float], ...] = ()
    """(entry, weight) pairs; empty: recognised (for detection), never keyed."""
    aliases: tuple[str, ...] = ()
    """Other names of the same key (VRoid Studio's ``Fcl_`` names), preferred over a bare
    suffix match."""
    unless: tuple[str, ...] = ()
    """Not keyed when the mesh has all of these keys of the convention (VRM's both-eyes
    ``Blink`` stays still when ``Blink_L`` and ``Blink_R`` close each eye)."""


@dataclass(frozen=True)
class Convention:
    name: str
    label: str
    keys: tuple[KeySpec, ...]

    def driven(self) -> tuple[KeySpec, ...]:
        return tuple(k for k in self.keys if k.terms)


def _sided(stem: str, entry_l: str, entry_r: str, weight: float = 1.0) -> tuple[KeySpec, ...]:
    return (
        KeySpec(f"{stem}Left", ((entry_l, weight),)),
        KeySpec(f"{stem}Right", ((entry_r, weight),)),
    )


# fmt: off
_ARKIT_UNDRIVEN = (
    "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft", "eyeLookUpLeft", "eyeSquintLeft",
    "eyeLookDownRight", "eyeLookInRight", "eyeLookOutRight", "eyeLookUpRight", "eyeSquintRight",
    "jawForward", "jawLeft", "jawRight", "mouthClose", "mouthFunnel", "mouthPucker", "mouthLeft",
    "mouthRight", "mouthDimpleLeft", "mouthDimpleRight", "mouthStretchLeft", "mouthStretchRight",
    "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper", "mouthPressLeft",
    "mouthPressRight", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthUpperUpLeft",
    "mouthUpperUpRight", "cheekPuff", "noseSneerLeft", "noseSneerRight", "tongueOut",
)
# fmt: on

ARKIT = Convention(
    "arkit",
    "ARKit-52",
    (
        KeySpec("jawOpen", (("jaw_open", 1.0),)),
        *_sided("mouthSmile", "smile_l", "smile_r"),
        *_sided("mouthFrown", "frown_l", "frown_r"),
        KeySpec("browInnerUp", (("brow_raise", 1.0),)),
        *_sided("browOuterUp", "brow_raise_l", "brow_raise_r"),
        *_sided("browDown", "brow_furrow", "brow_furrow"),
        *_sided("eyeBlink", "eye_close_l", "eye_close_r"),
        *_sided("eyeWide", "eye_wide", "eye_wide"),
        *_sided("cheekSquint", "smile_l", "smile_r", 0.5),
        *(KeySpec(name) for name in _ARKIT_UNDRIVEN),
    ),
)
"""Apple ARKit's 52 blendshapes: 16 keyed, the other 36 (gaze, visemes, cheek puff…) left
untouched. Left/Right are the subject's own, as in moodrig's per-side entries."""

_BLINK = (("eye_close_l", 0.5), ("eye_close_r", 0.5))
_JOY = (("smile", 1.0),)
_ANGRY = (("brow_furrow", 0.6), ("frown", 0.4))
_SORROW = (("frown", 1.0), ("brow_furrow", -1.0))
_SURPRISED = (("eye_wide", 0.5), ("brow_raise", 0.5))

VRM0 = Convention(
    "vrm0",
    "VRM 0.x",
    (
        KeySpec("A", (("jaw_open", 1.0),), ("Fcl_MTH_A",)),
        KeySpec("I", (), ("Fcl_MTH_I",)),
        KeySpec("U", (), ("Fcl_MTH_U",)),
        KeySpec("E", (), ("Fcl_MTH_E",)),
        KeySpec("O", (), ("Fcl_MTH_O",)),
        KeySpec("Blink", _BLINK, ("Fcl_EYE_Close",), unless=("Blink_L", "Blink_R")),
        KeySpec("Blink_L", (("eye_close_l", 1.0),), ("Fcl_EYE_Close_L",)),
        KeySpec("Blink_R", (("eye_close_r", 1.0),), ("Fcl_EYE_Close_R",)),
        KeySpec("Joy", _JOY, ("Fcl_ALL_Joy",)),
        KeySpec("Angry", _ANGRY, ("Fcl_ALL_Angry",)),
        KeySpec("Sorrow", _SORROW, ("Fcl_ALL_Sorrow",)),
        KeySpec("Fun", (), ("Fcl_ALL_Fun",)),
        KeySpec("Surprised", _SURPRISED, ("Fcl_ALL_Surprised",)),
    ),
)
"""VRM 0.x blend-shape presets; the aliases are the VRoid Studio mesh keys its presets bind
(``Fcl_ALL_Joy`` for Joy…). The vowels I/U/E/O and Fun are recognised but not keyed: moodrig
reads no visemes, and Fun is a second smile that would stack on Joy."""

VRM1 = Convention(
    "vrm1",
    "VRM 1.0",
    (
        KeySpec("aa", (("jaw_open", 1.0),)),
        KeySpec("ih"),
        KeySpec("ou"),
        KeySpec("ee"),
        KeySpec("oh"),
        KeySpec("blink", _BLINK, unless=("blinkLeft", "blinkRight")),
        KeySpec("blinkLeft", (("eye_close_l", 1.0),)),
        KeySpec("blinkRight", (("eye_close_r", 1.0),)),
        KeySpec("happy", _JOY),
        KeySpec("angry", _ANGRY),
        KeySpec("sad", _SORROW),
        KeySpec("relaxed"),
        KeySpec("surprised", _SURPRISED),
    ),
)
"""VRM 1.0 expression presets, keyed as their VRM 0.x counterparts."""

CONVENTIONS: dict[str, Convention] = {c.name: c for c in (ARKIT, VRM0, VRM1)}
"""Shipped conventions by name; detection breaks ties in this order."""


# ----------------------------------------------------------------------------- name matching

_SEPARATORS = "._- :|/"
_DUPLICATE = re.compile(r"\.\d{3,}$")
_SIDE = re.compile(r"[._\- ]([LR])$")


def _normal(name: str) -> str:
    return "".join(c for c in name.lower() if c.isalnum())


@functools.lru_cache(maxsize=4096)
def name_forms(name: str) -> frozenset[str]:
    """Every spelling a name stands for: lower case without separators, Blender's ``.001``
    dropped, and ``Left``/``Right`` ↔ ``_L``/``_R``."""
    name = _DUPLICATE.sub("", name.strip())
    base = _normal(name)
    forms = {base}
    side = _SIDE.search(name)
    if side:
        forms.add(base[:-1] + ("left" if side.group(1) == "L" else "right"))
    for word, letter in (("left", "l"), ("right", "r")):
        if base.endswith(word) and len(base) > len(word):
            forms.add(base[: -len(word)] + letter)
    return frozenset(forms)


@functools.lru_cache(maxsize=4096)
def _suffixes(name: str) -> tuple[tuple[frozenset[str], int], ...]:
    """(forms, prefix length) of the name itself, then of what follows each separator."""
    out = [(name_forms(name), 0)]
    for i, c in enumerate(name):
        if c in _SEPARATORS and i + 1 < len(name):
            out.append((name_forms(name[i + 1 :]), i + 1))
    return tuple(out)


def _score(key: str, wanted: str, aliases: Sequence[str]) -> tuple[int, int, int] | None:
    """How well mesh key ``key`` stands for ``wanted`` (higher is better), or None. One name
    must equal the other with a prefix dropped (``Face.M_F00_000_00_Fcl_MTH_A`` ~
    ``Fcl_MTH_A``); the score prefers exact names, then the longest name matched, then the
    shortest prefix."""
    best: tuple[int, int, int] | None = None
    key_forms = name_forms(key)
    for name in (wanted, *aliases):
        exact = int(key == name)
        forms = name_forms(name)
        hits = [(len(_normal(name)), -prefix) for f, prefix in _suffixes(key) if f & forms]
        hits += [(len(_normal(key)), -prefix) for f, prefix in _suffixes(name) if f & key_forms]
        for length, prefix in hits:
            score = (exact, length, prefix)
            best = score if best is None or score > best else best
    return best


def match_keys(
    mesh_keys: Sequence[str], wanted: Sequence[tuple[str, Sequence[str]]]
) -> dict[str, str]:
    """Wanted name → the mesh key that stands for it (exact names first, then the longest
    name or alias matched, then the shortest prefix); each mesh key serves one wanted name."""
    scored = []
    for w, (name, aliases) in enumerate(wanted):
        for k, key in enumerate(mesh_keys):
            score = _score(key, name, aliases)
            if score is not None:
                scored.append((score, -w, -k, name, key))
    out: dict[str, str] = {}
    used: set[str] = set()
    for *_rank, name, key in sorted(scored, reverse=True):
        if name not in out and key not in used:
            out[name] = key
            used.add(key)
    return out


# ----------------------------------------------------------------------------- resolving


@dataclass(frozen=True)
class Detection:
    convention: str
    matched: int
    """Keys of the convention (keyed or not) found on the mesh."""


def detect(mesh_keys: Sequence[str]) -> Detection | None:
    """The convention with the most keys on the mesh (ties: order of :data:`CONVENTIONS`),
    or None when no key of any convention is there."""
    best: Detection | None = None
    for conv in CONVENTIONS.values():
        n = len(match_keys(mesh_keys, [(k.name, k.aliases) for k in conv.keys]))
        if n and (best is None or n > best.matched):
            best = Detection(conv.name, n)
    return best


def convention_map(name: str) -> ShapeKeyMap:
    """A convention's table as rows in its own key names (``unless`` not applied)."""
    conv = _convention(name)
    return ShapeKeyMap(
        tuple(ShapeKeyRow(k.name, e, w) for k in conv.driven() for e, w in k.terms), conv.name
    )


def mapping_for(name: str, mesh_keys: Sequence[str]) -> ResolvedMap:
    """A convention's table matched to a mesh's keys."""
    conv = _convention(name)
    found = match_keys(mesh_keys, [(k.name, k.aliases) for k in conv.keys])
    rows: list[ShapeKeyRow] = []
    missing: list[str] = []
    for spec in conv.driven():
        if spec.unless and all(u in found for u in spec.unless):
            continue
        if spec.name not in found:
            missing.append(spec.name)
            continue
        rows.extend(ShapeKeyRow(found[spec.name], e, w) for e, w in spec.terms)
    return ResolvedMap(conv.name, tuple(rows), tuple(missing))


def resolve(mapping: ShapeKeyMap, mesh_keys: Sequence[str]) -> ResolvedMap:
    """A mapping's rows matched to a mesh: the exact key when it exists, else its variant
    (a mapping saved from one VRoid avatar fits another)."""
    names = mapping.keys()
    exact = {n: n for n in names if n in mesh_keys}
    rest = [n for n in names if n not in exact]
    free = [k for k in mesh_keys if k not in exact.values()]
    found = {**exact, **match_keys(free, [(n, ()) for n in rest])}
    rows = tuple(
        ShapeKeyRow(found[r.key], r.entry, r.weight) for r in mapping.rows if r.key in found
    )
    missing = tuple(n for n in names if n not in found)
    return ResolvedMap(mapping.convention, rows, missing)


def choose_mapping(
    mesh_keys: Sequence[str], requested: ShapeKeyMap | str | None
) -> ResolvedMap | None:
    """The mapping a bake uses: ``requested`` (a map, or a convention name) matched to the mesh;
    None requested: the detected convention's, or None when the mesh has none."""
    if isinstance(requested, ShapeKeyMap):
        return resolve(requested, mesh_keys)
    if isinstance(requested, str):
        return mapping_for(requested, mesh_keys)
    found = detect(mesh_keys)
    return None if found is None else mapping_for(found.convention, mesh_keys)


def recognised(resolved: ResolvedMap | None, requested: ShapeKeyMap | str | None) -> bool:
    """Whether ``face_output="auto"`` keys the shape keys: a mapping the user gave that finds a
    key, or a detected convention with :data:`RECOGNISED_MIN` keys keyed."""
    if resolved is None or not resolved.rows:
        return False
    return requested is not None or len(resolved.keys()) >= RECOGNISED_MIN


def face_outputs(choice: str, is_recognised: bool) -> tuple[bool, bool]:
    """(texture, shape keys) for a ``face_output`` choice (:data:`FACE_OUTPUTS`)."""
    if choice not in FACE_OUTPUTS:
        raise ValueError(f"unknown face output {choice!r}; use one of {', '.join(FACE_OUTPUTS)}")
    if choice == "auto":
        return (not is_recognised, is_recognised)
    return (choice in ("texture", "both"), choice in ("shapekeys", "both"))


def _convention(name: str) -> Convention:
    if name not in CONVENTIONS:
        raise InputError(
            None, f"unknown shape-key convention '{name}'; use one of {', '.join(CONVENTIONS)}"
        )
    return CONVENTIONS[name]


# ----------------------------------------------------------------------------- values


def entry_values(track: ExpressionTrack) -> NDArray[np.float64]:
    """(N, len(ENTRIES)) values of every entry per frame: the 8 shared values, then the
    per-side ones from the track's details (or the shared values when it has none)."""
    import numpy as np

    from .detail import DETAIL_INDEX

    details = track.detail_vectors()
    sided = [DETAIL_INDEX[name] for name in ENTRIES[8:]]
    out: NDArray[np.float64] = np.concatenate(
        [track.expressions.astype(np.float64), details[:, sided].astype(np.float64)], axis=1
    )
    return out


def key_curves(
    rows: Sequence[ShapeKeyRow], values: NDArray[np.float64]
) -> dict[str, NDArray[np.float32]]:
    """Per keyed shape key, its (N,) values: clamp(Σ weight · entry, 0, 1)."""
    import numpy as np

    index = {name: i for i, name in enumerate(ENTRIES)}
    sums: dict[str, NDArray[np.float64]] = {}
    for row in rows:
        term = row.weight * values[:, index[row.entry]]
        sums[row.key] = sums[row.key] + term if row.key in sums else term
    return {k: np.clip(v, 0.0, 1.0).astype(np.float32) for k, v in sums.items()}


def shape_key_curves(
    rows: Sequence[ShapeKeyRow], track: ExpressionTrack
) -> dict[str, NDArray[np.float32]]:
    """The shape-key curves of a track under a mapping's rows."""
    return key_curves(rows, entry_values(track))


def lag_peak(
    reference: NDArray[np.floating[Any]], signal: NDArray[np.floating[Any]], max_lag: int
) -> tuple[float, int]:
    """(peak correlation, lag) over |lag| ≤ ``max_lag``: the Pearson correlation of
    ``signal[t + lag]`` with ``reference[t]`` over their overlap (each overlap normalised on
    its own, so a smooth curve does not favour a shifted copy of itself); ties go to the
    smaller lag. NaN when either curve is flat."""
    import numpy as np

    ref = np.asarray(reference, dtype=np.float64)
    sig = np.asarray(signal, dtype=np.float64)
    n = min(len(ref), len(sig))
    best, best_lag = -math.inf, 0
    for lag in sorted(range(-max_lag, max_lag + 1), key=abs):
        a = ref[: n - lag] if lag >= 0 else ref[-lag:n]
        b = sig[lag:n] if lag >= 0 else sig[: n + lag]
        if len(a) < 3 or a.std() < 1e-9 or b.std() < 1e-9:
            continue
        r = float(np.mean((a - a.mean()) * (b - b.mean())) / (a.std() * b.std()))
        if r > best + 1e-9:
            best, best_lag = r, lag
    return (best, best_lag) if math.isfinite(best) else (math.nan, 0)


def shape_key_sync(
    expected: Mapping[str, NDArray[np.floating[Any]]],
    written: Mapping[str, NDArray[np.floating[Any]]],
    fps: float,
    max_lag_s: float = 1.0,
) -> dict[str, Any]:
    """How the written curves follow the track: per key, the correlation peak and its lag
    (frames; > 0: the keys come late) against the values the track asks for
    (:func:`lag_peak`), read from the keys as written, as the body's yaw → look lag is. The
    figures: the worst lag, the lowest peak, the largest value error (None: a curve of the
    wrong length); flat keys have no lag to measure and count only in the error."""
    import numpy as np

    max_lag = max(1, round(max_lag_s * fps))
    lags: list[int] = []
    peaks: list[float] = []
    error = 0.0
    for key, want in expected.items():
        got = np.asarray(written.get(key, np.zeros(0)), dtype=np.float64)
        want = np.asarray(want, dtype=np.float64)
        if got.shape != want.shape:
            error = math.inf
            continue
        error = max(error, float(np.abs(got - want).max(initial=0.0)))
        peak, lag = lag_peak(want, got, max_lag)
        if math.isfinite(peak):
            lags.append(lag)
            peaks.append(peak)
    return {
        "shape_key_lag": max(lags, key=abs) if lags else None,
        "shape_key_xcorr_peak": min(peaks) if peaks else None,
        "shape_key_max_error": error if math.isfinite(error) else None,
        "shape_keys_keyed": len(expected),
        "shape_keys_measured": len(lags),
    }


# ----------------------------------------------------------------------------- JSON


def map_to_dict(mapping: ShapeKeyMap) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "convention": mapping.convention,
        "rows": [{"key": r.key, "entry": r.entry, "weight": r.weight} for r in mapping.rows],
    }


def save_map(mapping: ShapeKeyMap, path: str | Path) -> Path:
    """Write a mapping file (see :func:`map_from_dict` for the format)."""
    return atomic_write_text(path, json.dumps(map_to_dict(mapping), indent=1) + "\n")


def load_map(path: str | Path) -> ShapeKeyMap:
    """Read a mapping file; any problem raises :class:`InputError` naming the file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(p, f"cannot read the shape-key map ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise InputError(p, "the shape-key map is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InputError(p, f"the shape-key map is not valid JSON ({exc})") from None
    try:
        return map_from_dict(data)
    except ValueError as exc:
        raise InputError(p, str(exc)) from None


def map_from_dict(data: Any) -> ShapeKeyMap:
    """``{"format": "moodrig-shape-key-map", "version": 1, "convention": "arkit",
    "rows": [{"key": "jawOpen", "entry": "jaw_open", "weight": 1.0}, …]}``; ``convention`` and
    each ``weight`` (default 1) are optional. Raises ValueError naming the bad field."""
    if not isinstance(data, dict):
        raise ValueError("a shape-key map is a JSON object with 'format', 'version' and 'rows'")
    if data.get("format") != FORMAT:
        raise ValueError(f"'format' must be \"{FORMAT}\", got {data.get('format')!r}")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"'version' must be a whole number ≥ 1, got {version!r}")
    if version > VERSION:
        raise ValueError(
            f"version {version} is newer than this moodrig reads ({VERSION}); update moodrig"
        )
    rows = data.get("rows")
    if not isinstance(rows, list):
        raise ValueError('\'rows\' must be a list of {"key", "entry", "weight"} objects')
    convention = data.get("convention", "custom")
    if not isinstance(convention, str):
        raise ValueError(f"'convention' must be a string, got {convention!r}")
    out = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or not {"key", "entry"} <= set(row):
            raise ValueError(f"rows[{i}] must be an object with 'key' and 'entry'")
        unknown = set(row) - {"key", "entry", "weight"}
        if unknown:
            raise ValueError(f"rows[{i}] has unknown field(s) {sorted(unknown)}")
        try:
            out.append(ShapeKeyRow(row["key"], row["entry"], row.get("weight", 1.0)))
        except ValueError as exc:
            raise ValueError(f"rows[{i}]: {exc}") from None
    return ShapeKeyMap(tuple(out), convention)
