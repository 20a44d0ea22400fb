"""Evaluate the face editor where users look and write the report (``docs/faceedit_eval.md``).

    python -m moodrig.weights_tools.faceedit_eval --editor E.manifest.json --locator L.manifest.json

For every style family and atlas size (512², 1024², 2048²): held-out styles (never trained
on), each face placed in an atlas at 30–60 % of its side (``styles.synthesize_atlas``); the
editor locates the face's feature points itself (as in the add-on) and edits the neutral atlas
to each single expression at full strength and to random mixed expressions. Each edit is scored
in the face region against the family's exact rendering of that expression
(``faceedit_metrics.score``): fraction of the change achieved, PSNR against the unedited
input's, sharpness (variance of the Laplacian, edit ÷ truth, in the region and in the window of
changed pixels), and the pixels outside the region. Also: the zero expression returns the
atlas bit for bit; the locator's point error; regions without a face are refused.

Pixel art is also scored at its own resolution, one texel per art pixel (a face of 8–16
texels in a 64 × 32 or 128 × 64 atlas, as in a game skin): besides the change achieved, whether
the edit keeps the input's palette (at most one new colour, the flat paint's).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from moodrig.core.appearance.bake_editor import RegionEditor
from moodrig.core.appearance.editor import FaceEditor
from moodrig.core.appearance.region import FaceRegion, PixelRect
from moodrig.core.errors import InputError
from moodrig.core.expression import EXPRESSION_NAMES, N_EXPRESSION
from moodrig.core.fileio import atomic_write_text

from .faceedit_data import sample_expression, style_rng
from .faceedit_metrics import score, sharpness
from .styles import FAMILY_NAMES, get_family, synthesize_atlas

TARGETS = {
    "painter_1024_psnr": 35.0,
    "change": 0.6,
    "psnr_gain": 6.0,
    "sharpness": (0.9, 1.1),
}


@dataclass
class Row:
    family: str
    atlas: int
    edits: int
    change: float
    psnr_edit: float
    psnr_input: float
    sharp_region: float
    sharp_changed: float
    outside_identical: float
    zero_identical: float
    point_error: float
    refused: int
    per_expression: tuple[float, ...] = ()
    """Change achieved by each single expression at full strength (``EXPRESSION_NAMES``
    order), mean over the styles."""


PSNR_CAP = 99.0
"""dB given to an exact edit (infinite PSNR), so that means stay finite."""


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else math.nan


def point_error(found: np.ndarray, truth: np.ndarray) -> float:
    """Largest distance between a found and a true feature point, in eye distances (the
    distance between the two true eye centres)."""
    eye = float(np.linalg.norm(truth[1] - truth[0]))
    return float(np.abs(found - truth).max()) / max(eye, 1e-6)


def changed_window(
    source: np.ndarray, truth: np.ndarray, pad: int = 4
) -> tuple[slice, slice] | None:
    diff = np.any(source[..., :3] != truth[..., :3], axis=2)
    ys, xs = np.nonzero(diff)
    if len(ys) == 0:
        return None
    h, w = diff.shape
    return (
        slice(max(0, ys.min() - pad), min(h, ys.max() + pad + 1)),
        slice(max(0, xs.min() - pad), min(w, xs.max() + pad + 1)),
    )


def targets(rng: np.random.Generator, mixed: int) -> np.ndarray:
    singles = np.eye(N_EXPRESSION, dtype=np.float32)
    extra = [sample_expression(rng) for _ in range(mixed)]
    return np.concatenate([singles, np.stack(extra)]) if extra else singles


def evaluate_family(
    editor: FaceEditor | None,
    family: str,
    atlas: int,
    styles: int,
    mixed: int,
    seed: int,
    *,
    true_points: bool = False,
    baseline: Any = None,
) -> Row:
    """``editor`` None: score ``baseline`` (a whole-texture editor run on the face region, as
    the bake runs AMEE-GAN there) instead; ``true_points``: give the editor the family's own
    feature points instead of locating them."""
    fam = get_family(family)
    changes, pe, pi, sr, sc, outside, zero, perr = [], [], [], [], [], [], [], []
    singles: list[list[float]] = [[] for _ in range(N_EXPRESSION)]
    edits = refused = 0
    for k in range(styles):
        rng = style_rng(family, "heldout", 10_000 + seed * 1000 + k)
        style = fam.random_style(rng)
        tg = targets(rng, mixed)
        side = int(atlas * rng.uniform(0.3, 0.6))
        exprs = np.concatenate([np.zeros((1, N_EXPRESSION), np.float32), tg])
        sample = synthesize_atlas(rng, family, style, exprs, (atlas, atlas), face_size=(side, side))
        neutral = sample.images[0]
        region = FaceRegion(*sample.region_uv)
        x0, y0, x1, y1 = sample.region_px
        truth_pts = sample.points - np.array([x0, y0])
        zeros = np.zeros((1, N_EXPRESSION), np.float32)
        if editor is None:
            bound = RegionEditor(baseline, neutral, region)
            batch = np.ascontiguousarray(np.broadcast_to(neutral, (len(tg), *neutral.shape)))
            out = bound.edit(batch, tg, np.zeros_like(tg))
            zero.append(
                float(np.array_equal(bound.edit(neutral[None].copy(), zeros, zeros)[0], neutral))
            )
        else:
            try:
                face = editor.prepare(neutral, region, truth_pts if true_points else None)
            except InputError:
                refused += 1
                continue
            perr.append(point_error(face.features.points, truth_pts))
            out = editor.edit(face, tg, np.zeros_like(tg))
            zero.append(float(np.array_equal(editor.edit(face, zeros, zeros)[0], neutral)))
        rows = slice(y0, y1), slice(x0, x1)
        for j in range(len(tg)):
            truth = sample.images[1 + j]
            s = score(out[j], truth, neutral, rows)
            edits += 1
            outside.append(float(s.outside_identical))
            if not math.isnan(s.change):
                changes.append(s.change)
                if j < N_EXPRESSION:  # targets() lists the single expressions first
                    singles[j].append(s.change)
                pe.append(min(s.psnr_edit, PSNR_CAP))
                pi.append(min(s.psnr_input, PSNR_CAP))
                sr.append(s.sharpness_ratio)
                win = changed_window(neutral, truth)
                if win is not None:
                    t_sharp = sharpness(truth[win])
                    if t_sharp > 0:
                        sc.append(sharpness(out[j][win]) / t_sharp)
    # Sharpness ratios: the median, as a near-flat truth window makes single ratios explode.
    median = lambda v: float(np.median(v)) if v else math.nan  # noqa: E731
    return Row(
        family,
        atlas,
        edits,
        _mean(changes),
        _mean(pe),
        _mean(pi),
        median(sr),
        median(sc),
        _mean(outside),
        _mean(zero),
        _mean(perr),
        refused,
        tuple(_mean(v) for v in singles),
    )


NATIVE_PIXEL_FACES = ((8, (64, 32)), (12, (128, 64)), (16, (128, 64)))
"""(face side in texels, atlas (width, height)) of the pixel-art-at-its-own-resolution rows."""


@dataclass
class NativeRow:
    face: int
    atlas: tuple[int, int]
    edits: int
    refused: int
    change: float
    psnr_edit: float
    psnr_input: float
    palette_kept: float
    """Share of edits whose region shows at most one colour the input's region has not."""
    point_error: float


