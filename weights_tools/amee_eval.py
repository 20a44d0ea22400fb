"""Evaluate AMEE-GAN and write the committed report (docs/amee_eval.md).

    python -m moodrig.weights_tools.amee_eval --out docs/amee_eval.md \
        --ablation "full@2000=runs/amee/full/export/amee_gan_step002000.manifest.json" \
        --ablation "no mask@2000=runs/amee/no_mask/export/amee_gan_step002000.manifest.json" ...

Held-out styles come from the painter's 'eval' split (never seen in training). For each style:
8 renders (index 0 neutral); pairs = neutral → each of the 7 others, and 7 non-neutral
source → different target. Metrics at the model resolution R (painter renders at R) and, for
the full model, through the full-resolution path (``editor.edit`` on 256² renders):
PSNR / SSIM vs the painter's ground truth, expression MAE read back by the independent
regressor (given the character's neutral texture; its own MAE on the ground-truth images is
the floor), PSNR outside the mask
(inf = bit-identical) and the fraction of outside-mask pixels that are bit-identical, mean
mask, and PSNR outside the painter's expression region. Weights with the source input are
told each pair's source expression (as the add-on tells them the base texture is neutral), and
are measured a second time without it (the unknown-source case the same weights keep).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from PIL import Image

from moodrig.core.amee.finetune import FinetuneConfig, finetune
from moodrig.core.amee.infer import AmeeEditor
from moodrig.core.amee.weights_io import AMEE_WEIGHTS
from moodrig.core.expression import EXPRESSION_NAMES, expression_vector
from moodrig.core.fileio import atomic_write_text
from moodrig.core.image import to_uint8
from moodrig.core.painter import expression_region, paint_face

from .amee_data import sample_expression, style_and_expressions
from .metrics import median_seconds, psnr, ssim
from .painter_cache import style_rng
from .regressor import EXPRESSION_REGRESSOR, Reader

F32 = NDArray[np.float32]


def eval_pairs(per_style: int) -> list[tuple[int, int]]:
    pairs = [(0, k) for k in range(1, per_style)]
    pairs += [(k, k % (per_style - 1) + 1) for k in range(1, per_style)]
    return pairs


def heldout_set(
    seed: int, n_styles: int, size: int, per_style: int = 8, split: str = "eval"
) -> list[dict[str, Any]]:
    """Renders (float32 RGBA) of held-out styles (painter split ``split``; "train" gives the
    first training styles instead, for the generalisation gap) with their expressions and
    expression regions."""
    out = []
    for s in range(n_styles):
        style, ex = style_and_expressions(seed, split, s, per_style)
        out.append(
            {
                "images": np.stack([paint_face(style, e, size) for e in ex]),
                "exprs": ex,
                "region": expression_region(style, size),
            }
        )
    return out


def evaluate_editor(
    editor: AmeeEditor,
    data: list[dict[str, Any]],
    reg: Reader,
    pairs: list[tuple[int, int]],
    give_source: bool = True,
) -> dict[str, float]:
    """Mean metrics over all (style, pair); ``give_source``: tell the editor each pair's source
    expression (used only by weights with the source input)."""
    vals: dict[str, list[float]] = {
        k: []
        for k in (
            "psnr",
            "ssim",
            "psnr_identity",
            "ssim_identity",
            "psnr_out_mask",
            "identical_out_mask",
            "mean_mask",
            "psnr_out_region",
            "expr_mae",
            "expr_mae_gt",
            "expr_mae_identity",
            "expr_mae_neutral_src",
            "expr_mae_expressive_src",
        )
    }
    per_entry: dict[str, list[NDArray[np.float32]]] = {"expr_mae": [], "expr_mae_gt": []}
    for item in data:
        imgs, ex, region = item["images"], item["exprs"], item["region"]
        src = np.stack([imgs[i] for i, _ in pairs])
        tgt = np.stack([imgs[j] for _, j in pairs])
        a = np.stack([ex[j] for _, j in pairs])
        out, mask = editor.edit_with_mask(
            src, a, np.stack([ex[i] for i, _ in pairs]) if give_source else None
        )
        est = reg(out, imgs[0])
        est_gt = reg(tgt, imgs[0])
        est_src = reg(src, imgs[0])
        per_entry["expr_mae"].append(np.abs(est - a))
        per_entry["expr_mae_gt"].append(np.abs(est_gt - a))
        for n in range(len(pairs)):
            o, t, s_, m = out[n, ..., :3], tgt[n, ..., :3], src[n, ..., :3], mask[n]
            vals["psnr"].append(psnr(o, t))
            vals["ssim"].append(ssim(o, t))
            vals["psnr_identity"].append(psnr(s_, t))
            vals["ssim_identity"].append(ssim(s_, t))
            outside = m == 0
            if outside.any():
                vals["psnr_out_mask"].append(psnr(o, s_, outside))
                vals["identical_out_mask"].append(float(np.all(o[outside] == s_[outside])))
            vals["mean_mask"].append(float(m.mean()))
            vals["psnr_out_region"].append(psnr(o, t, ~region))
            vals["expr_mae"].append(float(np.abs(est[n] - a[n]).mean()))
            vals["expr_mae_neutral_src" if pairs[n][0] == 0 else "expr_mae_expressive_src"].append(
                vals["expr_mae"][-1]
            )
            vals["expr_mae_gt"].append(float(np.abs(est_gt[n] - a[n]).mean()))
            vals["expr_mae_identity"].append(float(np.abs(est_src[n] - a[n]).mean()))
    res: dict[str, float] = {}
    for k, rows in per_entry.items():
        for name, v in zip(EXPRESSION_NAMES, np.concatenate(rows).mean(0), strict=True):
            res[f"{k}_{name}"] = float(v)
    for k, v in vals.items():
        if not v:
            res[k] = float("nan")
        elif k.startswith("psnr"):
            finite = [x for x in v if np.isfinite(x)]
            # mean over images; an all-identical set reports inf
            res[k] = (
                float(np.mean(finite))
                if len(finite) == len(v)
                else (float("inf") if not finite else float(np.mean(finite)))
            )
            res[k + "_n_inf"] = float(len(v) - len(finite))
        else:
            res[k] = float(np.mean(v))
    return res


def finetune_eval(
    base: AmeeEditor,
    reg: Reader,
    *,
    seed: int,
    styles: int,
    k: int,
    heldout: int,
    size: int,
    cfg: FinetuneConfig,
) -> list[dict[str, Any]]:
    """Per held-out style (split 'finetune'): neutral + k labelled textures for training,
    ``heldout`` other expressions to measure, source = neutral; before vs after."""
    rows = []
    for s in range(styles):
        style, _ = style_and_expressions(seed, "finetune", s, 1)
        rng = style_rng(seed, "finetune", 10_000 + s)
        exprs = [sample_expression(rng, scale=i % 2 == 1) for i in range(k + heldout)]
        neutral = paint_face(style, np.zeros(8, np.float32), size)
        train_ex = [(paint_face(style, e, size), e) for e in exprs[:k]]
        test_e = np.stack(exprs[k:])
        test_t = np.stack([paint_face(style, e, size) for e in test_e])
        region = expression_region(style, size)
        data = [
            {
                "images": np.concatenate([neutral[None], test_t]),
                "exprs": np.concatenate([np.zeros((1, 8), np.float32), test_e]),
                "region": region,
            }
        ]
        pairs = [(0, j) for j in range(1, heldout + 1)]
        before = evaluate_editor(base, data, reg, pairs)
        t0 = time.time()
        tuned = finetune(base, neutral, train_ex, cfg)
        secs = time.time() - t0
        after = evaluate_editor(tuned, data, reg, pairs)
        rows.append({"style": s, "before": before, "after": after, "seconds": secs})
    return rows


SHEET_TARGETS = (
    ("smile 1", expression_vector(smile=1.0)),
    ("jaw_open 0.9", expression_vector(jaw_open=0.9)),
    ("eyes closed", expression_vector(eye_close_l=1.0, eye_close_r=1.0)),
    ("brow_raise + eye_wide", expression_vector(brow_raise=1.0, eye_wide=1.0)),
    ("frown + furrow", expression_vector(frown=1.0, brow_furrow=1.0)),
)


def sample_sheet(editor: AmeeEditor, seed: int, n_styles: int, path: Path, zoom: int = 2) -> None:
    """PNG of held-out styles (rows; split 'eval'): the neutral input, then per target
    expression (SHEET_TARGETS) the output, the painter's ground truth and the mask."""
    r = editor.resolution
    rows = []
    for s in range(n_styles):
        style, _ = style_and_expressions(seed, "eval", s, 1)
        neutral = paint_face(style, np.zeros(8, np.float32), r)
        ex = np.stack([e for _, e in SHEET_TARGETS])
        out, mask = editor.edit_with_mask(np.stack([neutral] * len(ex)), ex, np.zeros_like(ex))
        tiles = [neutral[..., :3]]
        for k, e in enumerate(ex):
            tiles += [
                out[k, ..., :3],
                paint_face(style, e, r)[..., :3],
                np.repeat(mask[k][..., None], 3, axis=2),
            ]
        rows.append(np.concatenate(tiles, axis=1))
    sheet = to_uint8(np.concatenate(rows, axis=0))
    sheet = np.repeat(np.repeat(sheet, zoom, axis=0), zoom, axis=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(sheet).save(path)


def speed(editor: AmeeEditor, threads: int, repeats: int = 15) -> dict[str, float]:
    """Textures/s at 128 px (batch 1, 16) and ms per 1024² / 2048² edit, full path (resize,
    generator, mask, upsample, composite); with the 1-minute load average before and after."""
    old_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    rng = np.random.default_rng(0)
    res: dict[str, float] = {"threads": float(threads), "load_before": os.getloadavg()[0]}

    for b in (1, 16):
        tex = rng.uniform(0, 1, (b, 128, 128, 4)).astype(np.float32)
        ex = rng.uniform(0, 1, (b, 8)).astype(np.float32)
        n = 2 * repeats if b == 1 else repeats
        t = median_seconds(lambda tex=tex, ex=ex: editor.edit(tex, ex), n)
        res[f"tex_per_s_128_b{b}"] = b / t
    for side in (1024, 2048):
        tex = rng.uniform(0, 1, (1, side, side, 4)).astype(np.float32)
        ex = rng.uniform(0, 1, (1, 8)).astype(np.float32)
        t = median_seconds(lambda tex=tex, ex=ex: editor.edit(tex, ex), max(1, repeats // 2))
        res[f"ms_{side}"] = 1000 * t
    res["load_after"] = os.getloadavg()[0]
    torch.set_num_threads(old_threads)
    return res


def fmt(x: float, nd: int = 2) -> str:
    if x != x:
        return "n/a"
    if x == float("inf"):
        return "inf"
    return f"{x:.{nd}f}"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Evaluate AMEE-GAN; writes the markdown report.")
    p.add_argument("--weights", type=Path, default=None, help="manifest (default: shipped weights)")
    p.add_argument("--regressor", type=Path, default=EXPRESSION_REGRESSOR)
    p.add_argument(
        "--ablation",
        action="append",
        default=[],
        help="NAME=MANIFEST, compared at model resolution",
    )
    p.add_argument("--styles", type=int, default=48)
    p.add_argument(
        "--full-res", type=int, default=256, help="texture side for the full-resolution path"
    )
    p.add_argument("--ft-styles", type=int, default=3)
    p.add_argument("--ft-k", type=int, default=4)
    p.add_argument("--ft-heldout", type=int, default=12)
    p.add_argument("--ft-steps", type=int, default=FinetuneConfig.steps)
    p.add_argument(
        "--threads", type=int, default=2, help="torch threads for the quality and fine-tuning parts"
    )
    p.add_argument(
        "--speed-threads", type=int, default=2, help="torch threads for the speed figures"
    )
    p.add_argument(
        "--sheet",
        type=Path,
        default=None,
        help="also write a sample sheet PNG (held-out styles) here",
    )
    p.add_argument("--sheet-styles", type=int, default=4)
    p.add_argument(
        "--speed-repeats", type=int, default=15, help="timed runs per speed figure (median)"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=Path("docs/amee_eval.md"))
    p.add_argument("--json", type=Path, default=None, help="also write raw numbers here")
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    t_start = time.time()
    manifest = a.weights or AMEE_WEIGHTS.shipped_manifest()
    editor = AmeeEditor.load(manifest, device="cpu")
    reg = Reader(a.regressor)
    r = editor.resolution
    pairs = eval_pairs(8)
    data_r = heldout_set(a.seed, a.styles, r)
    results: dict[str, Any] = {"model": evaluate_editor(editor, data_r, reg, pairs)}
    if editor.takes_source:
        results["source_unknown"] = evaluate_editor(editor, data_r, reg, pairs, give_source=False)
    data_f = heldout_set(a.seed, a.styles, a.full_res)
    results["full_res"] = evaluate_editor(editor, data_f, reg, pairs)
    ed_bf16 = AmeeEditor.load(manifest, device="cpu", dtype=torch.bfloat16)
    results["bf16"] = evaluate_editor(ed_bf16, data_r[: max(1, a.styles // 4)], reg, pairs)
    subset = data_r[: max(1, a.styles // 4)]
    results["fp32_same_subset"] = evaluate_editor(editor, subset, reg, pairs)
    abl = {}
    for spec in a.ablation:
        name, path = spec.split("=", 1)
        abl[name] = evaluate_editor(AmeeEditor.load(path, device="cpu"), data_r, reg, pairs)
    results["ablations"] = abl
    ft_cfg = FinetuneConfig(steps=a.ft_steps, threads=a.threads)
    results["finetune"] = finetune_eval(
        editor,
        reg,
        seed=a.seed,
        styles=a.ft_styles,
        k=a.ft_k,
        heldout=a.ft_heldout,
        size=r,
        cfg=ft_cfg,
    )
    if a.sheet is not None:
        sample_sheet(editor, a.seed, a.sheet_styles, a.sheet)
    results["speed"] = speed(editor, a.speed_threads, a.speed_repeats)
    results["eval_seconds"] = time.time() - t_start
    if a.json:
        atomic_write_text(a.json, json.dumps(results, indent=2, default=float))
    atomic_write_text(a.out, report(results, editor, a, str(manifest)))
    print(a.out.read_text())


def report(res: dict[str, Any], editor: AmeeEditor, a: argparse.Namespace, manifest: str) -> str:
    m, f = res["model"], res["full_res"]
    tr = editor.manifest.get("training", {})
    L = [
        "# AMEE-GAN evaluation",
        "",
        "Generated by `make amee-eval` (`python -m moodrig.weights_tools.amee_eval`); "
        "do not edit by hand.",
        "",
        f"- Weights: `{Path(manifest).name}`, model_id `{editor.model_id}`, "
        f"resolution {editor.resolution} px, "
        f"trained {tr.get('trained_steps', '?')} steps x batch {tr.get('batch', '?')} "
        f"(seed {tr.get('seed', '?')}).",
        f"- Held-out styles: {a.styles} (painter split 'eval', seed {a.seed}), "
        f"{len(eval_pairs(8))} pairs each "
        "(neutral → 7 targets, 7 non-neutral → other target).",
        f"- Machine: {platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}; "
        f"quality and fine-tuning with {a.threads} thread(s), speed with {a.speed_threads}. "
        "The CPU is shared with other jobs, so speeds are lower "
        "bounds of an idle machine (the load average is given with them).",
        "",
        "## Held-out styles",
        "",
    ]
    u = res.get("source_unknown")
    cols = [m] if u is None else [m, u]
    heads = [f"model resolution ({editor.resolution} px)"]
    if u is not None:
        L += [
            "The model is told each pair's source expression "
            "(the add-on tells it the base texture is neutral); "
            "the second column measures the same weights without it.",
            "",
        ]
        heads = [
            f"model resolution ({editor.resolution} px), source given",
            f"{editor.resolution} px, source not given",
        ]
    cols.append(f)
    heads.append(
        f"full-res path ({a.full_res} px texture)" + (", source given" if u is not None else "")
    )
    L += ["| metric | " + " | ".join(heads) + " |", "|---|" + "---|" * len(heads)]
    rows = [
        ("PSNR vs ground truth (dB)", "psnr", 2),
        ("SSIM vs ground truth", "ssim", 4),
        ("PSNR of the unedited input vs ground truth (baseline, dB)", "psnr_identity", 2),
        ("SSIM of the unedited input vs ground truth (baseline)", "ssim_identity", 4),
        ("expression MAE (independent regressor)", "expr_mae", 4),
        (
            "… from the neutral texture (the add-on's case: it edits the base texture)",
            "expr_mae_neutral_src",
            4,
        ),
        ("… from a non-neutral texture", "expr_mae_expressive_src", 4),
        ("regressor MAE on the ground-truth images (floor)", "expr_mae_gt", 4),
        ("expression MAE of the unedited input (baseline)", "expr_mae_identity", 4),
        ("PSNR outside the mask vs input (dB; inf = bit-identical)", "psnr_out_mask", 2),
        ("fraction of images bit-identical outside the mask", "identical_out_mask", 4),
        ("mean mask", "mean_mask", 4),
        ("PSNR outside the painter's expression region (dB)", "psnr_out_region", 2),
    ]
    for label, key, nd in rows:
        L.append(f"| {label} | " + " | ".join(fmt(c[key], nd) for c in cols) + " |")
    L += [
        "",
        "Expression MAE per entry at model resolution (model / regressor floor on ground truth):",
        "",
        "| " + " | ".join(EXPRESSION_NAMES) + " |",
        "|" + "---|" * len(EXPRESSION_NAMES),
        "| "
        + " | ".join(
            f"{m['expr_mae_' + n]:.3f} / {m['expr_mae_gt_' + n]:.3f}" for n in EXPRESSION_NAMES
        )
        + " |",
    ]
    if a.sheet is not None:
        L += [
            "",
            f"Sample sheet: [`{a.sheet.name}`](images/{a.sheet.name}) — "
            "per held-out style: neutral input, then for "
            + ", ".join(n for n, _ in SHEET_TARGETS)
            + ": output | ground truth | mask.",
        ]
    b, ref = res["bf16"], res["fp32_same_subset"]
    L += [
        "",
        f"bfloat16 on CPU (first {max(1, a.styles // 4)} styles): "
        f"PSNR {fmt(b['psnr'])} dB vs float32 {fmt(ref['psnr'])} dB, "
        f"expression MAE {fmt(b['expr_mae'], 4)} vs {fmt(ref['expr_mae'], 4)}.",
        "",
    ]
    if res["ablations"]:
        L += [
            "## Ablations (model resolution, same held-out pairs)",
            "",
            "| model | PSNR | SSIM | expr MAE | PSNR outside mask | mean mask "
            "| PSNR outside expr. region |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, v in res["ablations"].items():
            L.append(
                f"| {name} | {fmt(v['psnr'])} | {fmt(v['ssim'], 4)} | {fmt(v['expr_mae'], 4)} | "
                f"{fmt(v['psnr_out_mask'])} | {fmt(v['mean_mask'], 4)} "
                f"| {fmt(v['psnr_out_region'])} |"
            )
        L += [
            "",
            "Without the mask head M = 1 everywhere, so there is no outside-the-mask region (n/a).",
            "",
        ]
    ft = res["finetune"]
    L += [
        "## Per-character fine-tuning",
        "",
        f"K = {a.ft_k} labelled textures + neutral, {a.ft_steps} steps; "
        f"measured on {a.ft_heldout} held-out "
        "expressions of each held-out style (split 'finetune'), source = neutral, "
        "model resolution.",
        "",
        "| style | PSNR before → after | SSIM before → after | expr MAE before → after "
        "| fine-tune seconds |",
        "|---|---|---|---|---|",
    ]
    for row in ft:
        bb, aa = row["before"], row["after"]
        L.append(
            f"| {row['style']} | {fmt(bb['psnr'])} → {fmt(aa['psnr'])} "
            f"| {fmt(bb['ssim'], 4)} → {fmt(aa['ssim'], 4)} | "
            f"{fmt(bb['expr_mae'], 4)} → {fmt(aa['expr_mae'], 4)} | {row['seconds']:.1f} |"
        )

    def mean_of(part: str, key: str) -> float:
        return float(np.mean([row[part][key] for row in ft]))

    L.append(
        f"| mean | {fmt(mean_of('before', 'psnr'))} → {fmt(mean_of('after', 'psnr'))} | "
        f"{fmt(mean_of('before', 'ssim'), 4)} → {fmt(mean_of('after', 'ssim'), 4)} | "
        f"{fmt(mean_of('before', 'expr_mae'), 4)} → {fmt(mean_of('after', 'expr_mae'), 4)} | "
        f"{np.mean([row['seconds'] for row in ft]):.1f} |"
    )
    s = res["speed"]
    L += [
        "",
        "## Speed (CPU, full `editor.edit` path: resize, generator, mask, upsample, composite)",
        "",
        f"{int(s['threads'])} torch thread(s); 1-minute load average "
        f"{s['load_before']:.2f} before, {s['load_after']:.2f} after "
        f"(on {os.cpu_count()} CPUs).",
        "",
        f"- 128 px textures, batch 1: {s['tex_per_s_128_b1']:.1f} textures/s",
        f"- 128 px textures, batch 16: {s['tex_per_s_128_b16']:.1f} textures/s",
        f"- one 1024² texture: {s['ms_1024']:.1f} ms; one 2048² texture: {s['ms_2048']:.1f} ms",
        "",
        f"Evaluation took {res['eval_seconds']:.0f} s.",
        "",
    ]
    return "\n".join(L)


if __name__ == "__main__":
    main()
