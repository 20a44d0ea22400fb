"""Bone maps: which bone of a rig plays each bone role, found by name and hierarchy.

:func:`auto_map` reads a rig's bone names and parents (and, optionally, rest head positions)
and maps each role of ``BONE_ROLES`` for the naming conventions users bring: Rigify generated
rigs (FK controls preferred, ``DEF-``/``ORG-`` bones as a fallback, ``MCH-`` never), Mixamo
(``mixamorig:``, ``mixamorig1:`` or no prefix), VRM/VRoid (``J_Bip_C_Hips`` …), the Unreal
mannequin (``pelvis``, ``spine_01``, ``upperarm_l`` …), Blender's Human metarig (``spine``,
``spine.001`` …, ``upper_arm.L``), 3ds Max Biped (``Bip01 L UpperArm``) and plain names
(``Head``, ``LeftArm``, ``Arm.L``, ``arm_l``, ``UpperArm_L``, ``L_Thigh`` …). Names are compared
case- and separator-insensitively after splitting camelCase; the side comes from an ``L``/``R``/
``Left``/``Right`` word anywhere in the name (prefix or suffix, any separator), else from the
head position (x > 0 is the character's left in Blender's convention).

The hierarchy settles what names cannot: the hips are the common ancestor of the legs and the
spine, the chest is where the arms attach, the spine and neck are the first bones of the chain
between them, a ``wrist`` above a ``hand`` plays the hand, and a missing forearm or hand is the
next bone of the arm chain.

Each role gets a status: ``auto`` (found by a name or an unambiguous hierarchy rule),
``doubtful`` (picked among several candidates, by position only, or out of chain order),
``manual`` (given by the user) or ``unmapped``.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import MoodrigError
from .fileio import atomic_write_text
from .rig import BONE_MAP_PRESETS, BONE_ROLES

AUTO, DOUBTFUL, MANUAL, UNMAPPED = "auto", "doubtful", "manual", "unmapped"
BONE_MAP_FORMAT = "moodrig.bonemap/1"
"""``format`` field of a bone map file; the number is the format version."""

_CENTRE = ("hips", "spine", "chest", "neck", "head")
_LIMB = ("shoulder", "upper_arm", "forearm", "hand", "thigh", "shin", "foot")

_STEMS: dict[str, tuple[str, int]] = {}
"""Joined lower-case stem → (role base, rank); a lower rank is a more specific name."""
for _base, _names in {
    "hips": ("hips", "hip", "pelvis"),
    "spine": ("spine", "waist", "abdomen", "abdomenlower", "abdomenupper", "torsolower"),
    "chest": ("chest", "upperchest", "chestlower", "chestupper", "ribcage", "thorax"),
    "neck": ("neck", "necklower", "neckupper"),
    "head": ("head",),
    "shoulder": ("shoulder", "clavicle", "collar", "collarbone", "clav"),
    "upper_arm": ("upperarm", "uparm", "shldr", "humerus", "arm"),
    "forearm": ("forearm", "lowerarm", "loarm", "elbow", "ulna"),
    "hand": ("hand", "wrist"),
    "thigh": ("thigh", "upperleg", "upleg", "femur", "leg"),
    "shin": ("shin", "calf", "lowerleg", "loleg", "knee", "tibia", "crus"),
    "foot": ("foot", "ankle"),
}.items():
    for _rank, _stem in enumerate(_names):
        _STEMS[_stem] = (_base, _rank)

_REJECT = frozenset(
    {
        "ik",
        "pole",
        "target",
        "tweak",
        "twist",
        "roll",
        "end",
        "tip",
        "top",
        "nub",
        "helper",
        "mch",
        "control",
        "socket",
        "slot",
        "jiggle",
        "parent",
        "offset",
        "pivot",
        "aim",
        "lookat",
        "dummy",
        "null",
        "driver",
        "corrective",
        "vis",
        "wgt",
        "ref",
        "scale",
        "stretch",
        "bbone",
        "index",
        "middle",
        "ring",
        "pinky",
        "thumb",
        "finger",
        "toe",
        "ball",
        "heel",
        "eye",
        "jaw",
        "ear",
        "hair",
        "breast",
        "tail",
        "prop",
        "weapon",
        "shield",
    }
)
"""Words that mark a helper, IK, twist, end or finger bone: never a role."""
_DROP = frozenset(
    {
        "fk",
        "bone",
        "bn",
        "jnt",
        "joint",
        "ctrl",
        "ctl",
        "def",
        "org",
        "bend",
        "deform",
        "mixamorig",
        "c",
    }
)
"""Words that qualify a name without changing the body part it names."""
_PREFIX = re.compile(r"^(?:mixamorig\d*|bip\d+|character\d*|cc_base|rig)[ _:.\-]+", re.I)
_VRM = re.compile(r"^J_(Bip|Adj|Sec|Opt)_([CLR])_(.+)$", re.I)
_RIGIFY = re.compile(r"^(DEF|ORG|MCH|VIS|WGT)[-_.]", re.I)
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_SIDE_WORDS = {"l": "L", "left": "L", "r": "R", "right": "R"}


class BoneMapError(MoodrigError):
    """A bone map that cannot be used: bad file, unknown roles or bones, too few roles."""

    def __init__(self, path: str | Path | None, problem: str) -> None:
        self.path = None if path is None else str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}" if self.path else problem)


@dataclass(frozen=True)
class ParsedName:
    """What a bone name says.

    Attributes:
        name: the bone name.
        stem: lower-case words joined without side, index and qualifiers (``upperarm``).
        side: ``L``, ``R`` or None.
        index: the number in the name (``spine_01`` → 1, ``spine.001`` → 1), or None.
        prefix: ``def``, ``org`` (Rigify deform/original copies) or ``""``.
        fk: the name says FK (a Rigify FK control).
        rejected: a helper, IK, twist, end or finger bone that never plays a role.
    """

    name: str
    stem: str
    side: str | None
    index: int | None
    prefix: str
    fk: bool
    rejected: bool


def parse_name(name: str) -> ParsedName:
    """Split ``name`` into its stem, side, index and qualifiers."""
    rest = name.rsplit(":", 1)[-1].rsplit("|", 1)[-1]
    side: str | None = None
    rejected = False
    vrm = _VRM.match(rest)
    if vrm:
        rejected = vrm.group(1).lower() != "bip"
        side = {"L": "L", "R": "R"}.get(vrm.group(2).upper())
        rest = vrm.group(3)
    prefix = ""
    rig = _RIGIFY.match(rest)
    if rig:
        prefix = rig.group(1).lower()
        rejected |= prefix in ("mch", "vis", "wgt")
        rest = rest[rig.end() :]
    rest = _PREFIX.sub("", rest)
    words = [w.lower() for part in re.split(r"[\s._\-:|]+", rest) for w in _WORDS.findall(part)]
    sides = {_SIDE_WORDS[w] for w in words if w in _SIDE_WORDS}
    if len(sides) == 1 and side is None:
        side = sides.pop()
    index = None
    kept: list[str] = []
    for w in words:
        if w.isdigit():
            index = int(w)
        elif w in _SIDE_WORDS:
            continue
        elif w in _REJECT:
            rejected = True
        elif w not in _DROP:
            kept.append(w)
    return ParsedName(name, "".join(kept), side, index, prefix, "fk" in words, rejected)


@dataclass(frozen=True)
class RoleMatch:
    """One role's bone and how it was found.

    Attributes:
        role: the bone role.
        bone: the rig's bone, or None when unmapped.
        status: ``auto``, ``doubtful``, ``manual`` or ``unmapped``.
        reason: how the bone was found (for the report).
        candidates: other bones that could have played the role.
    """

    role: str
    bone: str | None
    status: str
    reason: str = ""
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True)
class BoneMapReport:
    """Every role's match, in ``BONE_ROLES`` order, and the names that collided.

    Attributes:
        matches: one :class:`RoleMatch` per role.
        convention: the naming convention recognised (``rigify``, ``mixamo`` …, ``names``).
        collisions: role → the equally good bones it could have taken.
    """

    matches: tuple[RoleMatch, ...]
    convention: str
    collisions: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def bone_map(self) -> dict[str, str]:
        """Role → bone for every mapped role."""
        return {m.role: m.bone for m in self.matches if m.bone is not None}

    def roles(self, status: str) -> tuple[str, ...]:
        """Roles with ``status``."""
        return tuple(m.role for m in self.matches if m.status == status)

    def lines(self) -> list[str]:
        """The report as text, one role per line, then the collisions."""
        out = [f"bone map ({self.convention}): {len(self.bone_map)} of {len(BONE_ROLES)} roles"]
        for m in self.matches:
            bone = m.bone if m.bone is not None else "-"
            why = f" ({m.reason})" if m.reason else ""
            out.append(f"  {m.role:12s} {bone:32s} {m.status}{why}")
        for role, bones in self.collisions.items():
            out.append(f"  collision: {role} could be any of {', '.join(bones)}")
        return out


class _Rig:
    """Names, parents and optional heads, with the hierarchy queries the mapper needs."""

    def __init__(
        self,
        names: Sequence[str],
        parents: Mapping[str, str | None],
        heads: Mapping[str, Any] | None,
    ) -> None:
        self.names = list(names)
        self.parent = {n: parents.get(n) for n in self.names}
        self.heads = {k: np.asarray(v, dtype=np.float64) for k, v in (heads or {}).items()}
        self.children: dict[str, list[str]] = {n: [] for n in self.names}
        for n, p in self.parent.items():
            if p is not None and p in self.children:
                self.children[p].append(n)
        self.parsed = {n: parse_name(n) for n in self.names}

    def ancestors(self, bone: str) -> list[str]:
        out, p, seen = [], self.parent.get(bone), {bone}
        while p is not None and p not in seen:
            out.append(p)
            seen.add(p)
            p = self.parent.get(p)
        return out

    def is_ancestor(self, a: str, b: str) -> bool:
        return a in self.ancestors(b)

    def depth(self, bone: str) -> int:
        return len(self.ancestors(bone))

    def path(self, top: str, bottom: str) -> list[str] | None:
        """Bones strictly between ``top`` and its descendant ``bottom``, top first."""
        anc = self.ancestors(bottom)
        if top not in anc:
            return None
        return list(reversed(anc[: anc.index(top)]))

    def lca(self, bones: Iterable[str]) -> str | None:
        common: list[str] | None = None
        for b in bones:
            chain = [b, *self.ancestors(b)]
            common = chain if common is None else [x for x in chain if x in common]
        return common[0] if common else None


def _priority(p: ParsedName, rank: int) -> tuple[int, int]:
    """Lower is better: FK control, plain, DEF copy, ORG copy; then the stem's rank."""
    tier = 0 if p.fk else {"": 1, "def": 2, "org": 3}.get(p.prefix, 4)
    return (tier, rank)


