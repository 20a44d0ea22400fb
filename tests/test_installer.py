"""The dependency installer's logic, without Blender: requirements from one place, the PyTorch
build for this computer, Blender's own interpreter, the pip commands, progress, failures in
one sentence, and real pip runs into a staging folder (success, failure, Cancel)."""

from __future__ import annotations

import os
import sys
import time
import tomllib
import zipfile
from pathlib import Path

import pytest
from wheel_factory import make_wheel

from moodrig import installer, pip_output, pkg_requirements, torch_builds
from moodrig.installer import InstallError, StepResult

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
sys.path.insert(0, str(REPO))
import build_addon  # noqa: E402

# --- one list of requirements --------------------------------------------------------------


def test_requirements_are_pyprojects_from_the_source_tree_and_from_the_zip(tmp_path: Path) -> None:
    assert pkg_requirements.requirements() == tuple(PYPROJECT)
    with zipfile.ZipFile(build_addon.build(REPO, tmp_path)) as zf:
        text = zf.read("moodrig/requirements.txt").decode()
    assert pkg_requirements.parse_requirements(text) == tuple(PYPROJECT)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "requirements.txt").write_text(text)
    assert pkg_requirements.requirements(tmp_path / "pkg") == tuple(PYPROJECT)


def test_every_requirement_names_the_module_moodrig_imports() -> None:
    names = {pkg_requirements.requirement_name(r) for r in PYPROJECT}
    assert names == set(pkg_requirements.IMPORT_NAMES), (
        "a requirement without an import name, or a stale one"
    )
    assert (
        pkg_requirements.requirement_name("opencv_python.Headless>=4.8") == "opencv-python-headless"
    )


# --- the PyTorch build ---------------------------------------------------------------------

SMI = """Fri Dec  6 10:00:00 2024
+-----------------------------------------------------------------------------------------+
| NVIDIA-SMI 560.35.03              Driver Version: 560.35.03      CUDA Version: {cuda}     |
|-----------------------------------------+------------------------+----------------------+
"""
SMI_L = "GPU 0: NVIDIA GeForce RTX 3060 (UUID: GPU-5a0f3c1e-0000-0000-0000-000000000000)\n"


@pytest.mark.parametrize(
    ("cuda", "expected"),
    [
        ("12.6", "cu126"),
        ("12.5", "cu124"),
        ("13.0", "cu128"),
        ("12.1", "cu121"),
        ("11.8", "cu118"),
        ("11.4", "cpu"),
    ],
)
def test_the_newest_cuda_build_the_driver_supports_is_recommended(cuda: str, expected: str) -> None:
    nvidia = torch_builds.parse_nvidia_smi(SMI.format(cuda=cuda), SMI_L)
    assert nvidia[0] == ["NVIDIA GeForce RTX 3060"]
    rec = torch_builds.recommend("linux", nvidia=nvidia, amd_kfd=False, rocm_version=None)
    assert rec.key == expected
    assert "RTX 3060" in rec.reason
    if expected == "cpu":
        assert "update it" in rec.reason


def test_recommendations_without_an_nvidia_gpu() -> None:
    assert (
        torch_builds.recommend("linux", nvidia=None, amd_kfd=False, rocm_version=None).key == "cpu"
    )
    assert (
        torch_builds.recommend("win32", nvidia=None, amd_kfd=True, rocm_version=None).key == "cpu"
    )
    assert (
        torch_builds.recommend("darwin", nvidia=None, amd_kfd=False, rocm_version=None).key
        == "macos"
    )
    assert (
        torch_builds.recommend("linux", nvidia=None, amd_kfd=True, rocm_version=(6, 3)).key
        == "rocm6.2"
    )
    assert (
        torch_builds.recommend("linux", nvidia=None, amd_kfd=True, rocm_version=(6, 4)).key
        == "rocm6.4"
    )
    assert (
        torch_builds.recommend("linux", nvidia=None, amd_kfd=True, rocm_version=None).key
        == "rocm6.2"
    )


