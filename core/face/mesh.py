"""MediaPipe Face Mesh (468 landmarks, converted to torch) on a rotated square crop.

The network reads a 192×192 RGB crop in [0, 1] and returns 468 (x, y, z) in crop pixels
(z relative depth at the same scale, smaller = nearer) and a face-presence logit. Landmarks
are mapped back to image pixels through the crop's affine transform; z is scaled by the
same factor. Topology: MediaPipe's canonical face mesh (e.g. 33/263 outer eye corners,
61/291 mouth corners, 13/14 inner lips, 1 nose tip, 152 chin).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from .detector import InputBuffer
from .netspec import MESH, Engine
from .numpy_net import cached_numpy_net
from .roi import Roi, crop, invert_affine

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class MeshResult:
    """Landmarks of one face."""

    landmarks: NDArray[np.float32]
    """(468, 3) x, y in image px; z in px at the same scale (relative depth)."""
    score: float
    """Face presence probability in [0, 1] (sigmoid of the network's logit)."""
    roi: Roi
    """The crop the landmarks were read from."""


class FaceMesh:
    """Runs Face Mesh on image crops. The network runs with ``threads`` torch threads (None:
    the caller's setting). Threads may call :meth:`run_batch` at once (the analyser's tracking
    lanes do): each has its own input buffer, and the network itself keeps no state."""

    def __init__(
        self,
        *,
        jit: bool = True,
        device: torch.device | str = "cpu",
        threads: int | None = 1,
        engine: Engine = "torch",
    ) -> None:
        self.threads = threads
        self.engine = engine
        self.net: Any
        if engine == "numpy":  # the CPU, no torch
            self.device = None
            self.net = cached_numpy_net(MESH)
        else:
            import torch

            from .models import cached_inference, cached_net

            self.device = torch.device(device)
            ref = not jit and self.device.type == "cpu"
            self.net = cached_net(MESH) if ref else cached_inference(MESH, str(self.device))
        self._inputs = threading.local()

    @property
    def _input(self) -> InputBuffer:
        """This thread's reusable input buffer."""
        buf: InputBuffer | None = getattr(self._inputs, "buf", None)
        if buf is None:
            buf = InputBuffer(MESH.input_size, MESH.input_range, self.device)
            self._inputs.buf = buf
        return buf

    def raw(self, x: torch.Tensor) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """(N,3,192,192) in [0,1] → landmarks (N, 468, 3) in crop px and (N,) presence logits."""
        from .models import infer

        lm, logit = infer(self.net, x, self.threads)
        n = lm.shape[0]
        return lm.reshape(n, 468, 3).cpu().numpy(), logit.reshape(n).cpu().numpy()

    def run(self, image: NDArray[np.uint8], roi: Roi) -> MeshResult:
        """Landmarks read from one crop of ``image``."""
        return self.run_batch([image], [roi])[0]

    def run_batch(
        self, images: Sequence[NDArray[np.uint8]], rois: Sequence[Roi]
    ) -> list[MeshResult]:
        """One crop of each image, all read in one network call (several frames cost less per
        frame than one call each: the per-op overhead is shared). Same numbers as :meth:`run`
        on each within float rounding."""
        size = MESH.input_size
        crops = [crop(img, roi, size) for img, roi in zip(images, rois, strict=True)]
        patches = [patch for patch, _ in crops]
        if self.engine == "numpy":
            out_lm, out_logit = self.net(self._input.array(patches))
            lms, logits = out_lm.reshape(-1, 468, 3), out_logit.reshape(-1)
        else:
            lms, logits = self.raw(self._input(patches))
        return [
            _result(lm, float(logit), m, roi)
            for lm, logit, (_, m), roi in zip(lms, logits, crops, rois, strict=True)
        ]


def _result(lm: NDArray[np.float32], logit: float, m: NDArray[np.float64], roi: Roi) -> MeshResult:
    """Crop-pixel landmarks and logit → image landmarks and presence probability."""
    pts = lm.astype(np.float64)
    inv = invert_affine(m)
    xy = pts[:, :2] @ inv[:, :2].T + inv[:, 2]
    z = pts[:, 2] * (roi.size / MESH.input_size)
    out = np.concatenate([xy, z[:, None]], axis=1).astype(np.float32)
    score = float(1.0 / (1.0 + np.exp(-np.clip(logit, -80.0, 80.0))))
    return MeshResult(landmarks=out, score=score, roi=roi)
