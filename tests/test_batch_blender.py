"""``moodrig batch`` for real: worker processes with the bpy module, a local Ray cluster and an
in-process Ray, a worker killed mid-job, bad job files, and the Blender 3.4 binary.

Six small jobs (the demo character with a 64 px face texture, the scripted demo timeline at
8 fps: 80 frames) are baked once by six separate ``python -m moodrig bake`` runs; every batch
must give byte-identical texture files and identical keyframes.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import signal
import site
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from bpy_runner import bpy_available, run_bpy
from components import require_component
from ray_head import RAY_ENV, processes, ray_folder, ray_head

pytestmark = [pytest.mark.blender, pytest.mark.slow]
REPO = Path(__file__).resolve().parent.parent
FACE, RIG = "moodrig_DemoFace", "moodrig_DemoRig"
JOBS = [  # seed, appearance, quant_step, batch
    (1, "parameters", 0.05, 8),
    (2, "parameters", 0.1, 8),
    (3, "detailed", 0.1, 8),
    (4, "parameters", 0.05, 1),  # textures one per model call: the job the kill tests interrupt
    (5, "detailed", 0.05, 8),
    (6, "parameters", 0.2, 8),
]
KILLED = 3  # index in JOBS
HEADER = "scene,demo_timeline,face,armature,out,seed,appearance,quant_step,batch,device"
ENV = {**os.environ, "OMP_NUM_THREADS": "1", **RAY_ENV}

KEYFRAMES = """
import bpy, hashlib, numpy as np
from moodrig import anim_compat
out = {}
for path in PATHS:
    bpy.ops.wm.open_mainfile(filepath=path)
    rig = bpy.data.objects["moodrig_DemoRig"]
    bag = anim_compat.curve_container(rig, rig.animation_data.action)
    digest, keys = hashlib.sha256(), 0
    for fc in sorted(bag.fcurves, key=lambda f: (f.data_path, f.array_index)):
        co = np.empty(2 * len(fc.keyframe_points), np.float32)
        fc.keyframe_points.foreach_get("co", co)
        digest.update(f"{fc.data_path}[{fc.array_index}]".encode())
        digest.update(co.tobytes())
        keys += len(fc.keyframe_points)
    image = next(i for i in bpy.data.images if i.source == "SEQUENCE")
    out[path] = [digest.hexdigest(), keys, bpy.path.abspath(image.filepath),
                 bpy.context.scene.frame_end]
report(out)
"""


@dataclass
class Reference:
    root: Path
    scene: Path
    keyframes: list[list[Any]]
    """Per job: keyframe digest, key count, texture path in the .blend, last frame."""
    textures: list[dict[str, str]]
    """Per job: file (relative to the texture folder) → sha256."""


def _require_bpy() -> None:
    require_component(bpy_available(), "the bpy module (bpy==5.0.1)")


def _require_ray() -> None:
    require_component(importlib.util.find_spec("ray") is not None, "Ray (make installs .[ray])")


def files_of(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def keyframes(paths: list[Path]) -> dict[str, list[Any]]:
    return run_bpy(f"PATHS = {[str(p) for p in paths]!r}\n" + KEYFRAMES)  # type: ignore[no-any-return]


def leftovers(folder: Path) -> list[Path]:
    """Temporary names of the batch's atomic writes that are still on disk."""
    return [
        p
        for p in folder.rglob(".*")
        if p.name.endswith((".part", ".partial", ".old")) or ".part" in p.name
    ]


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo character (64 px face texture) in a scene at 8 fps."""
    _require_bpy()
    scene = tmp_path_factory.mktemp("scene") / "scene.blend"
    run_bpy(f"""
