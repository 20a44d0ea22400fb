"""Scene safety beyond tests/test_bake_blender.py, in the real bpy (a fresh process per test).

* Undo: ``bpy.ops.moodrig.bake()`` then ``bpy.ops.ed.undo()`` restores the scene exactly
  (datablocks, slots, frame range, keyframes); redo brings the bake back; undoing a *re-bake*
  restores the previous bake. (Global undo works headless in the bpy module once a step has
  been pushed with ``ed.undo_push``; the modal path with Esc needs a window and is covered by
  the GUI test, here cancel is injected through ``api.bake(cancelled=...)``.)
* Faults with a previous bake present: every stage failing on a *re-bake* must leave the
  first bake (and the user's bone rotation modes) exactly as they were.
* The user's own action on the rig survives a bake, a save and a reload.

The AMEE-GAN editor is the painter test double of test_bake_blender.py (exact ground truth).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bake_snippets import BAKE_PRELUDE
from bpy_runner import run_bpy

pytestmark = pytest.mark.blender

SETUP = (
    BAKE_PRELUDE
    + """

def keys_digest(action):
    if action is None:
        return None
    h = hashlib.sha256()
    bags = [action] if not hasattr(action, "layers") or not len(action.layers) else [
        s.channelbags[0] for l in action.layers for s in l.strips if len(s.channelbags)]
    for bag in bags:
        for fc in sorted(bag.fcurves, key=lambda f: (f.data_path, f.array_index)):
            h.update((fc.data_path + "[" + str(fc.array_index) + "]").encode())
            co = np.zeros(2 * len(fc.keyframe_points), np.float32)
            fc.keyframe_points.foreach_get("co", co)
            h.update(co.tobytes())
    return h.hexdigest()[:16]

def snapshot():
    scene = bpy.context.scene
    face = bpy.data.objects["moodrig_DemoFace"]
    rig = bpy.data.objects["moodrig_DemoRig"]
    action = rig.animation_data.action if rig.animation_data else None
    user_mat = bpy.data.materials["moodrig_DemoFace"]
    return dict(
        actions=sorted(a.name for a in bpy.data.actions),
        materials=sorted(m.name for m in bpy.data.materials),
        images=sorted(i.name for i in bpy.data.images),
        slots=[s.material.name if s.material else None for s in face.material_slots],
        rig_action=action.name if action else None,
        keys=keys_digest(action),
        frame_range=[scene.frame_start, scene.frame_end],
        sync="moodrig_sync" in scene.keys(),
        user_image=user_mat.node_tree.nodes["moodrig_face_texture"].image.name,
        rotation_modes=sorted((b.name, b.rotation_mode) for b in rig.pose.bones),
    )

TRACK = scripted_track(fps=24.0, seconds=3.0)
"""
)


UNDO = (
    SETUP
    + """
folder = {folder!r}
fresh(folder)
import moodrig.core.amee.infer as infer
infer.AmeeEditor.load = classmethod(lambda cls, **k: PainterEditor())
from moodrig.operators import store_track
store_track(TRACK, "//clip.mp4")
s = bpy.context.scene.moodrig
s.source_path = "//clip.mp4"
s.seed = 1
bpy.context.scene.frame_end = 17
out = {{}}
bpy.ops.ed.undo_push(message="before bake")
out["before"] = snapshot()
out["bake"] = list(bpy.ops.moodrig.bake())
# Headless, an operator called from Python does not push its undo step (the UI's operator
# handler does, for UNDO operators): push it here as the handler would.
out["can_undo_without_push"] = bpy.ops.ed.undo.poll()
bpy.ops.ed.undo_push(message="Bake")
out["baked"] = snapshot()
out["undo"] = list(bpy.ops.ed.undo())
out["undone"] = snapshot()
out["redo"] = list(bpy.ops.ed.redo())
out["redone"] = snapshot()
# A second bake with another seed, then undo: the first bake comes back, keyframes and all.
bpy.context.scene.moodrig.seed = 2
bpy.ops.ed.undo_push(message="seed 2")
out["rebake"] = list(bpy.ops.moodrig.bake())
bpy.ops.ed.undo_push(message="Bake")
out["rebaked"] = snapshot()
bpy.ops.ed.undo(); bpy.ops.ed.undo()
out["back_to_first"] = snapshot()
report(out)
"""
)


def test_undo_restores_the_scene_and_redo_brings_the_bake_back(tmp_path: Path) -> None:
    r = run_bpy(UNDO.format(folder=str(tmp_path)))
    print("undo possible without an explicit push:", r["can_undo_without_push"])
    assert r["bake"] == ["FINISHED"] and r["undo"] == ["FINISHED"] and r["redo"] == ["FINISHED"]
    assert r["baked"] != r["before"], "the bake changed the scene"
    assert r["baked"]["rig_action"] == "moodrig_DemoRig_behavior" and r["baked"]["keys"]
    assert r["undone"] == r["before"], "undo restores the exact previous state"
    assert r["redone"] == r["baked"], "redo restores the bake, keyframes included"
    assert r["rebake"] == ["FINISHED"] and r["rebaked"]["keys"] != r["baked"]["keys"], (
        "seed 2 differs"
    )
    assert r["back_to_first"] == r["baked"], "undoing a re-bake restores the previous bake"


FAULTS_OVER_A_BAKE = (
    SETUP
    + """
