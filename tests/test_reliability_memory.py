"""Long runs in bounded memory, measured in child processes (peak RSS).

Analysis: a synthetic 640×480 25 fps video — the sample face photo drifting over a grey
canvas — is streamed. Two measurements per video length:

* ``real``: ``analyze_video`` with the real face models on the first N frames (this CPU runs
  them at 0.1–3 s a frame, so a 30-minute video cannot be analysed whole here); RSS is
  sampled every few frames to show it does not grow with frames.
* ``stream``: *every* frame of the file decoded by the real ``FrameSource``, placed on the
  time grid by its timestamp (``timing.on_grid``, as ``analyze_video`` does) and fed through
  the real ``analyze_frames`` (smoothing, bookkeeping, gap filling), with the per-frame
  network call replaced by the face result of the first frame (a stated stand-in: the
  networks' memory is fixed and is what ``real`` measures).

Bake: ``moodrig.api.bake`` in the real bpy for a 1- and 5-minute track with the painter test
double standing in for AMEE-GAN (the pipeline's memory: behavior, texture cache, image
sequence, keyframes); the texture count on disk is sampled at every progress step to show
textures are flushed as they are made.

    # 1/10/30-min analysis, 1/5-min bake
    python tests/test_reliability_memory.py
    # and every frame of each video analysed for real
    python tests/test_reliability_memory.py --whole
    # 1/5-min videos through the whole real bake
    python tests/test_reliability_memory.py --bake-video
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "data" / "bad"))
sys.path.insert(0, str(HERE))

VIDEO_MAKER = """
import sys, cv2, numpy as np
sys.path.insert(0, {bad!r})
from make_corpus import face_rgb
path, seconds, fps = sys.argv[1], float(sys.argv[2]), 25.0
face = cv2.resize(face_rgb(), (300, 300), interpolation=cv2.INTER_AREA)[:, :, ::-1].copy()
w = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"mp4v"), fps, (640, 480))
canvas = np.full((480, 640, 3), 96, np.uint8)
for i in range(int(seconds * fps)):
    frame = canvas.copy()
    x = int(170 + 136 * np.sin(i / 37.0)); y = int(90 + 72 * np.sin(i / 53.0))
    frame[y:y + 300, x:x + 300] = face
    w.write(frame)
w.release()
"""

ANALYSIS = """
import json, sys, time
import numpy as np
from moodrig.core.face import analyze_video
from moodrig.core.face.analyzer import AnalyzerConfig, FaceAnalyzer
from moodrig.core.face.io import FrameSource
from moodrig.core.face.timing import on_grid
from moodrig.core.face.video import analyze_frames
path, mode, max_frames = sys.argv[1], sys.argv[2], int(sys.argv[3])
def rss_mb():
    # VmHWM (peak RSS of this process image): ru_maxrss would carry the parent's peak over exec.
    line = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
    return int(line.split()[1]) / 1024
def current_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
samples = []
every = 10 if max_frames else 500  # a whole 30-minute video: 90 samples
def progress(done, total):
    if done % every == 0:
        samples.append([done, round(current_mb(), 1)])
t0 = time.perf_counter()
if mode == "real":
    track = analyze_video(path, max_frames=max_frames or None, progress=progress)
else:
    real = FaceAnalyzer(AnalyzerConfig())
    src = FrameSource(path)
    first = None
    class FirstFrameResult:
        # The networks' per-frame call replaced by the first frame's real result.
        config = real.config
        def track(self, frame, prev):
            global first
            if first is None:
                first = real.track(frame, None)
            return first
        def track_many(self, frames, prev):
            return [self.track(f, prev) for f in frames]
    # As analyze_video does: frames placed on the time grid by their timestamps.
    slots = on_grid(src.timed(), src.info.fps, src.limits.max_frames)
    track = analyze_frames(slots, src.info.fps, analyzer=FirstFrameResult(),
                           total=src.info.frame_count,
                           progress=lambda d, t: progress(d, t) if d % 250 == 0 else None)
print(json.dumps(dict(frames=len(track), valid=int(track.valid.sum()),
                      peak_rss_mb=round(rss_mb(), 1),
                      samples=samples, seconds=round(time.perf_counter() - t0, 1))))
