"""Evaluate the style-consistent transfer model and write ``docs/transfer_eval.md``.

    python -m moodrig.weights_tools.transfer_eval --out docs/transfer_eval.md \
        --json runs/transfer/eval.json \
        --regressor runs/transfer/detail_regressor.manifest.json --ckpt runs/transfer/full \
        --data ../shared/data --ablation "label=MANIFEST" ...

1. Held-out painter styles (split 'eval', never trained on) × random asymmetric detail vectors:
   PSNR / SSIM of the output against the painter's exact ground truth for the same geometry,
   at model resolution and through the full-resolution path (256² textures); style
   consistency (L1 distance between K_s codes of output and reference, next to the distance
   between two different characters); the eq. 2–7 loss terms (discriminator from the run's
   checkpoint); the mask guarantee; detail values read back by the independent regressor.
   AMEE-GAN side by side on the same inputs (it gets the 8-value average of each detail vector).
2. Real faces (London photos, front and 3/4 views): the detail vector measured on each photo
   (``core/transfer/geometry.py``) is transferred onto held-out characters; the regressor reads
   the values back from the output: expression MAE against the photo's values, and the
   correlation between the photo's left/right differences (mouth corners, brows) and the ones
   read back. AMEE-GAN side by side; the regressor on the painter's own render of the same
   values is the floor.
3. Ablations (other exports, same step count), per-character fine-tuning, speed.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from safetensors.torch import load_file

from moodrig.core.amee.infer import AmeeEditor
from moodrig.core.detail import DETAIL_INDEX, DETAIL_NAMES, N_DETAIL, expression_from_detail
from moodrig.core.expression import expression_vector
from moodrig.core.fileio import atomic_write_text
from moodrig.core.painter import expression_region, paint_detail, paint_face, random_style
from moodrig.core.transfer import geometry as geo
from moodrig.core.transfer.content import draw_contents
from moodrig.core.transfer.finetune import TransferFinetuneConfig, finetune_transfer
from moodrig.core.transfer.infer import TransferEditor
from moodrig.core.transfer.losses import Batch, discriminator_loss, generator_loss
from moodrig.core.transfer.model import TwoScaleDiscriminator

from .metrics import median_seconds, psnr, ssim
from .painter_cache import style_rng
from .regressor import Reader, model_input
from .transfer_data import sample_detail, style_and_details
from .transfer_geometry_fit import fit as fit_geometry

F32 = NDArray[np.float32]


# ----------------------------------------------------------------------------- helpers


def amee_from_neutral(amee: AmeeEditor, neutral: F32, details: F32) -> F32:
    """AMEE-GAN's edit of neutral textures to the 8-value reading of ``details``, told that the
    source is neutral as the add-on tells it (weights without the source input ignore that)."""
    ex = expression_from_detail(details)
    out: F32 = amee.edit(neutral, ex, np.zeros_like(ex))
    return out


def mouth_brow_asymmetry(d: F32) -> F32:
    """(N, 2): mouth-corner asymmetry (smile_l − smile_r) − (frown_l − frown_r), brow raise
    l − r."""
    i = DETAIL_INDEX
    mouth = (d[:, i["smile_l"]] - d[:, i["smile_r"]]) - (d[:, i["frown_l"]] - d[:, i["frown_r"]])
    brow = d[:, i["brow_raise_l"]] - d[:, i["brow_raise_r"]]
    out: F32 = np.stack([mouth, brow], 1).astype(np.float32)
    return out


def corr(a: NDArray[np.floating[Any]], b: NDArray[np.floating[Any]]) -> float:
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    if a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def mae8(a: F32, b: F32) -> float:
    """MAE over the 8 shared parameters (sided entries averaged)."""
    return float(
        np.abs(
            expression_from_detail(np.clip(a, 0, 1)) - expression_from_detail(np.clip(b, 0, 1))
        ).mean()
    )


def fmt(x: float, nd: int = 2) -> str:
    if x != x:
        return "n/a"
    if math.isinf(x):
        return "∞"
    return f"{x:.{nd}f}"


# ----------------------------------------------------------------------------- painter


def painter_set(seed: int, n_styles: int, per_style: int, size: int) -> list[dict[str, Any]]:
    """Held-out styles: neutral, renders of per_style − 1 asymmetric detail vectors, region."""
    out = []
    for s in range(n_styles):
        style, d = style_and_details(seed, "eval", s, per_style)
        out.append(
            {
                "style": style,
                "details": d[1:],
                "neutral": paint_detail(style, d[0], size),
                "targets": np.stack([paint_detail(style, v, size) for v in d[1:]]),
                "region": expression_region(style, size),
            }
        )
    return out


def painter_eval(
    editor: TransferEditor, amee: AmeeEditor | None, reg: Reader, data: list[dict[str, Any]]
) -> dict[str, Any]:
    keys = (
        "psnr",
        "ssim",
        "psnr_identity",
        "ssim_identity",
        "psnr_amee",
        "ssim_amee",
        "mae",
        "mae8",
        "mae_amee",
        "mae8_amee",
        "mae_gt",
        "mae8_gt",
        "mean_mask",
        "identical_out_mask",
        "psnr_out_region",
        "style_dist",
    )
    vals: dict[str, list[float]] = {k: [] for k in keys}
    asym: dict[str, list[F32]] = {"target": [], "out": [], "amee": [], "gt": []}
    codes = []
    for item in data:
        d = item["details"]
        n = len(d)
        src = np.broadcast_to(item["neutral"], (n, *item["neutral"].shape)).copy()
        out = editor.edit(src, d)
        mask = editor.mask(src, d)
        est = reg(out, item["neutral"])
        est_gt = reg(item["targets"], item["neutral"])
        asym["target"].append(mouth_brow_asymmetry(d))
        asym["out"].append(mouth_brow_asymmetry(est))
        asym["gt"].append(mouth_brow_asymmetry(est_gt))
        c_out = editor.style_code(out)
        c_ref = editor.style_code(item["neutral"][None])
        codes.append(c_ref[0])
        if amee is not None:
            a_out = amee_from_neutral(amee, src, d)
            est_a = reg(a_out, item["neutral"])
            asym["amee"].append(mouth_brow_asymmetry(est_a))
        for k in range(n):
            o, t, s_ = out[k, ..., :3], item["targets"][k, ..., :3], src[k, ..., :3]
            vals["psnr"].append(psnr(o, t))
            vals["ssim"].append(ssim(o, t))
            vals["psnr_identity"].append(psnr(s_, t))
            vals["ssim_identity"].append(ssim(s_, t))
            vals["mae"].append(float(np.abs(est[k] - d[k]).mean()))
            vals["mae8"].append(mae8(est[k][None], d[k][None]))
            vals["mae_gt"].append(float(np.abs(est_gt[k] - d[k]).mean()))
            vals["mae8_gt"].append(mae8(est_gt[k][None], d[k][None]))
            vals["mean_mask"].append(float(mask[k].mean()))
            outside = mask[k] == 0
            vals["identical_out_mask"].append(
                float(np.all(o[outside] == s_[outside])) if outside.any() else 1.0
            )
            vals["psnr_out_region"].append(psnr(o, t, ~item["region"]))
            vals["style_dist"].append(float(np.abs(c_out[k] - c_ref[0]).mean()))
            if amee is not None:
                vals["psnr_amee"].append(psnr(a_out[k, ..., :3], t))
                vals["ssim_amee"].append(ssim(a_out[k, ..., :3], t))
                vals["mae_amee"].append(float(np.abs(est_a[k] - d[k]).mean()))
                vals["mae8_amee"].append(mae8(est_a[k][None], d[k][None]))
    res: dict[str, Any] = {}
    for k, v in vals.items():
        finite = [x for x in v if np.isfinite(x)]
        res[k] = float(np.mean(finite)) if finite else (float("inf") if v else float("nan"))
    c = np.stack(codes)
    between = [np.abs(c[i] - c[j]).mean() for i in range(len(c)) for j in range(len(c)) if i != j]
    res["style_dist_between_characters"] = (
        float(np.mean(between)) if between else float("nan")
    )  # one style: none
    tgt = np.concatenate(asym["target"])
    for name in ("out", "amee", "gt"):
        if asym[name]:
            got = np.concatenate(asym[name])
            res[f"asym_corr_{name}_mouth"] = corr(tgt[:, 0], got[:, 0])
            res[f"asym_corr_{name}_brow"] = corr(tgt[:, 1], got[:, 1])
            res[f"asym_corr_{name}"] = corr(tgt, got)
    res["images"] = len(vals["psnr"])
    return res


def loss_terms(
    editor: TransferEditor, ckpt: Path | None, seed: int, n_styles: int
) -> dict[str, float]:
    """Eq. 2–7 terms (and the others) on held-out painter batches, the run's discriminator."""
    r = editor.resolution
    data = painter_set(seed, n_styles, 6, r)
    disc: TwoScaleDiscriminator | None = None
    if ckpt is not None and (ckpt / "ckpt.safetensors").is_file():
        disc = TwoScaleDiscriminator(editor.config)
        tensors = load_file(str(ckpt / "ckpt.safetensors"))
        disc.load_state_dict({k[2:]: v for k, v in tensors.items() if k.startswith("D.")})
        disc.eval()
    cfg = (
        json.loads((ckpt / "config.json").read_text())
        if ckpt is not None and (ckpt / "config.json").is_file()
        else {}
    )
    from moodrig.core.transfer.config import LossWeights

    w = LossWeights(**cfg["weights"]) if "weights" in cfg else LossWeights()
    z = (
        torch.from_numpy(draw_contents(np.zeros((1, N_DETAIL), np.float32), r)).permute(0, 3, 1, 2)
        * 2
        - 1
    )
    sums: dict[str, list[float]] = {}
    model = editor.network.float().cpu()
    for item in data:
        d = item["details"]
        x = torch.from_numpy(draw_contents(d, r)).permute(0, 3, 1, 2) * 2 - 1
        neutral = np.broadcast_to(item["neutral"], (len(d), *item["neutral"].shape)).copy()
        y = model_input(neutral, r)
        t = model_input(item["targets"], r)
        with torch.no_grad():
            _, terms, outs = generator_loss(model, Batch(x, y, t, z), w, disc)
            if disc is not None:
                terms["disc_phi_s"] = float(discriminator_loss(disc, t, outs.final))
        for k, v in terms.items():
            sums.setdefault(k, []).append(v)
    out = {k: float(np.mean(v)) for k, v in sums.items()}
    out["L_prime"] = w.alpha_1 * out.get("L1", float("nan")) + w.alpha_2 * out.get(
        "L2", float("nan")
    )
    out["alpha_1"], out["alpha_2"] = w.alpha_1, w.alpha_2
    return out


