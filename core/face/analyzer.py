"""One face per image or frame: detect → crop → Face Mesh → expression and head angles.

Regions are *proposed* and Face Mesh *accepts* them. Proposals, in turn: BlazeFace's
detections, then the Haar cascade's boxes, then a wide search (BlazeFace over half-overlapping
tiles of 1/2 and 1/4 of the image's longer side, for faces too small for the whole-image
pass). A region is accepted only when Face Mesh's own presence score reaches
``min_presence``, whoever proposed it; the next proposal gets its turn otherwise, and with
none accepted there is no face (a detector's false alarm never becomes expression values).
Accepted photo regions are read again from the crop the landmarks define (MediaPipe's
tracking ROI), which centres and levels the face. Video: the previous frame's landmarks are
the first proposal for the next frame, so the detector runs only when tracking is lost, as
MediaPipe's Face Mesh graph does; a frame with no accepted region has no face (its track row
is invalid and the caller fills it). The smile score reads the image as well as the landmarks
(mouth-region appearance, ``smile.py``). Values are read against the population's neutral; a
video can be read against the person's own (``baseline.py``, applied by ``video.py`` from each
result's ``raw`` measures and scores).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from ..cpu import one_blas_thread, usable_cores
from ..expression import HeadPose
from . import calibration as calib
from .cascade import CascadeConfig, detect_faces
from .detector import Detection, DetectorConfig, FaceDetector
from .expressions import FaceExpression, analyse_landmarks
from .lbp import LbpConfig, features
from .mesh import FaceMesh, MeshResult
from .netspec import DETECTOR, Engine
from .roi import Roi, crop, normalize_radians, roi_from_box, roi_from_landmarks, rotation_from

VIEW_LBP = LbpConfig(size=96, grid=6)


@dataclass(frozen=True)
class AnalyzerConfig:
    """Face analysis settings."""

    detector: DetectorConfig = field(default_factory=DetectorConfig)
    """BlazeFace thresholds."""
    cascade: CascadeConfig | None = field(default_factory=CascadeConfig)
    """Fallback cascade detector; None disables it."""
    min_presence: float = 0.5
    """Face Mesh presence a region needs to be accepted as a face (any proposal, tracking
    included; below it tracking is lost and the next proposal is tried)."""
    max_per_stage: int = 3
    """Proposals of one stage (BlazeFace, cascade, wide search) tried at most, best first."""
    wide_search: int = 2
    """Levels of the tiled BlazeFace search run when no whole-image proposal is accepted: tile
    sides 1/2, 1/4, … of the longer image side, half overlapping (2 levels find faces down to
    about 1/30 of the longer side; 0 disables it)."""
    wide_search_every: int = 24
    """Video: while no face is found, the wide search runs on one frame in this many (it costs
    some tens of detector calls)."""
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
    """Run the networks' inference form (``fastnet.py``: folded pads, GEMM 1×1 convolutions;
    traced and frozen on the CPU); False runs the op-for-op reference (slower, same numbers)."""
    threads: int | None = 1
    """Torch CPU threads the face networks run with (set around each call, restored after);
    None leaves the caller's setting. One: the networks are small, and a second OpenMP
    thread waits for a core that a busy machine does not give it (``core/cpu.py``)."""
    device: str = "cpu"
    """Where the networks run: "cpu", "cuda", "mps" or "auto" (CUDA, then MPS, then CPU;
    the same setting as the rest of the bake, ``amee.infer.pick_device``)."""
    engine: Engine = "torch"
    """What runs the networks: "torch" (fastest per frame, any ``device``) or "numpy" (the CPU,
    no torch import: a one-off photo starts in a fraction of the time; ``numpy_net.py``)."""
    track_batch: int = 2
    """Video: consecutive frames whose Face Mesh crops are read in one network call; 1 reads
    frame by frame. On the CPU two crops per call cost 0.78 of two calls, four 0.68; but a
    batch that the face's motion cuts short wastes its later crops, and its frames lie further
    from frame by frame's: on a moving head two per call is the fastest (docs/face.md)."""
    track_lanes: int = 2
    """Video, ``track_batch`` > 1: network calls read ahead from one crop guess, so a batch
    holds ``track_batch × track_lanes`` frames. With cores to spare they run at once, one per
    thread (the networks release the GIL; each lane runs one torch thread, so nothing spins
    waiting for a core), while one more thread describes the batch before, as MediaPipe's
    graph runs its stages side by side; otherwise one after another, with the same numbers."""
    track_drift: float = 0.02
    """Video, ``track_batch`` > 1: a batch reads every frame from the crop of the last accepted
    landmarks, moved on by the crop's motion (``CropMotion``). A frame's result is kept while
    that crop differs from the crop its previous frame's landmarks define (the one
    frame-by-frame tracking reads it from) by at most this fraction of the crop's side (centre
    and side) and this many radians; otherwise the frame is read again from its own crop, so a
    moving face is followed as closely as frame by frame."""


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
    """Which proposal Face Mesh accepted: "blazeface", "cascade", "wide" or "tracking"."""
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
    patch, _ = crop(
        image, Roi(float(c[0]), float(c[1]), 1.2 * float(max(hi - lo)), 0.0), VIEW_LBP.size
    )
    return features(patch, VIEW_LBP)


