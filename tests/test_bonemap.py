"""Bone maps: automatic mapping for the conventions users bring, user maps, the bone map file."""

from __future__ import annotations

import json
from pathlib import Path

import humanoid_rigs as H
import pytest

from moodrig.core.bonemap import (
    AUTO,
    DOUBTFUL,
    MANUAL,
    UNMAPPED,
    BoneMapError,
    auto_map,
    check_bake_coverage,
    parse_name,
    read_bone_map,
    resolve_bone_map,
    validate_bone_map,
    write_bone_map,
)
from moodrig.core.rig import BONE_MAP_PRESETS, BONE_ROLES

DATA = Path(__file__).parent / "data"

# (rig, roles the report may call doubtful: found by structure among several bones)
CONVENTIONS = [
    (H.demo(), ()),
    (H.mixamo("mixamorig:"), ()),
    (H.mixamo("mixamorig1:"), ()),
    (H.mixamo(""), ()),
    (H.vrm(), ()),
    (H.unreal(), ()),
    (H.metarig(), ("hips", "neck", "head")),
    (H.biped(), ()),
    (H.plain("suffix"), ()),
    (H.plain("underscore"), ()),
    (H.plain("camel"), ()),
    (H.plain("prefix"), ()),
    (H.six_bones(), ("hips",)),
]


@pytest.mark.parametrize(("rig", "doubtful"), CONVENTIONS, ids=[r.name for r, _ in CONVENTIONS])
def test_each_convention_maps_every_role_it_has(rig: H.TestRig, doubtful: tuple[str, ...]) -> None:
    rep = auto_map(rig.names, rig.parents)
    assert rep.bone_map == rig.expected
    assert set(rep.roles(DOUBTFUL)) == set(doubtful)
    assert set(rep.roles(UNMAPPED)) == set(BONE_ROLES) - set(rig.expected)
    assert set(rep.roles(AUTO)) == set(rig.expected) - set(doubtful)
    assert rep.collisions == {}
    assert len(set(rep.bone_map.values())) == len(rep.bone_map)  # one bone, one role


def test_parents_and_heads_may_be_given_as_mappings() -> None:
    rig = H.unreal()
    rep = auto_map(
        rig.names,
        dict(zip(rig.names, rig.parents, strict=True)),
        dict(zip(rig.names, rig.heads, strict=True)),
    )
    assert rep.bone_map == rig.expected and rep.convention == "unreal"


def test_helper_twist_ik_and_finger_bones_never_play_a_role() -> None:
    for rig in (H.unreal(), H.mixamo(), H.vrm(), H.metarig()):
        chosen = set(auto_map(rig.names, rig.parents).bone_map.values())
        for bone in chosen:
            assert not any(
                w in bone.lower() for w in ("twist", "ik_", "index", "end", "toe", "sec")
            ), bone


def test_names_are_read_case_and_separator_insensitively() -> None:
    for name, stem, side in [
        ("mixamorig:LeftForeArm", "forearm", "L"),
        ("mixamorig1:RightUpLeg", "upleg", "R"),
        ("J_Bip_L_UpperArm", "upperarm", "L"),
        ("upperarm_l", "upperarm", "L"),
        ("UpperArm_L", "upperarm", "L"),
        ("Left_UpperArm", "upperarm", "L"),
        ("L_Thigh", "thigh", "L"),
        ("arm.R", "arm", "R"),
        ("ARM-r", "arm", "R"),
        ("Bip01 R Forearm", "forearm", "R"),
        ("upper_arm_fk.L", "upperarm", "L"),
        ("DEF-upper_arm.L.001", "upperarm", "L"),
        ("Head", "head", None),
        ("neck_01", "neck", None),
    ]:
        p = parse_name(name)
        assert (p.stem, p.side) == (stem, side), name
        assert not p.rejected, name
    assert parse_name("spine.003").index == 3 and parse_name("Spine2").index == 2
    assert parse_name("upper_arm_fk.L").fk and parse_name("ORG-hand.L").prefix == "org"
    for name in (
        "MCH-hand_fk.L",
        "upperarm_twist_01_l",
        "mixamorig:HeadTop_End",
        "IK-foot.l",
        "kneeIK.l",
        "J_Sec_Hair1_01",
        "J_Adj_L_FaceEye",
        "hand_ik.L",
        "thumb_01_l",
        "upper_arm_tweak.L",
        "control-heel-roll.l",
        "mixamorig:LeftHandIndex1",
    ):
        assert parse_name(name).rejected, name


