"""Blender's rotation conventions in numpy: checked against closed forms and against bpy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from bpy_runner import run_bpy

from moodrig.core.rotation import (
    EULER_ORDERS,
    ROTATION_MODES,
    angle_between,
    axis_angle_matrix,
    bone_roll,
    euler_to_matrix,
    from_mode,
    matrix_to_axis_angle,
    matrix_to_euler,
    matrix_to_quaternion,
    minimal_rotation,
    orthonormal,
    to_mode,
    vec_roll_to_mat3,
)

RNG = np.random.default_rng(7)


def _rx(a: float) -> np.ndarray:
    return axis_angle_matrix([1, 0, 0], a)


def test_euler_orders_apply_the_first_letter_first() -> None:
    x, y, z = 0.3, -0.7, 1.1
    rx, ry, rz = _rx(x), axis_angle_matrix([0, 1, 0], y), axis_angle_matrix([0, 0, 1], z)
    by_axis = {"X": rx, "Y": ry, "Z": rz}
    for order in EULER_ORDERS:
        a, b, c = (by_axis[k] for k in order)
        np.testing.assert_allclose(euler_to_matrix([x, y, z], order), c @ b @ a, atol=1e-12)
    # Blender's eul_to_mat3, written out for XYZ.
    ci, cj, ch, si, sj, sh = (
        math.cos(x),
        math.cos(y),
        math.cos(z),
        math.sin(x),
        math.sin(y),
        math.sin(z),
    )
    m = euler_to_matrix([x, y, z], "XYZ")
    assert m[0, 0] == pytest.approx(cj * ch) and m[2, 0] == pytest.approx(-sj)
    assert m[0, 1] == pytest.approx(sj * si * ch - ci * sh) and m[2, 2] == pytest.approx(cj * ci)


@pytest.mark.parametrize("order", EULER_ORDERS)
def test_euler_round_trip_and_continuity(order: str) -> None:
    angles = RNG.uniform(-1.4, 1.4, (50, 3))
    for a in angles:  # unrelated frames one by one: Blender's own pick, the smaller angles
        np.testing.assert_allclose(
            matrix_to_euler(euler_to_matrix(a[None], order), order)[0], a, atol=1e-9
        )
    # A turn that winds past ±π stays continuous (no 2π jumps) and means the same rotation.
    t = np.linspace(0, 1, 200)
    path = np.stack([0.2 * np.sin(3 * t), 0.4 * t, 5.0 * t], axis=1)
    got = matrix_to_euler(euler_to_matrix(path, order), order)
    assert np.abs(np.diff(got, axis=0)).max() < 0.1
    assert angle_between(euler_to_matrix(got, order), euler_to_matrix(path, order)).max() < 1e-9
    np.testing.assert_allclose(got, path, atol=1e-9)


def test_quaternion_and_axis_angle_are_continuous() -> None:
    t = np.linspace(0, 1, 300)
    mats = axis_angle_matrix(np.stack([np.sin(t), np.cos(t), 0.3 + 0 * t], 1), 7.0 * t - 1.0)
    q = matrix_to_quaternion(mats)
    assert np.abs(np.diff(q, axis=0)).max() < 0.05 and q[0, 0] >= 0
    np.testing.assert_allclose(from_mode(q, "QUATERNION"), mats, atol=1e-9)
    aa = matrix_to_axis_angle(mats)
    assert np.abs(np.diff(aa, axis=0)).max() < 0.1  # passes through identity without a flip
    np.testing.assert_allclose(np.linalg.norm(aa[:, 1:], axis=1), 1.0)
    np.testing.assert_allclose(from_mode(aa, "AXIS_ANGLE"), mats, atol=1e-9)
    np.testing.assert_allclose(from_mode([0.0, 0.0, 0.0, 0.0], "AXIS_ANGLE"), np.eye(3))


@pytest.mark.parametrize("mode", ROTATION_MODES)
def test_every_mode_round_trips(mode: str) -> None:
    mats = euler_to_matrix(RNG.uniform(-3, 3, (40, 3)), "XYZ")
    vals = to_mode(mats, mode)
    assert vals.shape == (40, 4 if mode in ("QUATERNION", "AXIS_ANGLE") else 3)
    assert angle_between(from_mode(vals, mode), mats).max() < 1e-9
    with pytest.raises(ValueError, match="channels"):
        from_mode(np.zeros((3, 5)), mode)
    with pytest.raises(ValueError, match="unknown rotation mode"):
        to_mode(mats, "xyz")


def test_bone_rest_frames_follow_blenders_rule() -> None:
    up = vec_roll_to_mat3([0, 0, 2.0], 0.0)
    np.testing.assert_allclose(up, [[1, 0, 0], [0, 0, -1], [0, 1, 0]], atol=1e-12)  # X, Y=up, Z=-Y
    dirs = RNG.normal(size=(30, 3))
    rolls = RNG.uniform(-3, 3, 30)
    m = vec_roll_to_mat3(dirs, rolls)
    np.testing.assert_allclose(
        m @ np.swapaxes(m, 1, 2), np.broadcast_to(np.eye(3), m.shape), atol=1e-12
    )
    np.testing.assert_allclose(
        m[:, :, 1], dirs / np.linalg.norm(dirs, axis=1, keepdims=True), atol=1e-12
    )
    back = bone_roll(dirs, m)
    np.testing.assert_allclose(
        np.remainder(back - rolls + np.pi, 2 * np.pi) - np.pi, 0.0, atol=1e-9
    )
    down = vec_roll_to_mat3([0, -1, 0], 0.0)  # the singular direction uses Blender's fallback
    np.testing.assert_allclose(down, np.diag([-1.0, -1.0, 1.0]))


def test_minimal_rotation_and_orthonormal() -> None:
    u, v = RNG.normal(size=(20, 3)), RNG.normal(size=(20, 3))
    r = minimal_rotation(u, v)
    got = np.einsum("nij,nj->ni", r, u / np.linalg.norm(u, axis=1, keepdims=True))
    np.testing.assert_allclose(got, v / np.linalg.norm(v, axis=1, keepdims=True), atol=1e-12)
    flip = minimal_rotation([1.0, 0, 0], [-1.0, 0, 0])
    np.testing.assert_allclose(flip @ [1.0, 0, 0], [-1.0, 0, 0], atol=1e-12)
    scaled = 2.5 * euler_to_matrix([0.1, 0.2, 0.3], "XYZ")
    np.testing.assert_allclose(
        orthonormal(scaled), euler_to_matrix([0.1, 0.2, 0.3], "XYZ"), atol=1e-12
    )


def test_matches_blender_itself() -> None:
    """Bone rest matrices from head/tail/roll and every rotation mode, against bpy 5.0.1."""
    dirs = [
        [0, 0, 1],
        [0, 0, -1],
        [1, 0, 0],
        [-1, 0, 0],
        [0, 1, 0],
        [0, -1, 0],
        [0, -1, 1e-5],
        *RNG.normal(size=(12, 3)).tolist(),
    ]
    rolls = RNG.uniform(-3, 3, len(dirs)).tolist()
    angles = RNG.uniform(-3, 3, (6, 3)).tolist()
    res = run_bpy(f"""
        import bpy, mathutils
        dirs, rolls, angles = {dirs!r}, {rolls!r}, {angles!r}
        arm = bpy.data.armatures.new("a")
        ob = bpy.data.objects.new("a", arm)
        bpy.context.scene.collection.objects.link(ob)
        bpy.context.view_layer.objects.active = ob
        bpy.ops.object.mode_set(mode="EDIT")
        for i, (d, r) in enumerate(zip(dirs, rolls)):
            b = arm.edit_bones.new(f"b{{i}}")
            b.head, b.tail, b.roll = (0, 0, 0), d, r
        bpy.ops.object.mode_set(mode="OBJECT")
        rest = [[list(row) for row in arm.bones[f"b{{i}}"].matrix_local.to_3x3()]
                for i in range(len(dirs))]
        orders = {{o: [[list(r) for r in mathutils.Euler(a, o).to_matrix()] for a in angles]
                  for o in ("XYZ", "XZY", "YXZ", "YZX", "ZXY", "ZYX")}}
        quats = [list(mathutils.Euler(a, "XYZ").to_quaternion()) for a in angles]
        report(dict(rest=rest, orders=orders, quats=quats))
    """)
    np.testing.assert_allclose(vec_roll_to_mat3(dirs, rolls), res["rest"], atol=2e-5)
    for order, mats in res["orders"].items():
        np.testing.assert_allclose(euler_to_matrix(angles, order), mats, atol=2e-6)
    q = matrix_to_quaternion(euler_to_matrix(angles, "XYZ"))
    ref = np.asarray(res["quats"])
    np.testing.assert_allclose(q * np.sign((q * ref).sum(1, keepdims=True)), ref, atol=2e-6)