def new_colours(edit: np.ndarray, base: np.ndarray) -> int:
    """Distinct colours of ``edit`` that ``base`` does not have ((h, w, C) arrays)."""
    have = {tuple(c) for c in base.reshape(-1, base.shape[-1]).tolist()}
    return len({tuple(c) for c in edit.reshape(-1, edit.shape[-1]).tolist()} - have)


def evaluate_native_pixel(
    editor: FaceEditor, face: int, atlas: tuple[int, int], styles: int, seed: int
) -> NativeRow:
    """Held-out pixel-art styles drawn at ``face`` texels in an ``atlas`` (width, height), each
    edited to the 8 single expressions at full strength, points found by the locator."""
    fam = get_family("pixel")
    changes, pe, pi, kept, perr = [], [], [], [], []
    edits = refused = 0
    singles = np.eye(N_EXPRESSION, dtype=np.float32)
    for k in range(styles):
        rng = style_rng("pixel", "heldout", 20_000 + seed * 1000 + k)
        style = fam.random_style(rng)
        exprs = np.concatenate([np.zeros((1, N_EXPRESSION), np.float32), singles])
        sample = synthesize_atlas(rng, "pixel", style, exprs, atlas, face_size=(face, face))
        neutral = sample.images[0]
        x0, y0, x1, y1 = sample.region_px
        rows = slice(y0, y1), slice(x0, x1)
        try:
            prepared = editor.prepare(neutral, FaceRegion(*sample.region_uv))
        except InputError:
            refused += 1
            continue
        truth_pts = sample.points - np.array([x0, y0])
        perr.append(point_error(prepared.features.points, truth_pts))
        out = editor.edit(prepared, singles, np.zeros_like(singles))
        for j in range(len(singles)):
            edits += 1
            kept.append(float(new_colours(out[j][rows], neutral[rows]) <= 1))
            s = score(out[j], sample.images[1 + j], neutral, rows)
            if not math.isnan(s.change):
                changes.append(s.change)
                pe.append(min(s.psnr_edit, PSNR_CAP))
                pi.append(min(s.psnr_input, PSNR_CAP))
    return NativeRow(
        face, atlas, edits, refused, _mean(changes), _mean(pe), _mean(pi), _mean(kept), _mean(perr)
    )


