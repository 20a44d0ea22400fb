"""Blender's rotation conventions in numpy: bone rest frames, Euler orders, quaternions, axis-angle.

Matrices act on column vectors; an array of shape (..., 3, 3) holds one rotation per leading
index. The conventions are Blender's, so values computed here can be written to a pose bone
as they are:

* Euler order ``"XYZ"`` applies X first: R = Rz · Ry · Rx (``rotation_euler``); likewise for
  the five other orders.
* Quaternions are (w, x, y, z) (``rotation_quaternion``).
* Axis-angle is (angle, x, y, z) (``rotation_axis_angle``).
* A bone's rest orientation is ``vec_roll_to_mat3(tail − head, roll)``: its columns are the
  bone's local X, Y, Z in armature space, Y along the bone (``Bone.matrix_local``).

Sequences of rotations are converted with continuity: quaternions keep the sign of the previous
frame, Euler angles take the equivalent triple (2π turns, the alternate solution) closest to the
previous frame, axis-angle keeps its axis on the previous frame's side.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]

EULER_ORDERS: tuple[str, ...] = ("XYZ", "XZY", "YXZ", "YZX", "ZXY", "ZYX")
ROTATION_MODES: tuple[str, ...] = ("QUATERNION", *EULER_ORDERS, "AXIS_ANGLE")
"""Blender's ``PoseBone.rotation_mode`` values."""

MODE_CHANNELS: dict[str, int] = {m: 3 for m in EULER_ORDERS} | {"QUATERNION": 4, "AXIS_ANGLE": 4}
"""Values per frame in each rotation mode (the F-curve array indices of its data path)."""

MODE_DATA_PATH: dict[str, str] = {m: "rotation_euler" for m in EULER_ORDERS} | {
    "QUATERNION": "rotation_quaternion",
    "AXIS_ANGLE": "rotation_axis_angle",
}
"""Pose-bone property that holds the rotation in each mode."""


def _f64(x: Any) -> F64:
    return np.asarray(x, dtype=np.float64)


def check_mode(mode: str) -> str:
    """``mode`` if it is one of ``ROTATION_MODES``; a ValueError naming the choices otherwise."""
    if mode not in ROTATION_MODES:
        raise ValueError(f"unknown rotation mode {mode!r}; use one of {list(ROTATION_MODES)}")
    return mode


def normalize(v: Any, eps: float = 1e-12) -> F64:
    """Unit vectors along the last axis (zero vectors stay zero)."""
    a = _f64(v)
    n = np.linalg.norm(a, axis=-1, keepdims=True)
    return np.asarray(a / np.maximum(n, eps), dtype=np.float64)


def axis_angle_matrix(axis: Any, angle: Any) -> F64:
    """Rotation by ``angle`` (radians, right hand) about ``axis`` (normalised here)."""
    u = normalize(axis)
    t = _f64(angle)[..., None, None]
    c, s = np.cos(t), np.sin(t)
    k = np.zeros((*u.shape[:-1], 3, 3))
    k[..., 0, 1], k[..., 0, 2], k[..., 1, 2] = -u[..., 2], u[..., 1], -u[..., 0]
    k[..., 1, 0], k[..., 2, 0], k[..., 2, 1] = u[..., 2], -u[..., 1], u[..., 0]
    outer = u[..., :, None] * u[..., None, :]
    return np.asarray(c * np.eye(3) + s * k + (1.0 - c) * outer, dtype=np.float64)


def vec_roll_to_mat3(direction: Any, roll: Any) -> F64:
    """Blender's bone rest orientation from its direction (head → tail) and roll (radians).

    Same construction as Blender's ``vec_roll_to_mat3_normalized``: the shortest rotation that
    takes +Y to the direction, then ``roll`` about the direction; a direction along −Y uses
    Blender's symmetric fallback.
    """
    n = normalize(direction)
    x, y, z = n[..., 0], n[..., 1], n[..., 2]
    theta = 1.0 + y
    theta_alt = x * x + z * z
    regular = (theta > 6.1e-3) | (theta_alt > 2.5e-4**2)
    theta = np.where(theta <= 6.1e-3, theta_alt * 0.5 + theta_alt * theta_alt * 0.125, theta)
    theta = np.where(regular, theta, 1.0)
    b = np.zeros((*n.shape[:-1], 3, 3))
    # Columns are the local axes: X, Y (= direction), Z.
    b[..., 0, 0] = 1.0 - x * x / theta
    b[..., 1, 0] = -x
    b[..., 2, 0] = -x * z / theta
    b[..., 0, 1], b[..., 1, 1], b[..., 2, 1] = x, y, z
    b[..., 0, 2] = -x * z / theta
    b[..., 1, 2] = -z
    b[..., 2, 2] = 1.0 - z * z / theta
    flip = np.diag([-1.0, -1.0, 1.0])
    b = np.where(regular[..., None, None], b, flip)
    return np.asarray(axis_angle_matrix(n, roll) @ b, dtype=np.float64)


