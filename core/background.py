"""Long work in a child process, polled: what keeps Blender's window responsive.

Blender draws its window and handles input on one thread, and runs every Python callback
(panels, timers, modal operators) on it under the interpreter lock. A computation on another
thread of the same process still stalls it wherever the lock is held for long: loading
PyTorch's libraries (``import torch`` holds it for about 0.7 s on a 2-core machine, measured
with a 10 ms ticker on the main thread) and any long C call that does not release it. So the
add-on runs Analyse, Fine-tune and a bake's computation in a child process (as Dream Textures
does): Blender's process never imports torch, and nothing the child does can stall it.

:class:`ProcessJob` starts ``python -c ...`` (:func:`child_main`), sends it the function to
run and its arguments (pickled, over the child's stdin), and a reader thread collects what the
child sends back on its own pipe: each progress value the function reports, then its result
or its error. The caller polls :attr:`ProcessJob.progress` and :attr:`ProcessJob.done`, never
waiting. :meth:`ProcessJob.cancel` kills the child at once: whatever it was doing stops, and
what it wrote to disk is only whole files (``core/fileio.py`` writes under temporary names).

The function runs with ``report(value)`` as its last keyword argument and must return, and
take, only picklable values of moodrig's own classes, numpy arrays, paths and plain
containers: pickle crosses only between this process and its own child, and each side reads
it through an unpickler that refuses every other class or callable.
Errors come back as one line (a :class:`~.errors.MoodrigError`'s message stays the user's
message); an unexpected error's traceback is printed by the child on its stderr, which is the
parent's.
"""

from __future__ import annotations

import importlib
import os
import pickle
import struct
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from typing import IO, Any

from .errors import MoodrigError

_HEADER = struct.Struct("<Q")
CHILD_CODE = "from moodrig.core.background import child_main; child_main()"
"""What the child runs (``python -c``)."""
CHILD_NICENESS = 10
"""How much lower the child's CPU priority is than its parent's (POSIX ``nice``; Windows:
below normal): when the machine is busy, Blender's window keeps the cores it needs, and the
job gets the rest."""


class JobFailed(MoodrigError):
    """The child's work raised a :class:`MoodrigError`; its message, unchanged."""


def _write(out: IO[bytes], message: tuple[Any, ...]) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(_HEADER.pack(len(data)) + data)
    out.flush()


_NUMPY_NAMES = frozenset(
    {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy.core.numeric", "_frombuffer"),
        ("numpy._core.numeric", "_frombuffer"),
    }
)
_BUILTIN_NAMES = frozenset(
    {"tuple", "list", "dict", "set", "frozenset", "complex", "slice", "range", "bytearray"}
)
_PATH_NAMES = frozenset(
    {"Path", "PosixPath", "WindowsPath", "PurePath", "PurePosixPath", "PureWindowsPath"}
)


class _MessageUnpickler(pickle.Unpickler):
    """Admits only what the jobs exchange: moodrig's own classes, numpy arrays and scalars,
    paths and plain containers. Anything else (``os.system``, ``builtins.eval``…) is refused,
    so not even a corrupted pipe can make either side run a callable it did not define."""

    def find_class(self, module: str, name: str) -> Any:
        allowed = (
            module == "moodrig"
            or module.startswith("moodrig.")
            or (module, name) in _NUMPY_NAMES
            or (module == "numpy.dtypes" and name.endswith("DType"))
            or (module == "builtins" and name in _BUILTIN_NAMES)
            or (module == "pathlib" and name in _PATH_NAMES)
            or (module == "collections" and name == "OrderedDict")
        )
        if not allowed:
            raise pickle.UnpicklingError(f"the job pipe refuses {module}.{name}")
        return super().find_class(module, name)


def loads_message(data: bytes) -> tuple[Any, ...]:
    """One message of the job pipe, through :class:`_MessageUnpickler`."""
    import io

    message: tuple[Any, ...] = _MessageUnpickler(io.BytesIO(data)).load()
    return message


def _read(inp: IO[bytes]) -> tuple[Any, ...] | None:
    head = inp.read(_HEADER.size)
    if len(head) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(head)
    data = inp.read(size)
    if len(data) < size:
        return None
    return loads_message(data)


def _error_message(exc: BaseException) -> tuple[str, str, str | None]:
    """(kind, message, module name) of an exception, for the parent."""
    if isinstance(exc, MoodrigError):
        return "moodrig", str(exc), None
    if isinstance(exc, ImportError):
        return "import", str(exc), exc.name
    return "other", f"{type(exc).__name__}: {exc}", None