def test_knight_glb_maps_its_own_convention(shared_data: Path) -> None:
    rig = H.gltf_rig(shared_data / "characters" / "kaykit_knight" / "Knight.glb")
    assert len(rig.names) == 41
    rep = auto_map(rig.names, rig.parents, rig.heads)
    assert rep.bone_map == {
        "hips": "hips",
        "spine": "spine",
        "chest": "chest",
        "head": "head",
        "upper_arm.L": "upperarm.l",
        "forearm.L": "lowerarm.l",
        "hand.L": "wrist.l",
        "upper_arm.R": "upperarm.r",
        "forearm.R": "lowerarm.r",
        "hand.R": "wrist.r",
        "thigh.L": "upperleg.l",
        "shin.L": "lowerleg.l",
        "foot.L": "foot.l",
        "thigh.R": "upperleg.r",
        "shin.R": "lowerleg.r",
        "foot.R": "foot.r",
    }
    assert set(rep.roles(UNMAPPED)) == {"neck", "shoulder.L", "shoulder.R"}
    assert rep.roles(DOUBTFUL) == ()
    hand = next(m for m in rep.matches if m.role == "hand.L")
    assert "hand.l" in hand.candidates and "wrist" in hand.reason


def _rigify() -> tuple[list[str], list[str | None], list[str], list[str | None]]:
    d = json.loads((DATA / "rigify_bones.json").read_text())
    return (
        [n for n, _ in d["rig"]],
        [p for _, p in d["rig"]],
        [n for n, _ in d["metarig"]],
        [p for _, p in d["metarig"]],
    )


def test_a_generated_rigify_rig_keys_its_fk_controls() -> None:
    names, parents, meta_names, meta_parents = _rigify()
    rep = auto_map(names, parents)
    assert rep.bone_map == BONE_MAP_PRESETS["rigify"] and rep.roles(AUTO) == BONE_ROLES
    # A Rigify rig without some of the controls: the ones it has, the rest by name.
    keep = [i for i, n in enumerate(names) if n not in ("spine_fk.001", "hand_fk.L")]
    rep = auto_map([names[i] for i in keep], [parents[i] for i in keep])
    assert rep.convention == "rigify"
    assert rep.bone_map["forearm.L"] == "forearm_fk.L" and rep.bone_map["chest"] == "chest"
    assert rep.bone_map["hand.L"] not in ("hand_ik.L",) and not rep.bone_map["hand.L"].startswith(
        "MCH"
    )
    assert rep.bone_map.get("spine", "").startswith(("spine_fk", "DEF-spine", "ORG-spine"))
    # Blender's own Human metarig.
    meta = auto_map(meta_names, meta_parents)
    assert meta.bone_map["hips"] == "spine" and meta.bone_map["spine"] == "spine.001"
    assert meta.bone_map["chest"] == "spine.003" and meta.bone_map["head"] == "spine.006"
    assert meta.bone_map["upper_arm.L"] == "upper_arm.L" and meta.bone_map["foot.R"] == "foot.R"


def test_side_comes_from_the_position_when_names_say_nothing() -> None:
    rig = H.unnamed_sides()
    rep = auto_map(rig.names, rig.parents, rig.heads)
    assert rep.bone_map == rig.expected
    limbs = [r for r in BONE_ROLES if "." in r]
    assert set(rep.roles(DOUBTFUL)) == set(limbs)
    assert all("position" in m.reason for m in rep.matches if m.role in limbs)
    # Without positions the sides stay unknown: limbs unmapped, never guessed.
    assert set(auto_map(rig.names, rig.parents).roles(UNMAPPED)) == set(limbs)


def test_equal_names_collide_and_are_reported() -> None:
    rig = H.plain("suffix")
    rig.add("head", "Neck", rig.heads[4], rig.tails[4])
    rep = auto_map(rig.names, rig.parents)
    assert set(rep.collisions["head"]) == {"Head", "head"}
    assert rep.bone_map["head"] in ("Head", "head") and "head" in rep.roles(DOUBTFUL)
    assert any("collision: head" in line for line in rep.lines())


def test_order_mistakes_are_doubtful() -> None:
    rig = H.plain("underscore")
    i = rig.names.index("hand_l")
    rig.parents[i] = "chest"  # a hand hanging off the chest, not the forearm
    rep = auto_map(rig.names, rig.parents)
    m = next(m for m in rep.matches if m.role == "hand.L")
    assert m.bone == "hand_l" and m.status == DOUBTFUL and "forearm.L" in m.reason