def bone_roll(direction: Any, rest: Any) -> F64:
    """The roll that, with ``direction``, gives the rest orientation ``rest`` (inverse of
    :func:`vec_roll_to_mat3`): the angle from the roll-0 Z axis to ``rest``'s Z axis."""
    zero = vec_roll_to_mat3(direction, np.zeros(np.shape(direction)[:-1]))
    r = _f64(rest)
    z0, z1, y = zero[..., :, 2], r[..., :, 2], normalize(direction)
    return np.asarray(np.arctan2(np.sum(np.cross(z0, z1) * y, -1), np.sum(z0 * z1, -1)))


def _axis_matrix(axis: int, angle: F64) -> F64:
    c, s = np.cos(angle), np.sin(angle)
    m = np.zeros((*angle.shape, 3, 3))
    i, j = (axis + 1) % 3, (axis + 2) % 3
    m[..., axis, axis] = 1.0
    m[..., i, i] = c
    m[..., j, j] = c
    m[..., j, i] = s
    m[..., i, j] = -s
    return m


def _order_axes(order: str) -> tuple[int, int, int]:
    if order not in EULER_ORDERS:
        raise ValueError(f"unknown Euler order {order!r}; use one of {list(EULER_ORDERS)}")
    i, j, k = ("XYZ".index(c) for c in order)
    return i, j, k


def euler_to_matrix(angles: Any, order: str = "XYZ") -> F64:
    """Euler angles (..., 3) in radians, given as (X, Y, Z) values, applied in ``order``."""
    a = _f64(angles)
    i, j, k = _order_axes(order)
    return np.asarray(
        _axis_matrix(k, a[..., k]) @ _axis_matrix(j, a[..., j]) @ _axis_matrix(i, a[..., i]),
        dtype=np.float64,
    )


def _euler_pair(m: F64, order: str) -> tuple[F64, F64]:
    """The two (X, Y, Z) Euler solutions of rotation matrices ``m`` (..., 3, 3)."""
    i, j, k = _order_axes(order)
    sign = 1.0 if (j - i) % 3 == 1 else -1.0  # even permutation of XYZ
    cy = np.hypot(m[..., i, i], m[..., j, i])
    regular = cy > 1e-7
    a1 = np.where(
        regular,
        np.arctan2(sign * m[..., k, j], m[..., k, k]),
        np.arctan2(-sign * m[..., j, k], m[..., j, j]),
    )
    b1 = np.arctan2(-sign * m[..., k, i], cy)
    c1 = np.where(regular, np.arctan2(sign * m[..., j, i], m[..., i, i]), 0.0)
    first = np.zeros((*m.shape[:-2], 3))
    first[..., i], first[..., j], first[..., k] = a1, b1, c1
    second = np.zeros_like(first)
    second[..., i] = a1 + math.pi
    second[..., j] = math.pi - b1
    second[..., k] = c1 + math.pi
    second = (second + math.pi) % (2.0 * math.pi) - math.pi
    return first, second


def _nearest_turn(a: F64, ref: F64) -> F64:
    """``a`` + 2πk closest to ``ref`` per component."""
    return np.asarray(a + 2.0 * math.pi * np.round((ref - a) / (2.0 * math.pi)), dtype=np.float64)


def matrix_to_euler(mats: Any, order: str = "XYZ", previous: Any = None) -> F64:
    """Euler (n, 3) of rotations (n, 3, 3), continuous along the sequence.

    Each frame takes, of the two solutions and their 2π turns, the triple closest to the
    previous frame (the first frame: closest to ``previous`` if given, else the solution with
    the smaller angles, as Blender picks).
    """
    m = _f64(mats)
    first, second = _euler_pair(m, order)
    out = np.empty_like(first)
    if previous is None:
        pick_second = np.abs(second[0]).sum() < np.abs(first[0]).sum()
        ref = second[0] if pick_second else first[0]
    else:
        ref = _f64(previous)
    for t in range(len(first)):
        c1 = _nearest_turn(first[t], ref)
        c2 = _nearest_turn(second[t], ref)
        ref = c2 if np.abs(c2 - ref).sum() < np.abs(c1 - ref).sum() else c1
        out[t] = ref
    return out


