"""Humanoid rigs of the conventions users bring, built in numpy for the bone-map and retarget
tests: names and hierarchies as those tools make them, T- or A-pose rests, bone rolls chosen
per rig (zero, Mixamo-like quarter turns, or arbitrary).

Geometry follows the demo rig (Z up, facing −Y, left = +X) so that world-space results can be
compared with it; what differs is what a rig can differ in: names, extra and missing bones,
the arm angle at rest, and every bone's roll.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from moodrig.core.retarget import RestRig, rest_rig

Vec = tuple[float, float, float]


@dataclass
class TestRig:
    """Bones in creation order, and the bone map a TD would write by hand."""

    name: str
    names: list[str] = field(default_factory=list)
    parents: list[str | None] = field(default_factory=list)
    heads: list[Vec] = field(default_factory=list)
    tails: list[Vec] = field(default_factory=list)
    rolls: list[float] = field(default_factory=list)
    expected: dict[str, str] = field(default_factory=dict)

    def add(
        self, name: str, parent: str | None, head: object, tail: object, role: str | None = None
    ) -> None:
        self.names.append(name)
        self.parents.append(parent)
        self.heads.append(tuple(float(x) for x in np.asarray(head)))  # type: ignore[arg-type]
        self.tails.append(tuple(float(x) for x in np.asarray(tail)))  # type: ignore[arg-type]
        self.rolls.append(0.0)
        if role is not None:
            self.expected[role] = name

    def rest(self) -> RestRig:
        return rest_rig(self.names, self.parents, self.heads, self.tails, rolls=self.rolls)

    def with_rolls(self, rolls: Callable[[int, str], float]) -> TestRig:
        self.rolls = [rolls(i, n) for i, n in enumerate(self.names)]
        return self


def skeleton(arm_down_deg: float) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Role → (head, tail) of the demo body with the arms ``arm_down_deg`` below horizontal."""
    v = np.asarray
    g = {
        "hips": (v([0, 0, 0.98]), v([0, 0, 1.10])),
        "spine": (v([0, 0, 1.10]), v([0, 0, 1.26])),
        "chest": (v([0, 0, 1.26]), v([0, 0, 1.46])),
        "neck": (v([0, 0, 1.46]), v([0, 0, 1.56])),
        "head": (v([0, 0, 1.56]), v([0, 0, 1.94])),
    }
    a = math.radians(arm_down_deg)
    for s, sx in (("L", 1.0), ("R", -1.0)):
        d = v([sx * math.cos(a), 0.0, -math.sin(a)])
        sh0, sh1 = v([sx * 0.04, 0, 1.43]), v([sx * 0.17, 0, 1.43])
        g[f"shoulder.{s}"] = (sh0, sh1)
        g[f"upper_arm.{s}"] = (sh1, sh1 + 0.28 * d)
        g[f"forearm.{s}"] = (sh1 + 0.28 * d, sh1 + 0.53 * d)
        g[f"hand.{s}"] = (sh1 + 0.53 * d, sh1 + 0.63 * d)
        g[f"thigh.{s}"] = (v([sx * 0.10, 0, 0.98]), v([sx * 0.10, 0, 0.54]))
        g[f"shin.{s}"] = (v([sx * 0.10, 0, 0.54]), v([sx * 0.10, 0, 0.10]))
        g[f"foot.{s}"] = (v([sx * 0.10, 0, 0.10]), v([sx * 0.10, -0.16, 0.03]))
    return g


