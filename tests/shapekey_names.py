"""Shape-key names of the conventions moodrig maps, as the tests' meshes carry them: written
out here (Apple's ARKit list, the VRM 0.x and 1.0 presets, VRoid Studio's exported names),
not read from the add-on's tables."""

from __future__ import annotations

# fmt: off
ARKIT52 = [
    "eyeBlinkLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft", "eyeLookUpLeft",
    "eyeSquintLeft", "eyeWideLeft", "eyeBlinkRight", "eyeLookDownRight", "eyeLookInRight",
    "eyeLookOutRight", "eyeLookUpRight", "eyeSquintRight", "eyeWideRight", "jawForward",
    "jawLeft", "jawRight", "jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "mouthLeft",
    "mouthRight", "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight",
    "mouthDimpleLeft", "mouthDimpleRight", "mouthStretchLeft", "mouthStretchRight",
    "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper", "mouthPressLeft",
    "mouthPressRight", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthUpperUpLeft",
    "mouthUpperUpRight", "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft",
    "browOuterUpRight", "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "noseSneerLeft",
    "noseSneerRight", "tongueOut",
]
VRM0 = ["A", "I", "U", "E", "O", "Blink", "Blink_L", "Blink_R", "Joy", "Angry", "Sorrow", "Fun",
        "Surprised"]
VROID = ["Face.M_F00_000_00_Fcl_" + n for n in [
    "ALL_Neutral", "ALL_Angry", "ALL_Fun", "ALL_Joy", "ALL_Sorrow", "ALL_Surprised", "BRW_Angry",
    "BRW_Fun", "BRW_Joy", "BRW_Sorrow", "BRW_Surprised", "EYE_Natural", "EYE_Angry", "EYE_Close",
    "EYE_Close_R", "EYE_Close_L", "EYE_Joy", "EYE_Joy_R", "EYE_Joy_L", "EYE_Surprised",
    "EYE_Spread", "MTH_Close", "MTH_Up", "MTH_Down", "MTH_Angry", "MTH_Joy", "MTH_Fun", "MTH_A",
    "MTH_I", "MTH_U", "MTH_E", "MTH_O"]]
VRM1 = ["aa", "ih", "ou", "ee", "oh", "blink", "blinkLeft", "blinkRight", "happy", "angry", "sad",
        "relaxed", "surprised"]
# fmt: on