def _native_table(rows: list[NativeRow], styles: int) -> list[str]:
    if not rows:
        return []
    lines = [
        "",
        "Pixel art at its own resolution (one texel per art pixel, as in a game skin), "
        f"{styles} held-out styles per size, the 8 single expressions at full strength; "
        "palette kept: the edit shows at most one colour the input's face has not (the flat "
        "paint):",
        "",
        "| face | atlas | edits | refused | change achieved | PSNR edit / input (gain) | "
        "palette kept | point error |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.face} × {r.face} | {r.atlas[0]} × {r.atlas[1]} | {r.edits} | {r.refused} | "
            f"{r.change:.3f} | {r.psnr_edit:.2f} / {r.psnr_input:.2f} "
            f"({r.psnr_edit - r.psnr_input:+.2f} dB) | {100 * r.palette_kept:.0f} % | "
            f"{r.point_error:.3f} |"
        )
    return lines


def negatives(editor: FaceEditor, n: int, seed: int) -> float:
    """Share of face-free atlas regions refused as 'no painted face'."""
    from .styles import atlas_content

    rng = np.random.default_rng([seed, 404])
    refused = 0
    for _ in range(n):
        img = atlas_content(rng, 512, 512, (0.9, 0.7, 0.6))
        x0, y0 = int(rng.integers(0, 256)), int(rng.integers(0, 256))
        side = int(rng.integers(64, 256))
        region = FaceRegion.from_pixels(PixelRect(x0, y0, x0 + side, y0 + side), 512, 512)
        try:
            editor.prepare(img, region)
        except InputError:
            refused += 1
    return refused / max(1, n)


def speed(editor: FaceEditor, repeats: int = 5) -> dict[str, float]:
    """One 2048² atlas edit (face prepared once), median milliseconds."""
    rng = style_rng("painter", "heldout", 999)
    fam = get_family("painter")
    style = fam.random_style(rng)
    e = np.zeros((1, N_EXPRESSION), np.float32)
    e[0, 1] = 1.0
    sample = synthesize_atlas(
        rng,
        "painter",
        style,
        np.concatenate([np.zeros_like(e), e]),
        (2048, 2048),
        face_size=(900, 900),
    )
    face = editor.prepare(sample.images[0], FaceRegion(*sample.region_uv))
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        editor.edit(face, e, np.zeros_like(e))
        times.append((time.perf_counter() - t0) * 1000)
    t0 = time.perf_counter()
    editor.prepare(sample.images[0], FaceRegion(*sample.region_uv))
    prep = (time.perf_counter() - t0) * 1000
    return {
        "edit_2048_ms": float(np.median(times)),
        "prepare_2048_ms": prep,
        "threads": torch.get_num_threads(),
    }


def _table(rows: list[Row], points: bool) -> list[str]:
    head = (
        "| family | atlas | edits | change achieved | PSNR edit / input (gain) | sharpness "
        "region / changed | "
        "outside identical | zero edit identical |"
    )
    lines = [
        head + (" point error | refused |" if points else ""),
        "|---|---|---|---|---|---|---|---|" + ("---|---|" if points else ""),
    ]
    for r in rows:
        line = (
            f"| {r.family} | {r.atlas}² | {r.edits} | {r.change:.3f} | {r.psnr_edit:.2f} / "
            f"{r.psnr_input:.2f} "
            f"({r.psnr_edit - r.psnr_input:+.2f} dB) | {r.sharp_region:.3f} / "
            f"{r.sharp_changed:.3f} | "
            f"{100 * r.outside_identical:.0f} % | {100 * r.zero_identical:.0f} % |"
        )
        lines.append(line + (f" {r.point_error:.3f} | {r.refused} |" if points else ""))
    return lines


