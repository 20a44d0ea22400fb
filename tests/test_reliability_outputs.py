"""Output paths: checked before any work, replaced only when moodrig wrote them, never named
like a module; every command-line failure one line.

* The output corpus (tests/data/bad/output_corpus.py): every unwritable or occupied output of
  the bake, face and fine-tune command lines is refused in one line, exit 1, quickly, in
  little memory, with the workspace byte-identical afterwards. Read-only folders are real:
  ``chattr +i`` (root cannot write there either) and a folder the command, run as ``nobody``
  through ``setpriv``, has no permission to write.
* core/outputs.py without Blender: the overwrite policy (ledger, numbered backups), shadowing
  names, texture folders.
* core/failures.py: one line for every kind of failure, exit 1 / 2 / 130.
* With the bpy module: the bake command line run twice from the scene's folder, textures
  beside the output with a relative path, --overwrite keeping backups, Ctrl-C mid-bake.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from corpora import load_corpus
from test_pipeline_blender import _demo_scene, _require_bpy

from moodrig.core import failures, outputs
from moodrig.core.errors import InputError, OutputError

OC = load_corpus("output_corpus")


# --------------------------------------------------------------------------- the corpus


def _tools() -> None:
    from components import require_component

    for tool in ("chattr", "setpriv", "prlimit"):
        require_component(shutil.which(tool) is not None, f"{tool} (util-linux / e2fsprogs)")


@pytest.mark.parametrize("case", OC.CASES, ids=lambda c: c.name)
def test_output_corpus_case_is_refused_in_one_line_and_changes_nothing(case: Any) -> None:
    _tools()
    row = OC.run(case)
    assert row["problem"] == "", row
    assert (
        str(Path(OC.tempfile.gettempdir())) in row["message"]
        or "--stem" in row["message"]
        or "/proc/" in row["message"]
    ), f"the line names the path: {row}"


def test_output_corpus_covers_every_class() -> None:
    classes = {c.cls for c in OC.CASES}
    assert classes >= {
        "folder where a file should be",
        "file where a folder should be",
        "read-only",
        "existing user file",
        "shadowing name",
        "wrong kind",
        "one-line errors",
    }
    assert {c.command for c in OC.CASES} == {"bake", "face", "finetune"}
    assert any(c.as_nobody for c in OC.CASES), "a read-only folder by permission bits"
    names = [c.name for c in OC.CASES]
    assert len(names) == len(set(names)) >= 40


def test_the_immutable_folder_really_refuses_root(tmp_path: Path) -> None:
    """The corpus' read-only folders are not a make-believe: root cannot write into them."""
    _tools()
    ws = OC.Workspace(tmp_path / "ws")
    ws.root.mkdir()
    try:
        ro = ws.immutable(ws.folder("ro"))
        with pytest.raises(PermissionError):
            (ro / "x").write_bytes(b"")
    finally:
        ws.close()


# --------------------------------------------------------------------------- core/outputs.py


def test_a_user_file_is_replaced_only_with_overwrite_and_kept_as_numbered_backups(
    tmp_path: Path,
) -> None:
    target = tmp_path / "shot.blend"
    target.write_bytes(b"user 1")
    (tmp_path / "shot.1.blend").write_bytes(b"an older backup of the user's")
    with pytest.raises(OutputError, match="moodrig did not write it"):
        outputs.check_file(target)
    assert target.read_bytes() == b"user 1"
    plan = outputs.check_file(target, overwrite=True)
    assert plan.existing == "user"
    assert outputs.write_file(plan, b"moodrig 1") == tmp_path / "shot.2.blend"
    assert (tmp_path / "shot.2.blend").read_bytes() == b"user 1"
    assert (tmp_path / "shot.1.blend").read_bytes() == b"an older backup of the user's"
    # moodrig's own output is replaced without asking, and without a backup.
    plan = outputs.check_file(target)
    assert plan.existing == "moodrig"
    assert outputs.write_file(plan, b"moodrig 2") is None
    assert target.read_bytes() == b"moodrig 2"
    # Once the user changes it, it is the user's again.
    target.write_bytes(b"moodrig 2, edited by the user")
    with pytest.raises(OutputError, match="changed since"):
        outputs.check_file(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".moodrig-outputs.json",
        "shot.1.blend",
        "shot.2.blend",
        "shot.blend",
    ]


