"""The per-frame expression track: the one timeline both tracks are generated from."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from .detail import N_DETAIL, check_detail, detail_from_expression
from .expression import N_EXPRESSION, check_expression


@dataclass(frozen=True)
class ExpressionTrack:
    """Per-frame expression analysis of a source.

    Attributes:
        fps: frames per second of the source (> 0).
        expressions: (N, 8) float32 in [0, 1], order of ``EXPRESSION_NAMES``.
        head: (N, 3) float32 head yaw, pitch, roll in degrees.
        valid: (N,) bool; False where no face was found (values there were filled by the
            caller's policy, never silently zero).
        details: optional (N, 11) float32 per-side detail vectors (``core/detail.py``), for the
            detailed appearance mode; None where the source gave none (a scripted timeline, a
            track saved before per-side analysis): that mode then uses the symmetric details
            of ``expressions``.
    """

    fps: float
    expressions: NDArray[np.float32]
    head: NDArray[np.float32]
    valid: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    details: NDArray[np.float32] | None = None

    def __post_init__(self) -> None:
        if not np.isfinite(self.fps) or self.fps <= 0:
            raise ValueError(f"fps must be positive, got {self.fps}")
        expr = check_expression(self.expressions)
        if expr.ndim != 2:
            raise ValueError(f"expressions must be (N, {N_EXPRESSION}), got {expr.shape}")
        head = np.asarray(self.head, dtype=np.float32)
        if head.shape != (expr.shape[0], 3) or not np.all(np.isfinite(head)):
            raise ValueError(f"head must be finite (N, 3) with N={expr.shape[0]}, got {head.shape}")
        valid = np.asarray(self.valid, dtype=bool)
        if valid.size == 0:
            valid = np.ones(expr.shape[0], dtype=bool)
        if valid.shape != (expr.shape[0],):
            raise ValueError(f"valid must be (N,), got {valid.shape}")
        if self.details is not None:
            details = check_detail(self.details)
            if details.shape != (expr.shape[0], N_DETAIL):
                raise ValueError(
                    f"details must be (N, {N_DETAIL}) with N={expr.shape[0]}, got {details.shape}"
                )
            object.__setattr__(self, "details", details)
        object.__setattr__(self, "expressions", expr)
        object.__setattr__(self, "head", head)
        object.__setattr__(self, "valid", valid)

    def __len__(self) -> int:
        return int(self.expressions.shape[0])

    def detail_vectors(self) -> NDArray[np.float32]:
        """(N, 11) per-side details: the analysed ones, else the symmetric ones of
        ``expressions``."""
        if self.details is not None:
            return self.details
        return detail_from_expression(self.expressions)


def hold_track(track: ExpressionTrack, n_frames: int) -> ExpressionTrack:
    """A single-photo track held for ``n_frames`` (a photo has one expression)."""
    if len(track) != 1:
        return track
    return ExpressionTrack(
        track.fps,
        np.repeat(track.expressions, n_frames, axis=0),
        np.repeat(track.head, n_frames, axis=0),
        np.repeat(track.valid, n_frames, axis=0),
        None if track.details is None else np.repeat(track.details, n_frames, axis=0),
    )


def resample_track(track: ExpressionTrack, fps: float) -> ExpressionTrack:
    """Resample to the scene's frame rate (linear in values, nearest for validity)."""
    if abs(track.fps - fps) < 1e-9 or len(track) < 2:
        return ExpressionTrack(fps, track.expressions, track.head, track.valid, track.details)
    duration = (len(track) - 1) / track.fps
    n = int(np.floor(duration * fps + 1e-9)) + 1
    t_src = np.arange(len(track)) / track.fps
    t_dst = np.arange(n) / fps
    expr = np.stack(
        [
            np.interp(t_dst, t_src, track.expressions[:, i])
            for i in range(track.expressions.shape[1])
        ],
        1,
    )
    head = np.stack([np.interp(t_dst, t_src, track.head[:, i]) for i in range(3)], 1)
    nearest = np.clip(np.rint(t_dst * track.fps).astype(int), 0, len(track) - 1)
    details = None
    if track.details is not None:
        d = np.stack(
            [np.interp(t_dst, t_src, track.details[:, i]) for i in range(track.details.shape[1])], 1
        )
        details = np.clip(d, 0.0, 1.0).astype(np.float32)
    return ExpressionTrack(
        fps,
        np.clip(expr, 0.0, 1.0).astype(np.float32),
        head.astype(np.float32),
        track.valid[nearest],
        details,
    )
