"""Behavior motion on any humanoid rig: canonical joint angles → each rig's own pose-bone values.

The behavior library defines its motion in one canonical rig: the demo rig (``DEMO_BONES``,
every bone roll 0, Z up, facing −Y, A-pose arms 50° below horizontal). A role's curve is the
pose-bone rotation L (Euler XYZ) *in that rig's bone frames*. Other rigs differ in bone rolls
and axes, in the rest pose (T-pose arms), in the bones they have and in how armature space is
oriented, so the same numbers written to their bones would move them differently.

The math. Blender poses a bone as ``matrix = parent.matrix · (parent.rest⁻¹ · rest) · basis``.
With B_b the rest orientation (``Bone.matrix_local``, 3×3) and L_b the pose rotation, the
bone's change from rest in armature space, Δ_b = W_b · B_b⁻¹ (W: posed orientation), obeys

    Δ_b = Δ_parent · D_b,   D_b = B_b · L_b · B_b⁻¹,   so   L_b = B_b⁻¹ · Δ_parent⁻¹ · Δ_b · B_b.

So a pose is fully described by the armature-space deltas Δ, whatever the bone axes. The
canonical motion gives Δ_canon,r for every role r by the same product down ``ROLE_PARENT``.
A target bone b playing role r gets

    Δ_b = A · Δ_canon,r · A⁻¹ · K_b

where A maps canonical axes to the target's armature axes (its character frame: left, back,
up; identity for a Z-up rig facing −Y) and K_b is the rest correction (below). Its pose value
is then L_b = B_b⁻¹ · Δ_a⁻¹ · Δ_b · B_b with a the nearest *mapped* ancestor of b (bones
between them are unmapped and stay at rest, so they carry Δ_a unchanged; a bone that does not
inherit its parent's rotation, ``use_inherit_rotation`` off, takes Δ_a = I). The world look of
every mapped bone therefore equals the canonical rig's, whatever the rolls, and a role the rig
lacks (no neck) is absorbed by its mapped descendants (the head still turns as far).

Rest correction. A T-pose rig at rest holds its arms where the canonical rig does not; K_b
first brings each arm bone to the canonical rest direction: K_b = C_b · K_a, with C_b the
minimal rotation that takes the bone's rest direction, already moved by its ancestors'
correction (K_a · d_b), to the canonical direction A · d_canon,r. Only the arm chain (upper
arm, forearm, hand) is corrected: the spine, legs and feet keep their own rest so the
character keeps standing as modelled. Written out per bone, D_b = (K_a⁻¹ D^m_r K_a) · C'_b
with D^m_r the canonical motion's own relative rotation at the joint and C'_b = K_a⁻¹ C_b K_a
the correction seen from the parent; where the parent is not corrected (K_a = I) this is
simply D_b = D^m_r · C_b.

Planted feet. Hips motion moves the thighs; with ``plant_feet`` each leg (thigh, shin and,
when mapped, foot) is solved by two-bone IK so the ankle stays where the legs' own motion puts
it with the hips at rest, the knee bending in the plane it already bends in (forward for a
straight leg), and the foot keeps its orientation. A thigh raised beyond reach (hips tilted
sideways on straight legs) leaves the foot lifted by the shortfall.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from .demo_body import DEMO_BONES
from .rig import BONE_ROLES, REST_POSE_MODES, ROLE_PARENT
from .rotation import (
    angle_between,
    euler_to_matrix,
    from_mode,
    matrix_to_euler,
    minimal_rotation,
    normalize,
    orthonormal,
    to_mode,
    vec_roll_to_mat3,
)

F64 = NDArray[np.float64]

RestPoseMode = Literal["auto", "t-pose", "a-pose", "keep"]

CORRECTED_ROLES: frozenset[str] = frozenset(
    f"{r}.{s}" for r in ("upper_arm", "forearm", "hand") for s in ("L", "R")
)
"""Roles whose rest direction is brought to the canonical one (the arm chain)."""

CANONICAL_ARM_DOWN_DEG = 50.0
"""The canonical rig's upper arms hang this far below horizontal (demo A-pose)."""

