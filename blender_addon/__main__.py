"""``python -m moodrig bake ...`` through the ``bpy`` module (see ``moodrig.cli``)."""

from __future__ import annotations

import sys

import moodrig
from moodrig import cli

if __name__ == "__main__":
    sys.exit(cli.run(sys.argv[1:], moodrig))