def full_res_eval(
    editor: TransferEditor, amee: AmeeEditor | None, seed: int, n_styles: int, size: int
) -> dict[str, float]:
    """256² textures through the full-resolution path (resize, model, mask upsample, composite)."""
    data = painter_set(seed, n_styles, 6, size)
    vals: dict[str, list[float]] = {
        "psnr": [],
        "ssim": [],
        "psnr_identity": [],
        "identical_out_mask": [],
        "psnr_amee": [],
        "out_region_changed": [],
        "out_region_max": [],
        "out_region_changed_amee": [],
    }
    for item in data:
        d = item["details"]
        src = np.broadcast_to(item["neutral"], (len(d), *item["neutral"].shape)).copy()
        out, mask = editor.edit(src, d), editor.mask(src, d)
        a_out = amee_from_neutral(amee, src, d) if amee is not None else None
        for k in range(len(d)):
            o, t, s_ = out[k, ..., :3], item["targets"][k, ..., :3], src[k, ..., :3]
            vals["psnr"].append(psnr(o, t))
            vals["ssim"].append(ssim(o, t))
            vals["psnr_identity"].append(psnr(s_, t))
            outside = mask[k] == 0
            vals["identical_out_mask"].append(float(np.all(o[outside] == s_[outside])))
            # Outside the painter's expression region: pixels whose 8-bit value changes.
            step = np.abs(np.rint(o * 255) - np.rint(s_ * 255)).max(-1)[~item["region"]]
            vals["out_region_changed"].append(float((step > 0).mean()))
            vals["out_region_max"].append(float(step.max()))
            if a_out is not None:
                vals["psnr_amee"].append(psnr(a_out[k, ..., :3], t))
                a_step = np.abs(np.rint(a_out[k, ..., :3] * 255) - np.rint(s_ * 255)).max(-1)[
                    ~item["region"]
                ]
                vals["out_region_changed_amee"].append(float((a_step > 0).mean()))
    out = {k: float(np.mean(v)) if v else float("nan") for k, v in vals.items()}
    out["out_region_max"] = float(np.max(vals["out_region_max"]))
    return out