def _side_by_position(rig: _Rig, bone: str) -> str | None:
    h = rig.heads.get(bone)
    if h is None or abs(float(h[0])) < 1e-6:
        return None
    return "L" if h[0] > 0 else "R"


def _convention(rig: _Rig) -> str:
    names = rig.names
    if any(n.lower().startswith("mixamorig") for n in names) or {"Hips", "LeftUpLeg"} <= set(
        n.rsplit(":", 1)[-1] for n in names
    ):
        return "mixamo"
    if any(_VRM.match(n) for n in names):
        return "vrm"
    if any(_RIGIFY.match(n) for n in names) and any(rig.parsed[n].fk for n in names):
        return "rigify"
    if {"pelvis", "spine_01"} <= set(names):
        return "unreal"
    if {"spine", "spine.001", "upper_arm.L"} <= set(names):
        return "metarig"
    if any(re.match(r"^bip\d+", n, re.I) for n in names):
        return "biped"
    return "names"


class _Mapper:
    def __init__(self, rig: _Rig) -> None:
        self.rig = rig
        self.found: dict[str, RoleMatch] = {}
        self.collisions: dict[str, tuple[str, ...]] = {}
        # role base → side → [(priority, index, bone)]
        self.cands: dict[str, dict[str | None, list[tuple[tuple[int, int], int, str]]]] = {}
        self.by_position: set[str] = set()
        self.fixed: set[str] = set()
        for n in rig.names:
            p = rig.parsed[n]
            if p.rejected or p.stem not in _STEMS:
                continue
            base, rank = _STEMS[p.stem]
            side = p.side
            if base in _LIMB and side is None:
                side = _side_by_position(rig, n)
                if side is None:
                    continue
                self.by_position.add(n)
            if base in _CENTRE:
                side = None
            idx = -1 if p.index is None else p.index
            self.cands.setdefault(base, {}).setdefault(side, []).append(
                (_priority(p, rank), idx, n)
            )

    def pool(self, base: str, side: str | None = None) -> list[str]:
        """Candidates of a role base, best first (priority, then index, then depth)."""
        items = self.cands.get(base, {}).get(side, [])
        items = sorted(items, key=lambda t: (t[0], t[1], self.rig.depth(t[2]), t[2]))
        return [b for _, _, b in items]

    def best(self, base: str, side: str | None = None) -> tuple[list[str], list[str]]:
        """(equally good best bones, all candidates)."""
        items = self.cands.get(base, {}).get(side, [])
        if not items:
            return [], []
        top = min(t[0] for t in items)
        tied = [t for t in items if t[0] == top]
        low = min(t[1] for t in tied)
        tied = [t for t in tied if t[1] == low]
        return sorted((b for _, _, b in tied), key=lambda b: (self.rig.depth(b), b)), self.pool(
            base, side
        )

    def fix(self, role: str, bone: str, reason: str) -> None:
        """Settle ``role`` for good (a preset's bone): later rules leave it alone."""
        self.found[role] = RoleMatch(role, bone, AUTO, reason)
        self.fixed.add(role)

    def set(
        self, role: str, bone: str, status: str, reason: str, cands: Sequence[str] = ()
    ) -> None:
        if role in self.fixed:
            return
        others = tuple(c for c in cands if c != bone)
        if bone in self.by_position and status == AUTO:
            status, reason = DOUBTFUL, reason + "; side from position"
        self.found[role] = RoleMatch(role, bone, status, reason, others)

    def bone(self, role: str) -> str | None:
        """The bone found for ``role`` so far."""
        m = self.found.get(role)
        return None if m is None else m.bone

    # ------------------------------------------------------------------ limbs

    def limbs(self) -> None:
        rig = self.rig
        for side in ("L", "R"):
            for base in ("upper_arm", "forearm", "hand", "shoulder", "thigh", "shin", "foot"):
                self._limb(base, side)
            self._legs_named_leg(side)
            self._wrist_above_hand(side)
            self._fill_chain(side, ("shoulder", "upper_arm", "forearm", "hand"))
            self._fill_chain(side, ("thigh", "shin", "foot"))
            for chain in (("shoulder", "upper_arm", "forearm", "hand"), ("thigh", "shin", "foot")):
                roles = [f"{b}.{side}" for b in chain if f"{b}.{side}" in self.found]
                for a, b in itertools.pairwise(roles):
                    ma, mb = self.found[a], self.found[b]
                    if (
                        ma.bone
                        and mb.bone
                        and b not in self.fixed
                        and not rig.is_ancestor(ma.bone, mb.bone)
                    ):
                        self.found[b] = RoleMatch(
                            b, mb.bone, DOUBTFUL, f"not below {a} ({ma.bone})", mb.candidates
                        )

    def _limb(self, base: str, side: str) -> None:
        role = f"{base}.{side}"
        tied, allc = self.best(base, side)
        if base in ("upper_arm", "thigh"):
            # "arm"/"leg" are only a fallback: an explicit upper arm or thigh wins.
            explicit = [b for b in allc if self.rig.parsed[b].stem not in ("arm", "leg")]
            if explicit and tied and all(self.rig.parsed[b].stem in ("arm", "leg") for b in tied):
                tied, allc = self._best_of(explicit), allc
        if base == "shin":
            legs = [b for b in self.pool("thigh", side) if self.rig.parsed[b].stem == "leg"]
            thighs = [b for b in self.pool("thigh", side) if self.rig.parsed[b].stem != "leg"]
            below = [b for b in legs if any(self.rig.is_ancestor(t, b) for t in thighs)]
            if below and not tied:
                tied, allc = self._best_of(below), below
        if base == "thigh":
            shins = self.pool("shin", side)
            legs_above = [
                b
                for b in allc
                if self.rig.parsed[b].stem == "leg"
                and any(self.rig.is_ancestor(b, s) for s in shins)
            ]
            thighs = [b for b in allc if self.rig.parsed[b].stem != "leg"]
            if thighs:
                allc = [b for b in allc if self.rig.parsed[b].stem != "leg" or b in legs_above]
                tied = [b for b in tied if b in allc] or self._best_of(thighs)
        if base == "hand":
            tied = [b for b in tied if self.rig.parsed[b].stem == "hand"] or tied
        if not tied:
            return
        if len(tied) > 1:
            # Nested namesakes (DEF-upper_arm.L above DEF-upper_arm.L.001): the top one.
            tops = [b for b in tied if not any(self.rig.is_ancestor(o, b) for o in tied if o != b)]
            if len(tops) == 1:
                self.set(role, tops[0], AUTO, "name", allc)
                return
            self.collisions[role] = tuple(tied)
            self.set(role, tied[0], DOUBTFUL, f"chosen among {len(tied)} equal names", allc)
            return
        self.set(role, tied[0], AUTO, "name", allc)

    def _best_of(self, bones: Sequence[str]) -> list[str]:
        key = {
            b: (
                _priority(self.rig.parsed[b], _STEMS[self.rig.parsed[b].stem][1]),
                -1 if self.rig.parsed[b].index is None else self.rig.parsed[b].index,
            )
            for b in bones
        }
        top = min(key.values())
        return sorted((b for b in bones if key[b] == top), key=lambda b: (self.rig.depth(b), b))

    def _legs_named_leg(self, side: str) -> None:
        """Mixamo's ``LeftLeg`` below ``LeftUpLeg`` is the shin."""
        th, sh = self.found.get(f"thigh.{side}"), self.found.get(f"shin.{side}")
        if th is None or sh is not None or th.bone is None:
            return
        below = [
            b
            for b in self.pool("thigh", side)
            if self.rig.parsed[b].stem == "leg" and self.rig.is_ancestor(th.bone, b)
        ]
        if below:
            self.set(f"shin.{side}", below[0], AUTO, "leg below the thigh", below)

    def _wrist_above_hand(self, side: str) -> None:
        """A ``wrist`` bone directly above the ``hand`` bone turns the hand: it plays the hand."""
        m = self.found.get(f"hand.{side}")
        if m is None or m.bone is None:
            return
        wrists = [
            b
            for b in self.pool("hand", side)
            if self.rig.parsed[b].stem == "wrist" and self.rig.is_ancestor(b, m.bone)
        ]
        if wrists:
            self.set(f"hand.{side}", wrists[-1], AUTO, f"wrist above {m.bone}", [m.bone, *wrists])

    def _fill_chain(self, side: str, chain: Sequence[str]) -> None:
        """A role missing between two mapped ones is the bone between them; a missing last one
        is the next bone down the chain."""
        rig = self.rig
        roles = [f"{b}.{side}" for b in chain]
        for i, role in enumerate(roles):
            if role in self.found:
                continue
            above = next((self.found[r].bone for r in reversed(roles[:i]) if r in self.found), None)
            below = next((self.found[r].bone for r in roles[i + 1 :] if r in self.found), None)
            if above is None or i == 0:
                continue
            if below is not None:
                between = rig.path(above, below) or []
                between = [b for b in between if not rig.parsed[b].rejected]
                if len(between) == 1:
                    self.set(role, between[0], DOUBTFUL, "the bone between its neighbours")
                continue
            if i == len(roles) - 1 or not any(r in self.found for r in roles[i + 1 :]):
                kids = [c for c in rig.children.get(above, []) if not rig.parsed[c].rejected]
                if len(kids) == 1 and i == len(roles) - 1:
                    self.set(role, kids[0], DOUBTFUL, f"the bone below {above}")

    # ------------------------------------------------------------------ centre

    def centre(self) -> None:
        rig = self.rig
        thighs = [b for b in (self.bone("thigh.L"), self.bone("thigh.R")) if b is not None]
        arms = [
            b
            for b in (
                self.bone(r) for r in ("shoulder.L", "shoulder.R", "upper_arm.L", "upper_arm.R")
            )
            if b is not None
        ]
        head_t, head_all = self.best("head")
        head = (
            self.bone("head") if "head" in self.fixed else self._pick_one("head", head_t, head_all)
        )
        # Where the arms attach: the chest by structure.
        attach: str | None = None
        tops = []
        for s in ("L", "R"):
            top = next(
                (
                    self.found[f"{b}.{s}"].bone
                    for b in ("shoulder", "upper_arm")
                    if f"{b}.{s}" in self.found
                ),
                None,
            )
            if top is not None:
                tops.append(top)
        if tops:
            parents = {rig.parent.get(t) for t in tops}
            if len(parents) == 1:
                attach = parents.pop()
        # Hips: a named bone above the legs and the spine, else the legs' common ancestor.
        hips_cands = self.pool("hips")
        upper = head or attach
        hips: str | None = self.bone("hips") if "hips" in self.fixed else None
        good = [
            b
            for b in hips_cands
            if all(rig.is_ancestor(b, t) for t in thighs)
            and (upper is None or rig.is_ancestor(b, upper))
        ]
        if hips is not None:
            pass
        elif good:
            hips = max(good, key=rig.depth)
            self.set("hips", hips, AUTO, "name", hips_cands)
        elif hips_cands and not thighs:
            hips = self._pick_one("hips", *self.best("hips"))
        elif len(thighs) == 2 and upper is not None:
            hips = rig.lca([*thighs, upper])
            if hips is not None:
                self.set("hips", hips, DOUBTFUL, "common ancestor of the legs and the spine")
        elif hips_cands:
            hips = self._pick_one("hips", *self.best("hips"))
        if head is None and attach is not None:
            head = self._top_of_chain(attach, arms)
            if head is not None:
                self.set("head", head, DOUBTFUL, "top of the chain above the arms")
        chain = rig.path(hips, head) if hips and head else None
        if chain is None:
            for base in ("spine", "chest", "neck"):
                if base not in self.found:
                    self._pick_one(base, *self.best(base))
            return
        chain = [b for b in chain if not rig.parsed[b].rejected]
        named = {
            base: [b for b in self.pool(base) if b in chain] for base in ("spine", "chest", "neck")
        }
        chest = None
        exact = [b for b in named["chest"] if rig.parsed[b].stem == "chest"]
        if exact or named["chest"]:
            chest = (exact or named["chest"])[0]
            self.set("chest", chest, AUTO, "name", named["chest"])
        elif attach in chain:
            # Biped rigs hang the clavicles on the neck: the chest is then the bone below.
            neckish = _STEMS.get(rig.parsed[attach].stem, ("", 0))[0] in ("neck", "head")
            at = chain.index(attach) - 1 if neckish else chain.index(attach)
            if at >= 0:
                chest = chain[at]
                self.set("chest", chest, AUTO, "where the arms attach")
        chest = self.bone("chest") if "chest" in self.fixed else chest
        cut = chain.index(chest) if chest in chain else None
        lower = chain[:cut] if cut is not None else []
        upper_part = chain[cut + 1 :] if cut is not None else []
        spines = [b for b in named["spine"] if b in lower] if cut is not None else named["spine"]
        if spines:
            self.set("spine", spines[0], AUTO, "name", spines)
        elif len(lower) == 1:
            self.set("spine", lower[0], AUTO, "the bone between hips and chest")
        elif lower:
            self.set("spine", lower[0], DOUBTFUL, "lowest bone between hips and chest", lower)
        necks = [b for b in named["neck"] if cut is None or b in upper_part]
        if necks:
            self.set("neck", necks[0], AUTO, "name", necks)
        elif len(upper_part) == 1:
            self.set("neck", upper_part[0], AUTO, "the bone between chest and head")
        elif upper_part:
            self.set(
                "neck", upper_part[0], DOUBTFUL, "lowest bone between chest and head", upper_part
            )

    def _pick_one(self, role: str, tied: list[str], allc: list[str]) -> str | None:
        if role in self.fixed:
            return self.bone(role)
        if not tied:
            return None
        if len(tied) > 1:
            self.collisions[role] = tuple(tied)
            self.set(role, tied[0], DOUBTFUL, f"chosen among {len(tied)} equal names", allc)
        else:
            self.set(role, tied[0], AUTO, "name", allc)
        return tied[0]

    def _top_of_chain(self, start: str, arms: Sequence[str]) -> str | None:
        """Follow the one child of ``start`` that holds no arm upward; the last bone named like
        a spine, neck or head on the way, else the last bone."""
        rig = self.rig
        chain: list[str] = []
        cur = start
        while len(chain) < 64:
            kids = [
                c
                for c in rig.children.get(cur, [])
                if not rig.parsed[c].rejected
                and not any(c == a or rig.is_ancestor(c, a) for a in arms)
            ]
            if len(kids) != 1:
                break
            cur = kids[0]
            chain.append(cur)
        named = [b for b in chain if _STEMS.get(rig.parsed[b].stem, ("", 0))[0] in _CENTRE]
        return named[-1] if named else (chain[-1] if chain else None)