def test_builds_per_platform_and_defaults() -> None:
    keys = {p: [b.key for b in torch_builds.builds_for(p)] for p in ("linux", "win32", "darwin")}
    assert keys["darwin"] == ["macos"]
    assert "cu126" in keys["win32"] and not any(k.startswith("rocm") for k in keys["win32"])
    assert "rocm6.2" in keys["linux"] and keys["linux"][0] == "cpu"
    assert torch_builds.default_build("linux") == torch_builds.default_build("win32") == "cpu"
    assert torch_builds.build("cpu").index_url == "https://download.pytorch.org/whl/cpu"
    assert torch_builds.build("cu126").index_url == "https://download.pytorch.org/whl/cu126"
    assert torch_builds.build("macos").index_url is None
    with pytest.raises(KeyError):
        torch_builds.build("cu999")


def test_detect_reads_a_real_nvidia_smi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    smi = tmp_path / "nvidia-smi"
    smi.write_text(
        '#!/bin/sh\nif [ "$1" = -L ]; then printf \'%s\' "$L"; else printf \'%s\' "$T"; fi\n'
    )
    smi.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("T", SMI.format(cuda="12.4"))
    monkeypatch.setenv("L", SMI_L)
    rec = torch_builds.detect()
    assert rec.key == "cu124" and "RTX 3060" in rec.reason


# --- Blender's own interpreter -------------------------------------------------------------