def quaternion_to_matrix(q: Any) -> F64:
    """(w, x, y, z) quaternions (normalised first, as Blender does) → rotation matrices."""
    w, x, y, z = np.moveaxis(normalize(q), -1, 0)
    m = np.empty((*w.shape, 3, 3))
    m[..., 0, 0] = 1 - 2 * (y * y + z * z)
    m[..., 0, 1] = 2 * (x * y - w * z)
    m[..., 0, 2] = 2 * (x * z + w * y)
    m[..., 1, 0] = 2 * (x * y + w * z)
    m[..., 1, 1] = 1 - 2 * (x * x + z * z)
    m[..., 1, 2] = 2 * (y * z - w * x)
    m[..., 2, 0] = 2 * (x * z - w * y)
    m[..., 2, 1] = 2 * (y * z + w * x)
    m[..., 2, 2] = 1 - 2 * (x * x + y * y)
    return m


def _quaternions(m: F64) -> F64:
    """Unit (w, x, y, z) of rotation matrices, any sign (largest-component method)."""
    tr = np.trace(m, axis1=-2, axis2=-1)
    cand = np.stack(
        [
            np.stack(
                [
                    1 + tr,
                    m[..., 2, 1] - m[..., 1, 2],
                    m[..., 0, 2] - m[..., 2, 0],
                    m[..., 1, 0] - m[..., 0, 1],
                ],
                -1,
            ),
            np.stack(
                [
                    m[..., 2, 1] - m[..., 1, 2],
                    1 + 2 * m[..., 0, 0] - tr,
                    m[..., 0, 1] + m[..., 1, 0],
                    m[..., 0, 2] + m[..., 2, 0],
                ],
                -1,
            ),
            np.stack(
                [
                    m[..., 0, 2] - m[..., 2, 0],
                    m[..., 0, 1] + m[..., 1, 0],
                    1 + 2 * m[..., 1, 1] - tr,
                    m[..., 1, 2] + m[..., 2, 1],
                ],
                -1,
            ),
            np.stack(
                [
                    m[..., 1, 0] - m[..., 0, 1],
                    m[..., 0, 2] + m[..., 2, 0],
                    m[..., 1, 2] + m[..., 2, 1],
                    1 + 2 * m[..., 2, 2] - tr,
                ],
                -1,
            ),
        ],
        -2,
    )
    diag = np.stack([tr, m[..., 0, 0], m[..., 1, 1], m[..., 2, 2]], -1)
    best = np.argmax(diag, axis=-1)
    q = np.take_along_axis(cand, best[..., None, None], axis=-2)[..., 0, :]
    return normalize(q)


def matrix_to_quaternion(mats: Any, previous: Any = None) -> F64:
    """(n, 4) (w, x, y, z) of rotations (n, 3, 3), each frame on the previous frame's side
    (the first frame: on ``previous``'s side if given, else w ≥ 0)."""
    q = _quaternions(_f64(mats))
    ref = np.array([1.0, 0.0, 0.0, 0.0]) if previous is None else _f64(previous)
    for t in range(len(q)):
        if float(q[t] @ ref) < 0.0:
            q[t] = -q[t]
        ref = q[t]
    return q


def axis_angle_to_matrix(v: Any) -> F64:
    """(angle, x, y, z) → rotation matrices; a zero axis means no rotation (as Blender)."""
    a = _f64(v)
    axis = a[..., 1:]
    zero = np.linalg.norm(axis, axis=-1) < 1e-12
    m = axis_angle_matrix(np.where(zero[..., None], [0.0, 1.0, 0.0], axis), a[..., 0])
    return np.asarray(np.where(zero[..., None, None], np.eye(3), m), dtype=np.float64)