def auto_map(
    names: Sequence[str],
    parents: Mapping[str, str | None] | Sequence[str | None],
    heads: Mapping[str, Any] | Sequence[Any] | None = None,
) -> BoneMapReport:
    """Map every role to a bone of the rig, by name and hierarchy.

    Args:
        names: the rig's bone names.
        parents: bone → parent name (None for a root), or a list aligned with ``names``.
        heads: optional rest head positions in armature space (bone → xyz or a list aligned
            with ``names``); used to tell left from right when a name does not.

    A complete preset (the demo, Rigify or Mixamo names) is taken as is; otherwise each role
    is found as the module docstring says. No bone plays two roles.
    """
    names = list(names)
    par = dict(parents) if isinstance(parents, Mapping) else dict(zip(names, parents, strict=True))
    hd: dict[str, Any] | None
    if heads is None:
        hd = None
    elif isinstance(heads, Mapping):
        hd = dict(heads)
    else:
        hd = dict(zip(names, heads, strict=True))
    rig = _Rig(names, par, hd)
    present = set(names)
    for preset, bones in BONE_MAP_PRESETS.items():
        if all(b in present for b in bones.values()):
            matches = tuple(RoleMatch(r, bones[r], AUTO, f"{preset} names") for r in BONE_ROLES)
            return BoneMapReport(matches, preset)
    m = _Mapper(rig)
    convention = _convention(rig)
    # A rig of a preset's convention that lacks some of its bones: the preset's bones it has.
    for role, bone in BONE_MAP_PRESETS.get(convention, {}).items():
        if bone in present:
            m.fix(role, bone, f"{convention} names")
    m.limbs()
    m.centre()
    # One bone, one role: a doubtful claim loses to an auto one, else the first role keeps it.
    owner: dict[str, str] = {}
    for role in BONE_ROLES:
        match = m.found.get(role)
        if match is None or match.bone is None:
            continue
        other = owner.get(match.bone)
        if other is None:
            owner[match.bone] = role
            continue
        keep, drop = other, role
        if m.found[other].status != AUTO and match.status == AUTO:
            keep, drop = role, other
        owner[match.bone] = keep
        m.collisions[drop] = (match.bone,)
        m.found[drop] = RoleMatch(drop, None, UNMAPPED, f"{match.bone} already plays {keep}")
    matches = tuple(m.found.get(r, RoleMatch(r, None, UNMAPPED)) for r in BONE_ROLES)
    return BoneMapReport(matches, convention, m.collisions)