T_POSE_MAX_DEG = 20.0
"""Upper arms within this angle of horizontal read as a T-pose."""

A_POSE_MAX_DEG = 75.0
"""Upper arms between ``T_POSE_MAX_DEG`` and this angle below horizontal read as an A-pose."""

_CHILD_ROLE = {
    "upper_arm.L": "forearm.L",
    "forearm.L": "hand.L",
    "upper_arm.R": "forearm.R",
    "forearm.R": "hand.R",
    "thigh.L": "shin.L",
    "shin.L": "foot.L",
    "thigh.R": "shin.R",
    "shin.R": "foot.R",
    "shoulder.L": "upper_arm.L",
    "shoulder.R": "upper_arm.R",
    "hips": "spine",
    "spine": "chest",
    "chest": "neck",
    "neck": "head",
}
"""Role whose joint ends a role's segment (its direction is joint to joint where both exist)."""


@dataclass(frozen=True)
class RestRig:
    """An armature's rest pose in armature space, bones ordered parents first.

    Attributes:
        names: bone names.
        parents: index of each bone's parent in ``names``, −1 for a root.
        heads: (n, 3) rest head positions (``Bone.head_local``).
        tails: (n, 3) rest tail positions (``Bone.tail_local``).
        rest: (n, 3, 3) rest orientations (rotation of ``Bone.matrix_local``): columns are the
            bone's local X, Y, Z axes in armature space.
        inherit: per bone, whether it follows its parent's rotation (``Bone.use_inherit_rotation``);
            empty means every bone does.
    """

    names: tuple[str, ...]
    parents: tuple[int, ...]
    heads: F64
    tails: F64
    rest: F64
    inherit: tuple[bool, ...] = ()

    def follows(self, i: int) -> bool:
        """True if bone ``i`` has a parent whose rotation it inherits."""
        return self.parents[i] >= 0 and (not self.inherit or self.inherit[i])

    def index(self, name: str) -> int:
        """Position of bone ``name`` (ValueError naming the bone if the rig lacks it)."""
        try:
            return self.names.index(name)
        except ValueError:
            raise ValueError(f"the rig has no bone {name!r}") from None

    def is_ancestor(self, ancestor: str, bone: str) -> bool:
        """True if ``ancestor`` is a (strict) ancestor of ``bone``."""
        a, i = self.index(ancestor), self.parents[self.index(bone)]
        while i >= 0:
            if i == a:
                return True
            i = self.parents[i]
        return False


