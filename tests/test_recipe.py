"""Training recipes (weights_tools/recipe.py): the shipped models' recipes agree with the
training record in their shipped manifests, and the runner trains what is missing, in order."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from moodrig.weights_tools import recipe as rc

ROOT = Path(__file__).resolve().parents[1]
RECIPES = ROOT / "weights_tools" / "recipes"
SHIPPED = {
    "amee_gan.toml": "weights/amee/amee_gan.manifest.json",
    "style_transfer.toml": "weights/transfer/style_transfer.manifest.json",
    "face_editor.toml": "weights/appearance/face_editor.manifest.json",
    "face_locator.toml": "weights/appearance/face_locator.manifest.json",
}


def _same(recorded: object, value: rc.FlagValue) -> bool:
    if isinstance(value, bool):
        return recorded is value
    if isinstance(value, list):
        return (
            isinstance(recorded, list)
            and len(recorded) == len(value)
            and all(float(a) == float(b) for a, b in zip(recorded, value, strict=True))
        )
    return isinstance(recorded, int | float) and float(recorded) == float(value)


def _recorded(training: dict[str, object], flag: str) -> tuple[str, object]:
    """A flag's setting in a training record: at the top, or in the model's settings (the face
    editor's ``--coarse-flow``; ``--no-x`` is the model's ``x`` turned off)."""
    key = flag.replace("-", "_")
    model = training.get("model")
    if key in training:
        return key, training[key]
    if isinstance(model, dict) and key in model:
        return key, model[key]
    if isinstance(model, dict) and key.startswith("no_") and key[3:] in model:
        return key, not model[key[3:]]
    raise AssertionError(f"--{flag} is not in the shipped training record")


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_the_shipped_run_is_what_the_shipped_manifest_records(name: str) -> None:
    recipe = rc.read_recipe(RECIPES / name)
    training = json.loads((ROOT / SHIPPED[name]).read_text())["training"]
    run = recipe.runs[recipe.shipped]
    start = recipe.start_args(recipe.shipped)
    if start and start[0] == "--init-weights":
        # Loaded from an export file, which may since have been shipped and replaced: the
        # record says that the run started from weights, and that it did not --init-from.
        assert training.get("init_weights") and not training.get("init_from")
    else:
        assert training.get("init_from", "") == (start[1] if start else "")
    trained = training.get("trained_steps", training.get("step", training["steps"]))
    assert trained == rc.export_step(run)
    for flag, value in run.flags:
        key, recorded = _recorded(training, flag)
        assert _same(recorded, value), f"{name}: --{flag} {value} vs {key} = {recorded}"


def test_every_recipe_file_reads_and_the_shipped_chain_starts_from_scratch() -> None:
    files = sorted(RECIPES.glob("*.toml"))
    assert {f.name for f in files} == set(SHIPPED)
    for path in files:
        recipe = rc.read_recipe(path)
        chain = recipe.chain(recipe.shipped)
        assert recipe.runs[chain[0]].start is None and chain[-1] == recipe.shipped


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_run_of_a_recipe_is_a_valid_trainer_command(name: str) -> None:
    """Each run's command line parses in its trainer (``--dry-run``: nothing is trained)."""
    recipe = rc.read_recipe(RECIPES / name)
    for run in recipe.runs:
        argv = list(rc.train_command(recipe, run, sys.executable).argv)
        done = subprocess.run(
            [*argv[argv.index(sys.executable) :], "--dry-run"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, f"{name} {run}: {done.stderr[-500:]}"
        resolved = json.loads(done.stdout)
        assert resolved["out"] == str(recipe.runs[run].out)


def test_checkpoint_recipes_start_from_the_run_folder(tmp_path: Path) -> None:
    recipe = rc.read_recipe(RECIPES / "face_editor.toml")
    assert recipe.init == "checkpoint"
    cmd = rc.train_command(recipe, "editor4", "python")
    assert cmd.argv[cmd.argv.index("--init-from") + 1] == "runs/faceedit/editor3"
    bad = tmp_path / "bad.toml"
    bad.write_text('init = "state"\n' + (RECIPES / "face_locator.toml").read_text())
    with pytest.raises(rc.RecipeError, match="init: must be one of export, checkpoint, weights"):
        rc.read_recipe(bad)


def test_a_run_can_start_from_the_exported_weights_of_another(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text(
        'format = "moodrig.recipe/1"\nmodel = "m"\nstem = "m"\ntrainer = ["t.py"]\n'
        'shipped = "b"\ninit = "checkpoint"\n'
        '[runs.a]\nout = "runs/a"\nflags = { steps = 4 }\n'
        '[runs.b]\nout = "runs/b"\nfrom = "a"\ninit = "weights"\nflags = { steps = 2 }\n'
    )
    recipe = rc.read_recipe(path)
    assert str(rc.train_command(recipe, "b", "py")) == (
        "py t.py --out runs/b --init-weights runs/a/export/m_step000004.manifest.json --steps 2"
    )
    path.write_text(path.read_text().replace('init = "weights"', 'init = "copy"'))
    with pytest.raises(rc.RecipeError, match=r"runs\.b\.init: must be one of"):
        rc.read_recipe(path)


def test_dry_run_prints_the_chain_then_the_ship_command_each_run_once() -> None:
    recipe = rc.read_recipe(RECIPES / "amee_gan.toml")
    commands = rc.plan(recipe, ["full", "no_mask"], True, "py", lambda p: False)
    outs = [c.argv[c.argv.index("--out") + 1] for c in commands if "--out" in c.argv]
    chain = [str(recipe.runs[n].out) for n in recipe.chain(recipe.shipped)]
    assert outs == [*chain, "runs/amee/no_mask"]
    ship = commands[len(chain)]
    assert ship.argv == (
        "py",
        "-m",
        rc.SHIP_MODULE,
        "--model",
        "amee",
        "--from",
        str(recipe.export(recipe.shipped)),
    )
    first = str(commands[0])
    assert first == (
        "py -m moodrig.weights_tools.amee_train --threads 1 --out runs/amee/full "
        "--steps 5000 --stop-at 1500 --adv-ramp 1000 --lambda-mag-g 160"
    )


def test_niced_commands_with_an_environment_print_as_a_shell_line() -> None:
    recipe = rc.read_recipe(RECIPES / "style_transfer.toml")
    line = str(rc.train_command(recipe, "stage2", ".venv/bin/python"))
    assert line == (
        "OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python -m "
        "moodrig.weights_tools.transfer_train --threads 1 --out runs/transfer/stage2 "
        "--init-from runs/transfer/full/export/style_transfer_step002500.manifest.json"
        " --steps 1500 --lr-g 2e-4 --lr-d 1e-4 --lr-decay-from 0.3"
    )
    assert recipe.export("full", 1000).name == "style_transfer_step001000.manifest.json"


FAKE_TRAINER = """
import json, sys
from pathlib import Path
a = sys.argv[1:]
out = Path(a[a.index("--out") + 1])
steps = int(a[a.index("--steps") + 1])
(out / "export").mkdir(parents=True, exist_ok=True)
(out / "export" / f"m_step{steps:06d}.manifest.json").write_text(json.dumps(a))
with open("log.txt", "a") as f:
    f.write(" ".join(a) + "\\n")
"""


def _recipe(tmp: Path, extra: str = "") -> Path:
    (tmp / "trainer.py").write_text(FAKE_TRAINER)
    path = tmp / "r.toml"
    path.write_text(f"""format = "moodrig.recipe/1"
model = "amee"
stem = "m"
trainer = ["trainer.py"]
shipped = "b"
{extra}
[runs.a]
out = "runs/a"
flags = {{steps = 3, flag = true, off = false, widths = [1, 2]}}
[runs.b]
out = "runs/b"
from = "a"
flags = {{steps = 4, lr = "1e-4"}}
""")
    return path


def test_the_runner_trains_what_is_missing_in_order_and_skips_what_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _recipe(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert rc.main(["run", str(path), "b", "--python", sys.executable]) == 0
    log = (tmp_path / "log.txt").read_text().splitlines()
    assert log == [
        "--out runs/a --steps 3 --flag --widths 1 2",
        "--out runs/b --init-from runs/a/export/m_step000003.manifest.json --steps 4 --lr 1e-4",
    ]
    (tmp_path / "runs/b/export/m_step000004.manifest.json").unlink()
    assert rc.main(["run", str(path), "--python", sys.executable]) == 0
    assert (tmp_path / "log.txt").read_text().splitlines()[2:] == [log[1]]


def test_dry_run_runs_nothing(tmp_path: Path) -> None:
    path = _recipe(tmp_path)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "moodrig.weights_tools.recipe",
            "run",
            str(path),
            "--ship",
            "--dry-run",
            "--python",
            "py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.splitlines() == [
        "py trainer.py --out runs/a --steps 3 --flag --widths 1 2",
        "py trainer.py --out runs/b --init-from runs/a/export/m_step000003.manifest.json "
        "--steps 4 --lr 1e-4",
        f"py -m {rc.SHIP_MODULE} --model amee --from runs/b/export/m_step000004.manifest.json",
    ]
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ("bogus = 1", "unknown key(s) bogus"),
        ("nice = 40", "nice: must be an integer in [0, 19]"),
    ],
)
def test_a_bad_recipe_is_one_line_naming_the_file_and_the_key(
    tmp_path: Path, extra: str, problem: str
) -> None:
    with pytest.raises(rc.RecipeError, match=r"r\.toml: .*") as err:
        rc.read_recipe(_recipe(tmp_path, extra))
    assert problem in str(err.value) and "\n" not in str(err.value)


def test_a_run_starting_from_a_later_run_is_refused(tmp_path: Path) -> None:
    path = _recipe(tmp_path)
    path.write_text(path.read_text().replace('from = "a"', 'from = "c"'))
    with pytest.raises(rc.RecipeError, match=r"runs\.b\.from: 'c' is not a run listed before"):
        rc.read_recipe(path)


def test_an_unknown_run_name_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert rc.main(["export", str(_recipe(tmp_path)), "zzz"]) == 2
    assert "no run named zzz" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")
def test_make_dry_run_prints_the_recipe_commands() -> None:
    done = subprocess.run(
        ["make", "-n", f"VPY={sys.executable}", "amee-ship", "amee-eval"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    recipe = rc.read_recipe(RECIPES / "amee_gan.toml")
    expected = [
        str(c) for c in rc.plan(recipe, [], True, sys.executable, lambda p: (ROOT / p).exists())
    ]
    lines = done.stdout.splitlines()
    assert all(line in lines for line in expected)
    assert f"steps={recipe.export('no_mag')}" in done.stdout