def _exe(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("")
    return path


def test_own_interpreter_is_the_python_in_blenders_prefix(tmp_path: Path) -> None:
    prefix = tmp_path / "blender" / "4.2" / "python"
    own = _exe(prefix / "bin" / "python3.11")
    shim = _exe(tmp_path / "pyenv" / "shims" / "python3.11")  # first on PATH, another Python
    assert installer.own_interpreter(str(shim), str(prefix), (3, 11), "linux") == own
    assert installer.own_interpreter(str(own), str(prefix), (3, 11), "linux") == own
    assert installer.own_interpreter("", str(prefix), (3, 11), "linux") == own
    win = _exe(tmp_path / "win" / "bin" / "python.exe")
    assert installer.own_interpreter(str(shim), str(tmp_path / "win"), (3, 11), "win32") == win
    with pytest.raises(FileNotFoundError, match="Blender's Python was not found"):
        installer.own_interpreter(str(shim), str(tmp_path / "empty"), (3, 11), "linux")


# --- the plan: pip commands ----------------------------------------------------------------


def _drive(gen, results):  # type: ignore[no-untyped-def]
    steps = [next(gen)]
    for result in results:
        try:
            steps.append(gen.send(result))
        except StopIteration:
            break
    return steps


def test_online_plan_takes_torch_from_the_builds_index_and_the_rest_from_the_default(
    tmp_path: Path,
) -> None:
    gen = installer.plan(
        Path("/b/python3.11"),
        tmp_path / "stage",
        PYPROJECT,
        torch_build=torch_builds.build("cpu"),
        base_env={"PIP_INDEX_URL": "https://mirror"},
    )
    ok = StepResult(0, ())
    check, torch, rest = _drive(gen, [StepResult(0, ("pip 24.2 from /x (python 3.11)",)), ok, ok])
    assert check.argv == ("/b/python3.11", "-m", "pip", "--version")
    argv = list(torch.argv)
    assert argv[:4] == ["/b/python3.11", "-m", "pip", "install"]
    assert argv[argv.index("--index-url") + 1] == "https://download.pytorch.org/whl/cpu"
    assert argv[argv.index("--target") + 1] == str(tmp_path / "stage")
    assert argv[argv.index("--progress-bar") + 1] == "raw"  # pip >= 24.1 reports bytes
    assert "--only-binary=:all:" in argv and argv[-1] == "torch>=2.1"
    assert "--index-url" not in rest.argv and "torch>=2.1" not in rest.argv
    assert set(PYPROJECT) - {"torch>=2.1"} <= set(rest.argv)
    assert (
        rest.env is not None and rest.env["PIP_INDEX_URL"] == "https://mirror"
    )  # the user's pip setup
    assert torch.share[1] - torch.share[0] > 3 * (rest.share[1] - rest.share[0])


def test_folder_plan_uses_only_the_folder_and_no_pip_configuration(tmp_path: Path) -> None:
    gen = installer.plan(
        Path("/b/python"),
        tmp_path / "stage",
        ("torch>=2.1", "numpy>=1.26,<2"),
        torch_build=torch_builds.build("cu126"),
        folder=tmp_path / "wh",
        base_env={"PIP_FIND_LINKS": "/opt/wheels", "PIP_INDEX_URL": "x", "HOME": "/h"},
    )
    _check, step = _drive(gen, [StepResult(0, ("pip 23.0.1 from /usr/lib (python 3.11)",))])
    argv = list(step.argv)
    assert argv[argv.index("--find-links") + 1] == str(tmp_path / "wh") and "--no-index" in argv
    assert "--index-url" not in argv and argv[argv.index("--progress-bar") + 1] == "off"
    assert argv[-2:] == ["torch>=2.1", "numpy>=1.26,<2"]
    assert step.env is not None
    assert not [k for k in step.env if k.startswith("PIP_") and k != "PIP_CONFIG_FILE"]
    assert step.env["PIP_CONFIG_FILE"] == os.devnull and step.env["HOME"] == "/h"


def test_a_missing_pip_is_bootstrapped_or_reported(tmp_path: Path) -> None:
    gen = installer.plan(
        Path("/b/python"), tmp_path, ("pyyaml",), torch_build=torch_builds.build("cpu")
    )
    assert next(gen).argv[-1] == "--version"
    assert gen.send(StepResult(1, ("No module named pip",))).argv[-2:] == (
        "ensurepip",
        "--default-pip",
    )
    with pytest.raises(InstallError, match="has no pip"):
        gen.send(StepResult(1, ("ensurepip is disabled",)))


# --- progress and failures -----------------------------------------------------------------

FOLDER_LOG = """Looking in links: /wh
Processing /wh/numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
Processing /wh/opencv_python_headless-4.11.0.86-cp37-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
Processing /wh/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl
Processing /wh/filelock-4.0.8-py3-none-any.whl
Installing collected packages: mpmath, typing-extensions, sympy, setuptools, safetensors, numpy, networkx, MarkupSafe, fsspec, filelock, opencv-python-headless, jinja2, torch
Successfully installed MarkupSafe-3.0.3 filelock-4.0.8 numpy-1.26.4 torch-2.13.0+cpu"""  # noqa: E501

ONLINE_LOG = """Looking in indexes: https://download.pytorch.org/whl/cpu
Collecting torch>=2.1
  Downloading https://download.pytorch.org/whl/cpu/torch-2.5.1%2Bcpu-cp311-cp311-linux_x86_64.whl.metadata (26 kB)
Collecting filelock (from torch>=2.1)
  Downloading https://download.pytorch.org/whl/filelock-3.13.1-py3-none-any.whl.metadata (2.8 kB)
Downloading https://download.pytorch.org/whl/cpu/torch-2.5.1%2Bcpu-cp311-cp311-linux_x86_64.whl (174.7 MB)
Progress 0 of 174700000
Progress 87350000 of 174700000
Progress 174700000 of 174700000
Downloading https://download.pytorch.org/whl/filelock-3.13.1-py3-none-any.whl (11 kB)
Progress 11000 of 11000
Installing collected packages: filelock, torch
Successfully installed filelock-3.13.1 torch-2.5.1+cpu"""  # noqa: E501


def _feed(text: str) -> list[tuple[float, str]]:
    progress = pip_output.PipProgress()
    seen = []
    for line in text.splitlines():
        progress.feed(line)
        seen.append((progress.fraction, progress.activity))
    return seen


def test_progress_from_a_folder_install() -> None:
    seen = _feed(FOLDER_LOG)
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions), "never goes back"
    assert seen[3] == (pytest.approx(0.1 * (1 - 0.5**3)), "Resolving torch")
    assert seen[-2] == (0.85, "Installing 13 packages")
    assert seen[-1][0] == 1.0