folder = {folder!r}
import moodrig.bake as sb
import moodrig.api as api_mod
import moodrig.behavior_keys as bk
from moodrig import anim_compat
real = dict(write_appearance=sb.write_appearance, write_behavior=bk.write,
            sync=api_mod._sync_from_keyframes, curves=anim_compat.write_keys)
def boom(*a, **k):
    raise RuntimeError("injected")
written = []
def half_curves(*a, **k):
    if len(written) == 9:
        raise RuntimeError("injected after 3 bones were keyed")
    written.append(real["curves"](*a, **k))
    return written[-1]
def restore():
    sb.write_appearance, bk.write = real["write_appearance"], real["write_behavior"]
    api_mod._sync_from_keyframes = real["sync"]
    anim_compat.write_keys = real["curves"]
    written.clear()
outcomes = {{}}
STAGES = ("analysis", "behavior", "textures", "write_behavior", "write_behavior_midway",
          "write_appearance", "sync_after_write", "cancel_first_step", "cancel_last_step")
for stage in STAGES:
    fresh(folder)
    rig = bpy.data.objects["moodrig_DemoRig"]
    rig.pose.bones["head"].rotation_mode = "QUATERNION"  # the user's choice, must survive a failure
    restore()
    api.bake(None, "moodrig_DemoFace", "moodrig_DemoRig", BakeRequest(seed=1), track=TRACK,
             editor=PainterEditor())
    rig.pose.bones["neck"].rotation_mode = "QUATERNION"
    before = snapshot()
    # Another quantisation step: the re-bake needs new textures (none come from the cache).
    options = dict(seed=2, quant_step=0.04)
    kwargs = dict(track=TRACK, editor=PainterEditor())
    cancelled = None
    seen = []
    kwargs["progress"] = lambda p: seen.append(p.stage)
    if stage == "analysis":
        kwargs.pop("track"); options["source"] = str(Path(folder) / "missing.mp4")
    elif stage == "behavior":
        options["behaviors"] = str(Path(folder) / "missing.json")
    elif stage == "textures":
        class Broken(PainterEditor):
            def edit(self, t, v): raise RuntimeError("injected")
        kwargs["editor"] = Broken()
    elif stage == "write_behavior":
        bk.write = boom
    elif stage == "write_behavior_midway":
        anim_compat.write_keys = half_curves
    elif stage == "write_appearance":
        sb.write_appearance = boom
    elif stage == "sync_after_write":
        api_mod._sync_from_keyframes = boom
    elif stage == "cancel_first_step":
        cancelled = lambda: True
    elif stage == "cancel_last_step":
        def cancelled():
            return seen[-1] == "done"   # everything computed, nothing written yet
    try:
        api.bake(None, "moodrig_DemoFace", "moodrig_DemoRig", BakeRequest(**options),
                 cancelled=cancelled, **kwargs)
        outcomes[stage] = dict(error=None, stages=seen)
    except Exception as exc:
        after = snapshot()
        outcomes[stage] = dict(error=type(exc).__name__, same=after == before,
                               diff={{k: [before[k], after[k]]
                                      for k in before if before[k] != after[k]}})
    restore()
