"""Load many hostile files in a child process: each one's outcome, and how far peak RSS grew.

A child, so that a hang is a timeout and a memory blow-up is measured (VmHWM of that process
alone: ``ru_maxrss`` would carry the test process's own peak over fork+exec).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

CHILD = """
import json, sys, time
{setup}
def hwm():
    status = open("/proc/self/status").read().splitlines()
    return int(next(x for x in status if x.startswith("VmHWM")).split()[1]) / 1024
base = hwm()
out = {{}}
for path in sys.argv[1:]:
    t0 = time.perf_counter()
    try:
        load(path)
        got = "ok"
    except {error} as e:
        got = str(e)
    out[path] = [got, time.perf_counter() - t0]
out["growth_mb"] = hwm() - base
print(json.dumps(out))
"""


def outcomes_in_child(
    setup: str, error: str, paths: list[str], timeout: float = 120
) -> dict[str, Any]:
    """``setup`` defines ``load(path)`` (and imports ``error``, the expected refusal); returns
    ``{path: [message or "ok", seconds], "growth_mb": peak RSS growth}``."""
    code = CHILD.format(setup=textwrap.dedent(setup), error=error)
    proc = subprocess.run(
        [sys.executable, "-c", code, *paths],
        capture_output=True,
        text=True,
        errors="replace",
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out
