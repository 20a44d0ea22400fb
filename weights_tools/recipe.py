"""Training recipes: the runs that make a shipped model, written down as data and run in order.

One TOML file per shipped model (``weights_tools/recipes/*.toml``) lists its training runs:
each run's folder, the run whose export it starts from, and its trainer flags in order. This
module turns a recipe into commands and runs them, like a make chain with one file per run::

    python -m moodrig.weights_tools.recipe run weights_tools/recipes/amee_gan.toml --ship
    python -m moodrig.weights_tools.recipe run weights_tools/recipes/amee_gan.toml full no_mask
    python -m moodrig.weights_tools.recipe run weights_tools/recipes/amee_gan.toml --dry-run
    python -m moodrig.weights_tools.recipe export weights_tools/recipes/amee_gan.toml full
    python -m moodrig.weights_tools.recipe step weights_tools/recipes/amee_gan.toml full

A run whose export already exists is not run again (``runs/`` is not committed: what is missing
is trained). ``--dry-run`` prints the commands that would run, one per line, and runs nothing.

Recipe format (``format = "moodrig.recipe/1"``)::

    format = "moodrig.recipe/1"
    model = "amee"                 # weights_tools.ship --model: where the shipped run goes
    stem = "amee_gan"              # export files: <out>/export/<stem>_step<NNNNNN>.manifest.json
    trainer = ["-m", "moodrig.weights_tools.amee_train", "--threads", "1"]  # after the python
    shipped = "full_stage14"       # the run whose export ships
    env = {OMP_NUM_THREADS = "1"}  # optional: environment of every command
    nice = 10                      # optional: niceness of every command (0: none)
    init = "export"                # optional: how a run starts from another: --init-from its
                                   # export manifest ("export"), --init-from its folder
                                   # ("checkpoint": the trainer loads the networks from the
                                   # run's checkpoint), or --init-weights its export manifest
                                   # ("weights": the trainer loads the exported network only)

    [runs.full_stage2]             # one table per run, in the order they are listed
    out = "runs/amee/full_stage2"  # the run's folder (--out)
    from = "full"                  # optional: start from that run, listed before (see init)
    init = "weights"               # optional: this run's own init (default: the recipe's)
    flags = {steps = 5000, stop-at = 1500}   # trainer flags, in order: true → --flag,
                                   # false → left out, a list → --flag v1 v2, else --flag value

A run's command is ``python <trainer> --out <out> [--init-from <export or folder> |
--init-weights <export>] <flags>``.
Its export is at step ``stop-at`` when that is below ``steps``, else at ``steps``.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORMAT = "moodrig.recipe/1"
"""The recipe format this runner reads."""
SHIP_MODULE = "moodrig.weights_tools.ship"
"""Module that copies a run's export to the add-on's weights (``--model``, ``--from``)."""
_FLAG = re.compile(r"[a-z0-9][a-z0-9-]*\Z")
_TOP_KEYS = {"format", "model", "stem", "trainer", "shipped", "env", "nice", "init", "runs"}
INIT_KINDS = ("export", "checkpoint", "weights")
"""How a run starts from another: ``--init-from`` its export manifest, ``--init-from`` its
folder, or ``--init-weights`` its export manifest."""
_RUN_KEYS = {"out", "from", "init", "flags"}

FlagValue = bool | int | float | str | list[int | float | str]


class RecipeError(ValueError):
    """A recipe that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Run:
    """One training run of a recipe."""

    name: str
    """The run's key in the recipe (``[runs.<name>]``)."""
    out: Path
    """The run's folder, passed as ``--out``."""
    start: str | None
    """The run whose export this one starts from (``--init-from``); None: from scratch."""
    flags: tuple[tuple[str, FlagValue], ...]
    """Trainer flags without their dashes, in the recipe's order."""
    init: str | None = None
    """How this run starts from ``start`` (one of :data:`INIT_KINDS`); None: the recipe's."""

    def flag(self, name: str) -> FlagValue | None:
        """The value of one flag, None when the run does not give it."""
        return next((v for k, v in self.flags if k == name), None)


@dataclass(frozen=True)
class Recipe:
    """A parsed recipe file."""

    path: Path
    """The recipe file."""
    model: str
    """Model name for ``weights_tools.ship --model``."""
    stem: str
    """Stem of the run's export files."""
    trainer: tuple[str, ...]
    """Arguments after the Python interpreter that start the trainer."""
    shipped: str
    """Name of the run whose export ships."""
    env: tuple[tuple[str, str], ...]
    """Environment variables set for every command."""
    nice: int
    """Niceness of every command (0: not niced)."""
    runs: dict[str, Run]
    """The runs, in the recipe's order."""
    init: str = "export"
    """What ``--init-from`` names (one of :data:`INIT_KINDS`)."""

    def export(self, name: str, step: int | None = None) -> Path:
        """Manifest path of run ``name``'s export at ``step`` (default: the run's last step)."""
        run = self.runs[name]
        last = step if step is not None else export_step(run)
        return run.out / "export" / f"{self.stem}_step{last:06d}.manifest.json"

    def start_args(self, name: str) -> list[str]:
        """The trainer arguments that start run ``name`` from its ``from`` run (none for a run
        from scratch): ``--init-from`` the start run's export manifest, or with init
        "checkpoint" its folder (its checkpoint is at the step it exports), or with init
        "weights" ``--init-weights`` its export manifest."""
        run = self.runs[name]
        if run.start is None:
            return []
        init = run.init or self.init
        if init == "checkpoint":
            return ["--init-from", str(self.runs[run.start].out)]
        flag = "--init-weights" if init == "weights" else "--init-from"
        return [flag, str(self.export(run.start))]

    def chain(self, name: str) -> list[str]:
        """Run ``name`` and every run it starts from, the first one first."""
        names = [name]
        while (start := self.runs[names[-1]].start) is not None:
            names.append(start)
        return names[::-1]


