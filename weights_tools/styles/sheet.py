"""Contact sheet of the face-style families and an atlas example, for looking at the data.

    python -m moodrig.weights_tools.styles.sheet --out /tmp/styles.png [--size 256] [--styles 3]

Per family: ``--styles`` random styles (one row each) at neutral and each of the 8 single
expressions at full strength, feature points marked (eyes cyan, brows yellow, mouth corners
magenta, mouth centre green). Below: atlases (neutral and one expression) with the face region
outlined, and the region itself at full resolution.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from ...core.expression import EXPRESSION_NAMES, N_EXPRESSION
from .atlas import AtlasSample, synthesize_atlas
from .base import FEATURE_NAMES
from .families import FAMILY_NAMES, get_family

F32 = NDArray[np.float32]
POINT_COLORS = {
    "eye": (0, 230, 255),
    "brow": (255, 220, 0),
    "mouth_r": (255, 0, 255),
    "mouth_l": (255, 0, 255),
    "mouth_c": (0, 220, 0),
}
LABEL_H = 18


def _flatten(img: F32, check: int = 8) -> NDArray[np.uint8]:
    """RGBA → RGB over a grey checkerboard (so transparency shows)."""
    h, w = img.shape[:2]
    cb = ((np.arange(h)[:, None] // check + np.arange(w)[None, :] // check) % 2) * 0.15 + 0.7
    a = img[..., 3:4]
    rgb = img[..., :3] * a + cb[..., None] * (1.0 - a)
    out: NDArray[np.uint8] = np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8)
    return out


def _mark(
    draw: ImageDraw.ImageDraw,
    points: F32,
    dx: float = 0.0,
    dy: float = 0.0,
    scale: float = 1.0,
    r: int = 3,
) -> None:
    for name, (x, y) in zip(FEATURE_NAMES, points, strict=True):
        key = name.split("_")[0] if name.startswith(("eye", "brow")) else name
        c = POINT_COLORS[key]
        px, py = dx + x * scale, dy + y * scale
        draw.line([(px - r, py), (px + r, py)], fill=c, width=1)
        draw.line([(px, py - r), (px, py + r)], fill=c, width=1)


def _downscale(img: F32, factor: int) -> F32:
    """Box-filter downscale by an integer factor (display only)."""
    if factor <= 1:
        return img
    h, w = img.shape[0] // factor * factor, img.shape[1] // factor * factor
    out: F32 = img[:h, :w].reshape(h // factor, factor, w // factor, factor, 4).mean(axis=(1, 3))
    return out


def family_rows(size: int, styles: int, seed: int) -> Image.Image:
    """The families' grid: rows of styles, columns neutral + 8 expressions."""
    names = ("neutral", *EXPRESSION_NAMES)
    cols = len(names)
    rows = len(FAMILY_NAMES) * styles
    pad = 4
    sheet = Image.new("RGB", (cols * (size + pad) + 90, LABEL_H + rows * (size + pad)), "white")
    draw = ImageDraw.Draw(sheet)
    for j, n in enumerate(names):
        draw.text((90 + j * (size + pad) + 4, 3), n, fill=(0, 0, 0))
    for fi, fname in enumerate(FAMILY_NAMES):
        fam = get_family(fname)
        for k in range(styles):
            r = fi * styles + k
            y = LABEL_H + r * (size + pad)
            rng = np.random.default_rng([seed, fi, k])
            style = fam.random_style(rng)
            draw.text((4, y + size // 2 - 6), f"{fname} {k}", fill=(0, 0, 0))
            for j in range(cols):
                e = np.zeros(N_EXPRESSION, dtype=np.float32)
                if j > 0:
                    e[j - 1] = 1.0
                face = fam.render(style, e, size)
                x = 90 + j * (size + pad)
                sheet.paste(Image.fromarray(_flatten(face.image)), (x, y))
                _mark(draw, face.points, x, y)
    return sheet


def _atlas_row(atlas: AtlasSample, height: int, label: str) -> Image.Image:
    """Neutral atlas, expression atlas (region outlined), and the region at full size."""
    h = atlas.images[0].shape[0]
    factor = max(1, -(-h // height))
    up = max(1, height // h) if h < height else 1
    tiles: list[Image.Image] = []
    x0, y0, x1, y1 = atlas.region_px
    for img in atlas.images[:2]:
        small = _flatten(_downscale(img, factor), check=max(2, 16 // factor))
        tile = Image.fromarray(small)
        if up > 1:
            tile = tile.resize((small.shape[1] * up, small.shape[0] * up), Image.Resampling.NEAREST)
        d = ImageDraw.Draw(tile)
        s = up / factor
        d.rectangle([x0 * s, y0 * s, x1 * s - 1, y1 * s - 1], outline=(255, 0, 255))
        _mark(d, atlas.points, scale=s, r=2)
        tiles.append(tile)
    for img in atlas.images[:2]:
        crop = img[y0:y1, x0:x1]
        zoom = max(1, height // max(crop.shape[0], 1))
        tile = Image.fromarray(_flatten(crop, check=max(2, 8 // zoom)))
        if zoom > 1:
            tile = tile.resize(
                (crop.shape[1] * zoom, crop.shape[0] * zoom), Image.Resampling.NEAREST
            )
        elif tile.height > height:
            tile = tile.resize(
                (max(1, tile.width * height // tile.height), height), Image.Resampling.BOX
            )
        pts = atlas.points - np.array([x0, y0], dtype=np.float32)
        _mark(ImageDraw.Draw(tile), pts, scale=tile.height / crop.shape[0], r=2)
        tiles.append(tile)
    width = sum(t.width for t in tiles) + 8 * len(tiles) + 8
    row = Image.new("RGB", (width, max(t.height for t in tiles) + LABEL_H), "white")
    ImageDraw.Draw(row).text((4, 3), label, fill=(0, 0, 0))
    x = 4
    for t in tiles:
        row.paste(t, (x, LABEL_H))
        x += t.width + 8
    return row


def atlas_rows(height: int, seed: int) -> list[Image.Image]:
    out = []
    specs = (
        ("anime", (2048, 1024), (300, 330)),
        ("painterly", (1024, 1024), (230, 200)),
        ("pixel", (64, 32), (8, 8)),
    )
    for i, (family, size, face) in enumerate(specs):
        rng = np.random.default_rng([seed, 100 + i])
        style = get_family(family).random_style(rng)
        e = np.zeros((2, N_EXPRESSION), dtype=np.float32)
        e[1, 1] = 1.0  # smile
        e[1, 0] = 0.6  # jaw_open
        atlas = synthesize_atlas(rng, family, style, e, size, face_size=face)
        u0, v0, u1, v1 = atlas.region_uv
        label = (
            f"{family} face in a {size[0]}x{size[1]} atlas: neutral, smile + jaw_open 0.6, "
            f"the region (u0 {u0:.3f} v0 {v0:.3f} u1 {u1:.3f} v1 {v1:.3f}, v from the bottom)"
        )
        out.append(_atlas_row(atlas, height, label))
    return out


def make_sheet(
    size: int = 256, styles: int = 3, seed: int = 0, atlas_height: int = 256
) -> Image.Image:
    """The whole contact sheet as a PIL image."""
    parts = [family_rows(size, styles, seed), *atlas_rows(atlas_height, seed)]
    width = max(p.width for p in parts)
    sheet = Image.new("RGB", (width, sum(p.height for p in parts) + 8 * len(parts)), "white")
    y = 0
    for p in parts:
        sheet.paste(p, (0, y))
        y += p.height + 8
    return sheet


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="PNG to write")
    ap.add_argument("--size", type=int, default=256, help="face tile size in pixels")
    ap.add_argument("--styles", type=int, default=3, help="random styles per family")
    ap.add_argument("--seed", type=int, default=0, help="seed of the styles and atlases")
    ap.add_argument("--atlas-height", type=int, default=256, help="height of the atlas tiles")
    ap.add_argument(
        "--colors",
        type=int,
        default=0,
        help="quantise to this many colours (0: full colour) to keep the file small",
    )
    args = ap.parse_args(argv)
    sheet = make_sheet(args.size, args.styles, args.seed, args.atlas_height)
    if args.colors:
        sheet = sheet.quantize(
            colors=args.colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out, optimize=True)
    print(f"wrote {args.out} ({sheet.width}x{sheet.height})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
