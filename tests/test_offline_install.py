"""Acceptance: an artist's Blender 3.4 (Debian's) with a fresh profile and no network installs
the add-on zip, installs the dependencies from a wheelhouse folder with the add-on's own
installer, analyses the sample face and bakes; then quits with nothing printed by unregister
and no crash. Nothing of moodrig's venv is visible to Blender: every dependency comes from the
wheelhouse made by `make test-wheelhouse`."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from addon_builds import build_platform_zip, require_wheelhouse
from components import require_component
from gui_runner import require_gui_tools, run_blender_gui

pytestmark = [pytest.mark.gui, pytest.mark.slow]
REPO = Path(__file__).resolve().parent.parent
NO_NETWORK = ("unshare", "--net", "--")
ARTIFACTS = REPO / "artifacts" / "gui"


def require_unshare() -> None:
    ok = (
        shutil.which("unshare") is not None
        and subprocess.run([*NO_NETWORK, "true"], capture_output=True).returncode == 0
    )
    require_component(
        ok, "`unshare --net` (util-linux, run as root) to cut Blender off the network"
    )


def test_offline_install_from_a_wheelhouse_then_analyse_and_bake_in_blender_3_4(
    tmp_path: Path,
) -> None:
    require_gui_tools()
    require_unshare()
    wheelhouse = require_wheelhouse()
    zip_path = build_platform_zip(tmp_path / "dist")
    out = tmp_path / "out"
    out.mkdir()
    env = {"PYTHONPATH": "", "PYTHONNOUSERSITE": "1", "OMP_NUM_THREADS": "1"}
    run = run_blender_gui(
        REPO / "tests" / "gui" / "offline_install_in_blender.py",
        [str(zip_path), str(out), str(wheelhouse)],
        tmp_path,
        timeout=900,
        extra_env=env,
        prefix=NO_NETWORK,
    )
    output = run.stdout + run.stderr
    result_file = out / "result.json"
    assert result_file.is_file(), f"Blender wrote no result\n{output[-4000:]}"
    r = json.loads(result_file.read_text())
    assert r["errors"] == [], r["errors"]
    # No network at all inside: only the loopback interface, no name resolution.
    assert r["interfaces"] == ["lo"] and r["dns"].startswith("failed")
    assert r["install"] == ["FINISHED"]
    assert r["python"] == "/usr/bin/python3.11", "Blender's own Python, not the first on PATH"
    assert not r["status_before"]["torch"] and not r["status_before"]["cv2"]
    assert r["from_folder"] == ["FINISHED"]
    assert r["job"] == ["done", "Dependencies installed"], r["log"][-3000:]
    assert all(r["status_after"].values()), r["status_after"]
    assert r["torch"][1].startswith(r["deps_folder"]), "torch comes from moodrig's own folder"
    assert "--no-index" in r["log"] and "Downloading" not in r["log"]
    assert "Looking in indexes" not in r["log"], "pip never looked at an index"
    percents = [p for p, _ in r["progress"]]
    assert percents == sorted(percents) and len(r["progress"]) >= 3, r["progress"]
    assert any(activity.startswith("Installing") for _, activity in r["progress"])
    # pip runs beside Blender: the operator returns at once, each poll of the timer is short,
    # and the window's own timer (every 0.1 s) kept ticking through the whole install, which
    # takes tens of seconds; the bound on its gaps leaves room for software-GL redraws of two
    # windows on a loaded 2-core machine.
    assert r["operator_s"] < 0.5 and len(r["tick_s"]) > 10
    assert max(r["tick_s"]) < 0.2, sorted(r["tick_s"])[-5:]
    assert r["install_s"] > 10
    assert r["longest_gap_s"] < min(5.0, r["install_s"] / 4), (
        f"the window stalled while pip worked: {r['longest_gaps']}"
    )
    assert r["prefs_draws_running"] > 0, "the preferences were drawn while pip ran"
    assert r["prefs_shot"] and (out / r["prefs_shot"]).is_file()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy2(out / r["prefs_shot"], ARTIFACTS / "install_progress.png")
    assert r["demo"] == ["FINISHED"] and r["analyse"] == ["FINISHED"]
    assert r["bake"] == ["FINISHED"], r.get("status")
    assert r["action"] == "moodrig_DemoRig_behavior" and "24 frames" in r["status"]
    # Quit as a user does, the add-on enabled and torch loaded: a clean exit, and nothing
    # printed by the add-on's unregister.
    assert "moodrig-test: quitting" in output
    assert "Exception in module unregister" not in output, output[-3000:]
    assert run.returncode == 0, f"Blender exited with {run.returncode}\n{output[-3000:]}"
