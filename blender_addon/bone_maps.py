"""The rig as the bone map and the retargeting see it, read out of Blender.

Names, parents and rest data come from the armature's bones (``Bone.head_local``,
``tail_local``, ``matrix_local``, ``use_inherit_rotation``). The map the sidebar shows is
stored on the armature object (``object.moodrig_bone_map``: one row per role with its bone,
status and reason, saved with the .blend, ``bone_map_ui.py``). :func:`resolve` turns what a
request names (``auto``, a preset, a bone map file or a role → bone mapping) into a
:class:`~core.bonemap.BoneMapReport` against this rig; the algorithms live in ``core``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .bone_map_ui import SETTINGS
from .core.bonemap import (
    MANUAL,
    UNMAPPED,
    BoneMapError,
    BoneMapReport,
    RoleMatch,
    auto_map,
    read_bone_map,
    resolve_bone_map,
    user_report,
    validate_bone_map,
)
from .core.errors import InputError
from .core.retarget import RestRig, rest_rig
from .core.rig import BONE_ROLES


def _armature(armature: Any) -> Any:
    if armature is None or armature.type != "ARMATURE":
        raise InputError(None, "choose an armature object")
    return armature


def rig_bones(armature: Any) -> tuple[list[str], list[str | None], list[tuple[float, ...]]]:
    """(names, parents, rest heads in armature space) of the armature's bones."""
    bones = _armature(armature).data.bones
    names = [b.name for b in bones]
    parents = [b.parent.name if b.parent is not None else None for b in bones]
    heads = [tuple(b.head_local) for b in bones]
    return names, parents, heads


def rest_of(armature: Any) -> RestRig:
    """The armature's rest pose for ``core.retarget`` (orientations from ``matrix_local``)."""
    bones = _armature(armature).data.bones
    names, parents, heads = rig_bones(armature)
    tails = [tuple(b.tail_local) for b in bones]
    matrices = np.array([[list(row) for row in b.matrix_local] for b in bones], dtype=np.float64)
    inherit = [bool(b.use_inherit_rotation) for b in bones]
    return rest_rig(
        names, parents, heads, tails, matrices=matrices.reshape(-1, 4, 4), inherit_rotation=inherit
    )


def stored_map(armature: Any) -> dict[str, str] | None:
    """Role → bone of the stored rows (roles without a bone left out), or None."""
    settings = stored_rows(armature)
    if settings is None:
        return None
    return {r.role: r.bone for r in settings.rows if r.bone}


def stored_rows(armature: Any) -> Any | None:
    """The armature object's stored map settings, or None when it has no rows."""
    settings = getattr(armature, SETTINGS, None)
    if settings is None or not len(settings.rows):
        return None
    return settings


def stored_report(armature: Any) -> BoneMapReport | None:
    """The map stored on the armature (the sidebar's rows) as a report, statuses as shown
    there; None when nothing is stored. A row whose bone the rig no longer has is refused
    (BoneMapError naming the role and the bone)."""
    settings = stored_rows(armature)
    if settings is None:
        return None
    rows = {r.role: r for r in settings.rows}
    bone_map = {role: rows[role].bone for role in BONE_ROLES if role in rows and rows[role].bone}
    _check(armature, bone_map, "the stored bone map")
    matches = []
    for role in BONE_ROLES:
        row = rows.get(role)
        if row is None or not row.bone:
            matches.append(RoleMatch(role, None, UNMAPPED, row.reason if row else ""))
        else:
            matches.append(RoleMatch(role, row.bone, row.status or MANUAL, row.reason))
    return BoneMapReport(tuple(matches), settings.convention or "stored")


def store(armature: Any, report: BoneMapReport) -> None:
    """Replace the armature's stored rows with ``report``'s roles (one row per role)."""
    settings = getattr(armature, SETTINGS)
    settings.rows.clear()
    for m in report.matches:
        row = settings.rows.add()
        row.role = m.role
        row.bone = m.bone or ""  # first: picking a bone marks the row manual (bone_map_ui)
        row.status = m.status
        row.reason = m.reason + (f"; also: {', '.join(m.candidates)}" if m.candidates else "")
    settings.convention = report.convention


def _check(armature: Any, bone_map: Mapping[str, Any], what: str, path: Path | None = None) -> None:
    problems = validate_bone_map(bone_map, armature.data.bones.keys())
    if not problems.ok:
        where = "" if path is not None else f"{what} of '{armature.name}': "
        raise BoneMapError(path, where + problems.message())


def resolve(armature: Any, spec: str | Path | Mapping[str, str]) -> BoneMapReport:
    """The report of the map ``spec`` names against ``armature`` (see
    ``BakeRequest.bone_map``): ``auto`` is the stored map, else :func:`auto_map`; a mapping
    equal to the stored rows keeps their statuses, any other is ``manual``."""
    names, parents, heads = rig_bones(armature)
    if isinstance(spec, Path):
        bone_map = read_bone_map(spec)
        _check(armature, bone_map, "the bone map", path=spec)
        return user_report(bone_map, names)
    if isinstance(spec, Mapping):
        given = {r: b for r, b in spec.items() if b}
        stored = stored_report(armature) if stored_rows(armature) is not None else None
        if stored is not None and stored.bone_map == given:
            return stored
        _check(armature, given, "the bone map")
        return user_report(given, names)
    if spec == "auto":
        stored = stored_report(armature)
        return stored if stored is not None else auto_map(names, parents, heads)
    return resolve_bone_map(spec, names, parents, heads)


def summary(report: BoneMapReport) -> tuple[str, list[str]]:
    """One line for the report (mapped, unmapped, doubtful counts) and a warning per unmapped
    or doubtful role, naming it."""
    unmapped, doubtful = report.roles(UNMAPPED), report.roles("doubtful")
    line = (
        f"bone map ({report.convention}): {len(report.bone_map)} of {len(BONE_ROLES)} roles "
        f"mapped, {len(unmapped)} unmapped, {len(doubtful)} doubtful"
    )
    warnings = []
    if unmapped:
        warnings.append(f"unmapped role(s) skipped: {', '.join(unmapped)}")
    by_role = {m.role: m for m in report.matches}
    for role in doubtful:
        m = by_role[role]
        warnings.append(f"doubtful: {role} → {m.bone} ({m.reason})")
    return line, warnings


def limb_hints(armature: Any, bone_map: Mapping[str, str]) -> list[str]:
    """Warnings for limbs whose keyed bones do not move the character as set: a Rigify limb
    follows its IK controls unless its ``IK_FK`` switch (on ``<limb>_parent``) is 1, and the
    FK controls are what the bake keys; a leg in FK follows the hips through constraints, so
    only IK keeps its foot planted."""
    out = []
    for role, limb, keep in (
        ("upper_arm.L", "arm", 1.0),
        ("upper_arm.R", "arm", 1.0),
        ("thigh.L", "leg", 0.0),
        ("thigh.R", "leg", 0.0),
    ):
        bone = bone_map.get(role, "")
        switch = armature.pose.bones.get(bone.replace("_fk", "_parent")) if "_fk" in bone else None
        if switch is None or "IK_FK" not in switch:
            continue
        value = float(switch["IK_FK"])
        if limb == "arm" and value < keep:
            out.append(
                f"{switch.name} IK_FK is {value:g}: the arm follows its IK control, not "
                "the keyed FK bones; set IK_FK to 1 to see the arm gestures"
            )
        elif limb == "leg" and value > keep:
            out.append(
                f"{switch.name} IK_FK is {value:g}: the leg follows the hips in FK; set "
                "IK_FK to 0 (IK) to keep its foot planted"
            )
    return out
