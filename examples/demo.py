"""``make demo`` (``python examples/demo.py --out out``): the whole job, headless through ``bpy``.

Demo character + the bundled sample face (NASA's public-domain astronaut portrait) read by the
face analysis, with a scripted expression timeline on top → AMEE-GAN expression textures +
BPFA behavior keyframes → ``out/demo.blend``, a preview still, a preview GIF, a contact sheet
of frames and a plot of the expression parameters against the main joint angles.

Needs matplotlib and Pillow (the ``dev``/``train`` extras), which the add-on itself does not.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import bpy
import mathutils
import numpy as np

SAMPLE_FACE_NAME = "sample_face.jpg"


def look_at(obj: Any, target: tuple[float, float, float]) -> None:
    direction = mathutils.Vector(target) - obj.location
    obj.rotation_euler = direction.to_track_quat("-Z", "Y").to_euler()


def _camera(
    scene: Any,
    name: str,
    location: tuple[float, float, float],
    target: tuple[float, float, float],
    lens: float,
) -> Any:
    data = bpy.data.cameras.new(name)
    data.lens = lens
    cam = bpy.data.objects.new(name, data)
    scene.collection.objects.link(cam)
    cam.location = location
    look_at(cam, target)
    return cam


def setup_stage(
    scene: Any,
    *,
    width: int = 640,
    height: int = 800,
    target: tuple[float, float, float] = (0.0, 0.0, 1.05),
    distance: float = 3.9,
    engine: str = "BLENDER_WORKBENCH",
) -> Any:
    """Camera framing the whole character, a sun and a Workbench/Cycles setup that shows
    textures."""
    cam = _camera(
        scene,
        "moodrig_Camera",
        (0.35 * distance * math.sin(math.radians(15)), -distance, target[2] + 0.25),
        target,
        50,
    )
    scene.camera = cam
    sun_data = bpy.data.lights.new("moodrig_Sun", "SUN")
    sun_data.energy = 3.0
    sun = bpy.data.objects.new("moodrig_Sun", sun_data)
    sun.rotation_euler = (math.radians(50), 0.0, math.radians(-30))
    scene.collection.objects.link(sun)
    scene.render.engine = engine
    scene.render.resolution_x = width
    scene.render.resolution_y = height
    scene.render.resolution_percentage = 100
    if engine == "BLENDER_WORKBENCH":
        shading = scene.display.shading
        shading.light = "STUDIO"
        shading.color_type = "TEXTURE"
    else:
        scene.cycles.device = "CPU"
        scene.cycles.samples = 16
    world = bpy.data.worlds.new("moodrig_World")
    world.color = (0.05, 0.06, 0.08)
    scene.world = world
    return cam


def render_still(scene: Any, path: Path) -> Path:
    scene.render.image_settings.file_format = "PNG"
    scene.render.filepath = str(path)
    bpy.ops.render.render(write_still=True)
    return path


def _render_array(scene: Any, path: Path) -> np.ndarray:
    import cv2

    render_still(scene, path)
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def _label(img: np.ndarray, text: str) -> np.ndarray:
    import cv2

    out = img.copy()
    cv2.putText(out, text, (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def render_views(
    scene: Any, body_cam: Any, face_cam: Any, frame: int, tmp: Path, scale: float = 1.0
) -> np.ndarray:
    """Full body and face close-up side by side, at ``frame``."""
    import cv2

    scene.frame_set(frame)
    views = []
    for cam in (body_cam, face_cam):
        scene.camera = cam
        views.append(_render_array(scene, tmp / f"view_{cam.name}.png"))
    scene.camera = body_cam
    row = np.concatenate(views, axis=1)
    if scale != 1.0:
        row = cv2.resize(row, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return row


FACE_TILE = 480
"""Side of the face close-up in the contact sheet, rendered at that size (never scaled down)."""


def render_tile(scene: Any, body_cam: Any, face_cam: Any, frame: int, tmp: Path) -> np.ndarray:
    """A contact-sheet tile at ``frame``: the whole body small, the face close-up at full size."""
    scene.frame_set(frame)
    render = scene.render
    size = (render.resolution_x, render.resolution_y)
    render.resolution_x, render.resolution_y = FACE_TILE // 2, FACE_TILE
    scene.camera = body_cam
    body = _render_array(scene, tmp / "tile_body.png")
    render.resolution_x, render.resolution_y = FACE_TILE, FACE_TILE
    scene.camera = face_cam
    face = _render_array(scene, tmp / "tile_face.png")
    render.resolution_x, render.resolution_y = size
    scene.camera = body_cam
    return np.concatenate([body, face], axis=1)


def plot_tracks(track: Any, curves: dict[str, np.ndarray], events: Any, path: Path) -> Path:
    """Expression parameters and head yaw against the main joint angles, over time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from moodrig.core.expression import EXPRESSION_NAMES

    t = np.arange(len(track)) / track.fps
    fig, axes = plt.subplots(3, 1, figsize=(11, 8), sharex=True)
    for i, name in enumerate(EXPRESSION_NAMES):
        axes[0].plot(t, track.expressions[:, i], label=name, lw=1.3)
    axes[0].set_ylabel("expression [0, 1]")
    axes[0].legend(ncol=4, fontsize=8, loc="upper left")
    axes[1].plot(t, track.head[:, 0], label="head yaw (source)", color="k", lw=1.5)
    axes[1].plot(t, np.degrees(curves["head"][:, 1]), label="head bone twist (Y)", lw=1.2)
    axes[1].plot(t, np.degrees(curves["neck"][:, 1]), label="neck twist (Y)", lw=1.2)
    axes[1].set_ylabel("degrees")
    axes[1].legend(fontsize=8, loc="upper left")
    for role, axis, label in (
        ("spine", 0, "spine X"),
        ("chest", 0, "chest X"),
        ("head", 0, "head X (nod)"),
        ("upper_arm.L", 1, "upper_arm.L Y"),
        ("upper_arm.R", 1, "upper_arm.R Y"),
        ("forearm.R", 0, "forearm.R X"),
    ):
        axes[2].plot(t, np.degrees(curves[role][:, axis]), label=label, lw=1.1)
    axes[2].set_ylabel("joint angle (deg)")
    axes[2].set_xlabel("time (s)")
    axes[2].legend(ncol=3, fontsize=8, loc="upper left")
    for ev in events:
        for ax in axes:
            ax.axvline(ev.timestamp, color="0.6", lw=0.6, ls=":")
    axes[0].set_title(
        "moodrig demo: expression track (top), head yaw vs head/neck (middle), "
        "body joints (bottom); dotted: events"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _figure(value: object) -> str:
    """A sync figure for the summary line: two decimals, or '–' when not judged."""
    return f"{value:.2f}" if isinstance(value, int | float) else "–"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python examples/demo.py", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--out", type=Path, default=Path("out"), help="output folder (created)")
    parser.add_argument(
        "--texture-size",
        type=int,
        default=1024,
        help="side of the head's texture atlas (the face region is half of it)",
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--gif-step", type=int, default=2, help="render every Nth frame into the preview GIF"
    )
    parser.add_argument(
        "--blend-only",
        action="store_true",
        help="write demo.blend (and the analysed face) only: no renders, GIF or plot",
    )
    args = parser.parse_args(argv)

    import cv2

    from moodrig import api, demo_character, register
    from moodrig.core.bpfa import events_from_track
    from moodrig.core.demo_timeline import scripted_track
    from moodrig.core.face import analyze_image, draw_overlay, read_image
    from moodrig.core.paths import data_dir

    t_start = time.perf_counter()
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / "frames"
    tmp.mkdir(exist_ok=True)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    register()
    scene = bpy.context.scene
    scene.render.fps = 24
    character = demo_character.build(scene, texture_size=args.texture_size)

    # The real face: its measured expression and head pose are the baseline of the performance.
    photo = read_image(data_dir() / SAMPLE_FACE_NAME)
    face = analyze_image(photo)
    cv2.imwrite(
        str(out / "demo_sample_face.png"),
        cv2.cvtColor(draw_overlay(photo, face), cv2.COLOR_RGB2BGR),
    )
    # The photo's expression, made neutral (core/demo_timeline.py resting_face), is the
    # performer's resting face: every event of the performance is a scripted beat.
    track = scripted_track(
        fps=24.0,
        seconds=args.seconds,
        baseline=face.expression,
        baseline_head=(face.head.yaw, face.head.pitch, face.head.roll),
    )

    blend = out / "demo.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(blend))  # the textures now go beside out/demo.blend
    request = api.BakeRequest(seed=args.seed, device=args.device, frame_start=1)
    result = api.bake(
        scene,
        character.face,
        character.armature,
        request,
        track=track,
        progress=lambda p: print(
            f"moodrig demo: {p.fraction:5.1%} {p.stage}", file=sys.stderr, flush=True
        ),
    )

    body_cam = setup_stage(scene, width=400, height=500)
    face_cam = _camera(scene, "moodrig_FaceCamera", (0.2, -1.15, 1.8), (0.0, 0.0, 1.76), 70)
    scene.camera = body_cam
    mid = 1 + int(1.7 * track.fps)  # inside the smile beat
    if args.blend_only:
        scene.frame_set(mid)
        bpy.ops.wm.save_as_mainfile(filepath=str(blend))
        print(
            f"moodrig demo: {result.n_frames} frames, "
            f"{result.distinct_textures} distinct textures; "
            f"{blend} (Blender {bpy.app.version_string})"
        )
        return 0
    preview = render_views(scene, body_cam, face_cam, mid, tmp)
    cv2.imwrite(str(out / "demo_preview.png"), cv2.cvtColor(preview, cv2.COLOR_RGB2BGR))

    sheet_times = (0.5, 1.7, 3.5, 5.2, 6.9, 8.3, 9.4)
    tiles = [
        _label(
            render_tile(scene, body_cam, face_cam, 1 + int(s * track.fps), tmp), f"t = {s:.1f} s"
        )
        for s in sheet_times
        if s < args.seconds
    ]
    cols = 4
    while len(tiles) % cols:
        # Fill the last row with the analysed sample face (landmarks and parameter bars).
        overlay = cv2.imread(str(out / "demo_sample_face.png"))[..., ::-1]
        h, w = tiles[0].shape[:2]
        scale = min(h / overlay.shape[0], w / overlay.shape[1])
        small = cv2.resize(overlay, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        tile = np.zeros_like(tiles[0])
        tile[: small.shape[0], : small.shape[1]] = small
        tiles.append(_label(tile, "source: sample face"))
    sheet = np.concatenate(
        [np.concatenate(tiles[i : i + cols], axis=1) for i in range(0, len(tiles), cols)], axis=0
    )
    cv2.imwrite(str(out / "demo_contact_sheet.png"), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))

    from PIL import Image

    gif_frames = [
        Image.fromarray(render_views(scene, body_cam, face_cam, f, tmp, 0.5))
        for f in range(1, result.n_frames + 1, args.gif_step)
    ]
    gif_frames[0].save(
        out / "demo_preview.gif",
        save_all=True,
        append_images=gif_frames[1:],
        duration=int(1000 * args.gif_step / track.fps),
        loop=0,
    )

    plot_tracks(track, _curves(result), events_from_track(track), out / "demo_plot.png")
    scene.frame_set(mid)
    bpy.ops.wm.save_as_mainfile(filepath=str(blend))
    summary = {
        "frames": result.n_frames,
        "seconds": args.seconds,
        "distinct_textures": result.distinct_textures,
        "generated_textures": result.generated_textures,
        "texture_bytes": result.texture_bytes,
        "sequence_files": result.n_frames,
        "timings_s": result.timings,
        "sync": result.sync,
        "behavior_keys": {
            "keys": result.behavior_keys,
            "dense_keys": result.dense_keys,
            "reduction": round(result.key_reduction, 4),
            "max_deviation_deg": round(result.max_key_deviation_deg, 4),
            "tolerance_deg": request.key_tolerance,
            "bone_map": result.bone_map_summary,
        },
        "sample_face": {
            "expression": [round(float(v), 3) for v in face.expression],
            "yaw": face.head.yaw,
            "pitch": face.head.pitch,
            "roll": face.head.roll,
        },
        "sync_vs_truth": _sync_vs_truth(),
        "wall_s": time.perf_counter() - t_start,
    }
    (out / "demo_summary.json").write_text(json.dumps(summary, indent=2))
    print(
        f"moodrig demo: {result.n_frames} frames, {result.distinct_textures} distinct textures "
        f"({result.texture_bytes / 1e6:.2f} MB on disk for {result.n_frames} sequence frames)"
    )
    sync = result.sync
    print(
        f"moodrig demo: {sync.get('verdict')} (onset F1 {_figure(sync.get('onset_f1'))}, "
        f"allowed {_figure(sync.get('allowed_fraction'))})"
    )
    print(f"moodrig demo: {result.keys_line()}")
    for name in (
        "demo.blend",
        "demo_preview.png",
        "demo_preview.gif",
        "demo_contact_sheet.png",
        "demo_plot.png",
        "demo_sample_face.png",
        "demo_summary.json",
    ):
        print(f"moodrig demo: {out / name}")
    return 0


def _sync_vs_truth(people: int = 2) -> dict[str, Any]:
    """Analysis, behavior onsets and texture changes scored against clips with known change
    times (weights_tools/sync_truth.py); they are made from the London dev split, which is
    test data, read from ../shared/data when it is there and never shipped."""
    from moodrig.weights_tools.sync_truth import REPO, run

    data = REPO.parent / "shared" / "data"
    if not (data / "london_faces_dev" / "labels.csv").is_file():
        return {"skipped": f"needs the London dev split under {data}"}
    return run(data, people)["summary"]


def _curves(result: Any) -> dict[str, np.ndarray]:
    """The joint curves as keyed on the rig (read back through its rest pose)."""
    from moodrig import behavior_keys

    rig = bpy.data.objects[result.action[behavior_keys.TARGET]]
    return behavior_keys.read_back(rig, result.actions)[0]


if __name__ == "__main__":
    sys.exit(main())