def test_user_maps_are_validated_against_the_rig() -> None:
    names = ["Hips", "Head", "Neck"]
    assert validate_bone_map({"head": "Head", "neck": "Neck"}, names).ok
    bad = validate_bone_map(
        {"head": "Head", "neck": "Head", "tail": "Hips", "hips": "Pelvis", "chest": 3}, names
    )
    assert bad.unknown_roles == ("tail",)
    assert bad.missing_bones == (("hips", "Pelvis"),)
    assert bad.duplicates == (("Head", ("neck", "head")),)
    assert bad.not_strings == ("chest",)
    msg = bad.message()
    assert "tail" in msg and "Pelvis" in msg and "'Head' (neck, head)" in msg and "chest" in msg


def test_a_bake_needs_the_head_and_one_more_role() -> None:
    check_bake_coverage({"head": "Head", "neck": "Neck"})
    for bone_map in ({}, {"head": "Head"}, {"neck": "Neck", "chest": "Chest"}):
        with pytest.raises(BoneMapError, match="needs the head plus at least one other role"):
            check_bake_coverage(bone_map)
    with pytest.raises(BoneMapError, match=r"maps 2 role\(s\) \(chest, neck\)"):
        check_bake_coverage({"neck": "Neck", "chest": "Chest"})


def test_bone_map_files_round_trip_and_name_the_file_on_errors(tmp_path: Path) -> None:
    rig = H.vrm()
    path = write_bone_map(tmp_path / "vrm.json", rig.expected, rig="Armature")
    data = json.loads(path.read_text())
    assert data["format"] == "moodrig.bonemap/1" and data["rig"] == "Armature"
    assert list(data["bones"]) == [r for r in BONE_ROLES if r in rig.expected]
    assert read_bone_map(path) == rig.expected
    cases = {
        "missing.json": (None, "no such bone map file"),
        "syntax.json": ('{"format": ', "not valid JSON"),
        "list.json": ("[]", "JSON object"),
        "format.json": (
            '{"format": "moodrig.bonemap/9", "bones": {}}',
            "expected 'moodrig.bonemap/1'",
        ),
        "key.json": ('{"format": "moodrig.bonemap/1", "bones": {}, "extra": 1}', "unknown key"),
        "role.json": ('{"format": "moodrig.bonemap/1", "bones": {"tail": "x"}}', "unknown role"),
        "dup.json": (
            '{"format": "moodrig.bonemap/1", "bones": {"head": "a", "head": "b"}}',
            "duplicate key",
        ),
        "twice.json": (
            '{"format": "moodrig.bonemap/1", "bones": {"head": "a", "neck": "a"}}',
            "several roles",
        ),
        "type.json": ('{"format": "moodrig.bonemap/1", "bones": {"head": 1}}', "bone name"),
        "bones.json": ('{"format": "moodrig.bonemap/1", "bones": []}', "'bones' must be"),
    }
    for name, (text, problem) in cases.items():
        p = tmp_path / name
        if text is not None:
            p.write_text(text)
        with pytest.raises(BoneMapError) as err:
            read_bone_map(p)
        assert str(p) in str(err.value) and problem in str(err.value), (name, str(err.value))
        assert "\n" not in str(err.value)


def test_bone_map_spec_auto_preset_or_file(tmp_path: Path) -> None:
    rig = H.mixamo("mixamorig:")
    assert resolve_bone_map("auto", rig.names, rig.parents).bone_map == rig.expected
    knight_like = H.plain("camel")
    rep = resolve_bone_map("mixamo", knight_like.names, knight_like.parents)
    assert rep.bone_map == {} and set(rep.roles(UNMAPPED)) == set(BONE_ROLES)
    rep = resolve_bone_map("demo", H.demo().names, H.demo().parents)
    assert rep.bone_map == BONE_MAP_PRESETS["demo"]
    path = write_bone_map(tmp_path / "m.json", {"head": "mixamorig:Head", "neck": "mixamorig:Neck"})
    rep = resolve_bone_map(str(path), rig.names, rig.parents)
    assert rep.bone_map == {"head": "mixamorig:Head", "neck": "mixamorig:Neck"}
    assert set(rep.roles(MANUAL)) == {"head", "neck"}
    other = write_bone_map(tmp_path / "o.json", {"head": "Head"})
    with pytest.raises(BoneMapError, match=r"o\.json.*not in the rig.*head → 'Head'"):
        resolve_bone_map(str(other), rig.names, rig.parents)
    with pytest.raises(BoneMapError, match="unknown bone map 'fancy'"):
        resolve_bone_map("fancy", rig.names, rig.parents)
