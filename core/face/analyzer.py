"""One face per image or frame: detect → crop → Face Mesh → expression and head angles.

Photos: BlazeFace finds the face (the Haar cascade is the fallback), Face Mesh reads the
rotated crop, then reads it again from the crop its own landmarks define (MediaPipe's
tracking ROI), which centres and levels the face. Video: the previous frame's landmarks give
the next crop, so the detector only runs when tracking is lost (face presence below
``min_presence``), as MediaPipe's Face Mesh graph does. The smile score reads the image as well as the landmarks (mouth-region
appearance, ``smile.py``). Values are read against the population's neutral; a video can be
read against the person's own (``baseline.py``, applied by ``video.py`` from each result's
``raw`` measures and scores).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from ..expression import HeadPose
from . import calibration as calib
from .cascade import CascadeConfig, detect_faces
from .detector import DetectorConfig, FaceDetector
from .expressions import FaceExpression, analyse_landmarks
from .lbp import LbpConfig, features
from .mesh import FaceMesh, MeshResult
from .netspec import Engine
from .roi import Roi, crop, roi_from_box, roi_from_landmarks, rotation_from

VIEW_LBP = LbpConfig(size=96, grid=6)


@dataclass(frozen=True)
class AnalyzerConfig:
    """Face analysis settings."""

    detector: DetectorConfig = field(default_factory=DetectorConfig)
    """BlazeFace thresholds."""
    cascade: CascadeConfig | None = field(default_factory=CascadeConfig)
    """Fallback cascade detector; None disables it."""
    min_presence: float = 0.5
    """Face Mesh presence below this counts as no face (tracking lost)."""
    view_check_yaw: float = 25.0
    """Run the LBP view classifier when |yaw| exceeds this (degrees) or the Face Mesh presence
    is below ``view_check_score``; it overrides yaw with ±90 for profiles, where Face Mesh is
    not valid. 0 = always, 180 (with score 0) = never."""
    view_check_score: float = 0.99
    """Face Mesh presence below which the view classifier runs whatever the yaw (profiles
    score low and can read any yaw)."""
    refine: bool = True
    """Photos: second Face Mesh pass on the crop its own landmarks define."""
    jit: bool = True
    """Use TorchScript-traced networks (same numbers, faster)."""
    engine: Engine = "torch"
    """What runs the networks: "torch" (fastest per frame) or "numpy" (no torch import: a
    one-off photo starts in a fraction of the time; ``numpy_net.py``)."""
    threads: int | None = 1
    """Torch CPU threads while analysing (restored afterwards); None leaves the setting alone."""


@dataclass(frozen=True)
class FaceResult:
    """One analysed face."""

    landmarks: NDArray[np.float32]
    """(468, 3) Face Mesh points: x, y in image px, z relative depth in px."""
    box: tuple[float, float, float, float]
    """x0, y0, x1, y1 of the landmarks (image px)."""
    score: float
    """Face Mesh face-presence probability in [0, 1]."""
    expression: NDArray[np.float32]
    """(8,) in [0, 1], order of ``EXPRESSION_NAMES``."""
    head: HeadPose
    """Head yaw, pitch, roll in degrees (yaw < 0: turned toward image left)."""
    view: str
    """Nearest of ``calibration.VIEWS`` (from yaw, or the LBP classifier where it ran)."""
    roi: Roi
    """Crop the landmarks were read from (also the next frame's tracking crop seed)."""
    detected_by: str
    """"blazeface", "cascade" or "tracking"."""
    raw: FaceExpression | None = None
    """The raw measures and smile scores the values came from (a video's person baseline
    reads them again against the person's own neutral)."""


def nearest_view(yaw: float) -> str:
    i = int(np.argmin([abs(yaw - v) for v in calib.VIEW_YAW]))
    return calib.VIEWS[i]


def face_lbp(image: NDArray[np.uint8], landmarks: NDArray[np.float32]) -> NDArray[np.float32]:
    """Paper features (``lbp.py``) of the axis-aligned square crop around the landmarks (×1.2)."""
    xy = landmarks[:, :2].astype(np.float64)
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    c = (lo + hi) / 2
    patch, _ = crop(image, Roi(float(c[0]), float(c[1]), 1.2 * float(max(hi - lo)), 0.0), VIEW_LBP.size)
    return features(patch, VIEW_LBP)


def classify_view(lbp: NDArray[np.float32], cal: calib.Calibration) -> str:
    """LBP view classifier (ridge, one score per view)."""
    f = np.sqrt(lbp.astype(np.float64))
    return calib.VIEWS[int(np.argmax((f - cal.view_mu) @ cal.view_w + cal.view_b))]


def resolve_view(
    head: HeadPose, score: float, lbp: Callable[[], NDArray[np.float32]], cal: calib.Calibration, config: AnalyzerConfig
) -> tuple[HeadPose, str]:
    """Face Mesh yaw, unless the LBP classifier (run only when |yaw| > view_check_yaw or the
    presence score < view_check_score) says profile: then yaw = ±90."""
    view = nearest_view(head.yaw)
    if abs(head.yaw) > config.view_check_yaw or score < config.view_check_score:
        lbp_view = classify_view(lbp(), cal)
        if lbp_view.endswith("profile"):
            return HeadPose(yaw=calib.VIEW_YAW[calib.VIEWS.index(lbp_view)], pitch=head.pitch, roll=head.roll), lbp_view
    return head, view


class FaceAnalyzer:
    """Stateless per call except for the loaded networks; one per thread."""

    def __init__(self, config: AnalyzerConfig = AnalyzerConfig(), calibration: calib.Calibration | None = None) -> None:
        self.config = config
        self.detector = FaceDetector(config.detector, jit=config.jit, engine=config.engine)
        self.mesh = FaceMesh(jit=config.jit, engine=config.engine)
        self._cal = calibration

    @property
    def calibration(self) -> calib.Calibration:
        if self._cal is None:
            self._cal = calib.cached()
        return self._cal

    # -------------------------------------------------------------- landmarks
    def candidate_rois(self, image: NDArray[np.uint8]) -> list[tuple[Roi, str]]:
        """Crops to try, best first: BlazeFace detections, else cascade boxes."""
        out: list[tuple[Roi, str]] = []
        for d in self.detector.detect(image):
            x0, y0, x1, y1 = d.box
            rot = rotation_from(d.keypoints[0], d.keypoints[1])
            out.append((roi_from_box((x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0, rot), "blazeface"))
        if not out and self.config.cascade is not None:
            for x0, y0, x1, y1 in detect_faces(image, self.config.cascade):
                out.append((roi_from_box((x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0, 0.0, scale=1.7), "cascade"))
        return out

    def locate(self, image: NDArray[np.uint8]) -> tuple[MeshResult, str] | None:
        """Landmarks of the most confident face in a photo, or None."""
        best: tuple[MeshResult, str] | None = None
        for roi, how in self.candidate_rois(image)[:3]:
            res = self.locate_in(image, roi, trusted=how == "blazeface")
            if res is not None and (best is None or res.score > best[0].score):
                best = (res, how)
            if best is not None and best[0].score > 0.9:
                break
        return best

    def locate_in(self, image: NDArray[np.uint8], roi: Roi, *, trusted: bool = False) -> MeshResult | None:
        """Face Mesh on ``roi``; low presence rejects it unless the detector vouched (``trusted``:
        BlazeFace found a face there, e.g. a profile, which Face Mesh scores low)."""
        res = self.mesh.run(image, roi)
        if res.score < self.config.min_presence and not trusted:
            return None
        if self.config.refine and res.score >= self.config.min_presence:
            again = self.mesh.run(image, roi_from_landmarks(res.landmarks))
            if again.score >= self.config.min_presence:
                res = again
        return res

    # -------------------------------------------------------------- description
    def view_features(self, image: NDArray[np.uint8], landmarks: NDArray[np.float32]) -> NDArray[np.float32]:
        """LBP block histograms of the square landmark-box crop (the view classifier's input)."""
        return face_lbp(image, landmarks)

    def describe(self, image: NDArray[np.uint8], mesh: MeshResult, how: str) -> FaceResult:
        fe = analyse_landmarks(mesh.landmarks, self.calibration, image)
        head, view = resolve_view(fe.head, mesh.score, lambda: self.view_features(image, mesh.landmarks), self.calibration, self.config)
        xy = mesh.landmarks[:, :2]
        box = (float(xy[:, 0].min()), float(xy[:, 1].min()), float(xy[:, 0].max()), float(xy[:, 1].max()))
        return FaceResult(
            landmarks=mesh.landmarks, box=box, score=mesh.score, expression=fe.expression, head=head,
            view=view, roi=mesh.roi, detected_by=how, raw=fe,
        )

    def analyze(self, image: NDArray[np.uint8]) -> FaceResult | None:
        """The most confident face in a photo (HWC uint8 RGB), or None."""
        found = self.locate(image)
        return None if found is None else self.describe(image, *found)

    def track(self, image: NDArray[np.uint8], previous: FaceResult | None) -> FaceResult | None:
        """Video step: follow ``previous`` (one Face Mesh call), re-detect when lost."""
        if previous is not None:
            res = self.mesh.run(image, roi_from_landmarks(previous.landmarks))
            if res.score >= self.config.min_presence:
                return self.describe(image, res, "tracking")
        found = self.locate(image)
        return None if found is None else self.describe(image, *found)
