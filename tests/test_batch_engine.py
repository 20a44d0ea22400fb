"""The embedded batch engine with stand-in worker processes (no Blender): a job per process,
N at a time with their share of the threads, lost workers rerun, failures not, the status
file and the exit code."""

from __future__ import annotations

import importlib.util
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from moodrig.core.batch import ray_engine
from moodrig.core.batch.local import default_threads, default_workers
from moodrig.core.batch.run import BatchOptions, execute, exit_code, plan_batch
from moodrig.core.batch.worker import classify
from moodrig.core.errors import MoodrigError

# Stands in for `python -m moodrig batch-job SPEC`: the job's seed says how it ends.
WORKER = textwrap.dedent("""
    import json, os, signal, sys, time
    from pathlib import Path
    spec = json.loads(sys.argv[-1])
    job = spec["job"]
    seed = job["request"]["seed"]
    print("moodrig:  50.0% textures 1/2", file=sys.stderr, flush=True)
    marker = Path(f"killed-{seed}")
    if seed == 3 and not marker.exists():  # lost once, then fine
        marker.write_text("")
        os.kill(os.getpid(), signal.SIGKILL)
    if seed == 4:  # lost every time
        os.kill(os.getpid(), signal.SIGKILL)
    if seed == 2:
        print("MOODRIG_JOB:" + json.dumps({"error": "no object 'Fase' for the face"}))
        sys.exit(1)
    Path(job["out"]).parent.mkdir(parents=True, exist_ok=True)
    Path(job["out"]).write_bytes(b"blend")
    Path(job["request"]["texture_folder"]).mkdir(parents=True, exist_ok=True)
    print("MOODRIG_JOB:" + json.dumps({"frames": 80, "textures": seed, "seconds": 0.5,
                                        "resumed": False,
                                        "threads": [os.environ["OMP_NUM_THREADS"],
                                                    os.environ["MOODRIG_BATCH_THREADS"]],
                                        "cwd": os.getcwd()}))
""")


def batch(tmp_path: Path, seeds: list[int]) -> Path:
    (tmp_path / "scene.blend").write_bytes(b"BLENDER")
    (tmp_path / "worker.py").write_text(WORKER)
    rows = "".join(f"scene.blend,true,Face,Rig,out/s{s}.blend,{s}\n" for s in seeds)
    (tmp_path / "jobs.csv").write_text("scene,demo_timeline,face,armature,out,seed\n" + rows)
    return tmp_path / "jobs.csv"


def run(jobs: Path, **options: Any) -> tuple[Any, list[dict[str, Any]], dict[str, Any]]:
    plan = plan_batch(jobs, BatchOptions(**options), lambda scene: {"Face", "Rig"})
    rows = execute(plan, [sys.executable, str(jobs.parent / "worker.py")])
    status = json.loads((jobs.parent / "batch_status.json").read_text())
    return plan, rows, status


def test_jobs_run_in_workers_and_the_status_records_them(tmp_path: Path) -> None:
    jobs = batch(tmp_path, [1, 2, 3, 5])
    plan, rows, status = run(jobs, workers=2, threads=1, retries=2)
    assert plan.workers == 2 and plan.threads == 1
    by_row = {r["row"]: r for r in rows}
    assert [by_row[i]["state"] for i in (2, 3, 4, 5)] == ["done", "failed", "done", "done"]
    assert by_row[3]["error"] == "no object 'Fase' for the face" and by_row[3]["attempts"] == 1
    assert by_row[4]["attempts"] == 2, "the lost worker's job ran again"
    assert exit_code(rows) == 1
    entries = status["jobs"]
    assert status["counts"] == {"pending": 0, "running": 0, "done": 3, "failed": 1}
    done = entries[str(tmp_path / "out" / "s1.blend")]
    assert done["frames"] == 80 and done["worker"] is None and len(done["hash"]) == 32
    # Run again: the done jobs are skipped, the failed one runs again (and fails again).
    plan, rows, status = run(jobs, workers=2, threads=1)
    assert len(plan.done) == 3 and [j.row for j in plan.to_run] == [3]
    assert [r["state"] for r in rows] == ["skipped", "failed", "skipped", "skipped"]


def test_workers_get_their_share_of_the_threads_and_the_job_files_folder(tmp_path: Path) -> None:
    jobs = batch(tmp_path, [1])
    run(jobs, workers=1, threads=3)
    log = tmp_path / "batch_status.json"
    assert json.loads(log.read_text())["counts"]["done"] == 1
    from moodrig.core.batch.worker import run_worker

    outcome = run_worker(
        [sys.executable, str(tmp_path / "worker.py")],
        {
            "job": {
                "out": str(tmp_path / "x.blend"),
                "request": {"seed": 7, "texture_folder": str(tmp_path / "t")},
            }
        },
        threads=3,
        cwd=tmp_path,
    )
    assert outcome.state == "done" and outcome.result["threads"] == ["3", "3"]
    assert outcome.result["cwd"] == str(tmp_path)


def test_a_worker_lost_on_every_try_fails_the_job(tmp_path: Path) -> None:
    jobs = batch(tmp_path, [4, 1])
    _, rows, _ = run(jobs, workers=1, threads=1, retries=1)
    assert rows[0]["state"] == "failed" and rows[0]["attempts"] == 2
    assert rows[0]["error"] == "worker lost (killed by SIGKILL)"
    assert rows[1]["state"] == "done"


def test_what_a_workers_end_means() -> None:
    assert classify(0, {"frames": 3}, []).state == "done"
    assert classify(0, None, []).state == "lost"
    assert classify(1, {"error": "bad"}, []).error == "bad"
    failed = classify(1, None, ["Traceback", "KeyError: 'x'"])
    assert failed.state == "failed" and failed.error == "the worker failed: KeyError: 'x'"
    assert classify(-9, None, []).error == "worker lost (killed by SIGKILL)"
    assert classify(139, None, []).error == "worker lost (exit code 139)"


def test_default_workers_suit_the_cores_and_memory() -> None:
    gib = 1 << 30
    assert default_workers(6, 2, 16 * gib) == 2
    assert default_workers(1, 16, 64 * gib) == 1
    assert default_workers(8, 16, 3 * gib) == 3
    assert default_workers(8, 4, None) == 4
    assert default_workers(8, 4, gib // 2) == 1
    assert default_threads(2, 2) == 1 and default_threads(2, 16) == 8 and default_threads(4, 2) == 1


def test_without_ray_a_ray_batch_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a)
    )
    with pytest.raises(MoodrigError) as err:
        ray_engine.check_installed()
    assert str(err.value) == "Ray is not installed: pip install moodrig[ray]"
    assert ray_engine.job_argv()[1:] == ["-m", "moodrig", "batch-job"]