def _expression_table(rows: list[Row], atlas: int) -> list[str]:
    """Change achieved per single expression, one row per family, at one atlas size."""
    picked = [r for r in rows if r.atlas == atlas and r.per_expression]
    if not picked:
        return []
    return [
        "",
        f"Change achieved per single expression at full strength, {atlas}² atlases:",
        "",
        "| family | " + " | ".join(EXPRESSION_NAMES) + " |",
        "|---|" + "---|" * len(EXPRESSION_NAMES),
        *(
            f"| {r.family} | " + " | ".join(f"{v:+.2f}" for v in r.per_expression) + " |"
            for r in picked
        ),
    ]


SHEET_EXPRESSIONS = ("smile", "jaw_open", "frown", "brow_raise", "eye_close_l")
"""Columns of the sample sheet: each edited, then its ground truth."""


def sample_sheet(
    editor: FaceEditor, path: Path, atlas: int = 1024, cell: int = 160, seed: int = 0
) -> Path:
    """A PNG: per family (rows), one held-out style's face region at ``atlas``² — the neutral
    input, then each of :data:`SHEET_EXPRESSIONS` at full strength as edited (points found
    by the locator) and as the family draws it. Cells are the region downscaled to ``cell``
    px (area filter), so what shows is the edit, not its resampling."""
    import cv2

    from moodrig.core.expression import INDEX

    rows = []
    for family in FAMILY_NAMES:
        rng = style_rng(family, "heldout", 20_000 + seed)
        style = get_family(family).random_style(rng)
        tg = np.zeros((len(SHEET_EXPRESSIONS), N_EXPRESSION), np.float32)
        for k, name in enumerate(SHEET_EXPRESSIONS):
            tg[k, INDEX[name]] = 1.0
        side = int(atlas * 0.45)
        sample = synthesize_atlas(
            rng,
            family,
            style,
            np.concatenate([np.zeros((1, N_EXPRESSION), np.float32), tg]),
            (atlas, atlas),
            face_size=(side, side),
        )
        neutral = sample.images[0]
        face = editor.prepare(neutral, FaceRegion(*sample.region_uv))
        out = editor.edit(face, tg, np.zeros_like(tg))
        x0, y0, x1, y1 = sample.region_px
        cells = [neutral] + [img for k in range(len(tg)) for img in (out[k], sample.images[1 + k])]
        rows.append(
            np.concatenate(
                [
                    cv2.resize(
                        np.ascontiguousarray(c[y0:y1, x0:x1, :3]),
                        (cell, cell),
                        interpolation=cv2.INTER_AREA,
                    )
                    for c in cells
                ],
                axis=1,
            )
        )
    grid = np.clip(np.concatenate(rows, axis=0) * 255 + 0.5, 0, 255).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(grid, cv2.COLOR_RGB2BGR))
    return path


SHEET_TRAIN = ("smile", "jaw_open", "frown", "brow_raise")
"""The expressions of the fine-tuning sheet (with the neutral face)."""
SHEET_HELD = ("eye_close_l", "brow_furrow", "eye_wide")
"""Single expressions not on the sheet, scored after fine-tuning too."""


def _gains(ed: FaceEditor, sample: Any, region: FaceRegion, exprs: np.ndarray) -> list[float]:
    """PSNR gain over the unedited input, in the region, of each edit to ``exprs[1:]``."""
    x0, y0, x1, y1 = sample.region_px
    rows = slice(y0, y1), slice(x0, x1)
    neutral = sample.images[0]
    face = ed.prepare(neutral, region)
    edited = ed.edit(face, exprs[1:], np.zeros_like(exprs[1:]))
    scores = [score(edited[j], sample.images[1 + j], neutral, rows) for j in range(len(edited))]
    return [min(x.psnr_edit, PSNR_CAP) - min(x.psnr_input, PSNR_CAP) for x in scores]


