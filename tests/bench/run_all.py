"""`make bench`: run the benchmark workers (each in its own process), write bench/results.json
and the table bench/RESULTS.md.

    python tests/bench/run_all.py                     # everything, default repeats
    python tests/bench/run_all.py --quick             # smoke test: tiny repeat counts
    python tests/bench/run_all.py --only amee bpfa    # re-run some sections, keep the others
    python tests/bench/run_all.py --render            # only rebuild RESULTS.md from results.json

Sections: face, cascade, amee, bpfa, keyframes, shapekeys, profile, e2e, scaling, batch,
contention, truth, gpu (where CUDA exists; else it records why it did not run), coldstart,
faceedit (the face editor against AMEE-GAN on a face region; where its weights are not in the
weights folder it records why it did not run).
Each section is stored with the time it ran, its settings, the load average and the training
processes seen on the machine, so a table merged from several runs says when and under what
load every figure was taken.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from common import CACHE, REPO, machine_info, other_load, run_worker

OUT_JSON = REPO / "bench" / "results.json"
OUT_MD = REPO / "bench" / "RESULTS.md"
MP_VENV = REPO / ".venv-bench-mp"
MP_PY = MP_VENV / "bin" / "python"
SECTIONS = [
    "face",
    "cascade",
    "amee",
    "bpfa",
    "keyframes",
    "shapekeys",
    "profile",
    "e2e",
    "scaling",
    "batch",
    "contention",
    "truth",
    "gpu",
    "coldstart",
    "faceedit",
]

SETTINGS = {
    "full": {
        "face_frames": 240,
        "face_repeats": 5,
        "cascade_frames": 96,
        "cascade_repeats": 5,
        "amee_repeats": 7,
        "bpfa_repeats": 7,
        "bpfa_steps": 200_000,
        "kf_repeats": 5,
        "kf_insert_repeats": 3,
        "sk_repeats": 5,
        "sk_insert_repeats": 3,
        "e2e_repeats": 3,
        "scaling": [[60, 1], [300, 1]],
        "profile_frames": 48,
        "batch": {"jobs": 8, "seconds": 10, "texture": 512, "repeats": 1},
        "contention_busy": [0, 2, 4],
        "contention_frames": 240,
        "contention_rounds": 3,
        "truth_people": 6,
        "gpu_repeats": 3,
        "coldstart_repeats": 7,
        "faceedit_sizes": [1024, 2048, 4096],
        "faceedit_threads": [1, 2],
        "faceedit_repeats": 5,
    },
    "quick": {
        "face_frames": 24,
        "face_repeats": 2,
        "cascade_frames": 12,
        "cascade_repeats": 2,
        "amee_repeats": 1,
        "bpfa_repeats": 2,
        "bpfa_steps": 20_000,
        "kf_repeats": 2,
        "kf_insert_repeats": 1,
        "sk_repeats": 2,
        "sk_insert_repeats": 1,
        "e2e_repeats": 1,
        "scaling": [[10, 1]],
        "profile_frames": 12,
        "batch": {"jobs": 4, "seconds": 2, "texture": 64, "repeats": 1},
        "contention_busy": [0, 2],
        "contention_frames": 24,
        "contention_rounds": 1,
        "truth_people": 1,
        "gpu_repeats": 1,
        "coldstart_repeats": 2,
        "faceedit_sizes": [1024, 2048, 4096],
        "faceedit_threads": [1, 2],
        "faceedit_repeats": 1,
    },
}


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def ensure_mp_venv() -> str:
    """The throwaway venv with mediapipe 0.10.21 (never moodrig's .venv)."""
    ok = (
        MP_PY.exists()
        and subprocess.run([str(MP_PY), "-c", "import mediapipe"], capture_output=True).returncode
        == 0
    )
    if not ok:
        print("bench: creating .venv-bench-mp with mediapipe==0.10.21", flush=True)
        subprocess.run(["python3.11", "-m", "venv", str(MP_VENV)], check=True)
        extra = (
            ["--find-links", str(REPO / "build" / "mediapipe")]
            if (REPO / "build" / "mediapipe").is_dir()
            else []
        )
        subprocess.run(
            [str(MP_PY), "-m", "pip", "install", "-q", *extra, "mediapipe==0.10.21", "numpy<2"],
            check=True,
        )
    return str(MP_PY)


def med(d: dict[str, Any]) -> float:
    return float(d["median"])


def face_pass(s: dict[str, Any], *extra: str) -> dict[str, Any]:
    """moodrig's tracking pass over the bench clip (``bench_face.py --what landmarks``)."""
    args = ["--frames", str(s["face_frames"]), "--repeats", str(s["face_repeats"]), *extra]
    return run_worker(["tests/bench/bench_face.py", "--what", "landmarks", *args])


def section_face(s: dict[str, Any]) -> dict[str, Any]:
    frames = CACHE / "face_frames.npy"
    crops = CACHE / "face_crops.npy"
    ours = face_pass(s, "--dump", str(frames), "--dump-crops", str(crops))
    # the same pass with one frame per Face Mesh call, side by side
    one_by_one = face_pass(s, "--no-stages", "--track-batch", "1")
    mp = run_worker(
        [
            "tests/bench/mp_facemesh.py",
            str(frames),
            "--repeats",
            str(s["face_repeats"]),
            "--stages",
        ],
        python=ensure_mp_venv(),
    )
    n = mp["frames"]
    mp["fps"] = _rate(mp["seconds"], n)
    mp["blazeface_fps"] = _rate(mp["blazeface_seconds"], n)
    litert = litert_mesh(crops, s["face_repeats"])
    ours2 = face_pass(s) if s.get("face_twice") else None
    out = {
        "moodrig": ours,
        "mediapipe": mp,
        "litert": litert,
        "moodrig_again": ours2,
        "moodrig_frame_by_frame": one_by_one,
        "ratio": med(ours["fps"]) / med(mp["fps"]),
        "ratio_batched": med(ours["fps"]) / med(one_by_one["fps"]),
        "ratio_blazeface": med(ours["blazeface_fps"]) / med(mp["blazeface_fps"]),
        "ratio_facemesh_stage": med(ours["facemesh_stage_fps"]) / med(mp["fps"]),
    }
    if litert is not None:
        out["ratio_facemesh_net"] = med(ours["facemesh_net_calls_per_s"]) / litert["calls_per_s"]
    return out


def litert_mesh(crops: Path, repeats: int) -> dict[str, Any] | None:
    """MediaPipe's face_landmark.tflite in the LiteRT interpreter (XNNPACK, 1 thread) on the
    same input tensors as moodrig's network alone; None without .venv-parity and the wheel."""
    py = REPO / ".venv-parity" / "bin" / "python"
    wheels = sorted((REPO / "build" / "mediapipe").glob("mediapipe-0.10.21-*.whl"))
    if not py.exists() or not wheels or not crops.exists():
        return None
    import tempfile
    import zipfile

    import numpy as np

    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "face_landmark.tflite"
        with zipfile.ZipFile(wheels[0]) as zf:
            model.write_bytes(zf.read("mediapipe/modules/face_landmark/face_landmark.tflite"))
        out = Path(tmp) / "o.npz"
        subprocess.run(
            [
                str(py),
                "weights_tools/mediapipe_litert_run.py",
                str(model),
                str(crops),
                str(out),
                "--repeat",
                str(max(2, repeats)),
                "--threads",
                "1",
            ],
            check=True,
            capture_output=True,
            cwd=REPO,
        )
        with np.load(out) as z:
            sec = float(z["seconds_per_call"])
    return {"seconds_per_call": sec, "calls_per_s": 1.0 / sec, "threads": 1}


def _busy() -> subprocess.Popen[bytes]:
    """One CPU-bound process (a Python spin loop), as a render or another job would be."""
    return subprocess.Popen(
        [sys.executable, "-c", "while True: pass"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def section_contention(s: dict[str, Any]) -> dict[str, Any]:
    """The tracking pass beside 0, 2 and 4 busy processes started here, moodrig and mediapipe
    alternating under the same load (each in its own process, single pass per worker call)."""
    frames = CACHE / "contention_frames.npy"
    run_worker(
        [
            "tests/bench/bench_face.py",
            "--what",
            "landmarks",
            "--frames",
            str(s["contention_frames"]),
            "--repeats",
            "1",
            "--dump",
            str(frames),
        ]
    )
    mp_py = ensure_mp_venv()
    out: dict[str, Any] = {"frames": s["contention_frames"], "levels": {}}
    for n_busy in s["contention_busy"]:
        procs = [_busy() for _ in range(n_busy)]
        try:
            time.sleep(1.0)
            ours: list[float] = []
            theirs: list[float] = []
            cores: dict[str, list[float]] = {"moodrig": [], "mediapipe": []}
            info: dict[str, Any] = {}
            for _ in range(s["contention_rounds"]):
                o = run_worker(
                    [
                        "tests/bench/bench_face.py",
                        "--what",
                        "landmarks",
                        "--frames",
                        str(s["contention_frames"]),
                        "--repeats",
                        "2",
                        "--no-stages",
                    ]
                )
                m = run_worker(
                    ["tests/bench/mp_facemesh.py", str(frames), "--repeats", "2"], python=mp_py
                )
                ours += o["fps"]["samples"]
                theirs += [m["frames"] / t for t in m["seconds"]]
                cores["moodrig"].append(o["cores_used"])
                cores["mediapipe"].append(m["cores_used"])
                info = {
                    "pipelined_used": o["pipelined_used"],
                    "free_cores_at_start": o["free_cores_at_start"],
                }
            load = os.getloadavg()[0]
        finally:
            for p in procs:
                p.kill()
                p.wait()
        from common import stats

        out["levels"][str(n_busy)] = {
            "moodrig_fps": stats(ours),
            "mediapipe_fps": stats(theirs),
            "ratio": med(stats(ours)) / med(stats(theirs)),
            "moodrig_cores": sum(cores["moodrig"]) / len(cores["moodrig"]),
            "mediapipe_cores": sum(cores["mediapipe"]) / len(cores["mediapipe"]),
            "loadavg_end": load,
            **info,
        }
    return out


def _rate(seconds: list[float], units: float) -> dict[str, Any]:
    from common import rate_stats

    return rate_stats(seconds, units)


def section_cascade(s: dict[str, Any]) -> dict[str, Any]:
    return run_worker(
        [
            "tests/bench/bench_face.py",
            "--what",
            "cascade",
            "--frames",
            str(s["cascade_frames"]),
            "--repeats",
            str(s["cascade_repeats"]),
        ]
    )


def section_amee(s: dict[str, Any]) -> dict[str, Any]:
    return run_worker(["tests/bench/bench_amee.py", "--repeats", str(s["amee_repeats"])])


def section_bpfa(s: dict[str, Any]) -> dict[str, Any]:
    return run_worker(
        [
            "tests/bench/bench_bpfa.py",
            "--repeats",
            str(s["bpfa_repeats"]),
            "--steps",
            str(s["bpfa_steps"]),
        ]
    )


def section_keyframes(s: dict[str, Any]) -> dict[str, Any]:
    return run_worker(
        [
            "tests/bench/bench_keyframes.py",
            "--frames",
            "240",
            "2400",
            "--repeats",
            str(s["kf_repeats"]),
            "--insert-repeats",
            str(s["kf_insert_repeats"]),
        ]
    )


def section_shapekeys(s: dict[str, Any]) -> dict[str, Any]:
    return run_worker(
        [
            "tests/bench/bench_shapekeys.py",
            "--frames",
            "240",
            "--repeats",
            str(s["sk_repeats"]),
            "--insert-repeats",
            str(s["sk_insert_repeats"]),
        ]
    )


def section_e2e(s: dict[str, Any]) -> dict[str, Any]:
    runs = [
        run_worker(["tests/bench/bench_e2e.py", "--seconds", "10"]) for _ in range(s["e2e_repeats"])
    ]
    return {"runs": runs}


def section_scaling(s: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for seconds, reps in s["scaling"]:
        out[str(seconds)] = [
            run_worker(["tests/bench/bench_e2e.py", "--seconds", str(seconds)], timeout=4 * 3600)
            for _ in range(reps)
        ]
        print(f"bench: scaling {seconds} s clip done ({now()})", flush=True)
    return out


def save_section(
    jpath: Path, name: str, entry: dict[str, Any], machine: dict[str, Any]
) -> dict[str, Any]:
    """Merge one section into the file as it is on disk now (several runs may add sections).
    Scaling results merge per clip length, so 60 s and 300 s can be measured in separate runs."""
    data: dict[str, Any] = json.loads(jpath.read_text()) if jpath.is_file() else {"sections": {}}
    data["machine"] = machine
    old = data["sections"].get(name)
    if name == "scaling" and old is not None and not set(old["result"]) <= set(entry["result"]):
        merged = {**old["result"], **entry["result"]}
        runs_info = {
            **old.get("runs_info", {old["started"]: old["load_before"]}),
            entry["started"]: entry["load_before"],
        }
        entry = {
            **entry,
            "result": merged,
            "runs_info": runs_info,
            "started": min(old["started"], entry["started"]),
            "load_before": old["load_before"]
            if old["load_before"]["training_processes"]
            else entry["load_before"],
        }
    data["sections"][name] = entry
    jpath.parent.mkdir(parents=True, exist_ok=True)
    tmp = jpath.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    tmp.replace(jpath)
    return data


def section_profile(s: dict[str, Any]) -> dict[str, Any]:
    """Where the misses spend their time (face tracking pass, AMEE-GAN 128 px batch 16)."""
    return {
        "face": run_worker(["tests/bench/profile_face.py", "--frames", str(s["profile_frames"])]),
        "amee": run_worker(["tests/bench/profile_amee.py"]),
    }


def section_batch(s: dict[str, Any]) -> dict[str, Any]:
    """``moodrig batch``: 1 worker against 2, and a local Ray head against the pool."""
    b = s["batch"]
    return run_worker(
        [
            "tests/bench/bench_batch.py",
            "--jobs",
            str(b["jobs"]),
            "--seconds",
            str(b["seconds"]),
            "--texture",
            str(b["texture"]),
            "--repeats",
            str(b["repeats"]),
        ],
        timeout=4 * 3600,
    )


def section_coldstart(s: dict[str, Any]) -> dict[str, Any]:
    """One photo from a fresh process: ``python -m moodrig.core.face analyze photo.jpg``."""
    return run_worker(["tests/bench/bench_coldstart.py", "--repeats", str(s["coldstart_repeats"])])


def section_truth(s: dict[str, Any]) -> dict[str, Any]:
    """Analysis, behavior onsets and texture changes against clips with known change times."""
    return run_worker(["tests/bench/bench_truth.py", "--people", str(s["truth_people"])])


GPU_FRAMES_PER_S = 90.0
"""The paper's anchor: a 240-frame clip from video to baked .blend at more than 90 frames/s on
one GPU."""


def section_gpu(s: dict[str, Any]) -> dict[str, Any]:
    """The whole bake on one CUDA GPU (every network there), 10 s at 24 fps = 240 frames, video
    to saved .blend, after a warm-up bake in the same process; the CPU on the same machine
    beside it. Where there is no CUDA GPU the section records why it did not run."""
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import torch; print(torch.cuda.is_available() and "
            "torch.cuda.get_device_name(0) or '')",
        ],
        capture_output=True,
        text=True,
    )
    gpu = probe.stdout.strip()
    if probe.returncode != 0 or not gpu:
        return {
            "skipped": "no CUDA GPU on this machine (torch.cuda.is_available() is False)",
            "target_frames_per_s": GPU_FRAMES_PER_S,
        }
    args = ["tests/bench/bench_e2e.py", "--seconds", "10", "--warmup"]
    runs = [run_worker([*args, "--device", "cuda"]) for _ in range(s["gpu_repeats"])]
    cpu = run_worker([*args, "--device", "cpu"])
    return {"gpu": gpu, "runs": runs, "cpu": cpu, "target_frames_per_s": GPU_FRAMES_PER_S}


def section_faceedit(s: dict[str, Any]) -> dict[str, Any]:
    """The face editor at full resolution against AMEE-GAN on the same face region, one worker
    per texture size; its weights from moodrig's weights folder (MOODRIG_WEIGHTS_DIR or
    weights/), the section records why it did not run where they are not there."""
    from moodrig.core.paths import weights_dir

    folder = weights_dir()
    manifests = [
        folder / "appearance" / f"{n}.manifest.json" for n in ("face_editor", "face_locator")
    ]
    missing = [str(m) for m in manifests if not m.is_file()]
    if missing:
        return {"skipped": f"no face-editor weights ({', '.join(missing)} missing)"}
    args = [
        "tests/bench/bench_faceedit.py",
        "--threads",
        *(str(n) for n in s["faceedit_threads"]),
        "--repeats",
        str(s["faceedit_repeats"]),
        "--weights-dir",
        str(folder),
    ]
    sizes = {str(n): run_worker([*args, "--size", str(n)]) for n in s["faceedit_sizes"]}
    return {"weights_dir": str(folder), "sizes": sizes}


RUNNERS = {
    "profile": section_profile,
    "face": section_face,
    "cascade": section_cascade,
    "amee": section_amee,
    "bpfa": section_bpfa,
    "keyframes": section_keyframes,
    "shapekeys": section_shapekeys,
    "e2e": section_e2e,
    "scaling": section_scaling,
    "batch": section_batch,
    "contention": section_contention,
    "truth": section_truth,
    "gpu": section_gpu,
    "coldstart": section_coldstart,
    "faceedit": section_faceedit,
}


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--only", nargs="+", choices=SECTIONS, default=None)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--render", action="store_true")
    ap.add_argument("--json", default=str(OUT_JSON))
    ap.add_argument("--md", default=str(OUT_MD))
    ap.add_argument(
        "--scaling-seconds",
        type=int,
        nargs="+",
        default=None,
        help="clip lengths of the scaling section",
    )
    a = ap.parse_args()
    jpath, mpath = Path(a.json), Path(a.md)
    data: dict[str, Any] = json.loads(jpath.read_text()) if jpath.is_file() else {"sections": {}}
    if not a.render:
        from make_clips import make_clip

        settings = dict(SETTINGS["quick" if a.quick else "full"])
        if a.scaling_seconds:
            settings["scaling"] = [[x, 1] for x in a.scaling_seconds]
        make_clip(10)
        data["machine"] = machine_info()
        for name in a.only or SECTIONS:
            load = other_load()
            print(
                f"bench: {name} ({now()}, load {load['loadavg'][0]:.1f}, "
                f"{len(load['training_processes'])} training processes)",
                flush=True,
            )
            started = now()
            result = RUNNERS[name](settings)
            entry = {
                "started": started,
                "finished": now(),
                "mode": "quick" if a.quick else "full",
                "settings": settings,
                "load_before": load,
                "load_after": other_load(),
                "result": result,
            }
            data = save_section(jpath, name, entry, data["machine"])
            print(f"bench: {name} done ({now()})", flush=True)
    from report import render

    mpath.write_text(render(data))
    shown = jpath.relative_to(REPO) if jpath.is_relative_to(REPO) else jpath
    print(f"bench: wrote {shown} and {mpath}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    os.chdir(REPO)
    main()