report(outcomes)
"""
)


def test_a_failing_rebake_keeps_the_previous_bake(tmp_path: Path) -> None:
    """The fault-injection matrix on a scene that already holds a bake: stage × outcome."""
    r = run_bpy(FAULTS_OVER_A_BAKE.format(folder=str(tmp_path)), timeout=600)
    print({stage: (o["error"], o.get("same")) for stage, o in r.items()})
    for stage, o in r.items():
        assert o["error"] is not None, f"{stage}: no error raised"
    assert r["analysis"]["error"] == "InputError"
    assert r["cancel_first_step"]["error"] == "InterruptedError"
    bad = {
        stage: f"{o['error']}; changed: {sorted(o['diff'])}"
        for stage, o in r.items()
        if not o["same"]
    }
    assert bad == {}, f"stages that changed or lost the previous bake: {bad}"


USER_ACTION = (
    SETUP
    + """
folder = {folder!r}
fresh(folder)
rig = bpy.data.objects["moodrig_DemoRig"]
mine = bpy.data.actions.new("MyRigAnimation")   # the artist's own animation, assigned, no fake user
rig.animation_data_create()
rig.animation_data.action = mine
rig.keyframe_insert("location", frame=1)
out = dict(users_before=mine.users, fake=mine.use_fake_user)
api.bake(None, "moodrig_DemoFace", "moodrig_DemoRig", BakeRequest(seed=1), track=TRACK,
         editor=PainterEditor())
out["users_after_bake"] = bpy.data.actions["MyRigAnimation"].users
bpy.ops.wm.save_mainfile()
bpy.ops.wm.open_mainfile(filepath=str(Path(folder) / "scene.blend"))
out["after_reload"] = "MyRigAnimation" in bpy.data.actions
report(out)
"""
)


def test_the_users_own_rig_action_survives_bake_save_and_reload(tmp_path: Path) -> None:
    r = run_bpy(USER_ACTION.format(folder=str(tmp_path)))
    assert r["users_before"] >= 1 and not r["fake"]
    assert r["after_reload"], (
        "the artist's action was unassigned by the bake and, with no user left, dropped on save "
        f"(users after bake: {r['users_after_bake']})"
    )


OPERATOR_BAD_SOURCES = (
    SETUP
    + """
folder = {folder!r}
fresh(folder)
import moodrig.core.amee.infer as infer
infer.AmeeEditor.load = classmethod(lambda cls, **k: PainterEditor())
s = bpy.context.scene.moodrig
out = {{}}
for path in {paths!r}:
    before = snapshot()
    s.source_path = path
    try:
        out[Path(path).name] = dict(result=list(bpy.ops.moodrig.bake()))
    except RuntimeError as exc:   # bpy raises the operator's ERROR report
        out[Path(path).name] = dict(message=str(exc), same=snapshot() == before)
report(out)
"""
)


def test_operator_refuses_bad_sources_with_the_core_message(tmp_path: Path) -> None:
    """Corpus inputs through ``bpy.ops.moodrig.bake()``: an error report carrying the
    InputError text (never 'unexpected error'), and the scene unchanged."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent / "data" / "bad"))
    import make_corpus

    make_corpus.generate()
    cases = {
        "truncated_50pct.mp4": "cannot be opened",
        "bomb_50000x50000.png": "more than the limit",
        "text.png": "not a readable image",
        "fifo.png": "not a file",
    }
    paths = [str(make_corpus.OUT / name) for name in cases]
    r = run_bpy(OPERATOR_BAD_SOURCES.format(folder=str(tmp_path), paths=paths))
    for name, phrase in cases.items():
        got = r[name]
        assert "message" in got, f"{name}: the bake did not fail: {got}"
        assert phrase in got["message"] and "unexpected" not in got["message"], got["message"]
        assert name in got["message"], "the message names the file"
        assert got["same"], f"{name}: scene changed"
