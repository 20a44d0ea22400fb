"""How every moodrig command line fails: one line naming the file and the problem, never a
traceback.

* A :class:`MoodrigError` (bad input, weights, definition or output path): its message, exit 1.
* An ``OSError`` (disk full, permission, a file vanished): the file and the system's words,
  exit 1.
* Ctrl-C: one line, exit 130 (the shell's convention for SIGINT). What was being written is
  either complete or absent: moodrig writes every file whole and renames it into place.
* Anything else is a bug: one line saying so, the traceback written to a log file whose
  path the line gives (to attach to a report); ``MOODRIG_DEBUG=1`` also prints it.
* Usage errors (an unknown flag, a value of the wrong type): one line, exit 2, as argparse.

Standard library only: the Blender command line imports this before anything heavy.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from .errors import MoodrigError

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
DEBUG_ENV = "MOODRIG_DEBUG"
"""Set to 1 to also print the traceback of an unexpected error."""


def one_line(text: str) -> str:
    """``text`` on one line (a message from a library may hold several)."""
    return " | ".join(part.strip() for part in str(text).splitlines() if part.strip())


def os_error_line(exc: OSError) -> str:
    """'<file>: <the system's words>' (both files for a rename or a link)."""
    names = [os.fsdecode(n) for n in (exc.filename, exc.filename2) if n is not None]
    words = exc.strerror or str(exc) or type(exc).__name__
    return f"{' → '.join(names)}: {words}" if names else words


def crash_log(exc: BaseException, argv: list[str]) -> Path | None:
    """Write the traceback of an unexpected error to a log file; its path (None: unwritable)."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = Path(tempfile.gettempdir()) / f"moodrig-crash-{stamp}-{os.getpid()}.log"
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        path.write_text(f"argv: {argv}\npython: {sys.version}\n\n{text}", encoding="utf-8")
    except OSError:
        return None
    return path


def run_command(prog: str, main: Callable[[], int], argv: list[str] | None = None) -> int:
    """``main()``'s exit status, every failure turned into one line on stderr (module doc)."""

    def say(line: str) -> None:
        print(f"{prog}: {one_line(line)}", file=sys.stderr, flush=True)

    try:
        return main()
    except KeyboardInterrupt:
        say("interrupted")
        return EXIT_INTERRUPTED
    except MoodrigError as exc:
        say(f"error: {exc}")
    except MemoryError:
        say("error: out of memory")
    except OSError as exc:
        say(f"error: {os_error_line(exc)}")
    except Exception as exc:  # a bug: say so in one line, keep the traceback in a log
        log = crash_log(exc, sys.argv if argv is None else argv)
        where = f"please report it with {log}" if log else "please report it"
        say(f"internal error: {type(exc).__name__}: {exc} (a bug in moodrig; {where})")
        if os.environ.get(DEBUG_ENV) == "1":
            traceback.print_exc()
    return EXIT_FAILED


class ArgumentParser(argparse.ArgumentParser):
    """argparse with one-line usage errors (``prog: error: ... (see --help)``, exit 2)."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {one_line(message)} (see --help)", file=sys.stderr, flush=True)
        sys.exit(EXIT_USAGE)