"""


def make_video(path: Path, seconds: float) -> Path:
    if not path.exists():
        subprocess.run(
            [
                sys.executable,
                "-c",
                VIDEO_MAKER.format(bad=str(HERE / "data" / "bad")),
                str(path),
                str(seconds),
            ],
            check=True,
            timeout=1800,
        )
    return path


def measure_analysis(
    path: Path, mode: str, max_frames: int = 0, timeout: float = 1800
) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", ANALYSIS, str(path), mode, str(max_frames)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


BAKE = """
import bpy, moodrig, numpy as np, time
from pathlib import Path
from moodrig import api
from moodrig.core.painter import paint_face, DEFAULT_STYLE
from moodrig.core.demo_timeline import scripted_track

class PainterEditor:
    model_id = "painter-ground-truth"
    takes_source = False
    resolution = {size}  # the painter draws at the texture's own size
    def edit(self, textures, vectors):
        return np.stack([paint_face(DEFAULT_STYLE, v, textures.shape[1]) for v in vectors])

folder = Path({folder!r})
bpy.ops.wm.read_factory_settings(use_empty=True)
moodrig.register()
bpy.ops.moodrig.add_demo_character(texture_size={size})
bpy.ops.wm.save_as_mainfile(filepath=str(folder / "scene.blend"))
track = scripted_track(fps=24.0, seconds={seconds})
if {varied}:
    # A restless face: every expression parameter random-walks, so most frames need a new
    # texture (the scripted demo repeats a few dozen expressions).
    from moodrig.core.track import ExpressionTrack
    rng = np.random.default_rng(7)
    walk = np.cumsum(rng.normal(0.0, 0.03, (len(track), 8)), axis=0)
    expr = (0.5 + 0.45 * np.sin(walk)).astype(np.float32)
    track = ExpressionTrack(track.fps, expr, track.head, track.valid)
def hwm_mb():
    line = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
    return int(line.split()[1]) / 1024
base = hwm_mb()
on_disk = []
def progress(p):
    cache = folder / "moodrig-textures" / "scene" / "moodrig_DemoFace" / "cache"
    on_disk.append([p.stage, len(list(cache.glob("*.png")))])
t0 = time.perf_counter()
source = {source!r}
if source:  # the whole job: the video analysed, the shipped AMEE-GAN, the behavior, the writes
    res = api.bake(None, "moodrig_DemoFace", "moodrig_DemoRig",
                   api.BakeRequest(source=source, seed=1, device="cpu"), progress=progress)
else:
    res = api.bake(None, "moodrig_DemoFace", "moodrig_DemoRig", api.BakeRequest(seed=1),
                   track=track, editor=PainterEditor(), progress=progress)
wall = time.perf_counter() - t0
bpy.ops.wm.save_mainfile()
report(dict(frames=res.n_frames, distinct=res.distinct_textures, texture_bytes=res.texture_bytes,
            peak_rss_mb=round(hwm_mb(), 1),
            rss_before_bake_mb=round(base, 1), seconds=round(wall, 1), on_disk=on_disk,
            blend_mb=round((folder / "scene.blend").stat().st_size / 2**20, 1)))
"""


def measure_bake(
    folder: Path, seconds: float, size: int = 128, varied: bool = False, source: Path | None = None
) -> dict[str, Any]:
    """Peak RSS of a bake in bpy: a scripted track with the painter double, or (``source``) a
    video through the whole real job."""
    from bpy_runner import run_bpy

    script = BAKE.format(
        folder=str(folder), seconds=seconds, size=size, varied=varied, source=str(source or "")
    )
    out: dict[str, Any] = run_bpy(script, timeout=4 * 3600)
    return out


@pytest.mark.slow
def test_one_minute_of_video_streams_through_analysis_in_bounded_memory(tmp_path: Path) -> None:
    video = make_video(tmp_path / "one_minute.mp4", 60)
    real = measure_analysis(video, "real", max_frames=40)
    assert real["frames"] == 40 and real["valid"] == 40
    (_, first), (_, last) = real["samples"][0], real["samples"][-1]
    assert last - first < 40, f"RSS grew {last - first:.0f} MB over {real['samples']}"
    stream = measure_analysis(video, "stream")
    assert stream["frames"] == 1500 and stream["valid"] == 1500
    assert stream["peak_rss_mb"] < real["peak_rss_mb"] + 100, (stream, real)
    print(json.dumps(dict(real=real, stream=stream)))


REPEATED = """
import gc, sys
from moodrig.core.face import analyze_video
from moodrig.core.errors import InputError
def current_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
rss = []
for i in range(8):
    try:
        analyze_video(sys.argv[1])
    except InputError:
        pass
    gc.collect()
    rss.append(round(current_mb()))
