"""Face analysis: photos, image sequences and videos → expression vector + head angles.

Public API (what the Blender integration calls)::

    analyze_image(path_or_array) -> FaceResult     # raises InputError if no face
    analyze_video(path, *, fill="hold"|"interpolate", max_frames=None, progress=None,
                  on_read=None, config=VideoConfig(person_baseline=BaselineConfig())
                  ) -> ExpressionTrack
    smile_states(track) -> (N,) bool              # the stable per-frame smile decision
    read_image(path) -> HWC uint8 RGB              # size limits, clear InputError
    draw_overlay(image, result) -> HWC uint8 RGB

Pipeline: BlazeFace (short range) detection, Haar cascade fallback, MediaPipe Face Mesh on a
rotated crop — both networks converted to torch (``tflite_net.py``), weights in
``weights/face/`` — then head pose by a similarity fit to a canonical face and geometric
expression parameters (``expressions.py``). Docs: ``docs/face.md``. Never imports bpy.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError
from .analyzer import AnalyzerConfig, FaceAnalyzer, FaceResult
from .baseline import BaselineConfig
from .decision import SmileDecisionConfig, smile_states
from .io import ReadLimits, ReadStats, as_rgb8, read_image
from .netspec import engine_threads
from .overlay import draw_overlay
from .video import VideoConfig, analyze_video

__all__ = [
    "AnalyzerConfig",
    "BaselineConfig",
    "FaceAnalyzer",
    "FaceResult",
    "ReadLimits",
    "ReadStats",
    "SmileDecisionConfig",
    "VideoConfig",
    "analyze_image",
    "analyze_video",
    "draw_overlay",
    "read_image",
    "smile_states",
]


@functools.lru_cache(maxsize=2)
def _analyzer(config: AnalyzerConfig) -> FaceAnalyzer:
    return FaceAnalyzer(config)


def analyze_image(
    path_or_array: str | Path | NDArray[np.generic], *, config: AnalyzerConfig | None = None
) -> FaceResult:
    """The most confident face of a photo (file path, or HWC/HW array uint8 or float in [0, 1]).

    Raises ``InputError`` for unreadable input or when no face is found."""
    if isinstance(path_or_array, (str, Path)):
        image = read_image(path_or_array)
        source: str | Path | None = path_or_array
    else:
        image = as_rgb8(path_or_array)
        source = None
    cfg = config or AnalyzerConfig()
    with engine_threads(cfg.engine, cfg.threads):
        result = _analyzer(cfg).analyze(image)
    if result is None:
        raise InputError(source, "no face found in the image")
    return result