def test_a_file_that_appears_during_the_work_is_not_replaced(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    plan = outputs.check_file(target)
    target.write_bytes(b"written by someone else meanwhile")
    temporary = outputs.temporary_path(plan)
    temporary.write_bytes(b"moodrig")
    with pytest.raises(OutputError, match="appeared or changed"):
        outputs.commit(plan, temporary)
    assert target.read_bytes() == b"written by someone else meanwhile"
    assert not temporary.exists()


@pytest.mark.parametrize("ledger", [b"{", b"[]", b'{"files": 3}', b"\xff" * 10, b" " * (2 << 20)])
def test_a_damaged_ledger_only_makes_moodrig_ask(tmp_path: Path, ledger: bytes) -> None:
    target = tmp_path / "out.json"
    outputs.write_file(outputs.check_file(target), b"moodrig")
    (tmp_path / outputs.LEDGER).write_bytes(ledger)
    with pytest.raises(OutputError, match="moodrig did not write it"):
        outputs.check_file(target)
    assert target.read_bytes() == b"moodrig"


def test_a_backup_is_a_copy_where_hard_links_fail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "a.json"
    target.write_bytes(b"user")

    def no_links(*args: Any, **kwargs: Any) -> None:
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    assert (
        outputs.write_file(outputs.check_file(target, overwrite=True), b"new")
        == tmp_path / "a.1.json"
    )
    assert (tmp_path / "a.1.json").read_bytes() == b"user" and target.read_bytes() == b"new"


def test_names_that_would_shadow_a_module_in_the_working_folder(tmp_path: Path) -> None:
    for name in ("moodrig", "numpy", "torch", "json", "os"):
        with pytest.raises(OutputError, match=f"hides the Python module '{name}'"):
            outputs.check_folder(tmp_path / name, cwd=tmp_path)
    with pytest.raises(OutputError, match="'numpy'"):
        outputs.check_file(tmp_path / "numpy.py", cwd=tmp_path)
    with pytest.raises(OutputError, match="'moodrig'"):
        outputs.check_file(tmp_path / "moodrig" / "scene.blend", cwd=tmp_path)
    # Not identifiers, not modules, elsewhere, or already there: fine.
    for ok in ("moodrig-textures", "my_renders_2024", "Face", "textures.moodrig"):
        outputs.check_folder(tmp_path / ok, cwd=tmp_path)
    outputs.check_folder(tmp_path / "sub" / "numpy", cwd=tmp_path)
    (tmp_path / "torch").mkdir()
    outputs.check_folder(tmp_path / "torch", cwd=tmp_path)
    outputs.check_file(tmp_path / "json.blend", cwd=tmp_path)
    outputs.check_folder(tmp_path / "numpy", cwd=tmp_path / "elsewhere")


def test_the_default_texture_folder_is_no_identifier_and_stays_inside(tmp_path: Path) -> None:
    blend = tmp_path / "shot 010.blend"
    folder = outputs.default_texture_folder(blend, "Face/../../etc", tmp_path)
    assert folder.parent.parent == (tmp_path / outputs.TEXTURE_ROOT).resolve()
    assert folder.parent.name == "shot_010-" + folder.parent.name.split("-")[-1]
    assert not outputs.TEXTURE_ROOT.isidentifier()
    assert (
        outputs.default_texture_folder(None, "Face", tmp_path)
        == (tmp_path / outputs.TEXTURE_ROOT / "Face").resolve()
    )


def test_texture_folder_with_moodrig_files_only_is_accepted(tmp_path: Path) -> None:
    tex = tmp_path / "tex"
    (tex / "sequence").mkdir(parents=True)
    (tex / "cache").mkdir()
    (tex / "sequence" / "frame_00001.png").write_bytes(b"")
    (tex / "sequence" / ".frame_00002.png.part").write_bytes(b"")
    (tex / "cache" / ("ab" * 16 + ".png")).write_bytes(b"")
    (tex / "notes.txt").write_bytes(b"the user's, beside moodrig's folders: never touched")
    assert outputs.check_folder(tex).move_aside == ()
    (tex / "sequence" / "frame_00003.exr").write_bytes(b"")
    plan = outputs.check_folder(tex, overwrite=True)
    assert plan.move_aside == ("sequence",)
    (tex / "sequence.1").mkdir()
    assert outputs.prepare(plan) == [tex / "sequence.2"]
    assert (tex / "sequence.2" / "frame_00003.exr").exists() and not (tex / "sequence").exists()


# --------------------------------------------------------------------------- core/failures.py


def _run(fn: Any, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = failures.run_command("prog", fn, ["prog"])
    err = capsys.readouterr().err
    return code, [line for line in err.splitlines() if line.strip()]


def test_every_kind_of_failure_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(failures.tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.delenv(failures.DEBUG_ENV, raising=False)

    def raiser(exc: BaseException) -> Any:
        def fn() -> int:
            raise exc

        return fn

    code, lines = _run(raiser(InputError("/x/clip.mp4", "cannot be opened\nsecond line")), capsys)
    assert code == 1 and lines == ["prog: error: /x/clip.mp4: cannot be opened | second line"]
    code, lines = _run(raiser(OSError(28, "No space left on device", "/x/out.blend")), capsys)
    assert code == 1 and lines == ["prog: error: /x/out.blend: No space left on device"]
    code, lines = _run(raiser(PermissionError(13, "Permission denied", "/a", None, "/b")), capsys)
    assert code == 1 and lines == ["prog: error: /a → /b: Permission denied"]
    code, lines = _run(raiser(KeyboardInterrupt()), capsys)
    assert code == 130 and lines == ["prog: interrupted"]
    code, lines = _run(raiser(MemoryError()), capsys)
    assert code == 1 and lines == ["prog: error: out of memory"]
    code, lines = _run(raiser(ZeroDivisionError("division by zero")), capsys)
    assert code == 1 and len(lines) == 1 and "internal error: ZeroDivisionError" in lines[0]
    assert "please report it with" in lines[0]
    (log,) = tmp_path.glob("moodrig-crash-*.log")
    assert (
        log.name in lines[0]
        and "Traceback" in log.read_text()
        and "ZeroDivisionError" in log.read_text()
    )
    monkeypatch.setenv(failures.DEBUG_ENV, "1")
    code, lines = _run(raiser(ZeroDivisionError("division by zero")), capsys)
    assert (
        code == 1
        and lines[0].startswith("prog: internal error")
        and "Traceback (most recent call last):" in lines
    )


def test_usage_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    from moodrig.cli import build_parser

    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(
            ["bake", "--face", "F", "--armature", "R", "--out", "o.blend", "--seed", "x"]
        )
    assert info.value.code == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and "--seed" in lines[0] and "see --help" in lines[0]


def test_finetune_cli_fails_in_one_line_as_a_program(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "moodrig.weights_tools.amee_finetune",
            "--neutral",
            str(tmp_path / "missing.png"),
            "--sheet",
            str(tmp_path / "s.json"),
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 1 and len(lines) == 1 and "missing.png" in lines[0], proc.stderr


# --------------------------------------------------------------------------- the bake, end to end


def _ctrl_c_as_at_a_terminal() -> None:
    """A terminal's foreground job takes Ctrl-C; a job a shell started in the background (as
    a CI script may start the test suite) inherits SIGINT ignored, and Python then never
    raises KeyboardInterrupt. The bake under test gets the terminal's default."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _bake(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "moodrig",
            "bake",
            "--demo-timeline",
            "--face",
            "moodrig_DemoFace",
            "--armature",
            "moodrig_DemoRig",
            "--device",
            "cpu",
            "--quant-step",
            "0.25",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )


def _tree(root: Path) -> dict[str, str]:
    snap: dict[str, str] = OC.snapshot(root)
    return snap


@pytest.mark.blender
def test_bake_twice_from_the_scene_folder_writes_beside_the_output(tmp_path: Path) -> None:
    """``python -m moodrig bake`` run from the scene's own folder, twice: the second run is not
    broken by what the first wrote (no folder named like the package), replaces its own
    output without --overwrite, and nothing lands beside the input scene; the output .blend
    reaches its textures through a relative path."""
    _require_bpy()
    a, b = tmp_path / "A", tmp_path / "B"
    a.mkdir()
    _demo_scene(a)
    before = _tree(a)
    for _ in range(2):
        proc = _bake(a, "--scene", "scene.blend", "--out", "../B/y.blend")
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert "Traceback" not in proc.stderr
    assert _tree(a) == before, "nothing beside the input scene"
    frames = sorted(
        (b / "moodrig-textures" / "y" / "moodrig_DemoFace" / "sequence").glob("frame_*.png")
    )
    assert len(frames) == 240
    assert sorted(p.name for p in b.iterdir()) == [
        ".moodrig-outputs.json",
        "moodrig-textures",
        "y.blend",
    ]
    # Into the scene's own folder, from there, twice.
    for _ in range(2):
        proc = _bake(a, "--scene", "scene.blend", "--out", "here.blend")
        assert proc.returncode == 0, proc.stderr[-3000:]
    assert _tree(a)["scene.blend"] == before["scene.blend"]
    from bpy_runner import run_bpy

    r = run_bpy(f"""
import bpy
from pathlib import Path
out = {{}}
for name in ("B/y.blend", "A/here.blend"):
    bpy.ops.wm.open_mainfile(filepath=str(Path({str(tmp_path)!r}) / name))
    image = next(i for i in bpy.data.images if i.source == "SEQUENCE")
    out[name] = [image.filepath, Path(bpy.path.abspath(image.filepath)).is_file()]
report(out)
""")
    assert r["B/y.blend"] == [
        "//moodrig-textures/y/moodrig_DemoFace/sequence/frame_00001.png",
        True,
    ]
    assert r["A/here.blend"] == [
        "//moodrig-textures/here/moodrig_DemoFace/sequence/frame_00001.png",
        True,
    ]


@pytest.mark.blender
def test_overwrite_keeps_the_users_file_and_sigint_leaves_no_partial_output(tmp_path: Path) -> None:
    _require_bpy()
    scene = _demo_scene(tmp_path)
    out = tmp_path / "out" / "shot.blend"
    out.parent.mkdir()
    out.write_bytes(b"the user's own shot")
    proc = _bake(tmp_path, "--scene", str(scene), "--out", str(out))
    assert proc.returncode == 1 and "--overwrite" in proc.stderr
    assert sorted(p.name for p in out.parent.iterdir()) == ["shot.blend"], "refused before any work"
    proc = _bake(tmp_path, "--scene", str(scene), "--out", str(out), "--overwrite")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "kept as shot.1.blend" in proc.stderr
    assert (out.parent / "shot.1.blend").read_bytes() == b"the user's own shot"
    assert out.read_bytes()[:7] == b"BLENDER" or out.read_bytes()[:4] == b"\x28\xb5\x2f\xfd"  # zstd
    # Ctrl-C in the middle of a bake onto moodrig's own output: exit 130, one line, the
    # previous output untouched, no temporary file left.
    previous = out.read_bytes()
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "moodrig",
            "bake",
            "--demo-timeline",
            "--face",
            "moodrig_DemoFace",
            "--armature",
            "moodrig_DemoRig",
            "--device",
            "cpu",
            "--scene",
            str(scene),
            "--out",
            str(out),
            "--quant-step",
            "0.02",
        ],
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        preexec_fn=_ctrl_c_as_at_a_terminal,
    )
    assert child.stderr is not None
    lines = []
    for line in child.stderr:
        lines.append(line)
        if "textures" in line:
            break
    time.sleep(0.5)
    child.send_signal(signal.SIGINT)
    rest = child.stderr.read()
    code = child.wait(timeout=120)
    assert code == 130, "".join(lines) + rest
    said = [line for line in rest.splitlines() if line.strip()]
    assert "Traceback" not in rest and said[-1] == "moodrig: interrupted", rest
    assert out.read_bytes() == previous
    assert sorted(p.name for p in out.parent.iterdir()) == [
        ".moodrig-outputs.json",
        "moodrig-textures",
        "shot.1.blend",
        "shot.blend",
    ]


@pytest.mark.blender
def test_hostile_weights_fail_the_bake_in_one_line_before_any_texture(tmp_path: Path) -> None:
    """An AMEE manifest with a million residual blocks (tensors and sha256 intact) given to the
    bake: one line naming it, exit 1, nothing written (no .blend, no texture folder)."""
    _require_bpy()
    wc = load_corpus("weights_corpus")
    scene = _demo_scene(tmp_path)
    case = next(c for c in wc.CASES if c.name == "amee_n_residual_1e6")
    manifest = wc.make(case, tmp_path / "weights")
    before = _tree(tmp_path)
    proc = _bake(
        tmp_path,
        "--scene",
        str(scene),
        "--out",
        "baked.blend",
        "--weights",
        str(manifest),
        "--face-output",
        "texture",
    )
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert lines[-1].startswith(f"moodrig: error: {manifest}: architecture config is invalid")
    assert all(line.startswith("moodrig: ") for line in lines)
    assert _tree(tmp_path) == before


@pytest.mark.blender
def test_an_unsaved_scene_gets_textures_relative_to_the_output(tmp_path: Path) -> None:
    """No --scene (the bpy module's empty file): the sequence path is made relative to the
    output by hand, since Blender can only remap paths that were relative already."""
    _require_bpy()
    from bpy_runner import run_bpy

    r = run_bpy(f"""
import bpy, moodrig
from pathlib import Path
from moodrig import cli
bpy.ops.wm.read_factory_settings(use_empty=True)
moodrig.register()
bpy.ops.moodrig.add_demo_character(texture_size=64)
moodrig.unregister()  # the command line registers the add-on itself
out = Path({str(tmp_path)!r}) / "sub" / "fresh.blend"
code = cli.run(["bake", "--demo-timeline", "--face", "moodrig_DemoFace",
                "--armature", "moodrig_DemoRig", "--device", "cpu", "--quant-step", "0.25",
                "--out", str(out)], moodrig)
bpy.ops.wm.open_mainfile(filepath=str(out))
image = next(i for i in bpy.data.images if i.source == "SEQUENCE")
exists = Path(bpy.path.abspath(image.filepath)).is_file()
report(dict(code=code, path=image.filepath, exists=exists))
""")
    assert r == {
        "code": 0,
        "path": "//moodrig-textures/fresh/moodrig_DemoFace/sequence/frame_00001.png",
        "exists": True,
    }