def matrix_to_axis_angle(mats: Any, previous: Any = None) -> F64:
    """(n, 4) (angle, x, y, z) with unit axes, continuous: each frame keeps its axis on the
    previous frame's side (a negative angle rather than a flipped axis). Frames without
    rotation take the axis of the nearest rotated frame before them, else after them (else
    ``previous``'s, else +Y as Blender's default), so a joint leaving rest does not snap its
    axis."""
    q = matrix_to_quaternion(mats)
    s = np.linalg.norm(q[:, 1:], axis=1)
    moving = s > 1e-9
    axes = np.where(moving[:, None], q[:, 1:] / np.maximum(s, 1e-300)[:, None], 0.0)
    angles = 2.0 * np.arctan2(s, q[:, 0])
    ref = np.array([0.0, 1.0, 0.0]) if previous is None else _f64(previous)[1:]
    idx = np.flatnonzero(moving)
    if previous is None and idx.size:
        ref = axes[idx[0]]
    out = np.empty_like(q)
    for t in range(len(q)):
        if moving[t]:
            axis, angle = axes[t], float(angles[t])
            if float(axis @ ref) < 0.0:
                axis, angle = -axis, -angle
            ref = axis
        else:
            angle = 0.0
        out[t] = (angle, *ref)
    return out


def to_mode(mats: Any, mode: str, previous: Any = None) -> F64:
    """(n, 3|4) values of rotations (n, 3, 3) in a pose bone's ``rotation_mode``, continuous
    along the sequence (``previous``: the value just before the first frame, if any)."""
    if check_mode(mode) == "QUATERNION":
        return matrix_to_quaternion(mats, previous)
    if mode == "AXIS_ANGLE":
        return matrix_to_axis_angle(mats, previous)
    return matrix_to_euler(mats, mode, previous)


def from_mode(values: Any, mode: str) -> F64:
    """Rotation matrices (..., 3, 3) of values (..., 3|4) in ``rotation_mode``."""
    v = _f64(values)
    if v.shape[-1] != MODE_CHANNELS[check_mode(mode)]:
        raise ValueError(f"{mode} values need {MODE_CHANNELS[mode]} channels, got {v.shape[-1]}")
    if mode == "QUATERNION":
        return quaternion_to_matrix(v)
    if mode == "AXIS_ANGLE":
        return axis_angle_to_matrix(v)
    return euler_to_matrix(v, mode)


def rotation_angle(mats: Any) -> F64:
    """Angle (radians, [0, π]) of each rotation (..., 3, 3)."""
    m = _f64(mats)
    cos = (np.trace(m, axis1=-2, axis2=-1) - 1.0) / 2.0
    sin = (
        np.linalg.norm(
            np.stack(
                [
                    m[..., 2, 1] - m[..., 1, 2],
                    m[..., 0, 2] - m[..., 2, 0],
                    m[..., 1, 0] - m[..., 0, 1],
                ],
                -1,
            ),
            axis=-1,
        )
        / 2.0
    )
    return np.asarray(np.arctan2(sin, cos), dtype=np.float64)  # precise near 0, unlike arccos


def angle_between(a: Any, b: Any) -> F64:
    """Geodesic distance (radians) between rotations ``a`` and ``b`` (..., 3, 3)."""
    return rotation_angle(np.swapaxes(_f64(a), -1, -2) @ _f64(b))


def minimal_rotation(u: Any, v: Any) -> F64:
    """The smallest rotation taking direction ``u`` to direction ``v`` (..., 3); opposite
    directions turn by π about an axis perpendicular to ``u``."""
    a, b = normalize(u), normalize(v)
    axis = np.cross(a, b)
    s = np.linalg.norm(axis, axis=-1)
    c = np.sum(a * b, axis=-1)
    helper = np.where(np.abs(a[..., :1]) < 0.9, [1.0, 0.0, 0.0], [0.0, 1.0, 0.0])
    perp = np.cross(a, helper)
    axis = np.where((s < 1e-9)[..., None] & (c < 0)[..., None], perp, axis)
    return axis_angle_matrix(axis, np.arctan2(s, c))


def orthonormal(m: Any) -> F64:
    """The rotation nearest to each (..., 3, 3) matrix (polar decomposition), so scaled or
    sheared bone matrices still give a pure rotation."""
    u, _, vt = np.linalg.svd(_f64(m))
    r = u @ vt
    det = np.linalg.det(r)
    u[..., :, 2] *= np.where(det < 0, -1.0, 1.0)[..., None]
    return np.asarray(u @ vt, dtype=np.float64)