def finetune_rows(
    editor: FaceEditor, families: list[str], atlas: int, steps: int, seed: int
) -> list[dict[str, Any]]:
    """Per family, one held-out style in an ``atlas``² atlas: fine-tune on a sheet of the
    neutral face and :data:`SHEET_TRAIN` at the atlas's own resolution (what *Fine-tune*
    does), then score the sheet's expressions, the others (:data:`SHEET_HELD`) and two mixed
    ones, before and after (PSNR gain over the unedited input, in the face region)."""
    from moodrig.core.appearance.finetune import finetune_face
    from moodrig.core.editing.finetune import SheetTraining
    from moodrig.core.expression import INDEX

    names = [*SHEET_TRAIN, *SHEET_HELD]
    out = []
    for family in families:
        rng = style_rng(family, "heldout", 30_000 + seed)
        style = get_family(family).random_style(rng)
        exprs = np.zeros((1 + len(names) + 2, N_EXPRESSION), np.float32)
        for k, name in enumerate(names):
            exprs[1 + k, INDEX[name]] = 1.0
        exprs[-2, [INDEX["smile"], INDEX["brow_raise"]]] = (0.6, 0.5)
        exprs[-1, [INDEX["jaw_open"], INDEX["frown"]]] = (0.5, 0.4)
        side = int(atlas * 0.45)
        sample = synthesize_atlas(rng, family, style, exprs, (atlas, atlas), face_size=(side, side))
        neutral, region = sample.images[0], FaceRegion(*sample.region_uv)

        before = _gains(editor, sample, region, exprs)
        examples = [(sample.images[1 + k], exprs[1 + k]) for k in range(len(SHEET_TRAIN))]
        t0 = time.perf_counter()
        try:
            tuned = finetune_face(
                editor,
                neutral,
                examples,
                region=region,
                config=SheetTraining(steps=steps, threads=torch.get_num_threads()),
            )
        except InputError as exc:  # pixel art: not fine-tuned (its edits stay block-exact)
            out.append({"family": family, "atlas": atlas, "steps": steps, "refused": exc.problem})
            continue
        seconds = time.perf_counter() - t0
        after = _gains(tuned, sample, region, exprs)
        n = len(SHEET_TRAIN)
        parts = {
            "sheet": slice(0, n),
            "other": slice(n, len(names)),
            "mixed": slice(len(names), None),
        }
        row: dict[str, Any] = {"family": family, "atlas": atlas, "steps": steps, "seconds": seconds}
        for key, part in parts.items():
            row[f"{key}_before"] = float(np.mean(before[part]))
            row[f"{key}_after"] = float(np.mean(after[part]))
        print(json.dumps(row), flush=True)
        out.append(row)
    return out