def test_progress_from_downloads_counts_bytes_and_names_the_package() -> None:
    seen = _feed(ONLINE_LOG)
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions)
    # Lines 2 and 4 announce metadata only; line 5 the wheel itself.
    assert seen[2][1] == "Resolving torch" and seen[4][1] == "Resolving filelock"
    assert seen[5][1] == "Downloading torch (174.7 MB)"
    assert seen[7][0] == pytest.approx(0.1 + 0.75 * 0.5 / 2)  # half of the first of two files
    assert seen[-2] == (0.85, "Installing filelock, torch")


OFFLINE_OUTPUT = """WARNING: Retrying (Retry(total=2, connect=None, read=None, redirect=None, status=None)) after connection broken by 'ProxyError('Cannot connect to proxy.', NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7f>: Failed to establish a new connection: [Errno 111] Connection refused'))': /simple/numpy/
ERROR: Could not find a version that satisfies the requirement numpy<2,>=1.24 (from versions: none)
ERROR: No matching distribution found for numpy<2,>=1.24"""  # noqa: E501


def test_failures_become_one_sentence() -> None:
    lines = OFFLINE_OUTPUT.splitlines()
    assert pip_output.explain_failure(lines).startswith(
        "No network: pip could not reach the package index. Install from a folder instead"
    )
    no_wheel = lines[1:]
    assert pip_output.explain_failure(no_wheel).startswith(
        "No matching wheel for this platform: pip found no numpy"
    )
    folder = pip_output.explain_failure(no_wheel, folder=Path("/wh"))
    assert folder.startswith("The folder has no numpy wheel") and "make wheelhouse" in folder
    assert pip_output.explain_failure(
        ["ERROR: Could not install packages due to an OSError: [Errno 28] No space left on device"]
    ).startswith("The disk is full")
    assert (
        pip_output.explain_failure(["ERROR: something odd", "more"])
        == "pip failed: ERROR: something odd"
    )
    for sentence in (pip_output.explain_failure(lines), folder):
        assert "\n" not in sentence and "Retry(" not in sentence


# --- real pip runs -------------------------------------------------------------------------


def _run(job: installer.Installer, timeout: float = 180) -> None:
    end = time.monotonic() + timeout
    while job.poll():
        assert time.monotonic() < end, "install did not finish"
        time.sleep(0.05)


@pytest.fixture
def wheelhouse(tmp_path: Path) -> Path:
    folder = tmp_path / "wheelhouse"
    make_wheel(folder, "moodrig-probe-a", "1.0", requires=("moodrig-probe-b>=2",))
    make_wheel(folder, "moodrig-probe-b", "2.1")
    return folder


def _installer(tmp_path: Path, missing: tuple[str, ...], folder: Path) -> installer.Installer:
    target = tmp_path / "deps"
    staging = tmp_path / "deps.partial"
    steps = installer.plan(
        Path(sys.executable), staging, missing, torch_build=torch_builds.build("cpu"), folder=folder
    )
    return installer.Installer(steps, staging, target, tmp_path / "deps-install.log")