def classify_view(lbp: NDArray[np.float32], cal: calib.Calibration) -> str:
    """LBP view classifier (ridge, one score per view)."""
    f = np.sqrt(lbp.astype(np.float64))
    return calib.VIEWS[int(np.argmax((f - cal.view_mu) @ cal.view_w + cal.view_b))]


def resolve_view(
    head: HeadPose,
    score: float,
    lbp: Callable[[], NDArray[np.float32]],
    cal: calib.Calibration,
    config: AnalyzerConfig,
) -> tuple[HeadPose, str]:
    """Face Mesh yaw, unless the LBP classifier (run only when |yaw| > view_check_yaw or the
    presence score < view_check_score) says profile: then yaw = ±90."""
    view = nearest_view(head.yaw)
    if abs(head.yaw) > config.view_check_yaw or score < config.view_check_score:
        lbp_view = classify_view(lbp(), cal)
        if lbp_view.endswith("profile"):
            return HeadPose(
                yaw=calib.VIEW_YAW[calib.VIEWS.index(lbp_view)], pitch=head.pitch, roll=head.roll
            ), lbp_view
    return head, view


class FaceAnalyzer:
    """Stateless per call except for the loaded networks (and the count of frames without a
    face, for the wide search); one per thread."""

    def __init__(
        self,
        config: AnalyzerConfig = AnalyzerConfig(),
        calibration: calib.Calibration | None = None,
    ) -> None:
        self.config = config
        if config.engine == "numpy":  # the CPU, without importing torch
            self.device: object = "cpu"
        else:
            from .models import resolve_device

            self.device = resolve_device(config.device)
        self.detector = FaceDetector(
            config.detector,
            jit=config.jit,
            device=self.device,
            threads=config.threads,
            engine=config.engine,
        )
        self.mesh = FaceMesh(
            jit=config.jit, device=self.device, threads=config.threads, engine=config.engine
        )
        self._cal = calibration
        self._lost = 0  # video frames since a face was last accepted
        self._motion = CropMotion()  # the tracking crop's motion (batched tracking)
        self.last_stream_pipelined: bool | None = None
        """Whether the last :meth:`track_stream` described frames on a second thread."""

    @property
    def calibration(self) -> calib.Calibration:
        if self._cal is None:
            self._cal = calib.cached()
        return self._cal

    # -------------------------------------------------------------- landmarks
    def blazeface_rois(self, image: NDArray[np.uint8]) -> list[Roi]:
        """BlazeFace's detections on the whole image as crops, best first."""
        return [_detection_roi(d) for d in self.detector.detect(image)]

    def cascade_rois(self, image: NDArray[np.uint8]) -> list[Roi]:
        """The Haar cascade's boxes as crops, largest first (none without a cascade)."""
        if self.config.cascade is None:
            return []
        return [
            roi_from_box((x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0, 0.0, scale=1.7)
            for x0, y0, x1, y1 in detect_faces(image, self.config.cascade)
        ]

    def wide_rois(self, image: NDArray[np.uint8]) -> list[Roi]:
        """BlazeFace over half-overlapping tiles (``wide_search`` levels, one batched network
        call per level), the detections in image coordinates, best first."""
        found: list[tuple[float, Roi]] = []
        h, w = image.shape[:2]
        for level in range(1, self.config.wide_search + 1):
            side = max(h, w) / 2**level
            if side < DETECTOR.input_size:
                break
            tiles = tile_origins(h, w, round(side))
            crops = [image[y : y + round(side), x : x + round(side)] for x, y in tiles]
            for (x, y), dets in zip(tiles, self.detector.detect_batch(crops), strict=True):
                for d in dets:
                    found.append((d.score, _detection_roi(d, (x, y))))
        found.sort(key=lambda sr: -sr[0])
        return [r for _, r in found]

    def proposals(
        self, image: NDArray[np.uint8], *, wide: bool = True, blazeface: list[Roi] | None = None
    ) -> Iterator[tuple[str, list[Roi]]]:
        """Proposal stages in turn (each computed only when the previous one was refused);
        ``blazeface``: the first stage's crops when already detected (batched photos)."""
        yield "blazeface", self.blazeface_rois(image) if blazeface is None else blazeface
        yield "cascade", self.cascade_rois(image)
        if wide and self.config.wide_search > 0:
            yield "wide", self.wide_rois(image)

    def candidate_rois(self, image: NDArray[np.uint8]) -> list[tuple[Roi, str]]:
        """Every proposal of every stage, in the order they would be tried."""
        return [(roi, how) for how, rois in self.proposals(image) for roi in rois]

    def locate(
        self,
        image: NDArray[np.uint8],
        *,
        wide: bool = True,
        min_presence: float | None = None,
        blazeface: list[Roi] | None = None,
    ) -> tuple[MeshResult, str] | None:
        """Landmarks of the most confident accepted face in a photo, or None.

        Stage by stage, up to ``max_per_stage`` proposals each; the first stage with an
        accepted region gives the answer. ``min_presence`` overrides the config's (the
        calibration tools read every view, profiles included, with 0)."""
        floor = self.config.min_presence if min_presence is None else min_presence
        for how, rois in self.proposals(image, wide=wide, blazeface=blazeface):
            best: MeshResult | None = None
            for roi in rois[: self.config.max_per_stage]:
                res = self.locate_in(image, roi, min_presence=floor)
                if res is not None and (best is None or res.score > best.score):
                    best = res
                if best is not None and best.score > 0.9:
                    break
            if best is not None:
                return best, how
        return None

    def locate_in(
        self, image: NDArray[np.uint8], roi: Roi, *, min_presence: float | None = None
    ) -> MeshResult | None:
        """Face Mesh on ``roi``: None unless its presence reaches the threshold; then, with
        ``refine``, read again from the crop its landmarks define (kept if still accepted)."""
        floor = self.config.min_presence if min_presence is None else min_presence
        res = self.mesh.run(image, roi)
        if res.score < floor:
            return None
        if self.config.refine and res.score >= self.config.min_presence:
            again = self.mesh.run(image, roi_from_landmarks(res.landmarks))
            if again.score >= self.config.min_presence:
                res = again
        return res

    # -------------------------------------------------------------- description
    def view_features(
        self, image: NDArray[np.uint8], landmarks: NDArray[np.float32]
    ) -> NDArray[np.float32]:
        """LBP block histograms of the square landmark-box crop (the view classifier's input)."""
        return face_lbp(image, landmarks)

    def describe(self, image: NDArray[np.uint8], mesh: MeshResult, how: str) -> FaceResult:
        """Pose, expressions, smile appearance and view of accepted landmarks. Its small
        LAPACK calls (solves, determinants, SVDs of 2×2 and 3×3 matrices) would wake
        OpenBLAS's threads, which then spin on a second core between frames: it runs with
        one (``cpu.one_blas_thread``)."""
        with one_blas_thread():
            return self._describe(image, mesh, how)

    def _describe(self, image: NDArray[np.uint8], mesh: MeshResult, how: str) -> FaceResult:
        fe = analyse_landmarks(mesh.landmarks, self.calibration, image)
        head, view = resolve_view(
            fe.head,
            mesh.score,
            lambda: self.view_features(image, mesh.landmarks),
            self.calibration,
            self.config,
        )
        xy = mesh.landmarks[:, :2]
        box = (
            float(xy[:, 0].min()),
            float(xy[:, 1].min()),
            float(xy[:, 0].max()),
            float(xy[:, 1].max()),
        )
        return FaceResult(
            landmarks=mesh.landmarks,
            box=box,
            score=mesh.score,
            expression=fe.expression,
            head=head,
            view=view,
            roi=mesh.roi,
            detected_by=how,
            raw=fe,
        )

    def analyze(self, image: NDArray[np.uint8]) -> FaceResult | None:
        """The most confident face in a photo (HWC uint8 RGB), or None."""
        found = self.locate(image)
        return None if found is None else self.describe(image, *found)

    def analyze_many(
        self, images: Sequence[NDArray[np.uint8]], batch: int = 16
    ) -> list[FaceResult | None]:
        """:meth:`analyze` for each photo on its own (no tracking between them), with BlazeFace
        run over ``batch`` photos per network call. Same results as one call per photo."""
        out: list[FaceResult | None] = []
        for k in range(0, len(images), batch):
            part = list(images[k : k + batch])
            for img, dets in zip(part, self.detector.detect_batch(part), strict=True):
                found = self.locate(img, blazeface=[_detection_roi(d) for d in dets])
                out.append(None if found is None else self.describe(img, *found))
        return out

    def track_stream(
        self, frames: Iterable[NDArray[np.uint8]], *, pipelined: bool | None = None
    ) -> Iterator[FaceResult | None]:
        """:meth:`track` over a sequence of frames, one result per frame, in order, with Face
        Mesh run on ``track_batch`` frames per network call (:meth:`track_landmarks_many`).
        Each frame is copied (the reader may reuse its buffer).

        ``pipelined``: run a batch's network calls at once on ``track_lanes`` threads, and
        describe its frames (pose, expressions, smile appearance, view check) on one more
        while the next batch is read (that needs only the landmarks), as MediaPipe's graph
        runs its stages side by side; None: where the process may use two cores or more
        (``core/cpu.py``). Same results either way."""
        lanes = max(1, self.config.track_lanes)
        if pipelined is None:
            pipelined = lanes > 1 and usable_cores() >= 2
        self.last_stream_pipelined = pipelined
        k = max(1, self.config.track_batch) * lanes
        # Pipelined: the batch being read and the one before it, being described. A batch's
        # frames are taken only after the results of the one two before it were all yielded,
        # so its buffers are free again (a 4K frame is 25 MB: no spare batch).
        copies = FrameCopies(2 * k if pipelined else k)
        batches = _batches((copies.take(f) for f in frames), k)
        if not pipelined:
            face: FaceResult | None = None
            for batch in batches:
                faces = self.track_many(batch, face)
                face = faces[-1]
                yield from faces
            return
        pending: deque[Future[FaceResult | None] | None] = deque()
        prev: MeshResult | None = None
        with (
            ThreadPoolExecutor(lanes, thread_name_prefix="moodrig-mesh") as readers,
            ThreadPoolExecutor(1, thread_name_prefix="moodrig-face") as describer,
        ):
            for batch in batches:
                found_all = self.track_landmarks_many(batch, prev, lanes=readers)
                last = found_all[-1]  # a batch is never empty
                prev = None if last is None else last[0]
                while pending:  # the previous batch's buffers are reused from the next one on
                    fut = pending.popleft()
                    yield None if fut is None else fut.result()
                for image, found in zip(batch, found_all, strict=True):
                    pending.append(
                        None if found is None else describer.submit(self.describe, image, *found)
                    )
            while pending:
                fut = pending.popleft()
                yield None if fut is None else fut.result()

    def track(self, image: NDArray[np.uint8], previous: FaceResult | None) -> FaceResult | None:
        """Video step: follow ``previous`` (one Face Mesh call), re-detect when lost."""
        found = self.track_landmarks(image, previous)
        return None if found is None else self.describe(image, *found)

    def track_many(
        self, images: Sequence[NDArray[np.uint8]], previous: FaceResult | None
    ) -> list[FaceResult | None]:
        """:meth:`track` over consecutive frames, Face Mesh batched
        (:meth:`track_landmarks_many`); the images must stay unchanged during the call."""
        found_all = self.track_landmarks_many(images, previous)
        return [
            None if found is None else self.describe(image, *found)
            for image, found in zip(images, found_all, strict=True)
        ]

    def track_landmarks(
        self, image: NDArray[np.uint8], previous: FaceResult | MeshResult | None
    ) -> tuple[MeshResult, str] | None:
        """The landmark half of :meth:`track`: the previous face's crop first, then the
        proposals of a photo (the wide search on one lost frame in ``wide_search_every``)."""
        if previous is None:
            return self._search(image)
        return self._accept(self.mesh.run(image, roi_from_landmarks(previous.landmarks)), image)

    def track_landmarks_many(
        self,
        images: Sequence[NDArray[np.uint8]],
        previous: FaceResult | MeshResult | None,
        *,
        lanes: Executor | None = None,
    ) -> list[tuple[MeshResult, str] | None]:
        """:meth:`track_landmarks` over consecutive frames, following the face from
        ``previous``, reading up to ``track_batch × track_lanes`` frames ahead from one crop
        guess, ``track_batch`` frames per Face Mesh call.

        A batch reads every frame from the crop of the last accepted landmarks, moved on by
        the crop's motion over the frame before (``CropMotion``); its first frame is read
        exactly as frame by frame. A later frame's result is kept while the crop
        its previous frame's landmarks define is within ``track_drift`` of the batch's crop;
        otherwise a new batch starts at that frame, from its own crop. A frame with no face
        accepted goes through the proposals (:meth:`track_landmarks`) and starts a new batch.

        ``lanes``: run a batch's network calls at once on this executor; without it they run
        one after another, only as far as the batch is kept. Same numbers either way."""
        out: list[tuple[MeshResult, str] | None] = []
        prev: FaceResult | MeshResult | None = previous
        k = max(1, self.config.track_batch)
        ahead = k * max(1, self.config.track_lanes)
        while len(out) < len(images):
            i = len(out)
            if prev is None or k == 1:
                self._motion.reset()
                found: tuple[MeshResult, str] | None = self.track_landmarks(images[i], prev)
                out.append(found)
                prev = None if found is None else found[0]
                continue
            start = roi_from_landmarks(prev.landmarks)
            chunk = images[i : i + ahead]
            rois = self._motion.ahead(start, len(chunk))
            reads = _LaneReads(self.mesh, chunk, rois, k, lanes)
            try:
                for j in range(len(chunk)):
                    res = reads.get(j)
                    if j > 0:
                        last = out[-1]
                        assert last is not None  # a frame without a face ends the batch
                        exact = roi_from_landmarks(last[0].landmarks)
                        if not near_crop(rois[j], exact, self.config.track_drift):
                            break  # the face moved otherwise: the next batch starts here
                        self._motion.see(exact)
                    found = self._accept(res, chunk[j])
                    out.append(found)
                    prev = None if found is None else found[0]
                    if found is None or found[1] != "tracking":
                        self._motion.reset()
                        break
            finally:
                reads.finish()  # the frames may be reused once the call returns
        return out

    def _accept(self, res: MeshResult, image: NDArray[np.uint8]) -> tuple[MeshResult, str] | None:
        """A tracking crop's landmarks when Face Mesh's presence passes, else the search."""
        if res.score >= self.config.min_presence:
            self._lost = 0
            return res, "tracking"
        return self._search(image)

    def _search(self, image: NDArray[np.uint8]) -> tuple[MeshResult, str] | None:
        """A lost video frame: the proposals of a photo, the wide search on one lost frame in
        ``wide_search_every``."""
        found = self.locate(image, wide=self._lost % max(1, self.config.wide_search_every) == 0)
        self._lost = 0 if found is not None else self._lost + 1
        return found


class _LaneReads:
    """One batch's Face Mesh calls (``k`` frames each): started at once on ``lanes``, or
    without lanes run in order when first asked for (a batch cut short never reads its later
    frames)."""

    def __init__(
        self,
        mesh: FaceMesh,
        images: Sequence[NDArray[np.uint8]],
        rois: Sequence[Roi],
        k: int,
        lanes: Executor | None,
    ) -> None:
        self.mesh, self.images, self.rois, self.k = mesh, images, rois, k
        self.parts: dict[int, list[MeshResult]] = {}
        self.futures: dict[int, Future[list[MeshResult]]] = {}
        if lanes is not None:
            for a in range(0, len(images), k):
                self.futures[a // k] = lanes.submit(self._read, a)

    def _read(self, a: int) -> list[MeshResult]:
        return self.mesh.run_batch(self.images[a : a + self.k], self.rois[a : a + self.k])

    def get(self, j: int) -> MeshResult:
        """Frame ``j``'s landmarks."""
        p = j // self.k
        if p not in self.parts:
            fut = self.futures.get(p)
            self.parts[p] = fut.result() if fut is not None else self._read(p * self.k)
        return self.parts[p][j % self.k]

    def finish(self) -> None:
        """Wait for every lane (their results may be thrown away, their frames not reused
        before they are done)."""
        for fut in self.futures.values():
            fut.result()


class CropMotion:
    """The tracking crop's motion from frame to frame, to guess the crops of the frames a batch
    reads ahead: crop j of a batch is the first one plus j steps of the last step seen."""

    def __init__(self, max_step: float = 0.25) -> None:
        self.max_step = max_step
        """A step larger than this fraction of the crop's side is not extrapolated."""
        self._last: Roi | None = None

    def reset(self) -> None:
        self._last = None

    def see(self, crop: Roi) -> None:
        """The crop one frame of the sequence is read from (in order)."""
        self._last = crop

    def ahead(self, start: Roi, n: int) -> list[Roi]:
        """Crops of the next ``n`` frames, the first being ``start`` (the crop tracking reads
        the next frame from); records ``start`` as seen."""
        last, self._last = self._last, start
        if last is None:
            return [start] * n
        dx, dy, ds = start.cx - last.cx, start.cy - last.cy, start.size - last.size
        dr = normalize_radians(start.rotation - last.rotation)
        if max(abs(dx), abs(dy), abs(ds)) > self.max_step * start.size or abs(dr) > 0.5:
            return [start] * n
        return [
            Roi(start.cx + j * dx, start.cy + j * dy, start.size + j * ds, start.rotation + j * dr)
            for j in range(n)
        ]


class FrameCopies:
    """Copies of incoming frames in ``n`` reused buffers, round robin: a frame taken is valid
    until ``n`` more have been taken (readers reuse their own buffer for every frame)."""

    def __init__(self, n: int) -> None:
        self.n = max(1, n)
        self._bufs: list[NDArray[np.uint8]] = []
        self._next = 0

    def take(self, frame: NDArray[np.uint8]) -> NDArray[np.uint8]:
        k = self._next
        self._next = (k + 1) % self.n
        if k == len(self._bufs):
            self._bufs.append(np.empty_like(frame))
        elif self._bufs[k].shape != frame.shape or self._bufs[k].dtype != frame.dtype:
            self._bufs[k] = np.empty_like(frame)
        np.copyto(self._bufs[k], frame)
        return self._bufs[k]


def near_crop(a: Roi, b: Roi, tolerance: float) -> bool:
    """Whether two crops differ by at most ``tolerance`` of ``b``'s side in centre and side,
    and ``tolerance`` radians in rotation."""
    tol = tolerance * b.size
    return (
        abs(a.cx - b.cx) <= tol
        and abs(a.cy - b.cy) <= tol
        and abs(a.size - b.size) <= tol
        and abs(normalize_radians(a.rotation - b.rotation)) <= tolerance
    )


def _batches(items: Iterable[NDArray[np.uint8]], k: int) -> Iterator[list[NDArray[np.uint8]]]:
    batch: list[NDArray[np.uint8]] = []
    for item in items:
        batch.append(item)
        if len(batch) == k:
            yield batch
            batch = []
    if batch:
        yield batch


def _detection_roi(d: Detection, offset: tuple[float, float] = (0.0, 0.0)) -> Roi:
    """MediaPipe's detection → face crop (box ×1.5, rotation from the eye keypoints)."""
    x0, y0, x1, y1 = d.box
    rot = rotation_from(d.keypoints[0], d.keypoints[1])
    return roi_from_box((x0 + x1) / 2 + offset[0], (y0 + y1) / 2 + offset[1], x1 - x0, y1 - y0, rot)


def tile_origins(h: int, w: int, side: int) -> list[tuple[int, int]]:
    """Top-left corners of half-overlapping side×side tiles covering an h×w image (the last
    row and column end at the border)."""

    def starts(n: int) -> list[int]:
        if n <= side:
            return [0]
        step = max(1, side // 2)
        out = list(range(0, n - side, step))
        return [*out, n - side]

    return [(x, y) for y in starts(h) for x in starts(w)]