# ---------------------------------------------------------------------- user maps


@dataclass(frozen=True)
class MapProblems:
    """What is wrong with a user's bone map against a rig.

    Attributes:
        unknown_roles: keys that are not bone roles.
        missing_bones: (role, bone) pairs whose bone the rig lacks.
        duplicates: (bone, roles) for a bone given to several roles.
        not_strings: roles whose value is not a bone name.
    """

    unknown_roles: tuple[str, ...] = ()
    missing_bones: tuple[tuple[str, str], ...] = ()
    duplicates: tuple[tuple[str, tuple[str, ...]], ...] = ()
    not_strings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not (self.unknown_roles or self.missing_bones or self.duplicates or self.not_strings)

    def message(self) -> str:
        """One line naming every problem (empty when ``ok``)."""
        parts = []
        if self.unknown_roles:
            parts.append(f"unknown role(s) {list(self.unknown_roles)} (roles: {list(BONE_ROLES)})")
        if self.not_strings:
            parts.append(f"role(s) {list(self.not_strings)} need a bone name (a string)")
        if self.missing_bones:
            parts.append(
                "bone(s) not in the rig: "
                + ", ".join(f"{r} → {b!r}" for r, b in self.missing_bones)
            )
        if self.duplicates:
            parts.append(
                "bone(s) given to several roles: "
                + ", ".join(f"{b!r} ({', '.join(rs)})" for b, rs in self.duplicates)
            )
        return "; ".join(parts)


