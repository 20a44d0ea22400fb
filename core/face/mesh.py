"""MediaPipe Face Mesh (468 landmarks, converted to torch) on a rotated square crop.

The network reads a 192×192 RGB crop in [0, 1] and returns 468 (x, y, z) in crop pixels
(z relative depth at the same scale, smaller = nearer) and a face-presence logit. Landmarks
are mapped back to image pixels through the crop's affine transform; z is scaled by the
same factor. Topology: MediaPipe's canonical face mesh (e.g. 33/263 outer eye corners,
61/291 mouth corners, 13/14 inner lips, 1 nose tip, 152 chin).
"""

from __future__ import annotations

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
    """Runs Face Mesh on image crops. Not thread-safe (one per worker). The network runs with
    ``threads`` torch threads (None: the caller's setting)."""

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
        self._input = InputBuffer(MESH.input_size, MESH.input_range, self.device)

    def raw(self, x: torch.Tensor) -> tuple[NDArray[np.float32], float]:
        """(N,3,192,192) in [0,1] → landmarks (N, 468, 3) in crop px, logits of the first."""
        import torch

        from .models import full_float32, torch_threads

        with torch_threads(self.threads), full_float32(), torch.inference_mode():
            lm, logit = self.net(x)
        return lm.reshape(lm.shape[0], 468, 3).cpu().numpy(), float(logit.reshape(-1)[0])

    def run(self, image: NDArray[np.uint8], roi: Roi) -> MeshResult:
        size = MESH.input_size
        patch, m = crop(image, roi, size)
        if self.engine == "numpy":
            out_lm, out_logit = self.net(self._input.array([patch]))
            lm, logit = out_lm.reshape(-1, 468, 3), float(out_logit.reshape(-1)[0])
        else:
            lm, logit = self.raw(self._input([patch]))
        pts = lm[0].astype(np.float64)
        inv = invert_affine(m)
        xy = pts[:, :2] @ inv[:, :2].T + inv[:, 2]
        z = pts[:, 2] * (roi.size / size)
        out = np.concatenate([xy, z[:, None]], axis=1).astype(np.float32)
        score = float(1.0 / (1.0 + np.exp(-np.clip(logit, -80.0, 80.0))))
        return MeshResult(landmarks=out, score=score, roi=roi)