def export_step(run: Run) -> int:
    """The step a run exports last: ``stop-at`` when it stops early, else ``steps``."""
    steps, stop = run.flag("steps"), run.flag("stop-at")
    assert isinstance(steps, int)  # checked when the recipe is read
    return stop if isinstance(stop, int) and 0 < stop < steps else steps


def _fail(path: Path, where: str, problem: str) -> RecipeError:
    return RecipeError(f"{path}: {where}: {problem}")


def _flag_value(path: Path, where: str, value: Any) -> FlagValue:
    if isinstance(value, bool | int | float | str):
        return value
    if (
        isinstance(value, list)
        and value
        and all(isinstance(v, int | float | str) and not isinstance(v, bool) for v in value)
    ):
        return list(value)
    raise _fail(
        path,
        where,
        f"a flag's value must be a boolean, number, text or a non-empty "
        f"list of numbers or texts, got {value!r}",
    )


def _run(path: Path, name: str, data: Any, earlier: Sequence[str]) -> Run:
    where = f"runs.{name}"
    if not isinstance(data, dict):
        raise _fail(path, where, "must be a table")
    if unknown := sorted(set(data) - _RUN_KEYS):
        raise _fail(
            path, where, f"unknown key(s) {', '.join(unknown)}; use {', '.join(sorted(_RUN_KEYS))}"
        )
    out = data.get("out")
    if not isinstance(out, str) or not out:
        raise _fail(path, f"{where}.out", "the run's folder is required (text)")
    start = data.get("from")
    if start is not None and start not in earlier:
        raise _fail(path, f"{where}.from", f"{start!r} is not a run listed before this one")
    init = data.get("init")
    if init is not None and init not in INIT_KINDS:
        raise _fail(path, f"{where}.init", f"must be one of {', '.join(INIT_KINDS)}, got {init!r}")
    flags = data.get("flags", {})
    if not isinstance(flags, dict):
        raise _fail(path, f"{where}.flags", "must be a table of flag = value")
    for key in flags:
        if not _FLAG.match(key):
            raise _fail(
                path,
                f"{where}.flags",
                f"{key!r} is not a flag name (write it without dashes, e.g. stop-at)",
            )
        if key in ("out", "init-from", "init-weights"):
            raise _fail(path, f"{where}.flags", f"{key!r} comes from the run's out/from/init")
    if not isinstance(flags.get("steps"), int) or isinstance(flags.get("steps"), bool):
        raise _fail(path, f"{where}.flags.steps", "every run gives its steps (an integer)")
    values = tuple((k, _flag_value(path, f"{where}.flags.{k}", v)) for k, v in flags.items())
    return Run(name, Path(out), start, values, init)


