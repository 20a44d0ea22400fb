"""Paths and files: output folders cannot escape, writes are atomic under SIGKILL, and a bake
killed mid-way resumes without redoing finished textures (and ends byte-identical to a bake
that was never interrupted)."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moodrig.core.appearance.cache import decode_png
from moodrig.core.fileio import STALE_PART_SECONDS, atomic_write_bytes, remove_stale_parts
from moodrig.core.paths import contained_path, safe_folder_name

RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}
HOSTILE = st.one_of(
    st.text(max_size=80),
    st.sampled_from(
        [
            "..",
            ".",
            "../..",
            "/",
            "//",
            "/etc/passwd",
            "C:\\Windows",
            "\\\\server\\share",
            "~",
            "~root",
            "CON",
            "con.txt",
            "Nul",
            "LPT1.blend",
            "COM9 ",
            "aux.",
            " .. ",
            "\x00",
            "a\x00b",
            "…",
            "Face.001",
            "..\u2215..\u2215etc",
            "\u202e.png",
            "x" * 300,
        ]
    ),
    st.lists(
        st.sampled_from(["..", "/", "\\", ".", "a", "CON", " ", "\x00", "é", ":"]), max_size=12
    ).map("".join),
)


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=HOSTILE)
def test_any_object_name_gives_one_safe_component(tmp_path: Path, name: str) -> None:
    safe = safe_folder_name(name)
    assert safe and len(safe) <= 65
    assert (
        safe.isascii()
        and "/" not in safe
        and "\\" not in safe
        and "\x00" not in safe
        and ":" not in safe
    )
    assert safe not in {".", ".."} and not safe.startswith(".") and not safe.endswith((".", " "))
    assert safe.split(".")[0].upper().rstrip() not in RESERVED
    target = contained_path(tmp_path, "moodrig", name)
    assert target.parent == (tmp_path / "moodrig").resolve()
    assert safe_folder_name(safe) == safe, "idempotent"


def test_a_symlinked_output_folder_that_leaves_the_project_is_refused(tmp_path: Path) -> None:
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    (project / "moodrig").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(ValueError, match="outside"):
        contained_path(project, "moodrig", "Face")


def test_distinct_object_names_get_distinct_folders() -> None:
    """Two faces in one scene must not share (and overwrite) one texture sequence. Names
    that sanitise to the same text ('Face L' / 'Face_L', 'Fäce' / 'F_ce', 'a/b' / 'a_b')
    currently collide: the second bake rewrites the first face's sequence/ frames."""
    pairs = [("Face L", "Face_L"), ("Fäce", "F_ce"), ("a/b", "a_b"), ("CON", "_CON")]
    collisions = [(a, b) for a, b in pairs if safe_folder_name(a) == safe_folder_name(b)]
    assert collisions == [], f"names share an output folder: {collisions}"


# --------------------------------------------------------------------------- atomic writes

WRITER = """
import sys, os
from moodrig.core.fileio import STALE_PART_SECONDS, atomic_write_bytes, remove_stale_parts
target, n = sys.argv[1], int(sys.argv[2])
blobs = [bytes([i]) * n for i in range(1, 4)]
print("ready", flush=True)
i = 0
while True:
    atomic_write_bytes(target, blobs[i % 3]); i += 1
"""


def test_sigkill_during_atomic_writes_never_leaves_a_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "texture.png"
    n = 8_000_000
    valid = {hashlib.sha256(bytes([i]) * n).hexdigest() for i in range(1, 4)}
    rng = np.random.default_rng(0)
    for trial in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(target), str(n)], stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(float(rng.uniform(0.05, 0.4)))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if target.exists():
            assert hashlib.sha256(target.read_bytes()).hexdigest() in valid, (
                f"trial {trial}: partial file under the final name"
            )
    # Leftover temporaries carry a hidden .part name, never the target's.
    assert all(
        p.name.startswith(".texture.png.") and p.name.endswith(".part")
        for p in tmp_path.iterdir()
        if p != target
    )


def test_failed_write_keeps_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "t.png"
    atomic_write_bytes(target, b"old")

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        atomic_write_bytes(target, b"new" * 1000)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.png"]


# --------------------------------------------------------------------------- killed bake resumes

