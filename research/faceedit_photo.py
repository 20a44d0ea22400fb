"""The face editor on a photograph used as a face texture: a contact sheet of the eight single
expressions at full strength, cropped to the face, for looking at (there is no truth to score
against).

    .venv/bin/python research/faceedit_photo.py \
        --image ../shared/data/london_faces_dev/images/001_03.jpg \
        --region 0.32,0.26,0.69,0.73 --out runs/faceedit_photo.png

The image is scaled to ``--size`` square (the texture a user would paint over); ``--region``
is u0,v0,u1,v1 with v from the bottom, as in the add-on. Prints the locator's confidence and
points. The model card's "Five drawing families" limit was written from this sheet.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from moodrig.core.appearance.api import edit_face
from moodrig.core.appearance.editor import FaceEditor
from moodrig.core.appearance.region import FaceRegion
from moodrig.core.expression import EXPRESSION_NAMES, N_EXPRESSION


def photo_texture(path: Path, size: int) -> NDArray[np.uint8]:
    """RGBA uint8 (size, size, 4) of the image at ``path``, scaled to a square."""
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise SystemExit(f"{path}: not an image")
    rgb = cv2.cvtColor(
        cv2.resize(bgr, (size, size), interpolation=cv2.INTER_CUBIC), cv2.COLOR_BGR2RGB
    )
    alpha = np.full((size, size, 1), 255, np.uint8)
    return np.concatenate([rgb, alpha], axis=2)


def contact_sheet(
    texture: NDArray[np.uint8],
    region: FaceRegion,
    editor: FaceEditor,
    features: NDArray[np.float64] | None = None,
) -> NDArray[np.uint8]:
    """The neutral face and its eight single expressions side by side (RGB), cropped to the
    region; ``features`` (7, 2) in region pixels, or None to find them."""
    h, w = texture.shape[:2]
    rect = region.pixels(w, h)
    cells = [texture[rect.slices][..., :3]]
    for i in range(N_EXPRESSION):
        target = np.zeros(N_EXPRESSION, np.float32)
        target[i] = 1.0
        out = edit_face(texture, target, region.as_tuple(), features, editor=editor)
        cells.append(out[rect.slices][..., :3])
    return np.hstack(cells)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--image", type=Path, required=True)
    p.add_argument("--region", required=True, help="u0,v0,u1,v1 (v from the bottom)")
    p.add_argument("--size", type=int, default=1024)
    p.add_argument("--out", type=Path, default=Path("runs/faceedit_photo.png"))
    args = p.parse_args()
    region = FaceRegion(*(float(v) for v in args.region.split(",")))
    texture = photo_texture(args.image, args.size)
    editor = FaceEditor.load(device="cpu")
    face = editor.prepare(texture[..., :3].astype(np.float32) / 255.0, region)
    print(f"confidence {face.features.presence:.2f}")
    print("points (region pixels):", np.round(face.features.points, 1).tolist())
    sheet = contact_sheet(texture, region, editor, face.features.points)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.out), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    print(f"{args.out}: neutral, then " + ", ".join(EXPRESSION_NAMES))


if __name__ == "__main__":
    main()
