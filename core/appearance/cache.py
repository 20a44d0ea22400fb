"""The appearance track on disk: one texture per *distinct* expression, an image sequence per frame.

Expressions are quantised (default step 1/20 per parameter) and each distinct quantised vector
is generated once and kept in a content-addressed cache (``cache/<key>.png``), keyed by the
quantised vector, the model id (which names the face region and feature points too), the base
texture's hash, the resolution and ``RENDER_VERSION``. Frame files of the image sequence are
hard links to the cached textures (a copy where the filesystem cannot link), so held or
repeated expressions cost neither generation time nor disk space, and a killed bake resumes
from the textures already in the cache. Every file is written under a temporary name and
renamed: a reader never sees a half-written texture.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from ..detail import check_detail
from ..errors import InputError
from ..expression import check_expression
from ..fileio import atomic_write_bytes, remove_stale_parts
from ..steps import drive
from .texels import from_unit, texel_dtype, unit_values

SEQUENCE_PREFIX = "frame_"
SEQUENCE_DIGITS = 5

Generate = Callable[[NDArray[np.float32]], NDArray[np.float32]]
"""Batch generator: (B, 8) expression vectors (detailed mode: (B, 11) detail vectors) →
(B, H, W, 3|4) float32 textures in [0, 1]."""


@dataclass(frozen=True)
class AppearancePlan:
    """Which distinct expression each frame shows."""

    levels: NDArray[np.int16]
    """(K, 8) distinct quantised expressions (detailed mode: (K, 11) detail vectors), as integer
    levels."""
    frame_to_key: NDArray[np.int32]
    """(N,) index into ``levels`` for every frame."""
    step: float
    """Quantisation step, in expression units."""

    @property
    def vectors(self) -> NDArray[np.float32]:
        out: NDArray[np.float32] = np.clip(
            self.levels.astype(np.float32) * np.float32(self.step), 0.0, 1.0
        )
        return out


def plan_appearance(expressions: NDArray[np.floating[Any]], step: float = 0.05) -> AppearancePlan:
    """Quantise a (N, 8) expression track and list its distinct expressions in first-seen order."""
    if not 0.0 < step <= 0.5:
        raise ValueError(f"quantisation step must be in (0, 0.5], got {step}")
    expr = check_expression(np.asarray(expressions))
    if expr.ndim != 2 or expr.shape[0] == 0:
        raise ValueError("an appearance plan needs a non-empty (N, 8) expression track")
    return _plan(expr, step)


def plan_details(details: NDArray[np.floating[Any]], step: float = 0.05) -> AppearancePlan:
    """The same for a (N, 11) per-side detail track (the detailed appearance mode); its
    ``levels`` are (K, 11)."""
    if not 0.0 < step <= 0.5:
        raise ValueError(f"quantisation step must be in (0, 0.5], got {step}")
    d = check_detail(np.asarray(details))
    if d.ndim != 2 or d.shape[0] == 0:
        raise ValueError("an appearance plan needs a non-empty (N, 11) detail track")
    return _plan(d, step)


def _plan(values: NDArray[np.float32], step: float) -> AppearancePlan:
    levels = np.rint(values / step).astype(np.int16)
    uniq, first, inverse = np.unique(levels, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return AppearancePlan(uniq[order], rank[inverse.ravel()].astype(np.int32), step)


def texture_key(levels: NDArray[np.int16], context: str) -> str:
    """Content address of one quantised expression in a given (model, base texture, size)
    context."""
    h = hashlib.sha256()
    h.update(context.encode("utf-8"))
    h.update(np.ascontiguousarray(levels, dtype="<i2").tobytes())
    return h.hexdigest()[:24]


RENDER_VERSION = 5
"""How the product turns a model's output into pixels: raised whenever the same weights and
inputs give different pixels (version 2: the face editor paints only near the mouth and the
lid lines; 3: the feature points it finds are averaged over framings of the face region
with the texture around it; 4: pixel art's closed lids take a colour of the sprite's own;
5: its mask keeps only shapes that come near a feature),
so a cache written by an earlier moodrig is not reused."""


def bake_context(
    model_id: str,
    base_texture: NDArray[np.generic],
    size: int | tuple[int, int],
    step: float,
    bits: int = 8,
) -> str:
    """Everything besides the expression that changes a generated texture; ``size``: the side
    of a square texture, or (width, height); ``bits``: per channel, one of
    :data:`texels.TEXTURE_BITS`."""
    digest = hashlib.sha256(np.ascontiguousarray(base_texture).tobytes()).hexdigest()[:16]
    side = size if isinstance(size, int) else f"{size[0]}x{size[1]}"
    depth = "" if bits == 8 else f"|{bits}bit"  # 8-bit keys as they always were
    return f"r{RENDER_VERSION}|{model_id}|{digest}|{side}|{step:.6f}{depth}"


def encode_png(texture: NDArray[np.float32], bits: int = 8) -> bytes:
    """float32 RGB(A) in [0, 1] → PNG bytes with ``bits`` (8 or 16) per channel, deterministic
    for identical pixels."""
    rgb = from_unit(texture, texel_dtype(bits))
    code = cv2.COLOR_RGBA2BGRA if rgb.shape[-1] == 4 else cv2.COLOR_RGB2BGR
    ok, buf = cv2.imencode(".png", cv2.cvtColor(rgb, code), [cv2.IMWRITE_PNG_COMPRESSION, 6])
    if not ok:
        raise RuntimeError("PNG encoding failed")
    return buf.tobytes()


def decode_png(path: Path) -> NDArray[np.float32]:
    """An 8- or 16-bit PNG → float32 RGB(A) in [0, 1]."""
    data = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if data is None:
        raise InputError(path, "cannot be read as an image")
    code = cv2.COLOR_BGRA2RGBA if data.ndim == 3 and data.shape[2] == 4 else cv2.COLOR_BGR2RGB
    return unit_values(cv2.cvtColor(data, code))


@dataclass(frozen=True)
class CacheReport:
    distinct: int
    generated: int
    reused: int
    bytes_on_disk: int


class TextureCache:
    """Content-addressed PNG store under ``folder/cache``."""

    def __init__(self, folder: str | Path, context: str, bits: int = 8) -> None:
        self.folder = Path(folder)
        self.cache = self.folder / "cache"
        self.context = context
        self.bits = bits
        """Per channel of the PNGs it writes (give ``bake_context`` the same)."""

    def path(self, levels: NDArray[np.int16]) -> Path:
        return self.cache / f"{texture_key(levels, self.context)}.png"

    def fill(
        self, plan: AppearancePlan, generate: Generate, batch: int = 16
    ) -> Generator[tuple[int, int], None, CacheReport]:
        """Generate the plan's missing textures, ``batch`` per ``generate`` call, yielding
        (done, missing) after each call; returns the :class:`CacheReport`. Existing textures
        are reused (and temporary files a killed earlier run left behind are removed). Closing
        the generator between batches stops it with only whole files on disk."""
        self.cache.mkdir(parents=True, exist_ok=True)
        remove_stale_parts(self.cache)
        missing = [k for k in range(len(plan.levels)) if not self.path(plan.levels[k]).is_file()]
        vectors = plan.vectors
        for start in range(0, len(missing), batch):
            chunk = missing[start : start + batch]
            textures = generate(vectors[chunk])
            for k, tex in zip(chunk, textures, strict=True):
                atomic_write_bytes(self.path(plan.levels[k]), encode_png(tex, self.bits))
            yield start + len(chunk), len(missing)
        sizes = sum(self.path(lv).stat().st_size for lv in plan.levels)
        return CacheReport(len(plan.levels), len(missing), len(plan.levels) - len(missing), sizes)

    def ensure(
        self,
        plan: AppearancePlan,
        generate: Generate,
        batch: int = 16,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> CacheReport:
        """:meth:`fill` run to the end: ``progress(done, missing)`` after each batch, then
        ``cancelled()`` (True raises InterruptedError, only whole files left on disk)."""
        counts = None if progress is None else (lambda c: progress(*c))
        return drive(self.fill(plan, generate, batch), counts, cancelled)

    def write_sequence(self, plan: AppearancePlan, sequence_folder: str | Path) -> list[Path]:
        """One file per frame (``frame_00001.png`` …), hard-linked to the cached texture."""
        seq = Path(sequence_folder)
        seq.mkdir(parents=True, exist_ok=True)
        remove_stale_parts(seq)
        paths = []
        for frame, key in enumerate(plan.frame_to_key, start=1):
            target = seq / sequence_name(frame)
            link_or_copy(self.path(plan.levels[key]), target)
            paths.append(target)
        return paths


def sequence_name(frame: int) -> str:
    return f"{SEQUENCE_PREFIX}{frame:0{SEQUENCE_DIGITS}d}.png"


def link_or_copy(source: Path, target: Path) -> None:
    """Atomically make ``target`` a hard link to (or a copy of) ``source``."""
    if target.exists() and os.path.samefile(source, target):
        return  # already linked (a resumed or repeated bake)
    tmp = target.with_name(f".{target.name}.part")
    tmp.unlink(missing_ok=True)
    try:
        os.link(source, tmp)
    except OSError:
        tmp.write_bytes(source.read_bytes())
    os.replace(tmp, target)
    tmp.unlink(missing_ok=True)  # rename() between two links to one file leaves the source


def disk_usage(paths: Sequence[Path]) -> int:
    """Bytes used by ``paths``, counting hard-linked files once."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for p in paths:
        st = p.stat()
        ident = (st.st_dev, st.st_ino)
        if ident not in seen:
            seen.add(ident)
            total += st.st_size
    return total