# ----------------------------------------------------------------------------- real faces


def london_eval(
    editor: TransferEditor,
    amee: AmeeEditor | None,
    reg: Reader,
    faces: Path,
    seed: int,
    n_styles: int,
) -> dict[str, Any]:
    z = np.load(faces)
    details = np.stack(
        [
            geo.detail_from_face(z["expression"][i], z["landmarks"][i])
            for i in range(len(z["photo"]))
        ]
    )
    views = z["view"]
    styles = [style_and_details(seed, "eval", 100 + s, 1)[0] for s in range(n_styles)]
    rows: dict[str, list[F32]] = {"photo": [], "out": [], "amee": [], "gt": []}
    view_of: list[str] = []
    for style in styles:
        neutral = paint_detail(style, np.zeros(N_DETAIL, np.float32), 64)
        src = np.broadcast_to(neutral, (len(details), *neutral.shape)).copy()
        out = editor.edit(src, details)
        rows["out"].append(reg(out, neutral))
        gt = np.stack([paint_detail(style, d, 64) for d in details])
        rows["gt"].append(reg(gt, neutral))
        if amee is not None:
            rows["amee"].append(reg(amee_from_neutral(amee, src, details), neutral))
        rows["photo"].append(details)
        view_of += [str(v) for v in views]
    photo = np.concatenate(rows["photo"])
    v_arr = np.array(view_of)
    res: dict[str, Any] = {
        "photos": len(details),
        "characters": n_styles,
        "readings": len(photo),
        "photo_asym_sd_mouth": float(mouth_brow_asymmetry(details)[:, 0].std()),
        "photo_asym_sd_brow": float(mouth_brow_asymmetry(details)[:, 1].std()),
    }
    for name in ("out", "amee", "gt"):
        if not rows[name]:
            continue
        got = np.concatenate(rows[name])
        res[f"mae_{name}"] = float(np.abs(got - photo).mean())
        res[f"mae8_{name}"] = mae8(got, photo)
        res[f"mae_{name}_per_entry"] = {
            n: float(np.abs(got[:, i] - photo[:, i]).mean()) for i, n in enumerate(DETAIL_NAMES)
        }
        pa, ga = mouth_brow_asymmetry(photo), mouth_brow_asymmetry(got)
        res[f"asym_corr_{name}_mouth"] = corr(pa[:, 0], ga[:, 0])
        res[f"asym_corr_{name}_brow"] = corr(pa[:, 1], ga[:, 1])
        res[f"asym_corr_{name}"] = corr(pa, ga)
        for view in ("front", "left_3quarter", "right_3quarter"):
            sel = v_arr == view
            res[f"mae_{name}_{view}"] = (
                float(np.abs(got[sel] - photo[sel]).mean()) if sel.any() else float("nan")
            )
    return res


