"""``moodrig batch`` without Blender: job files (CSV and JSON) read into jobs, every problem of
a file found before anything runs, the status file, and the outputs' temporary names."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest

from moodrig.core.batch import outputs
from moodrig.core.batch.checks import check_batch
from moodrig.core.batch.jobs import Job, JobFileError, columns, job_hash, parse_jobs, read_rows
from moodrig.core.batch.run import BatchOptions, format_summary, plan_batch
from moodrig.core.batch.status import BatchStatus, exclusive
from moodrig.core.errors import MoodrigError
from moodrig.core.request import BakeRequest, request_options

OBJECTS = {"Face", "Rig", "Body"}
HEAD = "scene,demo_timeline,face,armature,out,seed"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "scene.blend").write_bytes(b"BLENDER-v500")
    (tmp_path / "other.blend").write_bytes(b"BLENDER-v500")
    (tmp_path / "clip.mp4").write_bytes(b"\x00" * 16)
    (tmp_path / "shots").mkdir()
    (tmp_path / "shots" / "behaviors.yaml").write_text("{}")
    return tmp_path


def jobs_of(path: Path) -> list[Job]:
    jobs, problems = parse_jobs(path.resolve(), read_rows(path))
    assert problems == []
    return jobs


def plan(path: Path, **options: object) -> object:
    return plan_batch(path, BatchOptions(**options), lambda scene: OBJECTS)  # type: ignore[arg-type]


def problems_of(path: Path) -> list[str]:
    with pytest.raises(JobFileError) as err:
        plan(path)
    lines = err.value.lines
    assert all("\n" not in line and line.startswith(f"{path.resolve()}: ") for line in lines)
    return [line.split(": ", 1)[1] for line in lines]


def test_the_columns_are_the_bake_options() -> None:
    known = columns()
    for option in request_options():
        assert known[option.name] == option
    assert known["textures"].name == "texture_folder"  # type: ignore[union-attr]
    assert known["appearance"].name == "appearance_mode"  # type: ignore[union-attr]
    assert known["quant_step"].name == "quant_step"  # type: ignore[union-attr]
    # A switch's flag says the opposite of its field, so only the field is a column.
    assert "keep_frame_range" not in known and "base_not_neutral" not in known
    for name in ("scene", "face", "armature", "out", "demo_timeline"):
        assert known[name] is None


def test_csv_rows_become_jobs(folder: Path) -> None:
    (folder / "shots" / "jobs.csv").write_text(
        "Scene,source,face,armature,out,seed,quant-step,textures,device,set_frame_range,"
        "appearance,behaviors\n"
        "../scene.blend,../clip.mp4,Face,Rig,out/a.blend,3,0.1,,cpu,false,detailed,\n"
        f"{folder / 'other.blend'},../clip.mp4, Face ,Rig,out/b.blend,,,tex/b,,yes,,"
        "//shots/behaviors.yaml\n"
        ",,,,,,,,,,,\n"
    )
    a, b = jobs_of(folder / "shots" / "jobs.csv")
    assert (a.row, b.row) == (2, 3)
    assert a.scene == folder / "scene.blend" and a.request.source == folder / "clip.mp4"
    assert a.out == folder / "shots" / "out" / "a.blend"
    assert a.request.seed == 3 and a.request.quant_step == 0.1 and a.request.device == "cpu"
    assert a.request.set_frame_range is False and a.request.appearance_mode == "detailed"
    assert a.texture_folder == folder / "shots" / "out" / "moodrig-textures" / "a" / "Face"
    assert b.face == "Face" and b.request.seed == 0 and b.request.set_frame_range is True
    assert b.texture_folder == folder / "shots" / "tex" / "b"
    assert b.request.behaviors == folder / "shots" / "behaviors.yaml", "// is the scene's folder"
    assert Job.from_json(json.loads(json.dumps(a.to_json()))) == a


def test_json_jobs_take_native_values(folder: Path) -> None:
    jobs = [
        {
            "scene": "scene.blend",
            "demo_timeline": True,
            "face": "Face",
            "armature": "Rig",
            "out": "a.blend",
            "seed": 7,
            "bone_map": {"head": "Head", "neck": "Neck"},
            "quant_step": 0.2,
            "frame_start": None,
        }
    ]
    (folder / "jobs.json").write_text(json.dumps({"jobs": jobs}))
    (job,) = jobs_of(folder / "jobs.json")
    assert job.demo_timeline and job.request.seed == 7 and job.request.quant_step == 0.2
    assert dict(job.request.bone_map) == {"head": "Head", "neck": "Neck"}
    assert job.request.frame_start is None and job.row == 1
    assert Job.from_json(json.loads(json.dumps(job.to_json()))) == job


def row(
    scene: str = "scene.blend",
    out: str = "a.blend",
    *,
    face: str = "Face",
    seed: str = "1",
    extra: str = "",
) -> str:
    return f"{scene},true,{face},Rig,{out},{seed}{extra}\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            HEAD + "\n" + row("missing.blend"),
            ["row 2, field 'scene': ", "missing.blend does not exist"],
        ),
        (HEAD + "\n" + row(face="Fase"), ["row 2, field 'face': no object 'Fase' in scene.blend"]),
        (HEAD + "\n" + row() + row(seed="2"), ["row 3, field 'out': ", "also the output of row 2"]),
        (
            HEAD + "\n" + row() + "scene.blend,true,Face,Rig,b.blend,1,9\n",
            ["row 3: malformed CSV, 7 cells but the header has 6 columns"],
        ),
        (
            HEAD + '\nscene.blend,true,Face,Rig,"a.blend,1\n',
            ["malformed CSV (unexpected end of data)"],
        ),
        (
            "scene,demo_timeline,face,armature,out,sead\n" + row(),
            ["unknown column 'sead'; did you mean 'seed'?"],
        ),
        (
            HEAD + "\n" + row(seed="-1"),
            ["row 2, field 'seed': seed must be a whole number ≥ 0, got -1"],
        ),
        (HEAD + "\n" + row(seed="x"), ["row 2, field 'seed': not a whole number: 'x'"]),
        (HEAD + ",device\n" + row(extra=",tpu"), ["row 2, field 'device': unknown device 'tpu'"]),
        (
            "scene,demo_timeline,face,armature,out\nscene.blend,maybe,Face,Rig,a.blend\n",
            ["row 2, field 'demo_timeline': not true or false: 'maybe'"],
        ),
        (
            HEAD + ",source\n" + row(extra=",clip.mp4"),
            ["row 2, field 'source': give a source or demo"],
        ),
        ("scene,face,armature,out\nscene.blend,Face,Rig,a.blend\n", ["row 2: give a source"]),
        (
            "scene,source,face,armature,out\nscene.blend,nope.mp4,Face,Rig,a.blend\n",
            ["row 2, field 'source': ", "nope.mp4 does not exist"],
        ),
        (
            HEAD + "\n" + row(out="a.png"),
            ["row 2, field 'out': ", "a.png is not a .blend file name"],
        ),
        (
            "scene,demo_timeline,face,out\nscene.blend,true,Face,a.blend\n",
            ["row 2, field 'armature': missing"],
        ),
        (
            HEAD + ",textures\n" + row(extra=",tex") + row(out="b.blend", extra=",tex"),
            ["row 3, field 'texture_folder': ", "tex is also the texture folder of row 2"],
        ),
        (
            HEAD + ",textures\n" + row(extra=",tex") + row(out="b.blend", extra=",tex/inner"),
            ["row 2, field 'texture_folder': ", "tex holds the texture folder of row 3"],
        ),
        (
            HEAD + ",textures\n" + row(extra=",."),
            ["row 2, field 'texture_folder': ", "would hold", "(row 2); pick a folder of its own"],
        ),
        (
            HEAD + "\n" + row() + row(out="scene.blend"),
            ["row 3, field 'out': ", "is the scene of row 2"],
        ),
        (
            HEAD + ",textures,texture_folder\n" + row(extra=",a,b"),
            ["columns 'texture_folder' and 'textures' both set texture_folder"],
        ),
    ],
)
def test_a_bad_job_file_gets_one_line_per_problem(
    folder: Path, text: str, expected: list[str]
) -> None:
    (folder / "jobs.csv").write_text(text)
    found = problems_of(folder / "jobs.csv")
    assert any(all(e in line for e in expected) for line in found), found
    assert not (folder / "batch_status.json").exists()


def test_every_problem_of_a_file_is_listed(folder: Path) -> None:
    (folder / "jobs.csv").write_text(
        HEAD
        + "\n"
        + row(seed="-1")
        + row("missing.blend", "b.blend")
        + row(out="c.blend", face="Nope")
    )
    found = problems_of(folder / "jobs.csv")
    assert [line.split(",")[0] for line in found] == ["row 2", "row 3", "row 4"], found


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "jobs.json",
            "[{",
            "not valid JSON: Expecting property name enclosed in double quotes at line 1",
        ),
        ("jobs.json", '{"scene": "a"}', "a JSON job file is a list of jobs"),
        ("jobs.json", '[{"scene": "scene.blend"}, 3]', "row 2: a job is an object"),
        ("jobs.txt", "scene\n", "a job file is a .csv or a .json list"),
        ("jobs.csv", "\n\n", "no header row and no jobs"),
        ("jobs.csv", HEAD + "\n", "no jobs"),
    ],
)
def test_unreadable_job_files(folder: Path, name: str, text: str, expected: str) -> None:
    (folder / name).write_text(text)
    assert any(expected in line for line in problems_of(folder / name))


def test_outputs_and_folders_that_are_not_the_batchs_are_kept(folder: Path) -> None:
    (folder / "jobs.csv").write_text(
        HEAD + ",textures\n" + row(extra=",tex") + row(out="b.blend", extra=",t2")
    )
    (folder / "a.blend").write_bytes(b"the user's file")
    (folder / "t2").mkdir()
    (folder / "t2" / "notes.txt").write_text("mine")
    found = problems_of(folder / "jobs.csv")
    assert any(
        "row 2, field 'out'" in p and "exists and is not an output of this batch" in p
        for p in found
    ), found
    assert any(
        "row 3, field 'texture_folder'" in p
        and "holds files moodrig did not write (notes.txt)" in p
        for p in found
    ), found
    # The same output recorded by this batch's status file is the batch's to replace.
    (folder / "t2" / "notes.txt").unlink()
    jobs = jobs_of(folder / "jobs.csv")
    assert check_batch(jobs, {folder / "a.blend"}) == []


def test_the_status_file_says_what_is_done(folder: Path) -> None:
    (folder / "jobs.csv").write_text(HEAD + "\n" + row())
    (job,) = jobs_of(folder / "jobs.csv")
    digest = job_hash(job)
    assert job_hash(dataclasses.replace(job, row=9)) == digest, "the row is not part of the hash"
    reseeded = dataclasses.replace(job, request=dataclasses.replace(job.request, seed=2))
    assert job_hash(reseeded) != digest
    status = BatchStatus.load(folder / "batch_status.json")
    status.update(job, digest, folder / "jobs.csv", state="done", seconds=1.5)
    again = BatchStatus.load(folder / "batch_status.json")
    assert again.entry(job)["state"] == "done" and again.outputs() == {job.out}
    assert not again.is_done(job, digest), "no .blend and textures on disk: not done"
    job.out.write_bytes(b"blend")
    job.texture_folder.mkdir(parents=True)
    assert again.is_done(job, digest) and not again.is_done(job, job_hash(reseeded))
    job.texture_folder.rmdir()
    assert not again.is_done(job, digest)
    again.update(job, digest, folder / "jobs.csv", made_textures=False)  # shape keys only
    assert again.is_done(job, digest)
    job.texture_folder.mkdir()
    os.utime(job.scene, ns=(1, 1))  # the scene changed: the job runs again
    assert job_hash(job) != digest
    p = plan(folder / "jobs.csv")
    assert p.done == set() and p.to_run == [job]  # type: ignore[attr-defined]
    (folder / "batch_status.json").write_text("{broken")
    with pytest.raises(MoodrigError, match="not a moodrig batch status file"):
        BatchStatus.load(folder / "batch_status.json")


def test_a_status_file_serves_one_batch_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "batch_status.json"
    with (
        exclusive(path),
        pytest.raises(MoodrigError, match="another moodrig batch"),
        exclusive(path),
    ):
        pass
    with exclusive(path):  # released
        pass


def test_textures_are_published_whole(tmp_path: Path) -> None:
    folder, out = tmp_path / "tex", tmp_path / "a.blend"
    staging = outputs.staging_folder(folder)
    assert staging.name == ".tex.partial" and outputs.temporary_blend(out).name == ".a.blend.part"
    (staging / "cache").mkdir(parents=True)
    (staging / "cache" / "k1.png").write_bytes(b"1")
    outputs.publish(folder)
    assert not staging.exists() and (folder / "cache" / "k1.png").read_bytes() == b"1"
    assert outputs.foreign_entries(folder) == []
    # The next run starts from the published textures (hard links, no copies) …
    (tmp_path / ".a.blend.part").write_bytes(b"half a blend")
    (tmp_path / ".a.blend.part@").write_bytes(b"half a blend")
    assert outputs.prepare(folder, out) is False
    assert list(tmp_path.glob(".a.blend.part*")) == []
    assert (staging / "cache" / "k1.png").samefile(folder / "cache" / "k1.png")
    (staging / "sequence").mkdir()
    (staging / "sequence" / "frame_00001.png").write_bytes(b"1")
    # … and replaces them as a whole.
    outputs.publish(folder)
    assert sorted(p.name for p in folder.iterdir()) == ["cache", "sequence"]
    assert not outputs.retired_folder(folder).exists()
    # Killed between publish()'s two renames: the old folder comes back, the staging one stays.
    os.replace(folder, outputs.retired_folder(folder))
    staging.mkdir()
    assert outputs.prepare(folder, out) is True
    assert (folder / "sequence" / "frame_00001.png").is_file()
    assert not outputs.retired_folder(folder).exists()
    (folder / "render.png").write_bytes(b"")
    assert outputs.foreign_entries(folder) == ["render.png"]
    outputs.discard(folder)  # a bake without textures drops its staging folder
    assert not staging.exists() and (folder / "cache").is_dir()


def test_the_summary_table(tmp_path: Path) -> None:
    rows = [
        {
            "row": 2,
            "state": "done",
            "out": tmp_path / "a.blend",
            "seconds": 3.25,
            "frames": 80,
            "textures": 17,
            "attempts": 2,
            "error": None,
        },
        {
            "row": 3,
            "state": "failed",
            "out": tmp_path / "b.blend",
            "seconds": None,
            "frames": None,
            "textures": None,
            "attempts": 1,
            "error": "no object 'X'",
        },
        {
            "row": 4,
            "state": "skipped",
            "out": tmp_path / "c.blend",
            "seconds": 1.0,
            "frames": 80,
            "textures": 9,
            "attempts": 1,
            "error": None,
        },
    ]
    text = format_summary(rows)
    lines = text.splitlines()
    assert lines[0].split() == [
        "row",
        "state",
        "time",
        "frames",
        "textures",
        "tries",
        "out",
        "error",
    ]
    assert lines[1].split()[:6] == ["2", "done", "3.2", "s", "80", "17"]
    assert lines[2].endswith("no object 'X'")
    assert lines[-1] == "moodrig batch: 1 done, 1 failed, 1 skipped"


def test_requests_survive_the_trip_to_a_worker() -> None:
    request = BakeRequest(
        source="/a/clip.mp4", seed=4, bone_map={"head": "H"}, quant_step=0.1, texture_folder="/t"
    )
    from moodrig.core.batch.jobs import request_to_json

    assert BakeRequest(**json.loads(json.dumps(request_to_json(request)))) == request
