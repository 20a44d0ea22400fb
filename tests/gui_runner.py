"""Start Xvfb and Debian's Blender (3.4) on it, for tests that need a real window."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from components import require_component

WIDTH, HEIGHT = 1280, 800


def require_gui_tools() -> None:
    for tool, package in (("blender", "blender"), ("Xvfb", "xvfb"), ("xdotool", "xdotool")):
        require_component(
            shutil.which(tool) is not None, f"{tool} (Debian package {package}; `make system-deps`)"
        )


@contextlib.contextmanager
def xvfb() -> Iterator[str]:
    """A private X display; yields its DISPLAY string."""
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        [
            "Xvfb",
            "-displayfd",
            str(write_fd),
            "-screen",
            "0",
            f"{WIDTH}x{HEIGHT}x24",
            "-nolisten",
            "tcp",
        ],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as fh:
            number = fh.readline().strip()
        if not number:
            raise RuntimeError("Xvfb did not report a display number")
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def run_blender_gui(
    script: Path,
    args: list[str],
    workdir: Path,
    timeout: float = 240,
    extra_env: dict[str, str] | None = None,
    prefix: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """Run ``blender --python script -- args`` in a window, with a throwaway user profile;
    ``prefix``: a command Blender runs under (``unshare -n``: no network)."""
    with xvfb() as display:
        env = {
            **os.environ,
            "DISPLAY": display,
            "BLENDER_USER_SCRIPTS": str(workdir / "user_scripts"),
            "BLENDER_USER_CONFIG": str(workdir / "user_config"),
            **(extra_env or {}),
        }
        return subprocess.run(
            [
                *prefix,
                "blender",
                "--factory-startup",
                "--window-geometry",
                "0",
                "0",
                str(WIDTH),
                str(HEIGHT),
                "--python",
                str(script),
                "--",
                *args,
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
