"""Editing a painted face's expression inside its region, at the texture's full resolution.

::

    editor = FaceEditor.load()                              # shipped weights, verified
    face = editor.prepare(texture, region)                  # locate the face once per texture
    out = editor.edit(face, targets)                        # (B, 8) → (B, H, W, C)

``texture`` is (H, W, 3|4) float32 in [0, 1], rows top-down. Steps: crop the region; if it is
pixel art, drop to its art pixels; find the feature points (or take the artist's); fit the
canonical frame; the network reads the canonical crop at R × R and predicts the edit fields;
their shapes that come near no feature are dropped (``mask_keep``, ``paint``); the rest are
applied to the region's own pixels (nearest sampling for pixel art); the region is
pasted back through a seam inside it. Outside the region every pixel is the input's, bit for
bit; so is every pixel where the mask is 0, and the whole texture when the target expression
equals the source's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from numpy.typing import NDArray

from ..editing.device import pick_device
from ..errors import InputError
from ..expression import N_EXPRESSION, check_expression
from .align import FaceFrame, canonical_crop, check_features
from .fields import EditFields, decisive_mask, reach, render
from .locator import Locator
from .mask_keep import mask_keep
from .model import FieldGenerator, condition
from .orientation import LEVEL_TOLERANCE, UPRIGHT, Orientation, roll_of
from .paint import lid_paint_in_palette, paint_keep
from .pixelart import BlockGrid, detect_blocks, from_art_pixels, palette_grid, to_art_pixels
from .region import FaceRegion, PixelRect, check_texture_size, feather_weights, seam, seam_width
from .turns import UPRIGHT_SPREAD, View, pick, spread
from .weights_io import EDITOR_WEIGHTS, LOCATOR_WEIGHTS

CONTEXT_MARGINS = (0.15, 0.3)
"""Framings of a face region, beside the region itself, that the locator's points are
averaged over: the region widened by these fractions of its size on every side."""
LEVEL_STEPS = 2
"""Times a leaning face is located again in a view turned level (``orientation.roll_of``)."""
MAX_LEVEL = 50.0
"""Degrees of lean levelled at most in one step; a face leaning further is another quarter
turn's view."""


@dataclass(frozen=True)
class Features:
    """Feature points of a face region: (7, 2) pixel coordinates inside the region (x right,
    y down, pixel centres at i + 0.5), and how sure the locator was that a face is there
    (1.0 for points an artist placed)."""

    points: NDArray[np.float64]
    presence: float = 1.0


@dataclass
class PreparedFace:
    """Everything about one texture's face that does not depend on the expression."""

    texture: NDArray[np.float32]
    rect: PixelRect
    grid: BlockGrid | None
    work: NDArray[np.float32]
    """The region's pixels (art pixels for pixel art), (h, w, C)."""
    features: Features
    """Points in region pixels (as an artist sees and saves them)."""
    frame: FaceFrame
    """Canonical frame of ``work``."""
    model_input: torch.Tensor
    """(1, 4, R, R) canonical crop in [-1, 1]."""
    canonical_points: torch.Tensor
    """(1, 7, 2) feature points in canonical units."""
    work_rgb: torch.Tensor | None = None
    """``work``'s RGB as a (1, 3, h, w) tensor, made on the first edit."""
    palette: NDArray[np.float32] | None = None
    """Pixel art: the (K, 3) colours its region shows; a closed lid is drawn in the nearest."""


def check_texture(texture: Any) -> NDArray[np.float32]:
    if (
        not isinstance(texture, np.ndarray)
        or texture.dtype != np.float32
        or texture.ndim != 3
        or texture.shape[2] not in (3, 4)
    ):
        raise InputError(None, "texture must be a float32 (H, W, 3|4) array in [0, 1]")
    check_texture_size(texture.shape[1], texture.shape[0])
    lo, hi = float(texture.min()), float(texture.max())
    if not (lo >= 0.0 and hi <= 1.0):
        raise InputError(None, "texture values must be finite and lie in [0, 1]")
    return texture