def rest_rig(
    names: Sequence[str],
    parents: Sequence[str | None],
    heads: Any,
    tails: Any,
    *,
    rolls: Any = None,
    matrices: Any = None,
    inherit_rotation: Sequence[bool] | None = None,
) -> RestRig:
    """A :class:`RestRig` from per-bone data in any order.

    ``parents``: the parent's name or None. Orientation from ``matrices`` ((n, 3, 3) or
    (n, 4, 4) ``Bone.matrix_local``; scale and shear are removed) if given, else from
    ``rolls`` (radians, the edit bone's roll; 0 when omitted) with Blender's rule.
    ``inherit_rotation``: ``Bone.use_inherit_rotation`` per bone (all True when omitted).
    """
    names = list(names)
    n = len(names)
    if len(set(names)) != n:
        dup = sorted({x for x in names if names.count(x) > 1})
        raise ValueError(f"duplicate bone names {dup}")
    h, t = np.asarray(heads, dtype=np.float64), np.asarray(tails, dtype=np.float64)
    if h.shape != (n, 3) or t.shape != (n, 3) or len(parents) != n:
        raise ValueError(
            f"need {n} parents, heads (n, 3) and tails (n, 3); got "
            f"{len(parents)}, {h.shape}, {t.shape}"
        )
    if matrices is not None:
        m = np.asarray(matrices, dtype=np.float64)[:, :3, :3]
        rest = orthonormal(m)
    else:
        r = np.zeros(n) if rolls is None else np.asarray(rolls, dtype=np.float64)
        rest = vec_roll_to_mat3(t - h, r)
    pos = {name: i for i, name in enumerate(names)}
    for name, p in zip(names, parents, strict=True):
        if p is not None and p not in pos:
            raise ValueError(f"bone {name!r} has parent {p!r}, which is not in the rig")
    order: list[int] = []
    state = [0] * n  # 0 new, 1 visiting, 2 done

    def visit(i: int) -> None:
        if state[i] == 2:
            return
        if state[i] == 1:
            raise ValueError(f"bone parents form a cycle through {names[i]!r}")
        state[i] = 1
        p = parents[i]
        if p is not None:
            visit(pos[p])
        state[i] = 2
        order.append(i)

    for i in range(n):
        visit(i)
    new = {old: k for k, old in enumerate(order)}

    def parent_index(i: int) -> int:
        p = parents[i]
        return -1 if p is None else new[pos[p]]

    return RestRig(
        names=tuple(names[i] for i in order),
        parents=tuple(parent_index(i) for i in order),
        heads=h[order],
        tails=t[order],
        rest=rest[order],
        inherit=() if inherit_rotation is None else tuple(bool(inherit_rotation[i]) for i in order),
    )


def canonical_rig() -> RestRig:
    """The canonical rig: the demo rig's bones (named after the roles), every roll 0."""
    roles = list(BONE_ROLES)
    return rest_rig(
        roles,
        [ROLE_PARENT[r] for r in roles],
        [DEMO_BONES[r][0] for r in roles],
        [DEMO_BONES[r][1] for r in roles],
    )


_CANON = canonical_rig()


@dataclass(frozen=True)
class RestPose:
    """The rig's rest pose as detected from its upper arms.

    Attributes:
        kind: ``t-pose``, ``a-pose``, ``other`` (arms up or straight down) or ``unknown`` (no
            upper arm mapped).
        arm_angle_deg: per side present (``L``, ``R``), the upper arm's angle below horizontal.
    """

    kind: str
    arm_angle_deg: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class RetargetConfig:
    """How canonical motion is carried onto a rig.

    Attributes:
        rest_pose: ``auto`` brings the arm chain from its measured rest direction to the
            canonical one; ``t-pose`` takes the rest arms as horizontal (lowers them by the
            canonical 50° whatever the bones say: for rigs whose bone directions cannot be
            trusted); ``a-pose`` takes the rest as the canonical A-pose and ``keep`` corrects
            nothing (today both leave every bone's rest as it is, since only the arms are
            ever corrected).
        plant_feet: solve the legs so hips motion never slides or sinks the feet.
        frame: optional 3×3 character frame (columns: the character's left, back, up in
            armature coordinates); None detects it from the mapped bones.
    """

    rest_pose: str = "auto"
    plant_feet: bool = True
    frame: tuple[tuple[float, float, float], ...] | None = None


@dataclass(frozen=True)
class RetargetPlan:
    """Everything :func:`retarget` needs about one rig and one bone map.

    Attributes:
        rig: the target rig.
        bone_map: role → bone name (roles the rig lacks are absent).
        frame: 3×3, canonical axes → the rig's armature axes (A above).
        rest_pose: the detected rest pose.
        corrections: bone → 3×3 rest correction K_b in armature space.
        legs: (thigh, shin, foot or None) bone names of each leg solved to keep its foot.
    """

    rig: RestRig
    bone_map: dict[str, str]
    frame: F64
    rest_pose: RestPose
    corrections: dict[str, F64]
    legs: tuple[tuple[str, str, str | None], ...]