def synthetic_lopsided(
    editor: TransferEditor,
    amee: AmeeEditor | None,
    reg: Reader,
    faces: Path,
    seed: int,
    n_styles: int,
) -> dict[str, float]:
    """London front photos' measured values with a known extra asymmetry: smile or brow moved
    ±0.4 on one side (what a lopsided expression would read as), to test asymmetry transfer
    where the photos themselves are nearly symmetric."""
    z = np.load(faces)
    front = np.nonzero(z["view"] == "front")[0]
    base = np.stack([geo.detail_from_face(z["expression"][i], z["landmarks"][i]) for i in front])
    rng = np.random.default_rng([seed, 77])
    d = base.copy()
    for k in range(len(d)):
        side = rng.choice(["_l", "_r"])
        part = rng.choice(["smile", "brow_raise"])
        d[k, DETAIL_INDEX[part + side]] = np.clip(
            d[k, DETAIL_INDEX[part + side]] + rng.choice([-0.4, 0.4]), 0, 1
        )
    styles = [style_and_details(seed, "eval", 100 + s, 1)[0] for s in range(n_styles)]
    got: dict[str, list[F32]] = {"out": [], "amee": [], "gt": []}
    for style in styles:
        neutral = paint_detail(style, np.zeros(N_DETAIL, np.float32), 64)
        src = np.broadcast_to(neutral, (len(d), *neutral.shape)).copy()
        got["out"].append(reg(editor.edit(src, d), neutral))
        got["gt"].append(reg(np.stack([paint_detail(style, v, 64) for v in d]), neutral))
        if amee is not None:
            got["amee"].append(reg(amee_from_neutral(amee, src, d), neutral))
    target = np.concatenate([d] * n_styles)
    res: dict[str, float] = {}
    for name, v in got.items():
        if v:
            g = np.concatenate(v)
            pa, ga = mouth_brow_asymmetry(target), mouth_brow_asymmetry(g)
            res[f"asym_corr_{name}"] = corr(pa, ga)
            res[f"asym_corr_{name}_mouth"] = corr(pa[:, 0], ga[:, 0])
            res[f"asym_corr_{name}_brow"] = corr(pa[:, 1], ga[:, 1])
            res[f"mae_{name}"] = float(np.abs(g - target).mean())
    return res


# ----------------------------------------------------------------------------- fine-tuning, speed


def finetune_eval(
    base: TransferEditor, *, seed: int, styles: int, steps: int
) -> list[dict[str, float]]:
    """Per style of split 'finetune': neutral + 4 labelled (symmetric) textures for training,
    8 asymmetric detail vectors to measure; PSNR before / after."""
    rows = []
    labels = [
        expression_vector(smile=0.9),
        expression_vector(jaw_open=0.8),
        expression_vector(brow_raise=1.0, eye_wide=0.5),
        expression_vector(frown=0.8, brow_furrow=0.7, eye_close_l=0.6),
    ]
    for s in range(styles):
        style = random_style(style_rng(seed, "finetune", s))
        rng = np.random.default_rng([seed, 33, s])
        neutral = paint_face(style, np.zeros(8, np.float32), 64)
        examples = [(paint_face(style, e, 64), e) for e in labels]
        test = np.stack([sample_detail(rng, scale=False) for _ in range(8)])
        truth = np.stack([paint_detail(style, v, 64) for v in test])
        src = np.broadcast_to(neutral, (len(test), *neutral.shape)).copy()

        def score(
            ed: TransferEditor, test: F32 = test, truth: F32 = truth, src: F32 = src
        ) -> float:
            out = ed.edit(src, test)
            return float(
                np.mean([psnr(out[k, ..., :3], truth[k, ..., :3]) for k in range(len(test))])
            )

        before = score(base)
        t0 = time.time()
        tuned = finetune_transfer(
            base, neutral, examples, TransferFinetuneConfig(steps=steps, threads=1)
        )
        rows.append(
            {
                "style": s,
                "psnr_before": before,
                "psnr_after": score(tuned),
                "seconds": time.time() - t0,
            }
        )
    return rows