def _rgba(img: NDArray[np.float32]) -> NDArray[np.float32]:
    if img.shape[2] == 4:
        return img
    return np.concatenate([img, np.ones((*img.shape[:2], 1), np.float32)], axis=2)


@dataclass
class FaceEditor:
    """The field generator and the locator on a device."""

    generator: FieldGenerator
    locator: Locator
    manifest: dict[str, Any]
    device: torch.device
    model_id: str
    """Content id of the editor and locator weights (a texture-cache key)."""

    takes_source = True

    @classmethod
    def load(
        cls,
        manifest_path: str | Path | None = None,
        locator_path: str | Path | None = None,
        device: str = "auto",
    ) -> FaceEditor:
        gen, manifest = EDITOR_WEIGHTS.load(manifest_path or EDITOR_WEIGHTS.shipped_manifest())
        loc, _ = LOCATOR_WEIGHTS.load(locator_path or LOCATOR_WEIGHTS.shipped_manifest())
        return cls.from_modules(gen, loc, manifest, device=device)

    @classmethod
    def from_modules(
        cls,
        generator: FieldGenerator,
        locator: Locator,
        manifest: dict[str, Any],
        *,
        device: str = "auto",
    ) -> FaceEditor:
        dev = pick_device(device)
        mid = f"{EDITOR_WEIGHTS.weights_id(generator)}-{LOCATOR_WEIGHTS.weights_id(locator)}"
        return cls(generator.eval().to(dev), locator.eval().to(dev), manifest, dev, mid)

    @property
    def resolution(self) -> int:
        return self.generator.cfg.resolution

    def save(
        self,
        folder: str | Path,
        stem: str | None = None,
        *,
        training: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Path:
        """Export the generator (fine-tuned weights beside a .blend) as
        ``folder/<stem>.safetensors`` + manifest; returns the manifest path. The locator is not
        saved: loading the manifest pairs it with the shipped one."""
        net = FieldGenerator(self.generator.cfg)
        net.load_state_dict(
            {k: v.detach().float().cpu() for k, v in self.generator.state_dict().items()}
        )
        name = stem or "face_editor_finetuned"
        return EDITOR_WEIGHTS.export(
            Path(folder) / f"{name}.safetensors", net.eval(), training=training, extra=extra
        )

    # ------------------------------------------------------------------------- locating

    def locate(
        self, work: NDArray[np.float32], blocky: bool = False, orientation: Orientation = UPRIGHT
    ) -> Features:
        """Feature points of the face in ``work`` (region pixels, RGBA or RGB). ``blocky``
        (pixel art): a region smaller than the locator's input is enlarged by nearest
        neighbour, as pixel art is shown, not smoothed into blobs. ``orientation``: how the
        face lies in ``work`` (turned or mirrored in its atlas); the locator looks at it
        upright, and the points come back in ``work``'s own pixels."""
        height, width = work.shape[:2]
        work = orientation.view(work)
        r = self.locator.cfg.resolution
        h, w = work.shape[:2]
        interp = cv2.INTER_AREA if min(h, w) > r else cv2.INTER_LINEAR
        if blocky and min(h, w) < r:
            interp = cv2.INTER_NEAREST_EXACT
        small = cv2.resize(_rgba(work), (r, r), interpolation=interp)
        x = (
            torch.from_numpy(np.ascontiguousarray(small)).permute(2, 0, 1)[None].to(self.device)
            * 2.0
            - 1.0
        )
        with torch.inference_mode():
            pts, logit = self.locator(x)
        points = orientation.from_view(
            pts[0].double().cpu().numpy() * np.array([w, h]), width, height
        )
        return Features(points, float(torch.sigmoid(logit[0]).item()))

    def framings(
        self,
        texture: NDArray[np.float32],
        rect: PixelRect,
        points: NDArray[np.float64],
        blocky: bool = False,
        orientation: Orientation = UPRIGHT,
    ) -> list[NDArray[np.float64]]:
        """``points`` (found in the region ``rect`` alone) and the points found in the region
        widened by each of :data:`CONTEXT_MARGINS` of its size on every side, with the
        texture around it (clamped at the texture's edges); each in region pixels.

        The locator learnt faces framed by a margin of -12 % to +60 % of the face on each
        side, cut into the atlas around them. A region drawn tight around the face sits at
        the edge of that range; framings with some of the atlas around it sit inside it, and
        their mean is steadier than any one of them (and how well they agree tells whether
        the face is upright in the view: ``turns.py``)."""
        height, width = texture.shape[:2]
        found, seen = [points], {rect}
        for margin in CONTEXT_MARGINS:
            mx, my = round(margin * rect.width), round(margin * rect.height)
            box = PixelRect(
                max(0, rect.x0 - mx),
                max(0, rect.y0 - my),
                min(width, rect.x1 + mx),
                min(height, rect.y1 + my),
            )
            if box in seen:  # the region already reaches the texture's edges
                continue
            seen.add(box)
            wide = self.locate(texture[box.slices], blocky, orientation)
            found.append(wide.points + np.array([box.x0 - rect.x0, box.y0 - rect.y0]))
        return found

    def read_view(
        self,
        texture: NDArray[np.float32],
        rect: PixelRect,
        orientation: Orientation,
        blocky: bool = False,
    ) -> tuple[float, View | None]:
        """The locator's confidence in the region ``rect`` looked at in ``orientation``, and
        the face it reads there with how closely its framings agree (None below the
        confidence threshold)."""
        found = self.locate(texture[rect.slices], blocky, orientation)
        if found.presence < self.locator.cfg.presence_threshold:
            return found.presence, None
        framings = self.framings(texture, rect, found.points, blocky, orientation)
        mean = np.mean(framings, axis=0)
        return found.presence, View(orientation.turns, found.presence, mean, spread(framings))

    def find_face(
        self,
        texture: NDArray[np.float32],
        rect: PixelRect,
        blocky: bool = False,
        orientation: Orientation | None = None,
    ) -> tuple[Features | None, str]:
        """The face's points in the region ``rect`` (region pixels, averaged over framings);
        or None and why not. ``orientation``: how the face lies in the region, when the mesh
        tells it (``orientation.py``); None: whichever quarter turn shows the face upright
        (``turns.py``)."""

        def view(o: Orientation) -> tuple[float, View | None]:
            return self.read_view(texture, rect, o, blocky)

        def level(o: Orientation, seen: View) -> Features:
            """The face located again in a view turned level while its points lean (pixel art
            is drawn level on its grid, and its rough points' lean is left alone)."""
            for _ in range(0 if blocky else LEVEL_STEPS):
                roll = roll_of(o.to_view(seen.points, rect.width, rect.height))
                if not LEVEL_TOLERANCE <= abs(roll) <= MAX_LEVEL:
                    break
                levelled = o.leaning(roll)
                again = view(levelled)[1]
                if again is None:
                    break
                o, seen = levelled, again
            return Features(seen.points, seen.presence)

        if orientation is not None:
            confidence, given = view(orientation)
            if given is not None:
                return level(orientation, given), ""
            return None, (
                f"shows no painted face with the {orientation.describe()} (confidence "
                f"{confidence:.2f}); set the region to the face, or place the feature points "
                "by hand"
            )
        # The quarter turn is chosen on the views as they come; levelled, an upside-down
        # reading of a face can agree as well as the upright one. The chosen view is levelled.
        confidence, upright = view(UPRIGHT)
        if upright is not None and upright.spread <= UPRIGHT_SPREAD:
            return level(UPRIGHT, upright), ""
        turned = [v for _, v in (view(Orientation(t)) for t in (1, 2, 3)) if v is not None]
        chosen, unclear = pick(upright, turned)
        if chosen is not None:
            return level(Orientation(chosen.turns), chosen), ""
        if unclear:
            return None, (
                "shows a face turned in the atlas, but not clearly which way is up; place "
                "the feature points by hand"
            )
        return None, (
            f"shows no painted face (confidence {confidence:.2f}); set the region to the "
            "face, or place the feature points by hand"
        )

    def prepare(
        self,
        texture: NDArray[np.float32],
        region: FaceRegion | None = None,
        features: Any = None,
        orientation: Orientation | None = None,
    ) -> PreparedFace:
        """Crop, analyse and align the face once; ``features`` (7, 2) in region pixels, or None
        to find them (a region that shows no painted face is refused), looking at the region
        in ``orientation`` when it is known (None: the turn is found from the picture)."""
        tex = check_texture(texture)
        reg = region if region is not None else FaceRegion()
        rect = reg.pixels(tex.shape[1], tex.shape[0])
        rows, cols = rect.slices
        crop: NDArray[np.float32] = tex[rows, cols]
        grid = detect_blocks(crop[..., :3]) or palette_grid(crop[..., :3])
        work: NDArray[np.float32] = crop if grid is None else np.asarray(to_art_pixels(crop, grid))
        size, mirrored = (rect.width, rect.height), orientation is not None and orientation.mirrored
        if features is None:
            found, why = self.find_face(tex, rect, grid is not None, orientation)
            if found is None:
                hint = ""
                if rect.width == tex.shape[1] and rect.height == tex.shape[0]:
                    hint = (
                        " (the region is the whole texture: to search the texture for the face, "
                        "use Find Face in the sidebar, or the region 'auto' in the API and CLI)"
                    )
                raise InputError(None, f"the face region {reg.as_tuple()} {why}{hint}")
            feats = Features(check_features(found.points, *size, mirrored), found.presence)
        else:
            feats = Features(check_features(features, *size, mirrored), 1.0)
        # The network reads the region as the artist sees it; the fields are applied to the
        # art pixels of pixel art (same canonical frame, in art-pixel coordinates).
        crop_frame = FaceFrame.from_features(feats.points)
        work_points = feats.points if grid is None else grid.to_art(feats.points)
        frame = crop_frame if grid is None else FaceFrame.from_features(work_points)
        crop_c = canonical_crop(_rgba(crop), crop_frame, self.resolution)
        x = torch.from_numpy(crop_c).permute(2, 0, 1)[None] * 2.0 - 1.0
        cp = torch.from_numpy(crop_frame.to_canonical(feats.points)).float()[None]
        palette = None if grid is None else np.unique(work[..., :3].reshape(-1, 3), axis=0)
        return PreparedFace(tex, rect, grid, work, feats, frame, x, cp, palette=palette)

    # ------------------------------------------------------------------------- editing

    def fields(
        self, face: PreparedFace, targets: NDArray[np.float32], sources: NDArray[np.float32] | None
    ) -> EditFields:
        n = targets.shape[0]
        with torch.inference_mode():
            a = torch.from_numpy(targets).to(self.device)
            a_src = None if sources is None else torch.from_numpy(sources).to(self.device)
            cond = condition(a, a_src, face.canonical_points.to(self.device).expand(n, -1, -1))
            f: EditFields = self.generator(
                face.model_input.to(self.device).expand(n, -1, -1, -1), cond
            )
            cut = EDITOR_WEIGHTS.mask_threshold
            points = face.canonical_points.expand(n, -1, -1)
            f.mask = mask_keep(
                decisive_mask(torch.where(f.mask < cut, torch.zeros_like(f.mask), f.mask)), points
            )
            f.paint_keep = paint_keep(f.paint_logit, points)
            if face.palette is not None:
                f.paint = lid_paint_in_palette(f.paint, f.paint_keep, points, face.palette)
        return f

    def edit(self, face: PreparedFace, targets: Any, sources: Any = None) -> NDArray[np.float32]:
        """(B, 8) target expressions (and what the texture shows, (B, 8), when known; the
        add-on's neutral base texture is zeros) → (B, H, W, C) edited textures."""
        tgt = _vectors(targets, "target expressions")
        src = None if sources is None else _vectors(sources, "source expressions")
        if src is not None and src.shape != tgt.shape:
            raise InputError(
                None, f"source expressions {src.shape} must match the targets {tgt.shape}"
            )
        out = np.empty((len(tgt), *face.texture.shape), np.float32)
        out[:] = face.texture
        todo = (
            np.flatnonzero(np.any(tgt != src, axis=1)) if src is not None else np.arange(len(tgt))
        )
        if len(todo) == 0:
            return out
        f = self.fields(face, tgt[todo], None if src is None else src[todo])
        for k, i in enumerate(todo):
            self._apply(face, f.item(k), out[i][face.rect.slices])
        return out

    def _apply(self, face: PreparedFace, f: EditFields, dst: NDArray[np.float32]) -> None:
        """Write the edit into ``dst``, the output's region (holding the input's pixels)."""
        box = reach(f.mask)
        if box is None:
            return
        work = face.work
        h, w = work.shape[:2]
        corners = face.frame.to_pixels(
            np.array([[box[0], box[1]], [box[2], box[1]], [box[0], box[3]], [box[2], box[3]]])
        )
        x0 = max(0, math.floor(corners[:, 0].min()))
        x1 = min(w, math.ceil(corners[:, 0].max()))
        y0 = max(0, math.floor(corners[:, 1].min()))
        y1 = min(h, math.ceil(corners[:, 1].max()))
        if x1 <= x0 or y1 <= y0:
            return
        to_px = np.vstack([face.frame.matrix, [0.0, 0.0, 1.0]])
        to_c = np.linalg.inv(to_px)[:2]
        if face.work_rgb is None:
            face.work_rgb = torch.from_numpy(np.ascontiguousarray(work[..., :3])).permute(2, 0, 1)[
                None
            ]
        src = face.work_rgb.to(self.device)
        with torch.inference_mode():
            window, _ = render(
                src,
                torch.tensor(to_c, dtype=torch.float32, device=self.device)[None],
                torch.tensor(face.frame.matrix, dtype=torch.float32, device=self.device)[None],
                f.to(self.device),
                nearest=face.grid is not None,
                origin=(y0, x0),
                size=(y1 - y0, x1 - x0),
            )
        new = window[0].permute(1, 2, 0).cpu().numpy()
        if face.grid is None:  # the seam over the changed window only: elsewhere nothing changed
            rows, cols = slice(y0, y1), slice(x0, x1)
            old = work[rows, cols, :3]
            weights = feather_weights(h, w, seam_width(h, w), (rows, cols))[..., None]
            dst[rows, cols, :3] = np.where(new == old, old, old + weights * (new - old))
            return
        # Pixel art: the seam is one art pixel wide and every block stays one colour.
        edited = work.copy()
        edited[y0:y1, x0:x1, :3] = new
        seamed = seam(work, edited, feather=1)
        dst[...] = from_art_pixels(seamed, face.grid, face.rect.height, face.rect.width)


def _vectors(values: Any, name: str) -> NDArray[np.float32]:
    try:
        arr = check_expression(np.asarray(values, dtype=np.float32))
    except ValueError as exc:
        raise InputError(None, f"{name}: {exc}") from exc
    if arr.ndim == 1:
        arr = arr[None]
    if arr.ndim != 2 or arr.shape[1] != N_EXPRESSION:
        raise InputError(None, f"{name} must be (B, {N_EXPRESSION}), got {arr.shape}")
    return arr