def validate_bone_map(bone_map: Mapping[str, Any], bone_names: Iterable[str]) -> MapProblems:
    """Check a role → bone map (roles may be absent) against the rig's bone names."""
    names = set(bone_names)
    unknown = tuple(sorted(str(r) for r in bone_map if r not in BONE_ROLES))
    not_str = tuple(r for r in BONE_ROLES if r in bone_map and not isinstance(bone_map[r], str))
    missing = tuple(
        (r, bone_map[r])
        for r in BONE_ROLES
        if r in bone_map and isinstance(bone_map[r], str) and bone_map[r] not in names
    )
    by_bone: dict[str, list[str]] = {}
    for r in BONE_ROLES:
        b = bone_map.get(r)
        if isinstance(b, str):
            by_bone.setdefault(b, []).append(r)
    dups = tuple((b, tuple(rs)) for b, rs in by_bone.items() if len(rs) > 1)
    return MapProblems(unknown, missing, dups, not_str)


MIN_ROLES_MESSAGE = (
    "the bone map maps {n} role(s) ({roles}); a bake needs the head plus at least one other "
    "role. Map the head and more roles (bone map panel, --bone-map FILE.json, or auto)"
)


def check_bake_coverage(bone_map: Mapping[str, str]) -> None:
    """Refuse a bake that maps fewer than the head plus one other role (BoneMapError)."""
    roles = [r for r in BONE_ROLES if bone_map.get(r)]
    if "head" not in roles or len(roles) < 2:
        raise BoneMapError(
            None, MIN_ROLES_MESSAGE.format(n=len(roles), roles=", ".join(roles) or "none")
        )