def child_main() -> None:
    """The child's side: read (module, function, args, kwargs) from stdin, run
    ``function(*args, **kwargs, report=...)``, send ``progress`` messages and then one
    ``result`` or ``error``. The message pipe is the original stdout; anything printed goes
    to stderr."""
    if hasattr(os, "nice"):
        os.nice(CHILD_NICENESS)
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # prints (from any library) must not corrupt the message pipe
    sys.stdout = sys.stderr
    lock = threading.Lock()

    def send(message: tuple[Any, ...]) -> None:
        with lock:
            _write(out, message)

    try:
        request = _read(sys.stdin.buffer)
        if request is None:
            return
        module, name, args, kwargs = request
        function = getattr(importlib.import_module(module), name)
        result = function(*args, **kwargs, report=lambda value: send(("progress", value)))
        send(("result", result))
    except BaseException as exc:
        if not isinstance(exc, MoodrigError):
            traceback.print_exc()
        send(("error", *_error_message(exc)))


class ProcessJob:
    """``module.function(*args, **kwargs, report=...)`` running in a child process from
    construction on; see the module docs."""

    def __init__(
        self,
        module: str,
        function: str,
        args: Sequence[Any] = (),
        kwargs: dict[str, Any] | None = None,
        *,
        python: str | None = None,
        path: Sequence[str] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        """``python``: the interpreter (default: this one); ``path``: the child's
        ``sys.path`` entries before its own (default: this process's ``sys.path``, so it
        imports the same moodrig and dependencies); ``env``: extra environment variables."""
        self.started = time.perf_counter()
        self.seconds: float | None = None
        """How long the child ran (None until it ends)."""
        self._latest: Any = None
        self._outcome: tuple[Any, ...] | None = None
        self._cancelled = False
        self._done = threading.Event()
        child_env = {**os.environ, **(env or {})}
        entries = [p for p in (sys.path if path is None else path) if p]
        child_env["PYTHONPATH"] = os.pathsep.join(entries)
        # Below the parent's priority: on a busy machine the window's own work comes first.
        flags = getattr(subprocess, "BELOW_NORMAL_PRIORITY_CLASS", 0)  # Windows only
        self._proc = subprocess.Popen(
            [python or sys.executable, "-c", CHILD_CODE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=child_env,
            creationflags=flags,
        )
        assert self._proc.stdin is not None and self._proc.stdout is not None
        # Sent from a thread: a large request (a 2k base texture is 64 MB) fills the pipe
        # until the child has started and reads it, and the caller must not wait for that.
        request = (module, function, tuple(args), dict(kwargs or {}))
        threading.Thread(
            target=self._send,
            args=(self._proc.stdin, request),
            name="moodrig-job-writer",
            daemon=True,
        ).start()
        self._reader = threading.Thread(
            target=self._read_all, args=(self._proc.stdout,), name="moodrig-job-reader", daemon=True
        )
        self._reader.start()

    @staticmethod
    def _send(out: IO[bytes], request: tuple[Any, ...]) -> None:
        try:
            _write(out, request)
            out.close()
        except OSError:  # the child died (or was killed); its stderr says why
            pass

    @property
    def pid(self) -> int:
        return int(self._proc.pid)

    def _read_all(self, inp: IO[bytes]) -> None:
        try:
            while True:
                message = _read(inp)
                if message is None:
                    break
                if message[0] == "progress":
                    self._latest = message[1]
                else:
                    self._outcome = message
        except (OSError, pickle.UnpicklingError, EOFError):
            pass
        finally:
            self._proc.wait()
            self.seconds = time.perf_counter() - self.started
            self._done.set()

    @property
    def progress(self) -> Any:
        """The latest value the work reported (None before the first)."""
        return self._latest

    @property
    def done(self) -> bool:
        """The child has ended (its result, its error, or a crash)."""
        return self._done.is_set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self) -> None:
        """Stop the child now (killed: nothing it was doing goes on)."""
        self._cancelled = True
        if self._proc.poll() is None:
            self._proc.kill()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the child ends (at most ``timeout`` s); whether it has."""
        return self._done.wait(timeout)

    def result(self) -> Any:
        """The work's return value; its error raised here (:class:`JobFailed` with the
        user's message, ImportError naming the module, RuntimeError for anything else);
        InterruptedError after :meth:`cancel`. Only once :attr:`done`."""
        if not self._done.is_set():
            raise RuntimeError("the job is still running")
        if self._cancelled:
            raise InterruptedError("cancelled")
        outcome = self._outcome
        if outcome is None:
            raise RuntimeError(
                f"the worker process ended without a result (exit code "
                f"{self._proc.returncode}; its messages are on the console)"
            )
        if outcome[0] == "result":
            return outcome[1]
        _, kind, message, name = outcome
        if kind == "moodrig":
            raise JobFailed(message)
        if kind == "import":
            raise ImportError(message, name=name)
        raise RuntimeError(message)


Report = Callable[[Any], None]
"""What the child's function gets as ``report``: sends one progress value to the parent."""