def test_install_from_a_folder_lands_whole_in_the_target(tmp_path: Path, wheelhouse: Path) -> None:
    job = _installer(tmp_path, ("moodrig-probe-a>=1",), wheelhouse)
    _run(job)
    assert job.state == "done", job.message + (tmp_path / "deps-install.log").read_text()
    assert job.fraction == 1.0
    assert (tmp_path / "deps" / "moodrig_probe_a" / "__init__.py").is_file()
    assert (tmp_path / "deps" / "moodrig_probe_b" / "__init__.py").is_file()
    assert not (tmp_path / "deps.partial").exists()
    log = (tmp_path / "deps-install.log").read_text()
    assert "--no-index" in log and "Successfully installed" in log and "moodrig: done" in log
    # A second install merges into the folder without touching what is there.
    make_wheel(wheelhouse, "moodrig-probe-c", "0.5")
    job = _installer(tmp_path, ("moodrig-probe-c",), wheelhouse)
    _run(job)
    assert job.state == "done"
    assert sorted(
        p.name for p in (tmp_path / "deps").iterdir() if not p.name.endswith("-info")
    ) == ["moodrig_probe_a", "moodrig_probe_b", "moodrig_probe_c"]


def test_a_failed_install_says_why_and_leaves_nothing(tmp_path: Path, wheelhouse: Path) -> None:
    (tmp_path / "deps").mkdir()
    (tmp_path / "deps" / "kept.txt").write_text("mine")
    job = _installer(tmp_path, ("moodrig-probe-a", "moodrig-probe-zzz>=1"), wheelhouse)
    _run(job)
    assert job.state == "failed"
    assert job.message.startswith("The folder has no moodrig-probe-zzz wheel")
    assert not (tmp_path / "deps.partial").exists()
    assert [p.name for p in (tmp_path / "deps").iterdir()] == ["kept.txt"]
    assert "No matching distribution found" in (tmp_path / "deps-install.log").read_text()


def test_cancel_stops_pip_and_removes_the_staging_folder(tmp_path: Path) -> None:
    staging, marker = tmp_path / "deps.partial", tmp_path / "pid"
    sleeper = (
        "import os, sys, time, pathlib; p = pathlib.Path(sys.argv[1]); p.mkdir(); "
        "(p / 'half.txt').write_text('x'); pathlib.Path(sys.argv[2]).write_text(str(os.getpid())); "
        "print('Collecting torch>=2.1', flush=True); time.sleep(120)"
    )

    def steps():  # type: ignore[no-untyped-def]
        yield installer.Step(
            "sleeping pip",
            (sys.executable, "-c", sleeper, str(staging), str(marker)),
            None,
            (0.0, 1.0),
        )

    job = installer.Installer(steps(), staging, tmp_path / "deps", tmp_path / "log")
    end = time.monotonic() + 60
    while not marker.exists() or job.activity != "Resolving torch":
        job.poll()
        assert time.monotonic() < end
        time.sleep(0.05)
    assert (staging / "half.txt").exists()
    pid = int(marker.read_text())
    t = time.monotonic()
    job.cancel()
    assert time.monotonic() - t < 5
    assert job.state == "cancelled" and not job.poll()
    assert not staging.exists() and not (tmp_path / "deps").exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_an_interpreter_that_cannot_start_is_a_clear_failure(tmp_path: Path) -> None:
    steps = installer.plan(
        tmp_path / "no-python", tmp_path / "s", ("x",), torch_build=torch_builds.build("cpu")
    )
    job = installer.Installer(steps, tmp_path / "s", tmp_path / "d", tmp_path / "log")
    _run(job)
    assert job.state == "failed" and job.message.startswith("Could not start")


def test_the_wheelhouse_refuses_a_cuda_build_in_a_cpu_folder() -> None:
    sys.path.insert(0, str(REPO))
    import wheelhouse

    gpu = [
        Path("torch-2.5.1-cp311-cp311-manylinux_2_28_x86_64.whl"),
        Path("nvidia_cublas_cu12-12.4.5.8-py3-none-manylinux2014_x86_64.whl"),
    ]
    with pytest.raises(build_addon.BuildError, match="received GPU packages"):
        wheelhouse.check_build(gpu, "cpu")
    wheelhouse.check_build(gpu, "cu124")
    wheelhouse.check_build([Path("torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl")], "cpu")
    with pytest.raises(build_addon.BuildError, match=r"no ROCm 6\.2 PyTorch for windows-x64"):
        wheelhouse.make("windows-x64", "rocm6.2", Path("unused"))