def _segment(rig: RestRig, bone_map: Mapping[str, str], role: str) -> F64:
    """Rest direction of ``role``'s bone: to its child joint if that role's bone hangs below
    it, else along the bone."""
    b = bone_map[role]
    i = rig.index(b)
    child = _CHILD_ROLE.get(role)
    if child is not None and child in bone_map and rig.is_ancestor(b, bone_map[child]):
        d = rig.heads[rig.index(bone_map[child])] - rig.heads[i]
        if np.linalg.norm(d) > 1e-9:
            return normalize(d)
    return normalize(rig.tails[i] - rig.heads[i])


_CANON_MAP = {r: r for r in BONE_ROLES}
_CANON_DIR = {r: _segment(_CANON, _CANON_MAP, r) for r in BONE_ROLES}


def _snap(m: F64, max_deg: float = 25.0) -> F64:
    """The axis-aligned rotation nearest to ``m`` if within ``max_deg``, else ``m``."""
    p = np.zeros((3, 3))
    for col in range(3):
        k = int(np.argmax(np.abs(m[:, col])))
        p[k, col] = math.copysign(1.0, m[k, col])
    ok = abs(np.linalg.det(p) - 1.0) < 1e-9 and float(angle_between(p, m)) < math.radians(max_deg)
    return p if ok else m


def character_frame(rig: RestRig, bone_map: Mapping[str, str]) -> F64:
    """3×3 columns = the character's left, back and up in the rig's armature coordinates.

    Up from the lowest to the highest mapped centre bone (hips … head), left from the mapped
    left/right pairs; snapped to the armature axes when within 25° (a leaning spine must not
    tilt the motion). Identity (Z up, facing −Y) when the map gives too little to measure.
    """
    centre = [r for r in ("hips", "spine", "chest", "neck", "head") if r in bone_map]
    pairs = [
        r for r in BONE_ROLES if r.endswith(".L") and r in bone_map and r[:-1] + "R" in bone_map
    ]
    if len(centre) < 2 or not pairs:
        return np.eye(3)
    up = normalize(
        rig.heads[rig.index(bone_map[centre[-1]])] - rig.heads[rig.index(bone_map[centre[0]])]
    )
    left = np.zeros(3)
    for r in pairs:
        left += rig.heads[rig.index(bone_map[r])] - rig.heads[rig.index(bone_map[r[:-1] + "R"])]
    left = left - (left @ up) * up
    if np.linalg.norm(left) < 1e-9 or np.linalg.norm(up) < 1e-9:
        return np.eye(3)
    left = normalize(left)
    m = np.stack([left, np.cross(up, left), up], axis=1)
    return _snap(m)


def detect_rest_pose(rig: RestRig, bone_map: Mapping[str, str], frame: Any = None) -> RestPose:
    """T-pose, A-pose or other, from the upper arms' angle below horizontal."""
    a = character_frame(rig, bone_map) if frame is None else np.asarray(frame, dtype=np.float64)
    up = a[:, 2]
    angles: dict[str, float] = {}
    for side in ("L", "R"):
        role = f"upper_arm.{side}"
        if role in bone_map:
            d = _segment(rig, bone_map, role)
            angles[side] = math.degrees(math.asin(float(np.clip(-(d @ up), -1.0, 1.0))))
    if not angles:
        return RestPose("unknown")
    mean = sum(angles.values()) / len(angles)
    if abs(mean) <= T_POSE_MAX_DEG:
        kind = "t-pose"
    elif T_POSE_MAX_DEG < mean <= A_POSE_MAX_DEG:
        kind = "a-pose"
    else:
        kind = "other"
    return RestPose(kind, angles)


