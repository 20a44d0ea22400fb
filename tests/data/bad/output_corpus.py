"""Unwritable and occupied output paths for every moodrig command line.

Each case builds a workspace (a user's scene, photo or sheet, and whatever occupies the
output), runs one command line (``python -m moodrig bake``, ``python -m moodrig.core.face
analyze``, ``python -m moodrig.weights_tools.amee_finetune``) in it, and checks what the
issue asks of a refusal: exit 1, one line naming the path and the problem, no traceback, done
well within 60 s, peak memory far below 1 GB, and the workspace byte-identical afterwards
(no file of the user's changed, nothing partial left).

Read-only folders, for a test that runs as root (root ignores permission bits): made
immutable with ``chattr +i`` (root cannot create files there either), or, for the cases
marked ``as_nobody``, a folder the command cannot write because it runs as the unprivileged
user ``nobody`` (``setpriv``). /proc is a real file system root cannot create files in.

    python tests/data/bad/output_corpus.py          # every case, one JSON line each
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent.parent
SAMPLE_FACE = REPO / "core" / "data" / "sample_face.jpg"
TIME_BOUND_S = 60.0
MEMORY_BOUND_MB = 1024.0
COMMANDS = {
    "bake": ["-m", "moodrig", "bake"],
    "face": ["-m", "moodrig.core.face", "analyze"],
    "finetune": ["-m", "moodrig.weights_tools.amee_finetune"],
}


class Workspace:
    """A folder holding the user's files for one case; immutable folders are undone on close."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.frozen: list[Path] = []

    def file(self, name: str, data: bytes = b"the user's own bytes\n") -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    def folder(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def immutable(self, path: Path) -> Path:
        """``chattr +i``: nobody, root included, can create or remove entries in it."""
        subprocess.run(["chattr", "+i", str(path)], check=True, capture_output=True)
        self.frozen.append(path)
        return path

    def close(self) -> None:
        for path in reversed(self.frozen):
            subprocess.run(["chattr", "-i", str(path)], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


Setup = Callable[[Workspace], list[str]]


@dataclass(frozen=True)
class OutputCase:
    name: str
    cls: str
    """Class of the case (one row of the report)."""
    command: str
    """'bake', 'face' or 'finetune'."""
    setup: Setup
    """Builds the workspace; returns the command's arguments (paths relative to it)."""
    phrase: str
    """Text the one-line error must contain."""
    as_nobody: bool = False
    """Run the command as the unprivileged user (a read-only folder by permission bits)."""
    prefix: tuple[str, ...] = ()
    """Run the command through this (e.g. ``prlimit --fsize=N``: a disk that fills up)."""


def bake(*extra: str, out: str = "baked.blend") -> Setup:
    """The bake of the user's scene (``scene.blend``) into ``out``; ``extra`` flags."""

    def setup(ws: Workspace) -> list[str]:
        ws.file("scene.blend")
        return [
            "--scene",
            "scene.blend",
            "--demo-timeline",
            "--face",
            "Face",
            "--armature",
            "Rig",
            "--out",
            out,
            *extra,
        ]

    return setup


def face(*extra: str) -> Setup:
    def setup(ws: Workspace) -> list[str]:
        shutil.copy(SAMPLE_FACE, ws.root / "photo.jpg")
        return ["photo.jpg", *extra]

    return setup


def finetune(*extra: str) -> Setup:
    def setup(ws: Workspace) -> list[str]:
        ws.file("neutral.png")
        ws.file("labels.json", b"[]")
        return ["--neutral", "neutral.png", "--sheet", "labels.json", *extra]

    return setup


def then(first: Callable[[Workspace], object], setup: Setup) -> Setup:
    """``first(ws)`` (occupy a path), then ``setup``."""

    def both(ws: Workspace) -> list[str]:
        first(ws)
        return setup(ws)

    return both


def readonly(name: str) -> Callable[[Workspace], object]:
    return lambda ws: ws.immutable(ws.folder(name))


def fifo(name: str) -> Callable[[Workspace], object]:
    return lambda ws: os.mkfifo(ws.root / name)


def link(name: str, target: str) -> Callable[[Workspace], object]:
    return lambda ws: (ws.root / name).symlink_to(target)


def nobody_folder(name: str) -> Callable[[Workspace], object]:
    """A folder owned by root, mode 0755: the unprivileged user cannot write in it."""

    def make(ws: Workspace) -> None:
        os.chmod(ws.folder(name), 0o755)

    return make


def owned_by_nobody(name: str) -> Callable[[Workspace], object]:
    """A folder the unprivileged user may write in (where its other outputs go)."""

    def make(ws: Workspace) -> None:
        os.chown(ws.folder(name), 65534, 65534)

    return make


LONG = "x" * 250 + ".blend"

CASES: list[OutputCase] = [
    # The baked .blend (--out).
    OutputCase(
        "out_is_a_folder",
        "folder where a file should be",
        "bake",
        then(lambda ws: ws.folder("baked.blend"), bake()),
        "is a folder",
    ),
    OutputCase(
        "out_parent_is_a_file",
        "file where a folder should be",
        "bake",
        then(lambda ws: ws.file("renders"), bake(out="renders/baked.blend")),
        "is a file",
    ),
    OutputCase(
        "out_grandparent_is_a_file",
        "file where a folder should be",
        "bake",
        then(lambda ws: ws.file("renders"), bake(out="renders/a/b/baked.blend")),
        "cannot be made",
    ),
    OutputCase(
        "out_in_immutable_folder",
        "read-only",
        "bake",
        then(readonly("ro"), bake(out="ro/baked.blend")),
        "not writable",
    ),
    OutputCase(
        "out_below_immutable_folder",
        "read-only",
        "bake",
        then(readonly("ro"), bake(out="ro/new/baked.blend")),
        "not writable",
    ),
    OutputCase(
        "out_in_proc", "read-only", "bake", bake(out="/proc/moodrig-baked.blend"), "not writable"
    ),
    OutputCase(
        "out_in_root_owned_folder_as_nobody",
        "read-only",
        "bake",
        then(nobody_folder("shared"), bake(out="shared/baked.blend")),
        "not writable",
        as_nobody=True,
    ),
    OutputCase(
        "out_existing_user_file",
        "existing user file",
        "bake",
        then(lambda ws: ws.file("baked.blend"), bake()),
        "moodrig did not write it",
    ),
    OutputCase(
        "out_is_the_scene",
        "existing user file",
        "bake",
        bake(out="scene.blend"),
        "moodrig did not write it",
    ),
    OutputCase(
        "out_link_to_user_file",
        "existing user file",
        "bake",
        then(lambda ws: (ws.file("mine.blend"), link("baked.blend", "mine.blend")(ws)), bake()),
        "moodrig did not write it",
    ),
    OutputCase(
        "out_dangling_link",
        "existing user file",
        "bake",
        then(link("baked.blend", "/nonexistent/x.blend"), bake()),
        "moodrig did not write it",
    ),
    OutputCase(
        "out_forged_ledger",
        "existing user file",
        "bake",
        then(
            lambda ws: (
                ws.file("baked.blend"),
                ws.file(
                    ".moodrig-outputs.json",
                    json.dumps(
                        {"format": 1, "files": {"baked.blend": {"sha256": "0" * 64, "bytes": 21}}}
                    ).encode(),
                ),
            ),
            bake(),
        ),
        "moodrig did not write it",
    ),
    OutputCase(
        "out_is_a_fifo",
        "not a regular file",
        "bake",
        then(fifo("baked.blend"), bake()),
        "not a regular file",
    ),
    OutputCase(
        "out_not_a_blend", "wrong kind", "bake", bake(out="baked.png"), "must end in .blend"
    ),
    OutputCase("out_name_too_long", "wrong kind", "bake", bake(out=LONG), "too long"),
    OutputCase(
        "out_is_the_ledger",
        "wrong kind",
        "bake",
        bake(out=".moodrig-outputs.json"),
        "must end in .blend",
    ),
    OutputCase(
        "out_folder_shadows_moodrig",
        "shadowing name",
        "bake",
        bake(out="moodrig/baked.blend"),
        "hides the Python module 'moodrig'",
    ),
    OutputCase(
        "out_folder_shadows_numpy",
        "shadowing name",
        "bake",
        bake(out="numpy/baked.blend"),
        "hides the Python module 'numpy'",
    ),
    # The texture folder (--textures).
    OutputCase(
        "textures_is_a_file",
        "file where a folder should be",
        "bake",
        then(lambda ws: ws.file("tex"), bake("--textures", "tex")),
        "not a folder",
    ),
    OutputCase(
        "textures_parent_is_a_file",
        "file where a folder should be",
        "bake",
        then(lambda ws: ws.file("tex"), bake("--textures", "tex/face")),
        "is a file",
    ),
    OutputCase(
        "textures_sequence_is_a_file",
        "file where a folder should be",
        "bake",
        then(lambda ws: ws.file("tex/sequence"), bake("--textures", "tex")),
        "a file named 'sequence'",
    ),
    OutputCase(
        "textures_default_root_is_a_file",
        "file where a folder should be",
        "bake",
        then(lambda ws: ws.file("moodrig-textures"), bake()),
        "is a file",
    ),
    OutputCase(
        "textures_dangling_link",
        "file where a folder should be",
        "bake",
        then(link("tex", "/nonexistent/tex"), bake("--textures", "tex")),
        "broken link",
    ),
    OutputCase(
        "textures_immutable",
        "read-only",
        "bake",
        then(readonly("tex"), bake("--textures", "tex")),
        "not writable",
    ),
    OutputCase(
        "textures_below_immutable",
        "read-only",
        "bake",
        then(readonly("ro"), bake("--textures", "ro/tex")),
        "not writable",
    ),
    OutputCase(
        "textures_in_proc",
        "read-only",
        "bake",
        bake("--textures", "/proc/moodrig-tex"),
        "not writable",
    ),
    OutputCase(
        "textures_in_root_owned_folder_as_nobody",
        "read-only",
        "bake",
        then(
            nobody_folder("shared"),
            then(owned_by_nobody("mine"), bake("--textures", "shared/tex", out="mine/baked.blend")),
        ),
        "not writable",
        as_nobody=True,
    ),
    OutputCase(
        "textures_hold_user_frames",
        "existing user file",
        "bake",
        then(lambda ws: ws.file("tex/sequence/notes.txt"), bake("--textures", "tex")),
        "not written by moodrig",
    ),
    OutputCase(
        "textures_hold_user_cache",
        "existing user file",
        "bake",
        then(lambda ws: ws.file("tex/cache/render.exr"), bake("--textures", "tex")),
        "not written by moodrig",
    ),
    OutputCase(
        "textures_are_the_out",
        "wrong kind",
        "bake",
        bake("--textures", "baked.blend"),
        "lies where the textures go",
    ),
    OutputCase(
        "out_inside_texture_sequence",
        "wrong kind",
        "bake",
        bake("--textures", "tex", out="tex/sequence/baked.blend"),
        "lies where the textures go",
    ),
    OutputCase(
        "textures_shadow_torch",
        "shadowing name",
        "bake",
        bake("--textures", "torch"),
        "hides the Python module 'torch'",
    ),
    OutputCase(
        "textures_shadow_moodrig",
        "shadowing name",
        "bake",
        bake("--textures", "moodrig"),
        "hides the Python module 'moodrig'",
    ),
    # Not an output, but the same rule: one line naming the file.
    OutputCase("scene_not_a_blend", "one-line errors", "bake", bake(), "Blender cannot open it"),
    # The face CLI: --json and --overlay, checked before the analysis.
    OutputCase(
        "face_json_in_immutable_folder",
        "read-only",
        "face",
        then(readonly("ro"), face("--json", "ro/out.json")),
        "not writable",
    ),
    OutputCase(
        "face_json_in_root_owned_folder_as_nobody",
        "read-only",
        "face",
        then(nobody_folder("shared"), face("--json", "shared/out.json")),
        "not writable",
        as_nobody=True,
    ),
    OutputCase(
        "face_overlay_is_a_folder",
        "folder where a file should be",
        "face",
        then(lambda ws: ws.folder("over.png"), face("--json", "out.json", "--overlay", "over.png")),
        "is a folder",
    ),
    OutputCase(
        "face_json_is_a_folder",
        "folder where a file should be",
        "face",
        then(lambda ws: ws.folder("out.json"), face("--json", "out.json")),
        "is a folder",
    ),
    OutputCase(
        "face_json_parent_is_a_file",
        "file where a folder should be",
        "face",
        then(lambda ws: ws.file("results"), face("--json", "results/out.json")),
        "is a file",
    ),
    OutputCase(
        "face_json_existing_user_file",
        "existing user file",
        "face",
        then(lambda ws: ws.file("out.json"), face("--json", "out.json")),
        "moodrig did not write it",
    ),
    OutputCase(
        "face_json_equals_overlay",
        "wrong kind",
        "face",
        face("--json", "same.png", "--overlay", "same.png"),
        "both --json and --overlay",
    ),
    OutputCase(
        "face_json_disk_full",
        "one-line errors",
        "face",
        face("--json", "out.json"),
        "File too large",
        prefix=("prlimit", "--fsize=1000"),
    ),
    OutputCase(
        "face_json_shadows_json",
        "shadowing name",
        "face",
        face("--json", "json.py"),
        "hides the Python module 'json'",
    ),
    # The fine-tune CLIs: --out DIR with <stem>.safetensors, .manifest.json, finetune_config.json.
    OutputCase(
        "finetune_out_is_a_file",
        "file where a folder should be",
        "finetune",
        then(lambda ws: ws.file("tuned"), finetune("--out", "tuned")),
        "not a folder",
    ),
    OutputCase(
        "finetune_out_immutable",
        "read-only",
        "finetune",
        then(readonly("tuned"), finetune("--out", "tuned")),
        "not writable",
    ),
    OutputCase(
        "finetune_manifest_is_users",
        "existing user file",
        "finetune",
        then(
            lambda ws: ws.file("tuned/amee_gan_character.manifest.json"), finetune("--out", "tuned")
        ),
        "moodrig did not write it",
    ),
    OutputCase(
        "finetune_config_is_a_folder",
        "folder where a file should be",
        "finetune",
        then(lambda ws: ws.folder("tuned/finetune_config.json"), finetune("--out", "tuned")),
        "is a folder",
    ),
    OutputCase(
        "finetune_stem_escapes",
        "wrong kind",
        "finetune",
        finetune("--out", "tuned", "--stem", "../escaped"),
        "plain file name",
    ),
    OutputCase(
        "finetune_out_shadows_torch",
        "shadowing name",
        "finetune",
        finetune("--out", "torch"),
        "hides the Python module 'torch'",
    ),
]


# --------------------------------------------------------------------------- running


def snapshot(root: Path) -> dict[str, str]:
    """Every entry under ``root``: kind and content (sha256 of files, target of links)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = str(p.relative_to(root))
            if p.is_symlink():
                out[rel] = "link:" + os.readlink(p)
            elif p.is_dir():
                out[rel] = "dir"
            elif p.is_file():
                out[rel] = "file:" + hashlib.sha256(p.read_bytes()).hexdigest()
            else:
                out[rel] = "other"
    return out


WRAPPER = """
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
try:
    p = subprocess.run(sys.argv[2:], capture_output=True, text=True, timeout=float(sys.argv[1]))
    code, err = p.returncode, p.stderr
except subprocess.TimeoutExpired as exc:
    code, err = "timeout", (exc.stderr or b"").decode(errors="replace")
print(json.dumps({"code": code, "stderr": err, "seconds": time.perf_counter() - t0,
                  "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def run(case: OutputCase, root: Path | None = None) -> dict[str, object]:
    """Run one case in a fresh workspace; the verdict and what was measured."""
    base = Path(tempfile.mkdtemp(prefix=f"moodrig-out-{case.name}-", dir=root))
    os.chmod(base, 0o755)  # the unprivileged user may enter (as_nobody cases)
    ws = Workspace(base)
    try:
        args = case.setup(ws)
        before = snapshot(base)
        cmd = [sys.executable, *COMMANDS[case.command], *args]
        if case.as_nobody:
            cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *cmd]
        cmd = [*case.prefix, *cmd]
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        proc = subprocess.run(
            [sys.executable, "-c", WRAPPER, str(TIME_BOUND_S), *cmd],
            capture_output=True,
            text=True,
            cwd=base,
            env=env,
            timeout=TIME_BOUND_S + 30,
        )
        got = json.loads(proc.stdout.strip().splitlines()[-1])
        after = snapshot(base)
    finally:
        ws.close()
    lines = [line for line in str(got["stderr"]).splitlines() if line.strip()]
    problems = []
    if got["code"] != 1:
        problems.append(f"exit {got['code']}")
    if len(lines) != 1:
        problems.append(f"{len(lines)} lines on stderr")
    if "Traceback" in str(got["stderr"]):
        problems.append("traceback")
    if case.phrase.lower() not in str(got["stderr"]).lower():
        problems.append(f"no '{case.phrase}'")
    if float(got["seconds"]) > TIME_BOUND_S:  # type: ignore[arg-type]
        problems.append("too slow")
    if float(got["peak_mb"]) > MEMORY_BOUND_MB:  # type: ignore[arg-type]
        problems.append("too much memory")
    if before != after:
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        problems.append(f"workspace changed: {changed[:5]}")
    return {
        "name": case.name,
        "class": case.cls,
        "command": case.command,
        "code": got["code"],
        "message": lines[-1] if lines else "",
        "seconds": round(float(got["seconds"]), 2),  # type: ignore[arg-type]
        "peak_mb": round(float(got["peak_mb"]), 1),
        "problem": "; ".join(problems),
    }  # type: ignore[arg-type]


def main(argv: list[str]) -> int:
    names = set(argv)
    bad = 0
    for case in CASES:
        if not names or case.name in names:
            row = run(case)
            bad += bool(row["problem"])
            print(json.dumps(row), flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.exit(main(sys.argv[1:]))
