"""MediaPipe's short-range BlazeFace detector (converted to torch) with its SSD decoding.

Decoding follows MediaPipe's ``face_detection_short_range`` graph: 896 anchors
(16×16×2 at stride 8, 8×8×6 at stride 16, fixed size, offset 0.5), box and 6 keypoints
as offsets scaled by 1/128, sigmoid scores (logits clipped to ±100), weighted
non-maximum suppression at IoU 0.3. The image is letterboxed to 128×128 first.
Keypoints: 0 right eye, 1 left eye (the subject's), 2 nose tip, 3 mouth, 4 right ear, 5 left ear.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
from numpy.typing import NDArray

from .netspec import DETECTOR, Engine
from .numpy_net import cached_numpy_net

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class DetectorConfig:
    """Detection thresholds."""

    min_score: float = 0.5
    """Lowest face score kept (MediaPipe's default 0.5)."""
    nms_iou: float = 0.3
    """IoU above which overlapping boxes are merged (weighted average)."""


@dataclass(frozen=True)
class Detection:
    """One face in image pixels."""

    box: tuple[float, float, float, float]
    """x0, y0, x1, y1."""
    score: float
    """Face probability in [0, 1]."""
    keypoints: NDArray[np.float64]
    """(6, 2) x, y: right eye, left eye, nose, mouth, right ear, left ear."""


def ssd_anchors() -> NDArray[np.float32]:
    """(896, 2) anchor centres in [0, 1] (x, y); widths and heights are 1."""
    out: list[tuple[float, float]] = []
    for grid, per_cell in ((16, 2), (8, 6)):
        for y in range(grid):
            for x in range(grid):
                out.extend([((x + 0.5) / grid, (y + 0.5) / grid)] * per_cell)
    return np.asarray(out, dtype=np.float32)


ANCHORS = ssd_anchors()


def letterbox(image: NDArray[np.uint8], size: int) -> tuple[NDArray[np.uint8], float, float, float]:
    """Fit into size×size keeping aspect (zero borders); returns (img, scale, pad_x, pad_y)."""
    h, w = image.shape[:2]
    scale = size / max(h, w)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    small = cv2.resize(image, (nw, nh), interpolation=interp)
    out = np.zeros((size, size, 3), dtype=np.uint8)
    px, py = (size - nw) // 2, (size - nh) // 2
    out[py : py + nh, px : px + nw] = small
    return out, scale, float(px), float(py)


def to_tensor(img: NDArray[np.uint8], lo: float, hi: float) -> torch.Tensor:
    """HWC uint8 RGB → (1, 3, H, W) float32 in [lo, hi], stored channels-last (the HWC bytes
    already are; the traced networks run fastest on it)."""
    import torch

    t = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1).unsqueeze(0).float()
    return (t * ((hi - lo) / 255.0) + lo).contiguous(memory_format=torch.channels_last)


class InputBuffer:
    """Reusable float32 input of a network: HWC uint8 RGB images → (N, 3, H, W) channels-last
    tensor in [lo, hi], with :func:`to_tensor`'s arithmetic (same values) but no allocation per
    call. The returned tensor is overwritten by the next call."""

    def __init__(
        self, size: int, value_range: tuple[float, float], device: torch.device | None
    ) -> None:
        self.size = size
        self.scale = np.float32((value_range[1] - value_range[0]) / 255.0)
        self.offset = np.float32(value_range[0])
        self.device = device
        self._buf = np.empty((0, size, size, 3), dtype=np.float32)

    def __call__(self, images: list[NDArray[np.uint8]]) -> torch.Tensor:
        import torch

        t = torch.from_numpy(self.array(images)).permute(0, 3, 1, 2)
        return t if self.device is None or self.device.type == "cpu" else t.to(self.device)

    def array(self, images: list[NDArray[np.uint8]]) -> NDArray[np.float32]:
        """The same values as an (N, H, W, 3) array (the numpy engine's input; overwritten by
        the next call)."""
        n = len(images)
        if self._buf.shape[0] < n:
            self._buf = np.empty((n, self.size, self.size, 3), dtype=np.float32)
        buf = self._buf[:n]
        for i, img in enumerate(images):
            np.multiply(img, self.scale, out=buf[i])
        if self.offset != 0:
            np.add(buf, self.offset, out=buf)
        return buf