def user_report(bone_map: Mapping[str, str], bone_names: Iterable[str]) -> BoneMapReport:
    """A report for a map given by hand: its roles ``manual``, the rest ``unmapped``
    (BoneMapError when the map does not fit the rig)."""
    problems = validate_bone_map(bone_map, bone_names)
    if not problems.ok:
        raise BoneMapError(None, problems.message())
    return BoneMapReport(
        tuple(
            RoleMatch(r, bone_map[r], MANUAL, "given")
            if bone_map.get(r)
            else RoleMatch(r, None, UNMAPPED)
            for r in BONE_ROLES
        ),
        "user",
    )


def read_bone_map(path: str | Path) -> dict[str, str]:
    """Read a bone map file (format ``moodrig.bonemap/1``); errors name the file.

    The file: ``{"format": "moodrig.bonemap/1", "rig": "<optional armature name>",
    "bones": {"<role>": "<bone name>", ...}}``; roles the rig lacks are left out.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BoneMapError(p, "no such bone map file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BoneMapError(p, f"cannot read the bone map ({exc})") from None

    def no_dups(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        dup = sorted({k for k in keys if keys.count(k) > 1})
        if dup:
            raise BoneMapError(p, f"duplicate key(s) {dup}")
        return dict(pairs)

    try:
        data = json.loads(text, object_pairs_hook=no_dups)
    except json.JSONDecodeError as exc:
        raise BoneMapError(
            p, f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(data, dict):
        raise BoneMapError(p, "a bone map is a JSON object with 'format' and 'bones'")
    fmt = data.get("format")
    if fmt != BONE_MAP_FORMAT:
        raise BoneMapError(p, f"format is {fmt!r}, expected {BONE_MAP_FORMAT!r}")
    extra = sorted(set(data) - {"format", "rig", "bones"})
    if extra:
        raise BoneMapError(p, f"unknown key(s) {extra}; a bone map has format, rig and bones")
    if "rig" in data and not isinstance(data["rig"], str):
        raise BoneMapError(p, "'rig' must be a string (the armature's name)")
    bones = data.get("bones")
    if not isinstance(bones, dict):
        raise BoneMapError(p, "'bones' must be an object of role → bone name")
    problems = validate_bone_map(bones, [b for b in bones.values() if isinstance(b, str)])
    if not problems.ok:
        raise BoneMapError(p, problems.message())
    return {r: bones[r] for r in BONE_ROLES if bones.get(r)}


def write_bone_map(path: str | Path, bone_map: Mapping[str, str], rig: str | None = None) -> Path:
    """Write ``bone_map`` as a bone map file (roles in ``BONE_ROLES`` order)."""
    problems = validate_bone_map(bone_map, [b for b in bone_map.values() if isinstance(b, str)])
    if not problems.ok:
        raise BoneMapError(path, problems.message())
    data: dict[str, Any] = {"format": BONE_MAP_FORMAT}
    if rig is not None:
        data["rig"] = rig
    data["bones"] = {r: bone_map[r] for r in BONE_ROLES if bone_map.get(r)}
    return atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def resolve_bone_map(
    spec: str,
    names: Sequence[str],
    parents: Mapping[str, str | None] | Sequence[str | None],
    heads: Mapping[str, Any] | Sequence[Any] | None = None,
) -> BoneMapReport:
    """The map a ``--bone-map`` value names: ``auto``, a preset (``demo``, ``rigify``,
    ``mixamo``: its bones the rig has, ``auto`` status; the rest unmapped) or a JSON file
    (its roles ``manual``)."""
    if spec == "auto":
        return auto_map(names, parents, heads)
    present = set(names)
    if spec in BONE_MAP_PRESETS:
        preset = BONE_MAP_PRESETS[spec]
        return BoneMapReport(
            tuple(
                RoleMatch(r, preset[r], AUTO, f"{spec} names")
                if preset[r] in present
                else RoleMatch(r, None, UNMAPPED, f"no bone {preset[r]!r}")
                for r in BONE_ROLES
            ),
            spec,
        )
    if not spec.lower().endswith(".json"):
        raise BoneMapError(
            None,
            f"unknown bone map {spec!r}; use auto, "
            f"{', '.join(sorted(BONE_MAP_PRESETS))} or a .json file",
        )
    bone_map = read_bone_map(spec)
    problems = validate_bone_map(bone_map, names)
    if not problems.ok:
        raise BoneMapError(spec, problems.message())
    return user_report(bone_map, names)
