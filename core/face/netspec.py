"""The two converted MediaPipe networks: their weights files and input conventions (no torch).

Kept apart from ``models.py`` (torch) so that the numpy path (``numpy_net.py``) names the
same weights without importing torch.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..paths import weights_dir

Engine = Literal["torch", "numpy"]
"""What runs the networks: torch (traced: fastest per call, but importing torch and tracing
take about 2 s of CPU) or numpy (``numpy_net.py``: no torch, for one-off photos)."""


@dataclass(frozen=True)
class ModelSpec:
    """One converted network."""

    name: str
    """File stem under ``weights/face/``."""
    model: str
    """Model name recorded in (and checked against) the manifest."""
    version: int
    """Manifest model version this code expects."""
    wheel_member: str
    """Path of the ``.tflite`` inside the mediapipe wheel."""
    input_size: int
    """Square input side in pixels."""
    input_range: tuple[float, float]
    """Value range the network expects for RGB input (MediaPipe's graph settings)."""


DETECTOR = ModelSpec(
    name="face_detector",
    model="mediapipe_face_detection_short_range",
    version=1,
    wheel_member="mediapipe/modules/face_detection/face_detection_short_range.tflite",
    input_size=128,
    input_range=(-1.0, 1.0),
)
MESH = ModelSpec(
    name="face_mesh",
    model="mediapipe_face_landmark",
    version=1,
    wheel_member="mediapipe/modules/face_landmark/face_landmark.tflite",
    input_size=192,
    input_range=(0.0, 1.0),
)


def manifest_path(spec: ModelSpec, folder: Path | None = None) -> Path:
    return (folder or weights_dir() / "face") / f"{spec.name}.manifest.json"


@contextlib.contextmanager
def engine_threads(engine: Engine, threads: int | None) -> Iterator[None]:
    """The block runs with ``threads`` torch CPU threads (``models.torch_threads``) and one
    OpenBLAS thread (``cpu.one_blas_thread``: the analysis makes many small numpy calls, and
    OpenBLAS's idle threads spin between them) for the torch engine; the numpy engine (a
    one-off photo, whose network products are large) imports no torch and sets nothing."""
    if engine == "numpy":
        yield
        return
    from ..cpu import one_blas_thread
    from .models import torch_threads

    with torch_threads(threads), one_blas_thread():
        yield