def decode(
    regressors: NDArray[np.float32], logits: NDArray[np.float32], min_score: float
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Raw outputs (896, 16), (896,) → boxes/keypoints (K, 16) in [0,1] input coords and scores
    (K,)."""
    scores = 1.0 / (1.0 + np.exp(-np.clip(logits.astype(np.float64), -100.0, 100.0)))
    keep = scores >= min_score
    raw = regressors[keep] / 128.0
    anc = ANCHORS[keep]
    out = np.empty_like(raw)
    cx = raw[:, 0] + anc[:, 0]
    cy = raw[:, 1] + anc[:, 1]
    w, h = raw[:, 2], raw[:, 3]
    out[:, 0], out[:, 1], out[:, 2], out[:, 3] = cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2
    out[:, 4::2] = raw[:, 4::2] + anc[:, :1]
    out[:, 5::2] = raw[:, 5::2] + anc[:, 1:2]
    return out, scores[keep].astype(np.float32)


def _iou(a: NDArray[np.float32], b: NDArray[np.float32]) -> NDArray[np.float32]:
    x0 = np.maximum(a[0], b[:, 0])
    y0 = np.maximum(a[1], b[:, 1])
    x1 = np.minimum(a[2], b[:, 2])
    y1 = np.minimum(a[3], b[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) - inter
    out: NDArray[np.float32] = (inter / np.maximum(area, 1e-9)).astype(np.float32)
    return out


def weighted_nms(
    dets: NDArray[np.float32], scores: NDArray[np.float32], iou: float
) -> list[tuple[NDArray[np.float32], float]]:
    """MediaPipe's WEIGHTED suppression: each cluster → score-weighted mean, top score."""
    order = np.argsort(-scores)
    dets, scores = dets[order], scores[order]
    alive = np.ones(len(scores), dtype=bool)
    out: list[tuple[NDArray[np.float32], float]] = []
    for i in range(len(scores)):
        if not alive[i]:
            continue
        overlap = _iou(dets[i], dets) > iou
        members = alive & overlap
        members[i] = True
        wts = scores[members]
        merged = (dets[members] * wts[:, None]).sum(axis=0) / wts.sum()
        out.append((merged.astype(np.float32), float(scores[i])))
        alive &= ~members
    return out


class FaceDetector:
    """Finds faces in RGB images. Not thread-safe (one per worker). The network runs with
    ``threads`` torch threads (None: the caller's setting)."""

    def __init__(
        self,
        config: DetectorConfig = DetectorConfig(),
        *,
        jit: bool = True,
        device: torch.device | str = "cpu",
        threads: int | None = 1,
        engine: Engine = "torch",
    ) -> None:
        self.config = config
        self.threads = threads
        self.engine = engine
        self.net: Any
        if engine == "numpy":  # the CPU, no torch
            self.device = None
            self.net = cached_numpy_net(DETECTOR)
        else:
            import torch

            from .models import cached_inference, cached_net

            self.device = torch.device(device)
            ref = not jit and self.device.type == "cpu"
            self.net = cached_net(DETECTOR) if ref else cached_inference(DETECTOR, str(self.device))
        self._input = InputBuffer(DETECTOR.input_size, DETECTOR.input_range, self.device)

    def raw_batch(self, x: torch.Tensor) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """Network outputs for (N,3,128,128) in [-1,1]: regressors (N,896,16), logits (N,896)."""
        from .models import infer

        reg, cls = infer(self.net, x, self.threads)
        return reg.cpu().numpy(), cls[..., 0].cpu().numpy()

    def raw(self, x: torch.Tensor) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """Network outputs for a (1,3,128,128) tensor in [-1,1]: regressors (896,16), logits
        (896,)."""
        reg, cls = self.raw_batch(x)
        return reg[0], cls[0]

    def detect(self, image: NDArray[np.uint8]) -> list[Detection]:
        """Faces in ``image`` (HWC uint8 RGB), best first."""
        return self.detect_batch([image])[0]

    def detect_batch(self, images: list[NDArray[np.uint8]]) -> list[list[Detection]]:
        """Faces in each image, best first: one network call for all of them (photo batches and
        the tiled wide search); the same detections as :meth:`detect` one at a time."""
        if not images:
            return []
        boxes = [letterbox(img, DETECTOR.input_size) for img in images]
        if self.engine == "numpy":
            reg, cls = self.net(self._input.array([b[0] for b in boxes]))
            logits = cls[..., 0]
        else:
            reg, logits = self.raw_batch(self._input([b[0] for b in boxes]))
        return [self._decode(reg[i], logits[i], *boxes[i][1:]) for i in range(len(images))]

    def _decode(
        self,
        reg: NDArray[np.float32],
        logits: NDArray[np.float32],
        scale: float,
        px: float,
        py: float,
    ) -> list[Detection]:
        size = DETECTOR.input_size
        dets, scores = decode(reg, logits, self.config.min_score)
        out: list[Detection] = []
        for d, s in weighted_nms(dets, scores, self.config.nms_iou):
            xy = d.astype(np.float64).reshape(-1, 2) * size
            xy[:, 0] = (xy[:, 0] - px) / scale
            xy[:, 1] = (xy[:, 1] - py) / scale
            box = (float(xy[0, 0]), float(xy[0, 1]), float(xy[1, 0]), float(xy[1, 1]))
            out.append(Detection(box=box, score=s, keypoints=xy[2:]))
        return out