def _mid(seg: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    return (seg[0] + seg[1]) / 2.0


def _up(p: np.ndarray, d: float = 0.05) -> np.ndarray:
    return p + np.array([0.0, 0.0, d])


SIDES = (("L", "Left", 1.0), ("R", "Right", -1.0))


def demo(arm_down_deg: float = 50.0) -> TestRig:
    g = skeleton(arm_down_deg)
    parent = {"hips": None, "spine": "hips", "chest": "spine", "neck": "chest", "head": "neck"}
    r = TestRig("demo")
    for role, p in parent.items():
        r.add(role, p, *g[role], role=role)
    for s, _, _ in SIDES:
        for role, p in (
            ("shoulder", "chest"),
            ("upper_arm", "shoulder"),
            ("forearm", "upper_arm"),
            ("hand", "forearm"),
            ("thigh", "hips"),
            ("shin", "thigh"),
            ("foot", "shin"),
        ):
            r.add(
                f"{role}.{s}",
                p if p in parent else f"{p}.{s}",
                *g[f"{role}.{s}"],
                role=f"{role}.{s}",
            )
    return r


def mixamo(prefix: str = "mixamorig:", arm_down_deg: float = 0.0) -> TestRig:
    """Mixamo's skeleton: Spine/Spine1/Spine2, shoulders on Spine2, fingers, toe and end bones."""
    g = skeleton(arm_down_deg)
    P = prefix
    r = TestRig(f"mixamo[{prefix or 'bare'}]")
    r.add(P + "Hips", None, *g["hips"], role="hips")
    r.add(P + "Spine", P + "Hips", g["spine"][0], _mid(g["spine"]), role="spine")
    r.add(P + "Spine1", P + "Spine", _mid(g["spine"]), g["spine"][1])
    r.add(P + "Spine2", P + "Spine1", *g["chest"], role="chest")
    r.add(P + "Neck", P + "Spine2", *g["neck"], role="neck")
    r.add(P + "Head", P + "Neck", *g["head"], role="head")
    r.add(P + "HeadTop_End", P + "Head", g["head"][1], _up(g["head"][1]))
    for s, side, _ in SIDES:
        r.add(f"{P}{side}Shoulder", P + "Spine2", *g[f"shoulder.{s}"], role=f"shoulder.{s}")
        r.add(f"{P}{side}Arm", f"{P}{side}Shoulder", *g[f"upper_arm.{s}"], role=f"upper_arm.{s}")
        r.add(f"{P}{side}ForeArm", f"{P}{side}Arm", *g[f"forearm.{s}"], role=f"forearm.{s}")
        r.add(f"{P}{side}Hand", f"{P}{side}ForeArm", *g[f"hand.{s}"], role=f"hand.{s}")
        tip = g[f"hand.{s}"][1]
        for k, finger in enumerate(("Thumb", "Index", "Middle")):
            r.add(
                f"{P}{side}Hand{finger}1",
                f"{P}{side}Hand",
                tip,
                tip + np.array([0, -0.01 * k, -0.03]),
            )
        r.add(f"{P}{side}UpLeg", P + "Hips", *g[f"thigh.{s}"], role=f"thigh.{s}")
        r.add(f"{P}{side}Leg", f"{P}{side}UpLeg", *g[f"shin.{s}"], role=f"shin.{s}")
        r.add(f"{P}{side}Foot", f"{P}{side}Leg", *g[f"foot.{s}"], role=f"foot.{s}")
        r.add(
            f"{P}{side}ToeBase",
            f"{P}{side}Foot",
            g[f"foot.{s}"][1],
            g[f"foot.{s}"][1] + [0, -0.05, 0],
        )
        r.add(
            f"{P}{side}Toe_End",
            f"{P}{side}ToeBase",
            g[f"foot.{s}"][1] + [0, -0.05, 0],
            g[f"foot.{s}"][1] + [0, -0.08, 0],
        )
    return r


def vrm(arm_down_deg: float = 0.0) -> TestRig:
    """VRoid/VRM humanoid: J_Bip_ bones with Chest and UpperChest, J_Sec_ hair, J_Adj_ eyes."""
    g = skeleton(arm_down_deg)
    r = TestRig("vrm")
    r.add("Root", None, [0, 0, 0], [0, 0, 0.1])
    r.add("J_Bip_C_Hips", "Root", *g["hips"], role="hips")
    r.add("J_Bip_C_Spine", "J_Bip_C_Hips", *g["spine"], role="spine")
    r.add("J_Bip_C_Chest", "J_Bip_C_Spine", g["chest"][0], _mid(g["chest"]), role="chest")
    r.add("J_Bip_C_UpperChest", "J_Bip_C_Chest", _mid(g["chest"]), g["chest"][1])
    r.add("J_Bip_C_Neck", "J_Bip_C_UpperChest", *g["neck"], role="neck")
    r.add("J_Bip_C_Head", "J_Bip_C_Neck", *g["head"], role="head")
    r.add("J_Sec_Hair1_01", "J_Bip_C_Head", g["head"][1], _up(g["head"][1]))
    r.add("J_Adj_L_FaceEye", "J_Bip_C_Head", [0.03, -0.1, 1.8], [0.03, -0.12, 1.8])
    for s, _, _ in SIDES:
        r.add(
            f"J_Bip_{s}_Shoulder", "J_Bip_C_UpperChest", *g[f"shoulder.{s}"], role=f"shoulder.{s}"
        )
        r.add(
            f"J_Bip_{s}_UpperArm",
            f"J_Bip_{s}_Shoulder",
            *g[f"upper_arm.{s}"],
            role=f"upper_arm.{s}",
        )
        r.add(f"J_Bip_{s}_LowerArm", f"J_Bip_{s}_UpperArm", *g[f"forearm.{s}"], role=f"forearm.{s}")
        r.add(f"J_Bip_{s}_Hand", f"J_Bip_{s}_LowerArm", *g[f"hand.{s}"], role=f"hand.{s}")
        r.add(
            f"J_Bip_{s}_Index1",
            f"J_Bip_{s}_Hand",
            g[f"hand.{s}"][1],
            g[f"hand.{s}"][1] + [0, 0, -0.03],
        )
        r.add(f"J_Bip_{s}_UpperLeg", "J_Bip_C_Hips", *g[f"thigh.{s}"], role=f"thigh.{s}")
        r.add(f"J_Bip_{s}_LowerLeg", f"J_Bip_{s}_UpperLeg", *g[f"shin.{s}"], role=f"shin.{s}")
        r.add(f"J_Bip_{s}_Foot", f"J_Bip_{s}_LowerLeg", *g[f"foot.{s}"], role=f"foot.{s}")
        r.add(
            f"J_Bip_{s}_ToeBase",
            f"J_Bip_{s}_Foot",
            g[f"foot.{s}"][1],
            g[f"foot.{s}"][1] + [0, -0.05, 0],
        )
    return r


def unreal(arm_down_deg: float = 0.0) -> TestRig:
    """The Unreal mannequin: root/pelvis/spine_01..03, twist bones, IK bones under root."""
    g = skeleton(arm_down_deg)
    r = TestRig("unreal")
    r.add("root", None, [0, 0, 0], [0, 0.1, 0])
    r.add("pelvis", "root", *g["hips"], role="hips")
    sp0, sp1 = g["spine"][0], g["chest"][0]
    r.add("spine_01", "pelvis", sp0, sp0 + (sp1 - sp0) / 2, role="spine")
    r.add("spine_02", "spine_01", sp0 + (sp1 - sp0) / 2, sp1)
    r.add("spine_03", "spine_02", *g["chest"], role="chest")
    r.add("neck_01", "spine_03", *g["neck"], role="neck")
    r.add("head", "neck_01", *g["head"], role="head")
    for s, _, _ in SIDES:
        x = s.lower()
        r.add(f"clavicle_{x}", "spine_03", *g[f"shoulder.{s}"], role=f"shoulder.{s}")
        r.add(f"upperarm_{x}", f"clavicle_{x}", *g[f"upper_arm.{s}"], role=f"upper_arm.{s}")
        r.add(
            f"upperarm_twist_01_{x}",
            f"upperarm_{x}",
            _mid(g[f"upper_arm.{s}"]),
            g[f"upper_arm.{s}"][1],
        )
        r.add(f"lowerarm_{x}", f"upperarm_{x}", *g[f"forearm.{s}"], role=f"forearm.{s}")
        r.add(
            f"lowerarm_twist_01_{x}", f"lowerarm_{x}", _mid(g[f"forearm.{s}"]), g[f"forearm.{s}"][1]
        )
        r.add(f"hand_{x}", f"lowerarm_{x}", *g[f"hand.{s}"], role=f"hand.{s}")
        r.add(f"index_01_{x}", f"hand_{x}", g[f"hand.{s}"][1], g[f"hand.{s}"][1] + [0, 0, -0.03])
        r.add(f"thigh_{x}", "pelvis", *g[f"thigh.{s}"], role=f"thigh.{s}")
        r.add(f"thigh_twist_01_{x}", f"thigh_{x}", _mid(g[f"thigh.{s}"]), g[f"thigh.{s}"][1])
        r.add(f"calf_{x}", f"thigh_{x}", *g[f"shin.{s}"], role=f"shin.{s}")
        r.add(f"foot_{x}", f"calf_{x}", *g[f"foot.{s}"], role=f"foot.{s}")
        r.add(f"ball_{x}", f"foot_{x}", g[f"foot.{s}"][1], g[f"foot.{s}"][1] + [0, -0.05, 0])
    r.add("ik_foot_root", "root", [0, 0, 0], [0, 0.1, 0])
    for s, _, sx in SIDES:
        r.add(f"ik_foot_{s.lower()}", "ik_foot_root", [sx * 0.1, 0, 0.1], [sx * 0.1, 0.1, 0.1])
    r.add("ik_hand_root", "root", [0, 0, 0], [0, 0.1, 0])
    r.add("ik_hand_gun", "ik_hand_root", [-0.7, 0, 1.4], [-0.7, 0.1, 1.4])
    for s, _, sx in SIDES:
        r.add(f"ik_hand_{s.lower()}", "ik_hand_gun", [sx * 0.7, 0, 1.4], [sx * 0.7, 0.1, 1.4])
    return r


def metarig(arm_down_deg: float = 50.0) -> TestRig:
    """Blender's Human metarig: spine … spine.006, shoulder.L …, pelvis.L, breast.L, face."""
    g = skeleton(arm_down_deg)
    r = TestRig("metarig")
    r.add("spine", None, *g["hips"], role="hips")
    r.add("spine.001", "spine", g["spine"][0], _mid(g["spine"]), role="spine")
    r.add("spine.002", "spine.001", _mid(g["spine"]), g["spine"][1])
    r.add("spine.003", "spine.002", *g["chest"], role="chest")
    r.add("spine.004", "spine.003", g["neck"][0], _mid(g["neck"]), role="neck")
    r.add("spine.005", "spine.004", _mid(g["neck"]), g["neck"][1])
    r.add("spine.006", "spine.005", *g["head"], role="head")
    r.add("face", "spine.006", g["head"][0] + [0, 0, 0.1], g["head"][0] + [0, 0, 0.2])
    r.add("nose", "face", [0, -0.15, 1.75], [0, -0.18, 1.73])
    r.add("lip.T.L", "face", [0.01, -0.15, 1.68], [0.03, -0.14, 1.68])
    for s, _, sx in SIDES:
        r.add(f"breast.{s}", "spine.003", [sx * 0.1, 0, 1.35], [sx * 0.1, -0.1, 1.35])
        r.add(f"shoulder.{s}", "spine.003", *g[f"shoulder.{s}"], role=f"shoulder.{s}")
        r.add(f"upper_arm.{s}", f"shoulder.{s}", *g[f"upper_arm.{s}"], role=f"upper_arm.{s}")
        r.add(f"forearm.{s}", f"upper_arm.{s}", *g[f"forearm.{s}"], role=f"forearm.{s}")
        r.add(f"hand.{s}", f"forearm.{s}", *g[f"hand.{s}"], role=f"hand.{s}")
        r.add(f"palm.01.{s}", f"hand.{s}", g[f"hand.{s}"][0], g[f"hand.{s}"][1])
        r.add(f"pelvis.{s}", "spine", g["hips"][0], g["hips"][0] + [sx * 0.1, -0.05, 0.1])
        r.add(f"thigh.{s}", "spine", *g[f"thigh.{s}"], role=f"thigh.{s}")
        r.add(f"shin.{s}", f"thigh.{s}", *g[f"shin.{s}"], role=f"shin.{s}")
        r.add(f"foot.{s}", f"shin.{s}", *g[f"foot.{s}"], role=f"foot.{s}")
        r.add(f"toe.{s}", f"foot.{s}", g[f"foot.{s}"][1], g[f"foot.{s}"][1] + [0, -0.05, 0])
        r.add(f"heel.02.{s}", f"foot.{s}", [sx * 0.08, 0.03, 0], [sx * 0.12, 0.03, 0])
    return r


def biped(arm_down_deg: float = 0.0) -> TestRig:
    """3ds Max Biped: thighs on the spine, clavicles on the neck, Nub end bones."""
    g = skeleton(arm_down_deg)
    r = TestRig("biped")
    r.add("Bip01", None, [0, 0, 0.98], [0, 0.05, 0.98])
    r.add("Bip01 Pelvis", "Bip01", *g["hips"], role="hips")
    r.add("Bip01 Spine", "Bip01 Pelvis", *g["spine"], role="spine")
    r.add("Bip01 Spine1", "Bip01 Spine", *g["chest"], role="chest")
    r.add("Bip01 Neck", "Bip01 Spine1", *g["neck"], role="neck")
    r.add("Bip01 Head", "Bip01 Neck", *g["head"], role="head")
    r.add("Bip01 HeadNub", "Bip01 Head", g["head"][1], _up(g["head"][1]))
    for s, _, _ in SIDES:
        r.add(f"Bip01 {s} Clavicle", "Bip01 Neck", *g[f"shoulder.{s}"], role=f"shoulder.{s}")
        r.add(
            f"Bip01 {s} UpperArm",
            f"Bip01 {s} Clavicle",
            *g[f"upper_arm.{s}"],
            role=f"upper_arm.{s}",
        )
        r.add(f"Bip01 {s} Forearm", f"Bip01 {s} UpperArm", *g[f"forearm.{s}"], role=f"forearm.{s}")
        r.add(f"Bip01 {s} Hand", f"Bip01 {s} Forearm", *g[f"hand.{s}"], role=f"hand.{s}")
        r.add(f"Bip01 {s} Thigh", "Bip01 Spine", *g[f"thigh.{s}"], role=f"thigh.{s}")
        r.add(f"Bip01 {s} Calf", f"Bip01 {s} Thigh", *g[f"shin.{s}"], role=f"shin.{s}")
        r.add(f"Bip01 {s} Foot", f"Bip01 {s} Calf", *g[f"foot.{s}"], role=f"foot.{s}")
        r.add(
            f"Bip01 {s} Toe0",
            f"Bip01 {s} Foot",
            g[f"foot.{s}"][1],
            g[f"foot.{s}"][1] + [0, -0.05, 0],
        )
    return r


def plain(style: str, arm_down_deg: float = 0.0) -> TestRig:
    """Hand-named rigs: ``suffix`` (Arm.L), ``underscore`` (arm_l), ``camel`` (LeftArm),
    ``prefix`` (L_Thigh, Left_UpperArm)."""
    g = skeleton(arm_down_deg)
    names = {
        "suffix": {
            "upper_arm": "UpperArm.{S}",
            "forearm": "Forearm.{S}",
            "hand": "Hand.{S}",
            "shoulder": "Shoulder.{S}",
            "thigh": "Thigh.{S}",
            "shin": "Shin.{S}",
            "foot": "Foot.{S}",
        },
        "underscore": {
            "upper_arm": "arm_{s}",
            "forearm": "forearm_{s}",
            "hand": "hand_{s}",
            "shoulder": "clavicle_{s}",
            "thigh": "upperleg_{s}",
            "shin": "lowerleg_{s}",
            "foot": "foot_{s}",
        },
        "camel": {
            "upper_arm": "{Side}Arm",
            "forearm": "{Side}ForeArm",
            "hand": "{Side}Hand",
            "shoulder": "{Side}Shoulder",
            "thigh": "{Side}Thigh",
            "shin": "{Side}Calf",
            "foot": "{Side}Foot",
        },
        "prefix": {
            "upper_arm": "{Side}_UpperArm",
            "forearm": "{Side}_LowerArm",
            "hand": "{S}_Hand",
            "shoulder": "{S}_Collar",
            "thigh": "{S}_Thigh",
            "shin": "{S}_Knee",
            "foot": "{S}-Foot",
        },
    }[style]
    centre = {
        "suffix": ("Hips", "Spine", "Chest", "Neck", "Head"),
        "underscore": ("pelvis", "spine", "chest", "neck", "head"),
        "camel": ("Hips", "Spine", "Chest", "Neck", "Head"),
        "prefix": ("Pelvis", "Spine", "Chest", "Neck", "Head"),
    }[style]
    r = TestRig(f"plain[{style}]")
    prev = None
    for role, n in zip(("hips", "spine", "chest", "neck", "head"), centre, strict=True):
        r.add(n, prev, *g[role], role=role)
        prev = n
    for s, side, _ in SIDES:

        def nm(role: str, s: str = s, side: str = side) -> str:
            return names[role].format(S=s, s=s.lower(), Side=side)

        r.add(nm("shoulder"), centre[2], *g[f"shoulder.{s}"], role=f"shoulder.{s}")
        r.add(nm("upper_arm"), nm("shoulder"), *g[f"upper_arm.{s}"], role=f"upper_arm.{s}")
        r.add(nm("forearm"), nm("upper_arm"), *g[f"forearm.{s}"], role=f"forearm.{s}")
        r.add(nm("hand"), nm("forearm"), *g[f"hand.{s}"], role=f"hand.{s}")
        r.add(nm("thigh"), centre[0], *g[f"thigh.{s}"], role=f"thigh.{s}")
        r.add(nm("shin"), nm("thigh"), *g[f"shin.{s}"], role=f"shin.{s}")
        r.add(nm("foot"), nm("shin"), *g[f"foot.{s}"], role=f"foot.{s}")
    return r


def six_bones() -> TestRig:
    """A small character: Body, Head, Arm.L/R, Leg.L/R."""
    g = skeleton(30.0)
    r = TestRig("six_bones")
    r.add("Body", None, g["hips"][0], g["chest"][1], role="hips")
    r.add("Head", "Body", *g["head"], role="head")
    for s, _, _ in SIDES:
        r.add(
            f"Arm.{s}", "Body", g[f"upper_arm.{s}"][0], g[f"forearm.{s}"][1], role=f"upper_arm.{s}"
        )
        r.add(f"Leg.{s}", "Body", g[f"thigh.{s}"][0], g[f"shin.{s}"][1], role=f"thigh.{s}")
    return r


def unnamed_sides() -> TestRig:
    """Limb names without a side word: the side comes from the head position."""
    r = TestRig("unnamed_sides")
    src = plain("suffix", 0.0)
    for n, p, h, t in zip(src.names, src.parents, src.heads, src.tails, strict=True):
        strip = {
            f"{x}.L": f"{x}"
            for x in ("UpperArm", "Forearm", "Hand", "Shoulder", "Thigh", "Shin", "Foot")
        }
        strip |= {
            f"{x}.R": f"{x}.001"
            for x in ("UpperArm", "Forearm", "Hand", "Shoulder", "Thigh", "Shin", "Foot")
        }
        role = next((k for k, v in src.expected.items() if v == n), None)
        r.add(strip.get(n, n), None if p is None else strip.get(p, p), h, t, role=role)
    return r


def quarter_rolls(rig: TestRig) -> TestRig:
    """Mixamo-like rolls: quarter and half turns that change which local axis points where."""
    return rig.with_rolls(lambda i, n: (math.pi / 2) * ((i * 7) % 4 - 1.5))


def random_rolls(rig: TestRig, seed: int = 0) -> TestRig:
    rng = np.random.default_rng(seed)
    return rig.with_rolls(lambda i, n: float(rng.uniform(-math.pi, math.pi)))


# ---------------------------------------------------------------------- glTF


def gltf_rig(path: Path) -> TestRig:
    """The skin of a .glb as Blender's importer lays it out: glTF Y-up → Blender Z-up
    (x, y, z) → (x, −z, y), heads at the joints, tails at the first child joint (or along the
    parent for a leaf), roll 0."""
    data = path.read_bytes()
    length, _ = struct.unpack("<I4s", data[12:20])
    doc = json.loads(data[20 : 20 + length])
    nodes = doc["nodes"]
    joints = doc["skins"][0]["joints"]
    parent: dict[int, int] = {c: i for i, n in enumerate(nodes) for c in n.get("children", [])}
    world: dict[int, np.ndarray] = {}

    def matrix(i: int) -> np.ndarray:
        if i in world:
            return world[i]
        n = nodes[i]
        m = np.eye(4)
        x, y, z, w = n.get("rotation", [0, 0, 0, 1])
        m[:3, :3] = np.array(
            [
                [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
                [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
                [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
            ]
        ) * np.asarray(n.get("scale", [1, 1, 1]))
        m[:3, 3] = n.get("translation", [0, 0, 0])
        world[i] = (matrix(parent[i]) if i in parent else np.eye(4)) @ m
        return world[i]

    def pos(i: int) -> np.ndarray:
        p = matrix(i)[:3, 3]
        return np.array([p[0], -p[2], p[1]])

    jset = set(joints)
    r = TestRig(path.stem)
    for j in joints:
        kids = [c for c in nodes[j].get("children", []) if c in jset]
        head = pos(j)
        if kids:
            tail = pos(kids[0])
        elif parent.get(j) in jset:
            tail = head + (head - pos(parent[j]))
        else:
            tail = head + np.array([0.0, 0.0, 0.1])
        if np.linalg.norm(tail - head) < 1e-4:
            tail = head + np.array([0.0, 0.0, 0.02])
        p = parent.get(j)
        r.add(nodes[j]["name"], nodes[p]["name"] if p in jset else None, head, tail)
    return r