BAKER = """
import sys, time, json
import numpy as np
from pathlib import Path
from moodrig.core.demo_timeline import scripted_track
from moodrig.core.painter import paint_face, DEFAULT_STYLE
from moodrig.core.pipeline import BakeRequest, run_bake_sync

class SlowPainter:
    model_id = "painter-ground-truth"
    takes_source = False
    resolution = 64
    def __init__(self, delay): self.delay = delay; self.calls = 0
    def edit(self, textures, vectors):
        self.calls += len(vectors)
        time.sleep(self.delay)
        return np.stack([paint_face(DEFAULT_STYLE, v, textures.shape[1]) for v in vectors])

folder, delay = Path(sys.argv[1]), float(sys.argv[2])
track = scripted_track(fps=24.0, seconds=12.0)
base = paint_face(DEFAULT_STYLE, np.zeros(8, np.float32), 64)
editor = SlowPainter(delay)
def progress(p):
    print(json.dumps({"stage": p.stage, "cached": len(list((folder / "cache").glob("*.png")))}),
          flush=True)
out = run_bake_sync(track, base, BakeRequest(seed=3, batch=4), folder, editor, progress=progress)
print(json.dumps({"done": True, "distinct": out.cache.distinct, "generated": out.cache.generated,
                  "painted": editor.calls}), flush=True)
"""


def _run_baker(folder: Path, delay: float) -> dict[str, int]:
    import json

    proc = subprocess.run(
        [sys.executable, "-c", BAKER, str(folder), str(delay)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out: dict[str, int] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


def _digests(folder: Path, sub: str) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((folder / sub).glob("*.png"))
    }


def test_killed_bake_resumes_without_redoing_finished_textures(tmp_path: Path) -> None:
    clean = _run_baker(tmp_path / "clean", 0.0)
    assert clean["generated"] == clean["distinct"] > 12

    folder = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-c", BAKER, str(folder), "0.3"], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    import json

    for line in proc.stdout:
        if json.loads(line).get("cached", 0) >= 8:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = _digests(folder, "cache")
    assert 8 <= len(finished) < clean["distinct"], "killed mid-way"
    # Whatever survived under a final name is a complete, decodable texture.
    assert all(decode_png(folder / "cache" / name).shape == (64, 64, 4) for name in finished)

    resumed = _run_baker(folder, 0.0)
    assert resumed["distinct"] == clean["distinct"]
    assert resumed["generated"] == clean["distinct"] - len(finished), (
        "finished textures were redone"
    )
    assert resumed["painted"] == resumed["generated"]
    # The resumed result is byte-identical to a bake that was never interrupted.
    assert _digests(folder, "cache") == _digests(tmp_path / "clean", "cache")
    assert _digests(folder, "sequence") == _digests(tmp_path / "clean", "sequence")
    assert not [
        p for p in (folder / "cache").iterdir() if p.suffix == ".png" and p.name.startswith(".")
    ]


def test_a_resumed_bake_removes_what_a_killed_one_left_half_written(tmp_path: Path) -> None:
    """A SIGKILL between mkstemp and rename orphans a ``.*.part`` file; the next bake of that
    folder deletes it once it is older than any live write, and nothing else."""
    folder = tmp_path / "bake"
    for sub in ("cache", "sequence"):
        (folder / sub).mkdir(parents=True)
    old = time.time() - 2 * STALE_PART_SECONDS
    orphans = [
        folder / "cache" / ".0123abcd.png.k3j2_x.part",
        folder / "sequence" / ".frame_00007.png.part",
    ]
    live = folder / "cache" / ".fedc.png.new.part"  # a concurrent writer's, seconds old
    keep = [
        folder / "cache" / "notes.part",
        folder / "cache" / ".hidden.txt",
    ]  # not moodrig temporaries
    for p in [*orphans, live, *keep]:
        p.write_bytes(b"half a png")
    for p in [*orphans, *keep]:
        os.utime(p, (old, old))
    out = _run_baker(folder, 0.0)
    assert out["generated"] == out["distinct"]
    assert not any(p.exists() for p in orphans)
    assert live.exists() and all(p.exists() for p in keep)


def test_remove_stale_parts_ignores_missing_folders_and_symlinks(tmp_path: Path) -> None:
    assert remove_stale_parts(tmp_path / "nope") == []
    target = tmp_path / "outside.bin"
    target.write_bytes(b"user data")
    link = tmp_path / ".link.part"
    link.symlink_to(target)
    old = time.time() - 2 * STALE_PART_SECONDS
    os.utime(link, (old, old), follow_symlinks=False)
    assert remove_stale_parts(tmp_path, older_than=0) == []
    assert link.is_symlink() and target.read_bytes() == b"user data"
