"""Worker: the full-resolution face editor against AMEE-GAN on the same face region, at one
texture size.

    PYTHONPATH=tests/bench python tests/bench/bench_faceedit.py --size 2048 --threads 1 2 \
        --repeats 5 [--weights-dir DIR]

The texture is the demo character's head atlas (core/demo_head.py): an N × N RGBA float32
atlas with skin and hair, and the painter's face in a square of N / 2 pixels near its top-left
corner; that square is the face region, and the painter's geometry gives its feature points.
Timed per thread count (torch and OpenCV set alike), everything interleaved round by round so
every figure sees the same load, the first round a warm-up that is dropped:

- ``prepare``: crop, pixel-art check, canonical frame and crop, with the feature points given;
  and the same with the points found by the locator (its weights are named in ``locator``,
  with ``default_architecture``: whether it has the shipped locator's shape, so its time is
  the shipped one's; its points' distance from the painter's is ``located_error_px``);
- ``edit``: one expression, and a batch of 8 distinct ones (ms per edited texture), through
  the editor a bake binds to the face (core/appearance/bake_editor.py), told that the base
  texture is neutral, as a bake does;
- the baseline: AMEE-GAN on the same region, the way a bake ran it before the face editor
  (``bind_editor`` → ``RegionEditor``: the region's pixels are its texture, the model at its
  own resolution, the composite back at the region's size, pasted through the seam), with the
  same expressions; and binding it (the region's crop), beside ``prepare``.

The face editor's weights come from ``--weights-dir`` (``appearance/face_editor`` and
``appearance/face_locator`` manifests; default moodrig's weights folder), AMEE-GAN's from
``--amee-manifest`` (default the shipped weights/amee).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from common import REPO, emit, stats

from moodrig.core.appearance.weights_io import EDITOR_WEIGHTS, LOCATOR_WEIGHTS
from moodrig.core.expression import N_EXPRESSION
from moodrig.core.paths import weights_dir

BATCH = 8
"""Distinct expressions in the batch figure."""


def expressions() -> tuple[np.ndarray, np.ndarray]:
    """One expression (a smile with the jaw a little open) and 8 distinct ones, each mostly one
    of the 8 components, (1, 8) and (8, 8) float32."""
    one = np.zeros((1, N_EXPRESSION), np.float32)
    one[0, :2] = (0.3, 0.8)
    many = 0.8 * np.eye(N_EXPRESSION, dtype=np.float32)[:BATCH]
    many[:, 0] += 0.1
    return one, many


def manifests(folder: Path) -> tuple[Path, Path]:
    """The face editor's and the locator's manifests in ``folder``; exits with a one-line
    message naming what is missing."""
    paths = (
        folder / f"{EDITOR_WEIGHTS.shipped}.manifest.json",
        folder / f"{LOCATOR_WEIGHTS.shipped}.manifest.json",
    )
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        sys.exit(
            f"bench_faceedit: no face-editor weights: {', '.join(missing)} missing "
            "(pass --weights-dir with appearance/face_editor.* and appearance/face_locator.*)"
        )
    return paths


def describe(manifest: Path, net: torch.nn.Module) -> dict[str, Any]:
    """What a set of weights is, for the table: file, architecture, size, training step."""
    m = json.loads(manifest.read_text(encoding="utf-8"))
    training = m.get("training") or {}
    step = next(
        (training[k] for k in ("step", "trained_steps", "steps") if training.get(k) is not None),
        None,
    )
    path = manifest.resolve()
    shown = path.relative_to(REPO) if path.is_relative_to(REPO) else path
    return {
        "manifest": str(shown),
        "sha256": m.get("sha256"),
        "architecture": m.get("architecture"),
        "trained_steps": step,
        "params": sum(p.numel() for p in net.parameters()),
    }


def changed(out: np.ndarray, base: np.ndarray, rows: slice, cols: slice) -> dict[str, Any]:
    """How much of the region an edit changed, and whether everything outside stayed."""
    diff = np.any(out != base, axis=-1)
    inside = diff[rows, cols]
    return {
        "changed_fraction_of_region": float(inside.mean()),
        "outside_region_unchanged": bool(diff.sum() == inside.sum()),
    }


def timed_rounds(cases: dict[str, Callable[[], object]], repeats: int) -> dict[str, list[float]]:
    """Seconds per call of every case, interleaved; round 0 is the warm-up and is dropped."""
    out: dict[str, list[float]] = {k: [] for k in cases}
    for r in range(repeats + 1):
        for name, fn in cases.items():
            t0 = time.perf_counter()
            fn()
            dt = time.perf_counter() - t0
            if r:
                out[name].append(dt)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=2048, help="texture side, pixels")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument(
        "--weights-dir",
        type=Path,
        default=None,
        help="folder with appearance/face_editor.* and appearance/face_locator.* "
        "(default: moodrig's weights folder)",
    )
    ap.add_argument(
        "--amee-manifest", type=Path, default=REPO / "weights" / "amee" / "amee_gan.manifest.json"
    )
    a = ap.parse_args()
    editor_manifest, locator_manifest = manifests(a.weights_dir or weights_dir())

    from moodrig.core.amee.infer import AmeeEditor
    from moodrig.core.appearance.bake_editor import BoundFaceEditor, bind_editor
    from moodrig.core.appearance.editor import FaceEditor
    from moodrig.core.appearance.locator import LocatorConfig
    from moodrig.core.appearance.setup import FaceSetup
    from moodrig.core.demo_head import face_points, head_atlas, paint_atlas
    from moodrig.core.errors import InputError
    from moodrig.core.painter import FaceStyle

    editor = FaceEditor.load(editor_manifest, locator_manifest, device="cpu")
    amee = AmeeEditor.load(manifest_path=a.amee_manifest, device="cpu")
    atlas = head_atlas(a.size)
    style = FaceStyle()
    base = paint_atlas(atlas, style)
    region, points = atlas.region, face_points(atlas, style)
    rows, cols = atlas.face.slices
    one, many = expressions()
    views = {n: np.broadcast_to(base, (n, *base.shape)) for n in (1, BATCH)}
    zeros = {n: np.zeros((n, N_EXPRESSION), np.float32) for n in (1, BATCH)}

    face = editor.prepare(base, region, points)
    bound = BoundFaceEditor(editor, face)
    region_amee = bind_editor(amee, base, FaceSetup(region))
    check = {
        "face_editor": changed(bound.edit(views[1], one, zeros[1])[0], base, rows, cols),
        "amee": changed(region_amee.edit(views[1], one, zeros[1])[0], base, rows, cols),
    }
    try:
        located = editor.prepare(base, region, None).features
        locate_error = None
        located_px = float(np.median(np.hypot(*(located.points - points).T)))
    except InputError as exc:
        locate_error, located_px = exc.problem, None

    cases: dict[str, Callable[[], object]] = {
        "prepare_points": lambda: editor.prepare(base, region, points),
        "amee_bind": lambda: bind_editor(amee, base, FaceSetup(region)),
        "edit_1": lambda: bound.edit(views[1], one, zeros[1]),
        "amee_edit_1": lambda: region_amee.edit(views[1], one, zeros[1]),
        f"edit_{BATCH}": lambda: bound.edit(views[BATCH], many, zeros[BATCH]),
        f"amee_edit_{BATCH}": lambda: region_amee.edit(views[BATCH], many, zeros[BATCH]),
    }
    if locate_error is None:
        cases["prepare_locate"] = lambda: editor.prepare(base, region, None)
    per_texture = {f"edit_{BATCH}": BATCH, f"amee_edit_{BATCH}": BATCH}
    threads: dict[str, Any] = {}
    for n in a.threads:
        torch.set_num_threads(n)
        cv2.setNumThreads(n)
        secs = timed_rounds(cases, a.repeats)
        ms = {k: stats([1e3 * t / per_texture.get(k, 1) for t in v]) for k, v in secs.items()}
        ratios = {
            f"ratio_edit_{b}": ms[f"edit_{b}"]["median"] / ms[f"amee_edit_{b}"]["median"]
            for b in (1, BATCH)
        }
        threads[str(n)] = {"torch_threads": torch.get_num_threads(), "ms": ms, **ratios}
    emit(
        {
            "size": a.size,
            "channels": int(base.shape[2]),
            "dtype": str(base.dtype),
            "region": list(region.as_tuple()),
            "region_px": [atlas.face.x0, atlas.face.y0, atlas.face.x1, atlas.face.y1],
            "batch": BATCH,
            "repeats": a.repeats,
            "threads": threads,
            "editor": {
                **describe(editor_manifest, editor.generator),
                "resolution": editor.resolution,
            },
            "locator": {
                **describe(locator_manifest, editor.locator),
                "resolution": editor.locator.cfg.resolution,
                "default_architecture": editor.locator.cfg == LocatorConfig(),
            },
            "located_error_px": located_px,
            "locate_error": locate_error,
            "amee": {**describe(a.amee_manifest, amee.network), "resolution": amee.resolution},
            "check": check,
        }
    )


if __name__ == "__main__":
    main()