def read_recipe(path: str | Path) -> Recipe:
    """Parse and check a recipe file; a :class:`RecipeError` names the file and the problem."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RecipeError(f"{path}: cannot be read ({exc.strerror})") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RecipeError(f"{path}: not valid TOML ({exc})") from exc
    if data.get("format") != FORMAT:
        raise _fail(path, "format", f"expected {FORMAT!r}, got {data.get('format')!r}")
    if unknown := sorted(set(data) - _TOP_KEYS):
        raise _fail(path, "top level", f"unknown key(s) {', '.join(unknown)}")
    for key in ("model", "stem", "shipped"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise _fail(path, key, "is required (text)")
    trainer = data.get("trainer")
    if not isinstance(trainer, list) or not trainer or not all(isinstance(a, str) for a in trainer):
        raise _fail(path, "trainer", "must be a non-empty list of texts")
    env = data.get("env", {})
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        raise _fail(path, "env", 'must be a table of NAME = "text"')
    nice = data.get("nice", 0)
    if not isinstance(nice, int) or isinstance(nice, bool) or not 0 <= nice <= 19:
        raise _fail(path, "nice", f"must be an integer in [0, 19], got {nice!r}")
    init = data.get("init", "export")
    if init not in INIT_KINDS:
        raise _fail(path, "init", f"must be one of {', '.join(INIT_KINDS)}, got {init!r}")
    runs_data = data.get("runs")
    if not isinstance(runs_data, dict) or not runs_data:
        raise _fail(path, "runs", "the recipe lists no runs")
    runs: dict[str, Run] = {}
    for name, run_data in runs_data.items():
        runs[name] = _run(path, name, run_data, list(runs))
    if data["shipped"] not in runs:
        raise _fail(path, "shipped", f"{data['shipped']!r} is not one of the runs")
    return Recipe(
        path,
        data["model"],
        data["stem"],
        tuple(trainer),
        data["shipped"],
        tuple(env.items()),
        nice,
        runs,
        init,
    )


def _text(value: int | float | str) -> str:
    return value if isinstance(value, str) else str(value)


def flag_args(flags: Sequence[tuple[str, FlagValue]]) -> list[str]:
    """Trainer arguments from ``(name, value)`` pairs, in order."""
    args: list[str] = []
    for name, value in flags:
        if value is False:
            continue
        args.append("--" + name)
        if isinstance(value, list):
            args.extend(_text(v) for v in value)
        elif value is not True:
            args.append(_text(value))
    return args


@dataclass(frozen=True)
class Command:
    """One command of a recipe: its arguments and the environment it adds."""

    argv: tuple[str, ...]
    """Program and arguments (``nice`` first when the recipe nices its commands)."""
    env: tuple[tuple[str, str], ...]
    """Variables added to the environment."""

    def __str__(self) -> str:
        prefix = "".join(f"{k}={shlex.quote(v)} " for k, v in self.env)
        return prefix + shlex.join(self.argv)


def _command(recipe: Recipe, python: str, args: Sequence[str]) -> Command:
    nice = ("nice", "-n", str(recipe.nice)) if recipe.nice else ()
    return Command((*nice, python, *args), recipe.env)


def train_command(recipe: Recipe, name: str, python: str) -> Command:
    """The command that trains run ``name``."""
    run = recipe.runs[name]
    args = [*recipe.trainer, "--out", str(run.out)]
    args += recipe.start_args(name)
    return _command(recipe, python, args + flag_args(run.flags))


def ship_command(recipe: Recipe, python: str) -> Command:
    """The command that copies the shipped run's export into the add-on's weights."""
    return Command(
        (
            python,
            "-m",
            SHIP_MODULE,
            "--model",
            recipe.model,
            "--from",
            str(recipe.export(recipe.shipped)),
        ),
        (),
    )


def plan(
    recipe: Recipe, names: Sequence[str], ship: bool, python: str, exists: Callable[[Path], bool]
) -> list[Command]:
    """The commands that make ``names`` (and the shipped weights when ``ship``), in order:
    every run after the runs it starts from, each once, none whose export ``exists``."""
    made: set[str] = set()
    commands: list[Command] = []

    def make(name: str) -> None:
        for step in recipe.chain(name):
            if step not in made and not exists(recipe.export(step)):
                commands.append(train_command(recipe, step, python))
            made.add(step)

    if ship:
        make(recipe.shipped)
        commands.append(ship_command(recipe, python))
    for name in names:
        make(name)
    return commands


def execute(commands: Sequence[Command], cwd: Path | None = None) -> None:
    """Run the commands one after the other; stop at the first that fails."""
    for command in commands:
        print(f"recipe: {command}", file=sys.stderr, flush=True)
        env = {**os.environ, **dict(command.env)}
        done = subprocess.run(command.argv, env=env, cwd=cwd, check=False)
        if done.returncode != 0:
            raise SystemExit(f"recipe: failed with exit status {done.returncode}: {command}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m moodrig.weights_tools.recipe",
        description="Train a shipped model's runs from its recipe.",
    )
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="train runs (with the runs they start from) and ship")
    r.add_argument("recipe", type=Path)
    r.add_argument(
        "runs",
        nargs="*",
        metavar="RUN",
        help="runs to train (default: every run; with --ship: none besides it)",
    )
    r.add_argument(
        "--ship",
        action="store_true",
        help="train the shipped run first, then copy it into the add-on's weights",
    )
    r.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    r.add_argument(
        "--python",
        default=sys.executable,
        help="interpreter that runs the commands (default: this one)",
    )
    e = sub.add_parser("export", help="print a run's export manifest path")
    e.add_argument("recipe", type=Path)
    e.add_argument("run", metavar="RUN")
    e.add_argument("--step", type=int, default=None, help="another export step of the run")
    s = sub.add_parser("step", help="print the step a run exports last")
    s.add_argument("recipe", type=Path)
    s.add_argument("run", metavar="RUN")
    a = p.parse_args(argv)
    try:
        recipe = read_recipe(a.recipe)
        asked = a.runs if a.command == "run" else [a.run]
        if unknown := [n for n in asked if n not in recipe.runs]:
            raise RecipeError(
                f"{a.recipe}: no run named {', '.join(unknown)}; the runs are "
                f"{', '.join(recipe.runs)}"
            )
    except RecipeError as exc:
        print(f"recipe: error: {exc}", file=sys.stderr)
        return 2
    if a.command == "export":
        print(recipe.export(a.run, a.step))
        return 0
    if a.command == "step":
        print(export_step(recipe.runs[a.run]))
        return 0
    names = a.runs or ([] if a.ship else list(recipe.runs))
    commands = plan(recipe, names, a.ship, a.python, Path.exists)
    if a.dry_run:
        for command in commands:
            print(command)
        return 0
    execute(commands)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