def _finetune_table(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return []
    r0 = rows[0]
    lines = [
        "",
        "Fine-tuning (*Fine-tune*, `core/appearance/finetune.py`): per family, one held-out "
        f"style in a {r0['atlas']}² atlas, a sheet of the neutral face and {len(SHEET_TRAIN)} "
        f"expressions ({', '.join(SHEET_TRAIN)}) at the atlas's own resolution, {r0['steps']} "
        "steps; PSNR gain over the unedited input in the face region, before → after, on the "
        "sheet's expressions, "
        f"on {len(SHEET_HELD)} others ({', '.join(SHEET_HELD)}) and on 2 mixed ones "
        f"(an exact edit, as pixel art can be, counts as {PSNR_CAP:.0f} dB):",
        "",
        "| family | sheet expressions | other expressions | mixed | fine-tuning time |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        if "refused" in r:
            lines.append(f"| {r['family']} | not fine-tuned: {r['refused']} | | | |")
            continue
        cells = [
            f"{r[k + '_before']:+.2f} → {r[k + '_after']:+.2f} dB"
            for k in ("sheet", "other", "mixed")
        ]
        lines.append(f"| {r['family']} | {' | '.join(cells)} | {r['seconds']:.0f} s |")
    return lines


def report(
    rows: list[Row],
    neg: float,
    spd: dict[str, float],
    meta: dict[str, Any],
    baseline: list[Row] | None = None,
    tuned: list[dict[str, Any]] | None = None,
    native: list[NativeRow] | None = None,
) -> str:
    points = (
        "the editor was given the true feature points"
        if meta.get("true_points")
        else "the editor found the feature points itself, as in the add-on"
    )
    lines = [
        "# Face editor: measured figures",
        "",
        f"Produced by `python -m moodrig.weights_tools.faceedit_eval` ({meta['styles']} held-"
        f"out styles per "
        f"family and atlas size, 8 single expressions at full strength + {meta['mixed']} mixed"
        f" each; "
        f"editor {meta['editor_id']}; {meta['threads']} torch threads on a shared 2-core CPU).",
        "",
        "Every edit is measured in the face region of the atlas, at the atlas's own "
        "resolution, against the "
        f"family's exact rendering of the target expression; {points}. Change achieved: 1 − "
        f"L1(edit, truth) "
        "÷ L1(input, truth) in the region (1: the whole change, 0: none, below 0: further "
        "from the truth "
        "than the unedited input, in L1). Sharpness: variance of the Laplacian, edit ÷ truth "
        "(median), over "
        "the region and over the window of pixels the expression changes.",
        "",
        *_table(rows, True),
        *_expression_table(rows, 1024 if any(r.atlas == 1024 for r in rows) else rows[0].atlas),
    ]
    if baseline:
        lines += [
            "",
            "AMEE-GAN (the 64-px editor, upscaled into the same region, as the parameters mode ran "
            "before the face editor shipped), on the same atlases:",
            "",
            *_table(baseline, False),
        ]
    lines += _native_table(native or [], meta.get("native_styles", 0))
    lines += _finetune_table(tuned or [])
    lines += [
        "",
        "Point error: largest distance between a found and a true feature point, in eye distances.",
        "",
        f"Face-free regions refused as 'no painted face': {100 * neg:.0f} %.",
        "",
        f"Speed: one 2048² atlas edit {spd['edit_2048_ms']:.1f} ms (face prepared once; preparing: "
        f"{spd['prepare_2048_ms']:.1f} ms), {spd['threads']} torch threads.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--editor", type=Path, default=None)
    p.add_argument("--locator", type=Path, default=None)
    p.add_argument("--families", nargs="+", default=list(FAMILY_NAMES))
    p.add_argument("--atlas", nargs="+", type=int, default=[512, 1024, 2048])
    p.add_argument("--styles", type=int, default=6)
    p.add_argument("--mixed", type=int, default=4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--negatives", type=int, default=40)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--true-points", action="store_true", help="give the editor the true points")
    p.add_argument(
        "--baseline",
        choices=["amee"],
        default=None,
        help="also score the shipped AMEE-GAN on the same face regions, side by side",
    )
    p.add_argument("--out", type=Path, default=None, help="markdown report (default: print)")
    p.add_argument("--json", type=Path, default=None)
    p.add_argument(
        "--sheet",
        type=Path,
        default=None,
        help=(
            "also write a sample sheet PNG (rows: families; neutral, then edit / truth per "
            "expression)"
        ),
    )
    p.add_argument(
        "--native-styles",
        type=int,
        default=0,
        help="also score pixel art at its own resolution, this many styles per size (0: no)",
    )
    p.add_argument("--ft-steps", type=int, default=0, help="also report fine-tuning (0: no)")
    p.add_argument("--ft-atlas", type=int, default=1024, help="atlas size of the fine-tuning rows")
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    editor = FaceEditor.load(a.editor, a.locator, device="cpu")
    if a.sheet:
        print(f"wrote {sample_sheet(editor, a.sheet, seed=a.seed)}", flush=True)
    baseline = None
    if a.baseline == "amee":
        from moodrig.core.amee.infer import AmeeEditor

        baseline = AmeeEditor.load(device="cpu")
    rows, base_rows = [], []
    for fam in a.families:
        for size in a.atlas:
            row = evaluate_family(
                editor, fam, size, a.styles, a.mixed, a.seed, true_points=a.true_points
            )
            print(json.dumps(asdict(row)), flush=True)
            rows.append(row)
            if baseline is not None:
                brow = evaluate_family(
                    None, fam, size, a.styles, a.mixed, a.seed, baseline=baseline
                )
                print(json.dumps({"baseline": "amee", **asdict(brow)}), flush=True)
                base_rows.append(brow)
    native = []
    for face, atlas in NATIVE_PIXEL_FACES if a.native_styles else ():
        nrow = evaluate_native_pixel(editor, face, atlas, a.native_styles, a.seed)
        print(json.dumps(asdict(nrow)), flush=True)
        native.append(nrow)
    tuned = finetune_rows(editor, a.families, a.ft_atlas, a.ft_steps, a.seed) if a.ft_steps else []
    neg = negatives(editor, a.negatives, a.seed)
    spd = speed(editor)
    text = report(
        rows,
        neg,
        spd,
        {
            "styles": a.styles,
            "mixed": a.mixed,
            "editor_id": editor.model_id,
            "true_points": a.true_points,
            "threads": a.threads,
            "native_styles": a.native_styles,
        },
        base_rows,
        tuned,
        native,
    )
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(
            a.json,
            json.dumps(
                {
                    "rows": [asdict(r) for r in rows],
                    "baseline": [asdict(r) for r in base_rows],
                    "finetune": tuned,
                    "native_pixel": [asdict(r) for r in native],
                    "negatives": neg,
                    "speed": spd,
                },
                indent=2,
            ),
        )
    if a.out:
        atomic_write_text(a.out, text)
    else:
        print(text)


if __name__ == "__main__":
    main()