def plan_retarget(
    rig: RestRig, bone_map: Mapping[str, str], config: RetargetConfig | None = None
) -> RetargetPlan:
    """Precompute the frame, rest corrections and leg chains of ``rig`` under ``bone_map``."""
    cfg = config or RetargetConfig()
    if cfg.rest_pose not in REST_POSE_MODES:
        raise ValueError(f"unknown rest pose {cfg.rest_pose!r}; use one of {list(REST_POSE_MODES)}")
    unknown = set(bone_map) - set(BONE_ROLES)
    if unknown:
        raise ValueError(f"unknown bone role(s) {sorted(unknown)}; known: {list(BONE_ROLES)}")
    for bone in bone_map.values():
        rig.index(bone)
    bmap = dict(bone_map)
    if len(set(bmap.values())) != len(bmap):
        raise ValueError("a bone is mapped to more than one role")
    a = character_frame(rig, bmap) if cfg.frame is None else orthonormal(np.asarray(cfg.frame))
    rest = detect_rest_pose(rig, bmap, a)
    role_of = {b: r for r, b in bmap.items()}
    corr: dict[str, F64] = {}
    carried: list[F64] = []  # per bone (parents first): the correction it is carried by
    for i, b in enumerate(rig.names):
        k = carried[rig.parents[i]] if rig.follows(i) else np.eye(3)
        r = role_of.get(b)
        if r in CORRECTED_ROLES and cfg.rest_pose in ("auto", "t-pose"):
            if cfg.rest_pose == "t-pose":  # the whole arm taken as horizontal, outward
                d = a @ np.array([1.0 if r.endswith(".L") else -1.0, 0.0, 0.0])
            else:
                d = _segment(rig, bmap, r)
            k = minimal_rotation(k @ d, a @ _CANON_DIR[r]) @ k
        if r is not None:
            corr[b] = k
        carried.append(k)
    legs = []
    for s in ("L", "R"):
        th, sh, ft = (bmap.get(f"{x}.{s}") for x in ("thigh", "shin", "foot"))
        if th and sh and rig.is_ancestor(th, sh):
            legs.append((th, sh, ft if ft and rig.is_ancestor(sh, ft) else None))
    return RetargetPlan(rig, bmap, a, rest, corr, tuple(legs) if cfg.plant_feet else ())


def canonical_deltas(
    curves: Mapping[str, Any], zero: frozenset[str] = frozenset()
) -> dict[str, F64]:
    """Role → (n, 3, 3) armature-space deltas Δ of the canonical rig posed by ``curves``
    (Euler XYZ per role; a missing role, or one in ``zero``, is at rest)."""
    if not curves:
        raise ValueError("no curves given")
    n = len(next(iter(curves.values())))
    out: dict[str, F64] = {}
    for i, role in enumerate(_CANON.names):
        p = ROLE_PARENT[role]
        base = out[p] if p is not None else np.broadcast_to(np.eye(3), (n, 3, 3))
        if role in curves and role not in zero:
            c = np.asarray(curves[role], dtype=np.float64)
            if c.shape != (n, 3):
                raise ValueError(f"curve of {role!r} has shape {c.shape}, expected ({n}, 3)")
            b = _CANON.rest[i]
            out[role] = base @ (b @ euler_to_matrix(c, "XYZ") @ b.T)
        else:
            out[role] = np.array(base)
    return out


def _parent_deltas(rig: RestRig, world: Mapping[str, F64], n: int) -> dict[str, F64]:
    """Bone → the delta it inherits: its parent's (a bone not in ``world`` is at rest and
    passes its own inherited delta on), identity for a root or a bone that does not inherit
    rotation."""
    eye = np.broadcast_to(np.eye(3), (n, 3, 3))
    own: list[F64] = []
    out: dict[str, F64] = {}
    for i, b in enumerate(rig.names):
        inherited = own[rig.parents[i]] if rig.follows(i) else eye
        out[b] = inherited
        own.append(np.asarray(world[b]) if b in world else inherited)
    return out


def _local(plan: RetargetPlan, world: Mapping[str, F64]) -> dict[str, F64]:
    """Pose-bone rotations L_b = B_b⁻¹ Δ_parent⁻¹ Δ_b B_b of every bone in ``world``."""
    n = len(next(iter(world.values())))
    inherited = _parent_deltas(plan.rig, world, n)
    out: dict[str, F64] = {}
    for b, d in world.items():
        rest = plan.rig.rest[plan.rig.index(b)]
        out[b] = rest.T @ np.swapaxes(inherited[b], -1, -2) @ d @ rest
    return out


