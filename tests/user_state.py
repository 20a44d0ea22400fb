"""bpy snippet code for the "nothing of the user's is lost" tests (run in a fresh process by
bpy_runner): ``USER_STATE`` defines

* ``animate_user(rig, bones, frames)``: the artist's own action on the rig, keyed in the
  bones' own rotation modes (set here to quaternion, axis-angle and a non-XYZ Euler order),
  location keys too, assigned and without a fake user; and a hand-set pose on a bone the
  action does not key;
* ``pose_track(rig, frames)``: every pose channel (location, the three rotation properties,
  scale) of every bone evaluated at every frame, as one array;
* ``state(rig, face)``: rotation modes, frame range, and per material, image and action: name,
  users, fake user, and a digest (material node images, image pixels, F-curve keys with their
  handles and interpolation, action slots).
"""

USER_STATE = """
import hashlib, json
import numpy as np

def animate_user(rig, bones, frames):
    modes = ["QUATERNION", "AXIS_ANGLE", "YZX", "XYZ"]
    action = bpy.data.actions.new("UserAction_" + rig.name)
    if rig.animation_data is None:
        rig.animation_data_create()
    rig.animation_data.action = action
    for i, name in enumerate(bones):
        pb = rig.pose.bones[name]
        pb.rotation_mode = modes[i % len(modes)]
        for k, f in enumerate(frames):
            t = 0.3 * np.sin(0.7 * k + i)
            if pb.rotation_mode == "QUATERNION":
                q = np.array([1.0, t, 0.2 * t, 0.0]); pb.rotation_quaternion = q / np.linalg.norm(q)
                pb.keyframe_insert("rotation_quaternion", frame=f)
            elif pb.rotation_mode == "AXIS_ANGLE":
                pb.rotation_axis_angle = (t, 0.0, 0.6, 0.8)
                pb.keyframe_insert("rotation_axis_angle", frame=f)
            else:
                pb.rotation_euler = (t, -t, 0.5 * t)
                pb.keyframe_insert("rotation_euler", frame=f)
            pb.location = (0.0, 0.01 * t, 0.0)
            pb.keyframe_insert("location", frame=f)
    action.use_fake_user = False
    return action

CHANNELS = ("location", "rotation_quaternion", "rotation_euler", "rotation_axis_angle", "scale")

def pose_track(rig, frames):
    scene = bpy.context.scene
    out = []
    for f in frames:
        scene.frame_set(f)
        out.append([list(getattr(pb, c)) for pb in rig.pose.bones for c in CHANNELS])
    return [[v for ch in frame for v in ch] for frame in out]

def _fcurves(action):
    if hasattr(action, "layers"):
        return [fc for layer in action.layers for strip in layer.strips
                for bag in strip.channelbags for fc in bag.fcurves]
    return list(action.fcurves)

def _action_digest(action):
    h = hashlib.sha256()
    for fc in sorted(_fcurves(action), key=lambda f: (f.data_path, f.array_index)):
        n = len(fc.keyframe_points)
        h.update(f"{fc.data_path}[{fc.array_index}]".encode())
        for prop in ("co", "handle_left", "handle_right"):
            buf = np.zeros(2 * n, np.float32)
            fc.keyframe_points.foreach_get(prop, buf)
            h.update(buf.tobytes())
        h.update(str([(k.interpolation, k.handle_left_type, k.handle_right_type)
                      for k in fc.keyframe_points]).encode())
    if hasattr(action, "slots"):
        h.update(str([s.identifier for s in action.slots]).encode())
    return h.hexdigest()[:16]

def _image_digest(image):
    if image.source == "SEQUENCE" or not image.has_data and not image.packed_file:
        return image.filepath
    px = np.zeros(len(image.pixels), np.float32)
    image.pixels.foreach_get(px)
    return hashlib.sha256(px.tobytes()).hexdigest()[:16]

def state(rig, face):
    scene = bpy.context.scene
    anim = rig.animation_data
    return dict(
        modes=[(pb.name, pb.rotation_mode) for pb in rig.pose.bones],
        frame_range=[scene.frame_start, scene.frame_end],
        rig_action=anim.action.name if anim and anim.action else None,
        rig_slot=(anim.action_slot.identifier
                  if anim and getattr(anim, "action_slot", None) else None),
        nla=[t.name for t in anim.nla_tracks] if anim else [],
        face_slots=[s.material.name if s.material else None for s in face.material_slots],
        materials={m.name: [m.users, m.use_fake_user,
                            sorted(n.image.name for n in m.node_tree.nodes
                                   if n.type == "TEX_IMAGE" and n.image) if m.use_nodes else []]
                   for m in bpy.data.materials},
        images={i.name: [i.users, i.use_fake_user, _image_digest(i)] for i in bpy.data.images},
        actions={a.name: [a.users, a.use_fake_user, _action_digest(a)] for a in bpy.data.actions},
    )
"""