print(rss)
"""


@pytest.mark.slow
def test_repeated_analysis_calls_do_not_accumulate_memory(tmp_path: Path) -> None:
    """A pipeline analyses thousands of files in one process. Found: every ``analyze_video``
    call builds a new FaceAnalyzer and ~10 MB stays resident afterwards (16 calls on an empty
    file: 285 → 431 MB), even when the file is refused before any frame is read."""
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    proc = subprocess.run(
        [sys.executable, "-c", REPEATED, str(empty)], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    rss = json.loads(proc.stdout.strip().splitlines()[-1])
    assert rss[-1] - rss[2] < 20, f"resident MB after each call: {rss}"


@pytest.mark.blender
@pytest.mark.slow
def test_one_minute_bake_flushes_textures_as_it_goes_in_bounded_memory(tmp_path: Path) -> None:
    r = measure_bake(tmp_path, 60, size=64, varied=True)
    assert r["frames"] == 60 * 24 and r["distinct"] > 200
    counts = [n for stage, n in r["on_disk"] if stage.startswith("textures")]
    assert (
        len(counts) >= 3 and counts == sorted(counts) and counts[0] < counts[-1] == r["distinct"]
    ), "textures land on disk batch by batch, not at the end"
    assert r["peak_rss_mb"] - r["rss_before_bake_mb"] < 512, r
    print(json.dumps({k: v for k, v in r.items() if k != "on_disk"}))


def main() -> None:
    """Sections by flag: analysis (default; ``--whole`` adds every frame analysed for real),
    ``--bake`` (painter-double bakes), ``--bake-video`` (1/5-min videos, whole real bake)."""
    import tempfile

    work = Path(tempfile.mkdtemp(prefix="moodrig-memory-"))
    results: dict[str, Any] = {}
    flags = set(sys.argv[1:])
    sections = flags & {"--bake", "--bake-video"} or {"--analysis", "--bake"}

    def record(key: str, r: dict[str, Any]) -> None:
        if "on_disk" in r:
            r["on_disk"] = r["on_disk"][:: max(1, len(r["on_disk"]) // 12)]
        results[key] = r
        print(json.dumps({key: r}), flush=True)

    for minutes in (1, 10, 30) if "--analysis" in sections else ():
        t0 = time.perf_counter()
        video = make_video(work / f"{minutes}min.mp4", minutes * 60)
        r = dict(
            file_mb=round(video.stat().st_size / 2**20, 1),
            make_s=round(time.perf_counter() - t0, 1),
            real=measure_analysis(video, "real", max_frames=60),
            stream=measure_analysis(video, "stream"),
        )
        if "--whole" in flags:
            r["whole"] = measure_analysis(video, "real", timeout=4 * 3600)
        record(f"analysis_{minutes}min", r)
    for minutes, varied in (
        ((1, False), (5, False), (1, True), (5, True)) if "--bake" in sections else ()
    ):
        folder = work / (f"bake_{minutes}min" + ("_varied" if varied else ""))
        folder.mkdir()
        record(folder.name, measure_bake(folder, minutes * 60, size=128, varied=varied))
    for minutes in (1, 5) if "--bake-video" in sections else ():
        folder = work / f"bake_video_{minutes}min"
        folder.mkdir()
        video = make_video(work / f"{minutes}min.mp4", minutes * 60)
        record(folder.name, measure_bake(folder, minutes * 60, size=256, source=video))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