def world_deltas(plan: RetargetPlan, local: Mapping[str, Any]) -> dict[str, F64]:
    """Bone → (n, 3, 3) armature-space delta of every bone of the rig posed by ``local``
    (pose rotations per bone; any bone not given is at rest)."""
    rig = plan.rig
    n = len(next(iter(local.values())))
    eye = np.broadcast_to(np.eye(3), (n, 3, 3))
    out: dict[str, F64] = {}
    for i, b in enumerate(rig.names):
        base = out[rig.names[rig.parents[i]]] if rig.follows(i) else eye
        if b in local:
            rest = rig.rest[i]
            out[b] = base @ (rest @ np.asarray(local[b], dtype=np.float64) @ rest.T)
        else:
            out[b] = base
    return out


def pose_positions(rig: RestRig, deltas: Mapping[str, F64]) -> tuple[F64, F64]:
    """(heads, tails), each (n, bones, 3), of the rig posed by armature-space ``deltas`` (one
    per bone, e.g. from :func:`world_deltas`)."""
    n = len(next(iter(deltas.values())))
    heads = np.empty((n, len(rig.names), 3))
    tails = np.empty_like(heads)
    for i, b in enumerate(rig.names):
        p = rig.parents[i]
        if p < 0:
            heads[:, i] = rig.heads[i]
        else:
            off = rig.heads[i] - rig.heads[p]
            heads[:, i] = heads[:, p] + deltas[rig.names[p]] @ off
        tails[:, i] = heads[:, i] + deltas[b] @ (rig.tails[i] - rig.heads[i])
    return heads, tails


def _target_world(plan: RetargetPlan, canon: Mapping[str, F64]) -> dict[str, F64]:
    a = plan.frame
    return {b: a @ canon[r] @ a.T @ plan.corrections[b] for r, b in plan.bone_map.items()}


def _solve_leg(
    plan: RetargetPlan,
    world: dict[str, F64],
    ref: Mapping[str, F64],
    leg: tuple[str, str, str | None],
) -> None:
    """Two-bone IK of one leg in place: ankle and foot orientation as in ``ref``."""
    rig = plan.rig
    thigh, shin, foot = leg
    it, ish = rig.index(thigh), rig.index(shin)
    k0 = rig.heads[ish]
    f0 = rig.heads[rig.index(foot)] if foot is not None else rig.tails[ish]
    h0 = rig.heads[it]
    la, lb = float(np.linalg.norm(k0 - h0)), float(np.linalg.norm(f0 - k0))
    # Where the thigh head is with every delta, and where the ankle belongs (hips at rest).
    full = world_deltas(plan, _local(plan, world))
    heads, _ = pose_positions(rig, full)
    hip = heads[:, it]
    ref_all = world_deltas(plan, _local(plan, ref))
    ref_heads, _ = pose_positions(rig, ref_all)
    ref_knee = ref_heads[:, ish]
    target = (
        ref_heads[:, rig.index(foot)]
        if foot is not None
        else (ref_knee + ref_all[shin] @ (f0 - k0))
    )
    ref_hip = ref_heads[:, it]
    # Bend plane: the reference knee's side of the hip → ankle line, else the character front.
    u_ref = normalize(target - ref_hip)
    bend = (ref_knee - ref_hip) - np.sum((ref_knee - ref_hip) * u_ref, -1, keepdims=True) * u_ref
    front = -plan.frame[:, 1]
    straight = np.linalg.norm(bend, axis=-1) < 1e-4 * la
    pole = np.where(straight[:, None], front, bend)
    c = np.linalg.norm(target - hip, axis=-1)
    u = normalize(target - hip)
    c = np.clip(c, abs(la - lb) + 1e-9, la + lb)
    cos_a = np.clip((la * la + c * c - lb * lb) / (2.0 * la * c), -1.0, 1.0)
    v = normalize(pole - np.sum(pole * u, -1, keepdims=True) * u)
    knee = hip + la * (cos_a[:, None] * u + np.sqrt(1.0 - cos_a**2)[:, None] * v)
    thigh_ref = ref_all[thigh]
    r1 = minimal_rotation(thigh_ref @ (k0 - h0), knee - hip)
    world[thigh] = r1 @ thigh_ref
    shin_tmp = r1 @ ref_all[shin]
    ankle_now = knee + np.einsum("nij,j->ni", shin_tmp, f0 - k0)
    r2 = minimal_rotation(ankle_now - knee, target - knee)
    world[shin] = r2 @ shin_tmp
    if foot is not None:
        world[foot] = ref_all[foot]