import bpy, moodrig
bpy.ops.wm.read_factory_settings(use_empty=True)
moodrig.register()
bpy.ops.moodrig.add_demo_character(texture_size=64)
bpy.context.scene.render.fps = 8
bpy.ops.wm.save_as_mainfile(filepath={str(scene)!r})
report(1)
""")
    return scene


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, scene: Path) -> Reference:
    """Each job baked alone by ``python -m moodrig bake`` (two such processes at a time)."""
    root = tmp_path_factory.mktemp("serial")
    commands = []
    for k, (seed, appearance, step, batch) in enumerate(JOBS):
        commands.append(
            [
                sys.executable,
                "-m",
                "moodrig",
                "bake",
                "--scene",
                str(scene),
                "--demo-timeline",
                "--face",
                FACE,
                "--armature",
                RIG,
                "--out",
                str(root / "serial" / f"s{k}.blend"),
                "--textures",
                str(root / "serial" / f"tex{k}"),
                "--seed",
                str(seed),
                "--appearance",
                appearance,
                "--quant-step",
                str(step),
                "--batch",
                str(batch),
                "--device",
                "cpu",
            ]
        )
    for pair in (commands[i : i + 2] for i in range(0, len(commands), 2)):  # two at a time
        procs = [
            subprocess.Popen(
                c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV, cwd=root
            )
            for c in pair
        ]
        for proc in procs:
            _, err = proc.communicate(timeout=600)
            assert proc.returncode == 0, err[-3000:]
    outs = [root / "serial" / f"s{k}.blend" for k in range(len(JOBS))]
    found = keyframes(outs)
    return Reference(
        root,
        scene,
        [found[str(p)] for p in outs],
        [files_of(root / "serial" / f"tex{k}") for k in range(len(JOBS))],
    )


def write_jobs(folder: Path, scene: Path, which: list[int] | None = None, fmt: str = "csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for k in which if which is not None else range(len(JOBS)):
        seed, appearance, step, batch = JOBS[k]
        rows.append(
            [
                str(scene),
                "true",
                FACE,
                RIG,
                f"out/s{k}.blend",
                str(seed),
                appearance,
                str(step),
                str(batch),
                "cpu",
            ]
        )
    if fmt == "json":
        path = folder / "jobs.json"
        path.write_text(json.dumps([dict(zip(HEADER.split(","), r, strict=True)) for r in rows]))
    else:
        path = folder / "jobs.csv"
        path.write_text(HEADER + "\n" + "".join(",".join(r) + "\n" for r in rows))
    return path


def batch(
    jobs: Path, *flags: str, env: dict[str, str] | None = None, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "moodrig", "batch", str(jobs), *flags],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or ENV,
        cwd=jobs.parent,
    )


def assert_same_as_serial(reference: Reference, folder: Path, which: list[int]) -> None:
    outs = [folder / "out" / f"s{k}.blend" for k in which]
    found = keyframes(outs)
    for k, out in zip(which, outs, strict=True):
        textures = folder / "out" / "moodrig-textures" / f"s{k}" / FACE
        digest, keys, image, frame_end = found[str(out)]
        ref_digest, ref_keys, _, ref_end = reference.keyframes[k]
        assert (digest, keys, frame_end) == (ref_digest, ref_keys, ref_end), f"job {k}: keyframes"
        assert 0 < keys < 0.3 * 19 * 3 * 80, "sparse keys"
        assert Path(image) == textures / "sequence" / "frame_00001.png", "the .blend's textures"
        assert files_of(textures) == reference.textures[k], f"job {k}: texture bytes"
    assert leftovers(folder) == []


def status_of(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "batch_status.json").read_text())  # type: ignore[no-any-return]


def test_the_embedded_batch_equals_serial_bakes(reference: Reference, tmp_path: Path) -> None:
    jobs = write_jobs(tmp_path, reference.scene)
    plan = batch(jobs, "--workers", "2", "--dry-run")
    assert plan.returncode == 0, plan.stderr[-3000:]
    assert "6 to run" in plan.stdout and plan.stdout.count(" run ") == 6
    assert not (tmp_path / "out").exists() and not (tmp_path / "batch_status.json").exists()
    proc = batch(jobs, "--workers", "2")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().endswith("moodrig batch: 6 done"), proc.stdout
    assert "moodrig batch: 100%" in proc.stderr  # the progress bar
    assert_same_as_serial(reference, tmp_path, list(range(len(JOBS))))
    status = status_of(tmp_path)
    assert status["counts"]["done"] == 6
    assert {e["attempts"] for e in status["jobs"].values()} == {1}
    again = batch(jobs, "--workers", "2")
    assert again.returncode == 0 and again.stdout.strip().endswith("6 skipped"), again.stdout


def kill_mid_job(folder: Path, proc: subprocess.Popen[str], k: int, *, parent: bool) -> None:
    """SIGKILL the worker of job ``k`` (or its parent, a Ray worker) once it has written some
    of its textures."""
    staging = folder / "out" / "moodrig-textures" / f"s{k}" / f".{FACE}.partial" / "cache"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the batch ended before the job was interrupted"
        workers = [
            (pid, ppid)
            for pid, ppid, cmd in processes()
            if "batch-job" in cmd and f"s{k}.blend" in cmd
        ]
        if workers and staging.is_dir() and any(staging.glob("*.png")):
            pid, ppid = workers[0]
            os.kill(ppid if parent else pid, signal.SIGKILL)
            return
        time.sleep(0.01)
    raise AssertionError("job was never seen running")


def test_a_killed_worker_reruns_its_job(reference: Reference, tmp_path: Path) -> None:
    which = [KILLED, 0, 1]
    jobs = write_jobs(tmp_path, reference.scene, which)
    proc = subprocess.Popen(
        [sys.executable, "-m", "moodrig", "batch", str(jobs), "--workers", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
        cwd=tmp_path,
    )
    kill_mid_job(tmp_path, proc, KILLED, parent=False)
    _, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err[-3000:]
    assert "worker lost (killed by SIGKILL); running it again (try 2 of 3)" in err
    entry = status_of(tmp_path)["jobs"][str(tmp_path / "out" / f"s{KILLED}.blend")]
    assert entry["state"] == "done" and entry["attempts"] == 2 and entry["resumed"] is True
    assert_same_as_serial(reference, tmp_path, which)


@pytest.fixture
def ray_tmp() -> Iterator[Path]:
    _require_ray()
    with ray_folder() as folder:
        yield folder


@pytest.fixture
def ray_cluster(tmp_path: Path, ray_tmp: Path) -> Iterator[str]:
    """A Ray head on 127.0.0.1 with 2 CPU slots (tests/ray_head.py)."""
    with ray_head(ray_tmp, tmp_path / "ray.log", cpus=2) as address:
        yield address


def test_a_ray_cluster_equals_serial_bakes_and_reruns_a_lost_task(
    reference: Reference, tmp_path: Path, ray_cluster: str, ray_tmp: Path
) -> None:
    jobs = write_jobs(tmp_path, reference.scene)
    env = {**ENV, "RAY_TMPDIR": str(ray_tmp)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "moodrig", "batch", str(jobs), "--ray", ray_cluster],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    kill_mid_job(tmp_path, proc, KILLED, parent=True)  # the Ray worker running the task
    out, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err[-3000:] + out[-2000:]
    assert out.strip().endswith("moodrig batch: 6 done"), out
    entry = status_of(tmp_path)["jobs"][str(tmp_path / "out" / f"s{KILLED}.blend")]
    assert entry["resumed"] is True, "the rerun task continued from the killed one's textures"
    assert_same_as_serial(reference, tmp_path, list(range(len(JOBS))))


def test_an_in_process_ray_equals_serial_bakes(
    reference: Reference, tmp_path: Path, ray_tmp: Path
) -> None:
    jobs = write_jobs(tmp_path, reference.scene, fmt="json")
    env = {**ENV, "RAY_TMPDIR": str(ray_tmp)}
    proc = batch(jobs, "--ray", "local", "--threads", "1", env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().endswith("moodrig batch: 6 done"), proc.stdout
    assert_same_as_serial(reference, tmp_path, list(range(len(JOBS))))


@pytest.mark.parametrize(
    ("name", "rows", "expected"),
    [
        (
            "missing scene",
            "MISSING,true,{face},{rig},out/a.blend,1,parameters,0.05,8,cpu\n",
            ["row 2, field 'scene': ", "missing.blend does not exist"],
        ),
        (
            "unknown object",
            "{scene},true,Fase,{rig},out/a.blend,1,parameters,0.05,8,cpu\n",
            [
                "row 2, field 'face': no object 'Fase' in scene.blend (objects: moodrig_DemoBody, "
                "moodrig_DemoFace, moodrig_DemoRig)"
            ],
        ),
        (
            "duplicate output",
            "{scene},true,{face},{rig},out/a.blend,1,parameters,0.05,8,cpu\n"
            "{scene},true,{face},{rig},out/a.blend,2,parameters,0.05,8,cpu\n",
            ["row 3, field 'out': ", "out/a.blend is also the output of row 2"],
        ),
        (
            "malformed CSV",
            "{scene},true,{face},{rig},out/a.blend,1,parameters,0.05,8,cpu\n"
            "{scene},true,{face},{rig},out/b.blend,2,parameters,0.05,8\n",
            ["row 3: malformed CSV, 9 cells but the header has 10 columns"],
        ),
    ],
)
def test_a_bad_job_file_runs_nothing(
    scene: Path, tmp_path: Path, name: str, rows: str, expected: list[str]
) -> None:
    jobs = tmp_path / "jobs.csv"
    text = rows.format(scene=scene, face=FACE, rig=RIG)
    jobs.write_text(HEADER + "\n" + text.replace("MISSING", str(tmp_path / "missing.blend")))
    proc = batch(jobs, timeout=300)
    assert proc.returncode == 2, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("moodrig: error: ")]
    assert len(errors) == 1, proc.stderr
    assert errors[0].startswith(f"moodrig: error: {jobs}: ")
    assert all(e in errors[0] for e in expected), errors[0]
    assert "moodrig: nothing was run" in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["jobs.csv"], name


def test_batch_inside_blender_3_4(tmp_path: Path) -> None:
    """``blender -b -P <addon>/cli.py -- batch JOBS``: the workers are Blender binaries too."""
    require_component(shutil.which("blender") is not None, "Debian's blender (`make system-deps`)")
    build = subprocess.run(
        [sys.executable, str(REPO / "build_addon.py"), "--out", str(tmp_path / "dist")],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr
    (zip_path,) = (tmp_path / "dist").glob("moodrig-*.zip")
    shutil.unpack_archive(zip_path, tmp_path / "addon")
    cli = tmp_path / "addon" / "moodrig" / "cli.py"
    env = {
        **ENV,
        "PYTHONPATH": site.getsitepackages()[0],
        "BLENDER_USER_SCRIPTS": str(tmp_path / "us"),
        "BLENDER_USER_CONFIG": str(tmp_path / "uc"),
    }
    scene = tmp_path / "scene34.blend"
    make = subprocess.run(
        [
            "blender",
            "-b",
            "--factory-startup",
            "--python-exit-code",
            "1",
            "--python-expr",
            f"import sys; sys.path.insert(0, {str(tmp_path / 'addon')!r}); import bpy, moodrig; "
            "moodrig.register(); bpy.ops.moodrig.add_demo_character(texture_size=64); "
            "bpy.context.scene.render.fps = 8; "
            f"bpy.ops.wm.save_as_mainfile(filepath={str(scene)!r})",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert make.returncode == 0 and scene.is_file(), make.stdout[-2000:] + make.stderr[-2000:]
    jobs = write_jobs(tmp_path / "shots", scene, [0, 1])
    proc = subprocess.run(
        [
            "blender",
            "-b",
            "--python-exit-code",
            "1",
            "-P",
            str(cli),
            "--",
            "batch",
            str(jobs),
            "--workers",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "moodrig batch: 2 done" in proc.stdout, proc.stdout[-3000:]
    for k in (0, 1):
        assert (tmp_path / "shots" / "out" / f"s{k}.blend").is_file()
        frames = list(
            (tmp_path / "shots" / "out" / "moodrig-textures" / f"s{k}" / FACE / "sequence").glob(
                "*.png"
            )
        )
        assert len(frames) == 80
    assert leftovers(tmp_path / "shots") == []