def speed(editor: TransferEditor, repeats: int) -> dict[str, float]:
    rng = np.random.default_rng(0)
    res: dict[str, float] = {}

    for b in (1, 8):
        tex = rng.uniform(0, 1, (b, 128, 128, 4)).astype(np.float32)
        d = rng.uniform(0, 1, (b, N_DETAIL)).astype(np.float32)
        t = median_seconds(lambda tex=tex, d=d: editor.edit(tex, d), repeats)
        res[f"tex_per_s_128_b{b}"] = b / t
    tex = rng.uniform(0, 1, (1, 1024, 1024, 4)).astype(np.float32)
    d = rng.uniform(0, 1, (1, N_DETAIL)).astype(np.float32)
    res["ms_1024"] = 1000 * median_seconds(lambda: editor.edit(tex, d), repeats)
    return res


# ----------------------------------------------------------------------------- figure


def figure(
    editor: TransferEditor,
    amee: AmeeEditor | None,
    data: list[dict[str, Any]],
    faces: Path | None,
    seed: int,
    path: Path,
    size: int = 128,
) -> None:
    """Rows of held-out painter examples: content | reference | transfer | ground truth | AMEE-GAN;
    then London-measured geometry (the drawing only, never the photo) on two held-out characters."""
    from moodrig.core.appearance.cache import encode_png

    tiles: list[list[F32]] = []
    for item in data[:4]:
        d = item["details"][:1]
        neutral = paint_detail(item["style"], np.zeros(N_DETAIL, np.float32), size)
        out = editor.edit(neutral[None], d)[0]
        row = [
            draw_contents(d, size)[0],
            neutral[..., :3],
            out[..., :3],
            paint_detail(item["style"], d[0], size)[..., :3],
        ]
        if amee is not None:
            row.append(amee_from_neutral(amee, neutral[None], d)[0][..., :3])
        tiles.append(row)
    if faces is not None and faces.is_file():
        z = np.load(faces)
        picks = [i for i in range(len(z["photo"])) if z["view"][i] == "front"]
        det = [geo.detail_from_face(z["expression"][i], z["landmarks"][i]) for i in picks]
        order = np.argsort([-abs(float(mouth_brow_asymmetry(x[None])[0, 0])) for x in det])[:2]
        styles = [style_and_details(seed, "eval", 100 + s, 1)[0] for s in range(2)]
        for k in order:
            d = det[int(k)][None]
            row = [draw_contents(d, size)[0]]
            for st in styles:
                neutral = paint_detail(st, np.zeros(N_DETAIL, np.float32), size)
                row.append(editor.edit(neutral[None], d)[0][..., :3])
                if amee is not None:
                    row.append(amee_from_neutral(amee, neutral[None], d)[0][..., :3])
            tiles.append(row)
    width = max(len(r) for r in tiles)
    blank = np.ones((size, size, 3), np.float32)
    grid = np.concatenate([np.concatenate(r + [blank] * (width - len(r)), 1) for r in tiles], 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_bytes = encode_png(np.clip(grid, 0, 1).astype(np.float32))
    path.write_bytes(atomic_bytes)


# ----------------------------------------------------------------------------- report


def report(res: dict[str, Any], a: argparse.Namespace) -> str:
    p, fr, lt, lo, syn = (
        res["painter"],
        res["full_res"],
        res["losses"],
        res.get("london"),
        res.get("lopsided"),
    )
    L: list[str] = []
    L.append("# Style-consistent transfer: evaluation\n")
    L.append(
        f"Generated by `{res['command']}` on {res['date']} ({res['machine']}; {a.threads} thread). "
        f"Model `{res['model']}` (model_id `{res['model_id']}`, {res['trained_steps']} steps); "
        f"regressor `{a.regressor}` (held-out painter MAE {fmt(res['regressor_mae'], 3)}). "
        "Method and design: [`transfer.md`](transfer.md).\n"
    )
    L.append("## Targets\n")
    L.append("| measure | target | measured |\n|---|---|---|")
    L.append(f"| PSNR on held-out painter styles (64 px) | ≥ 28 dB | **{fmt(p['psnr'])} dB** |")
    if lo is not None:
        L.append(
            "| expression MAE on real faces (11 per-side values, read back) | ≤ 0.08 "
            f"| **{fmt(lo['mae_out'], 3)}** (8 shared values: {fmt(lo['mae8_out'], 3)}) |"
        )
        L.append(
            "| asymmetry correlation on real faces (mouth + brows) | ≥ 0.7 "
            f"| **{fmt(lo['asym_corr_out'])}** |"
        )
    L.append("")
    L.append(
        f"## 1. Held-out painter styles ({p['images']} images: "
        f"{a.styles} styles × 5 asymmetric detail vectors)\n"
    )
    L.append(
        "| | transfer (detailed) | AMEE-GAN (8-value average) | input unedited |\n|---|---|---|---|"
    )
    L.append(
        f"| PSNR vs ground truth, 64 px | **{fmt(p['psnr'])}** | {fmt(p['psnr_amee'])} "
        f"| {fmt(p['psnr_identity'])} |"
    )
    L.append(
        f"| SSIM, 64 px | **{fmt(p['ssim'], 4)}** | {fmt(p['ssim_amee'], 4)} "
        f"| {fmt(p['ssim_identity'], 4)} |"
    )
    L.append(
        f"| PSNR, 256² full-res path ({a.full_res_styles} styles) | {fmt(fr['psnr'])} "
        f"| {fmt(fr['psnr_amee'])} | {fmt(fr['psnr_identity'])} |"
    )
    L.append(
        "| detail MAE read back "
        f"(11 values; regressor on ground truth: {fmt(p['mae_gt'], 3)}) "
        f"| {fmt(p['mae'], 3)} | {fmt(p['mae_amee'], 3)} | |"
    )
    L.append(
        f"| 8-value MAE read back (ground truth: {fmt(p['mae8_gt'], 3)}) "
        f"| {fmt(p['mae8'], 3)} | {fmt(p['mae8_amee'], 3)} | |"
    )
    L.append(
        "| asymmetry correlation, target vs read back "
        f"(ground truth: {fmt(p['asym_corr_gt'])}) "
        f"| {fmt(p['asym_corr_out'])} | {fmt(p['asym_corr_amee'])} | |"
    )
    L.append(
        "| … mouth corners / brows "
        f"| {fmt(p['asym_corr_out_mouth'])} / {fmt(p['asym_corr_out_brow'])} "
        f"| {fmt(p['asym_corr_amee_mouth'])} / {fmt(p['asym_corr_amee_brow'])} | |"
    )
    L.append("")
    L.append(
        "- Style consistency: mean L1 distance between the K_s code of the output and of the "
        f"reference **{fmt(p['style_dist'], 4)}**; between two different held-out characters "
        f"{fmt(p['style_dist_between_characters'], 4)}."
    )
    L.append(
        f"- Mask: mean {fmt(p['mean_mask'], 3)}; pixels outside the mask bit-identical to the "
        f"input in {fmt(100 * p['identical_out_mask'], 1)} % of images at 64 px and "
        f"{fmt(100 * fr['identical_out_mask'], 1)} % at 256²; "
        f"PSNR outside the painter's expression region {fmt(p['psnr_out_region'])} dB. "
        "The mask is wider than the painter's region: at 256², "
        f"{fmt(100 * fr['out_region_changed'], 1)} % of the pixels outside that region change "
        f"their 8-bit value (AMEE-GAN: {fmt(100 * fr['out_region_changed_amee'], 1)} %), "
        f"by at most {fmt(fr['out_region_max'], 0)} levels."
    )
    L.append("")
    L.append("### METHOD eq. 2–7 terms on held-out batches\n")
    L.append("| term | value |\n|---|---|")
    for key, label in (
        ("gan", "φ, generator LSGAN (eq. 2)"),
        ("disc_phi_s", "φ_s, discriminator (eq. 3)"),
        ("L1", "L_1 = ‖x − rec_x1‖₁ (eq. 4, 6)"),
        ("L2", "L_2 = ‖x − rec_x2‖₁ (eq. 5, 6)"),
        (
            "L_prime",
            "L' = α₁L_1 + α₂L_2 "
            f"(eq. 7, α₁ = {fmt(lt['alpha_1'], 0)}, α₂ = {fmt(lt['alpha_2'], 0)})",
        ),
        ("style", "style code reconstruction ‖K_s(ff) − K_s(ground truth)‖₁"),
        ("content", "content code reconstruction ‖K_t(ff) − K_t(x)‖₁"),
        ("pair", "paired L1 vs ground truth (changed-pixel weighted)"),
        ("mask_bce", "mask BCE vs change map"),
        ("mask_mean", "mean mask"),
    ):
        if key in lt:
            L.append(f"| {label} | {fmt(lt[key], 4)} |")
    L.append("")
    if lo is not None:
        L.append(
            f"## 2. Real faces (London, {lo['photos']} photos: front and 3/4 views, "
            f"neutral and smiling) × {lo['characters']} held-out characters\n"
        )
        L.append(
            "Values measured on each photo: the 8 analysed parameters (symmetric part) and the "
            "per-side differences from the landmarks (`core/transfer/geometry.py`). Read back from "
            "the output by the independent regressor; 'painter' is the regressor on the painter's "
            "own render of the same values (the floor).\n"
        )
        L.append("| | transfer (detailed) | AMEE-GAN | painter ground truth |\n|---|---|---|---|")
        L.append(
            f"| expression MAE, 11 per-side values | **{fmt(lo['mae_out'], 3)}** "
            f"| {fmt(lo.get('mae_amee', float('nan')), 3)} | {fmt(lo['mae_gt'], 3)} |"
        )
        L.append(
            f"| expression MAE, 8 shared values | {fmt(lo['mae8_out'], 3)} "
            f"| {fmt(lo.get('mae8_amee', float('nan')), 3)} | {fmt(lo['mae8_gt'], 3)} |"
        )
        for view in ("front", "left_3quarter", "right_3quarter"):
            L.append(
                f"| … {view.replace('_', ' ')} | {fmt(lo[f'mae_out_{view}'], 3)} "
                f"| {fmt(lo.get(f'mae_amee_{view}', float('nan')), 3)} "
                f"| {fmt(lo[f'mae_gt_{view}'], 3)} |"
            )
        L.append(
            f"| asymmetry correlation (mouth + brows) | **{fmt(lo['asym_corr_out'])}** "
            f"| {fmt(lo.get('asym_corr_amee', float('nan')))} | {fmt(lo['asym_corr_gt'])} |"
        )
        L.append(
            f"| … mouth corners | {fmt(lo['asym_corr_out_mouth'])} "
            f"| {fmt(lo.get('asym_corr_amee_mouth', float('nan')))} "
            f"| {fmt(lo['asym_corr_gt_mouth'])} |"
        )
        L.append(
            f"| … brows | {fmt(lo['asym_corr_out_brow'])} "
            f"| {fmt(lo.get('asym_corr_amee_brow', float('nan')))} "
            f"| {fmt(lo['asym_corr_gt_brow'])} |"
        )
        L.append("")
        L.append(
            "Spread of what is to be preserved: the left − right differences measured on the "
            "photos have a standard deviation of "
            f"{fmt(lo['photo_asym_sd_mouth'], 3)} (mouth corners) and "
            f"{fmt(lo['photo_asym_sd_brow'], 3)} (brows) "
            "in parameter units. The model never sees the photo: its content is the drawing of "
            "the measured values, so these rows measure the geometry path "
            "(landmarks → detail vector → drawing) and the transfer together.\n"
        )
        per = lo["mae_out_per_entry"]
        L.append(
            "Per entry (transfer): " + ", ".join(f"{n} {fmt(v, 3)}" for n, v in per.items()) + "\n"
        )
        g = res["geometry_fit"]
        L.append(
            f"Per-side calibration re-measured on the front photos ({g['people']} people): "
            f"SMILE_SPAN {fmt(g['smile_span'], 4)} (shipped {geo.SMILE_SPAN}), "
            f"neutral left − right lift {fmt(g['neutral_lift_diff'], 4)} "
            f"(shipped {geo.NEUTRAL_LIFT_DIFF}), "
            f"brow {fmt(g['neutral_brow_diff'], 4)} (shipped {geo.NEUTRAL_BROW_DIFF}).\n"
        )
    if syn is not None:
        L.append("### Lopsided expressions on real-face values\n")
        L.append(
            "The front photos' measured values with one side's smile or brow moved by ±0.4 "
            "(known asymmetry), same characters:\n"
        )
        L.append("| | transfer | AMEE-GAN | painter ground truth |\n|---|---|---|---|")
        L.append(
            f"| asymmetry correlation (mouth + brows) | **{fmt(syn['asym_corr_out'])}** "
            f"| {fmt(syn.get('asym_corr_amee', float('nan')))} | {fmt(syn['asym_corr_gt'])} |"
        )
        L.append(
            f"| … mouth / brows | {fmt(syn['asym_corr_out_mouth'])} / "
            f"{fmt(syn['asym_corr_out_brow'])} | "
            f"{fmt(syn.get('asym_corr_amee_mouth', float('nan')))} / "
            f"{fmt(syn.get('asym_corr_amee_brow', float('nan')))} | "
            f"{fmt(syn['asym_corr_gt_mouth'])} / {fmt(syn['asym_corr_gt_brow'])} |"
        )
        L.append(
            f"| detail MAE | {fmt(syn['mae_out'], 3)} "
            f"| {fmt(syn.get('mae_amee', float('nan')), 3)} | {fmt(syn['mae_gt'], 3)} |"
        )
        L.append("")
    if res.get("ablations"):
        L.append("## 3. Ablations (held-out painter styles, 64 px)\n")
        L.append(
            "| model | PSNR | SSIM | detail MAE | asymmetry corr. | style distance |"
            "\n|---|---|---|---|---|---|"
        )
        for row in res["ablations"]:
            r = row["result"]
            L.append(
                f"| {row['label']} | {fmt(r['psnr'])} | {fmt(r['ssim'], 4)} | {fmt(r['mae'], 3)} "
                f"| {fmt(r['asym_corr_out'])} | {fmt(r['style_dist'], 4)} |"
            )
        L.append("")
    if res.get("finetune"):
        ft = res["finetune"]
        L.append(
            f"## Per-character fine-tuning ({len(ft)} styles of split 'finetune', "
            f"4 labelled textures, {a.ft_steps} steps)\n"
        )
        L.append("| style | PSNR before | after | seconds |\n|---|---|---|---|")
        for row in ft:
            L.append(
                f"| {row['style']} | {fmt(row['psnr_before'])} | {fmt(row['psnr_after'])} "
                f"| {fmt(row['seconds'], 0)} |"
            )
        L.append("")
    if res.get("figure"):
        figure = Path(res["figure"])
        shown = (
            figure.relative_to(a.out.parent)
            if figure.is_relative_to(a.out.parent)
            else res["figure"]
        )
        L.append(f"![examples]({shown})\n")
        L.append(
            "Rows 1–4 (held-out characters): content drawing | reference (neutral) | transfer "
            "| painter ground truth | AMEE-GAN (8-value average). Rows 5–6: the geometry measured "
            "on the two most lopsided London front photos (the drawing; photos are not "
            "reproduced), transferred onto two held-out characters, transfer | AMEE-GAN for each.\n"
        )
    sp = res["speed"]
    L.append(
        "## Speed (CPU, one thread, shared machine; "
        "full path: drawing, resize, model, mask upsample, composite)\n"
    )
    L.append(
        f"{fmt(sp['tex_per_s_128_b1'], 1)} textures/s at 128 px batch 1, "
        f"{fmt(sp['tex_per_s_128_b8'], 1)} at batch 8; "
        f"{fmt(sp['ms_1024'], 0)} ms for a 1024² texture.\n"
    )
    return "\n".join(L) + "\n"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Evaluate the style-transfer model; write the report.")
    p.add_argument("--model", type=Path, default=None, help="transfer manifest (default: shipped)")
    p.add_argument(
        "--regressor", type=Path, default=Path("runs/transfer/detail_regressor.manifest.json")
    )
    p.add_argument(
        "--ckpt",
        type=Path,
        default=Path("runs/transfer/full"),
        help="run folder with the discriminator checkpoint",
    )
    p.add_argument("--faces", type=Path, default=Path("runs/transfer/london_faces.npz"))
    p.add_argument("--data", type=Path, default=Path("../shared/data"))
    p.add_argument("--styles", type=int, default=32)
    p.add_argument("--full-res-styles", type=int, default=8)
    p.add_argument("--face-styles", type=int, default=8)
    p.add_argument("--ft-styles", type=int, default=2)
    p.add_argument("--ft-steps", type=int, default=200)
    p.add_argument(
        "--ablation",
        action="append",
        default=[],
        help="'label=manifest' evaluated on the painter set",
    )
    p.add_argument("--no-amee", action="store_true")
    p.add_argument("--speed-repeats", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", type=Path, default=Path("docs/transfer_eval.md"))
    p.add_argument("--json", type=Path, default=Path("runs/transfer/eval.json"))
    p.add_argument(
        "--figure",
        type=Path,
        default=None,
        help="example grid PNG (e.g. docs/images/transfer_examples.png)",
    )
    p.add_argument(
        "--from-json",
        type=Path,
        default=None,
        help="only re-render the report from a saved --json result",
    )
    a = p.parse_args(argv)
    if a.from_json is not None:
        atomic_write_text(a.out, report(json.loads(a.from_json.read_text()), a))
        print(f"wrote {a.out} from {a.from_json}")
        return
    torch.set_num_threads(a.threads)
    t0 = time.time()
    editor = TransferEditor.load(a.model, device="cpu")
    amee = None if a.no_amee else AmeeEditor.load(device="cpu")
    reg = Reader(a.regressor)
    res: dict[str, Any] = {
        "command": "make transfer-eval",
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()} CPU",
        "model": str(a.model or "weights/transfer/style_transfer.manifest.json"),
        "model_id": editor.model_id,
        "trained_steps": editor.manifest.get("training", {}).get("trained_steps"),
        "regressor_mae": reg.heldout_mae,
    }
    data = painter_set(a.seed, a.styles, 6, editor.resolution)
    res["painter"] = painter_eval(editor, amee, reg, data)
    print(f"painter: {res['painter']['psnr']:.2f} dB ({time.time() - t0:.0f} s)", flush=True)
    res["full_res"] = full_res_eval(editor, amee, a.seed, a.full_res_styles, 256)
    res["losses"] = loss_terms(editor, a.ckpt, a.seed, 8)
    if not a.faces.is_file() and (a.data / "london_faces_dev").is_dir():
        from .transfer_faces import analyse

        analyse(a.data, a.faces)
    if a.faces.is_file():
        res["geometry_fit"] = fit_geometry(a.faces)
        res["london"] = london_eval(editor, amee, reg, a.faces, a.seed, a.face_styles)
        res["lopsided"] = synthetic_lopsided(editor, amee, reg, a.faces, a.seed, a.face_styles)
        print(
            f"london: MAE {res['london']['mae_out']:.3f} "
            f"asym {res['london']['asym_corr_out']:.2f} ({time.time() - t0:.0f} s)",
            flush=True,
        )
    res["ablations"] = []
    for spec in a.ablation:
        label, _, path = spec.partition("=")
        ed = TransferEditor.load(Path(path), device="cpu")
        res["ablations"].append(
            {"label": label, "manifest": path, "result": painter_eval(ed, None, reg, data)}
        )
    res["finetune"] = (
        finetune_eval(editor, seed=a.seed, styles=a.ft_styles, steps=a.ft_steps)
        if a.ft_styles > 0
        else []
    )
    res["speed"] = speed(editor, a.speed_repeats)
    if a.figure is not None:
        figure(editor, amee, data, a.faces, a.seed, a.figure)
        res["figure"] = str(a.figure)
    res["seconds"] = time.time() - t0
    a.json.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(a.json, json.dumps(res, indent=2, default=float) + "\n")
    atomic_write_text(a.out, report(res, a))
    print(f"wrote {a.out} and {a.json} in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