_LEG_ROLES = frozenset(f"{x}.{s}" for x in ("thigh", "shin", "foot") for s in ("L", "R"))


def retarget(curves: Mapping[str, Any], plan: RetargetPlan) -> dict[str, F64]:
    """Bone → (n, 3, 3) pose-bone rotations (``matrix_basis``'s rotation) of every mapped
    bone, from canonical curves (role → (n, 3) Euler XYZ radians, as ``joint_curves``)."""
    canon = canonical_deltas(curves)
    world = _target_world(plan, canon)
    if plan.legs:
        still = frozenset(r for r in BONE_ROLES if r not in _LEG_ROLES)
        ref = _target_world(plan, canonical_deltas(curves, zero=still))
        for leg in plan.legs:
            _solve_leg(plan, world, ref, leg)
    return _local(plan, world)


def retarget_values(
    curves: Mapping[str, Any], plan: RetargetPlan, modes: Mapping[str, str]
) -> dict[str, F64]:
    """Bone → (n, 3|4) values in each bone's own ``rotation_mode`` (``modes``: bone → mode,
    every mapped bone), continuous along the clip: what a writer keys without changing any
    bone's rotation mode."""
    missing = sorted(set(plan.bone_map.values()) - set(modes))
    if missing:
        raise ValueError(f"no rotation mode given for bone(s) {missing}")
    return {b: to_mode(m, modes[b]) for b, m in retarget(curves, plan).items()}


def canonical_curves(
    values: Mapping[str, Any], plan: RetargetPlan, modes: Mapping[str, str]
) -> dict[str, NDArray[np.float32]]:
    """Inverse of :func:`retarget_values`: role → (n, 3) float32 canonical Euler XYZ of every
    mapped role, from the values keyed on the rig (bone → (n, 3|4) in ``modes[bone]``).

    Roles the rig lacks read as rest, so their motion shows in the mapped role below them
    (no neck: the head's value carries the neck's turn too); solved legs read as solved.
    """
    local = {b: from_mode(values[b], modes[b]) for b in plan.bone_map.values() if b in values}
    if not local:
        raise ValueError("none of the mapped bones has values")
    n = len(next(iter(local.values())))
    world = world_deltas(plan, local)
    a = plan.frame
    canon: dict[str, F64] = {}
    out: dict[str, NDArray[np.float32]] = {}
    for i, role in enumerate(_CANON.names):
        p = ROLE_PARENT[role]
        base = canon[p] if p is not None else np.broadcast_to(np.eye(3), (n, 3, 3))
        bone = plan.bone_map.get(role)
        if bone is None or bone not in local:
            canon[role] = np.array(base)
            continue
        canon[role] = a.T @ world[bone] @ plan.corrections[bone].T @ a
        rest = _CANON.rest[i]
        rel = rest.T @ np.swapaxes(base, -1, -2) @ canon[role] @ rest
        out[role] = matrix_to_euler(rel, "XYZ", previous=np.zeros(3)).astype(np.float32)
    return out
