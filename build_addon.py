#!/usr/bin/env python3
"""Build the installable add-on: ``dist/moodrig-<version>.zip``.

One top folder ``moodrig/`` holding the add-on modules (from ``blender_addon/``), ``core/``,
the ``weights/`` folder, the licence and third-party notices, and ``requirements.txt``
(pyproject's runtime dependencies, which the add-on's installer reads). The same zip installs
as a Blender 4.2+ extension (``blender_manifest.toml``) and as a legacy add-on (``bl_info``,
3.4+).

``--platform linux-x64|windows-x64|macos-arm64|macos-x64`` builds
``dist/moodrig-<version>-<platform>.zip`` instead: the same files plus the small dependencies
(OpenCV headless, safetensors, PyYAML) as wheels for that platform, listed in the manifest's
``wheels`` so Blender 4.2+ installs them with the extension; PyTorch still comes from the
add-on's installer (online or from a wheelhouse). The wheels are fetched with pip.

Reproducible: entries sorted, fixed timestamps and permissions, fixed compression level, so two
builds of the same tree are byte-identical. Refuses to build on a missing or tampered weight
file, or on a manifest that is invalid or disagrees with pyproject's version.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
EXCLUDED_DIRS = {"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
EXCLUDED_SUFFIXES = {".pyc", ".pyo", ".part"}
PYTHON_VERSION = "3.11"
"""Python of every Blender 4.2+ (and of Debian's 3.4): the wheels are for this version."""
PLATFORMS: dict[str, tuple[str, ...]] = {
    "linux-x64": (
        "manylinux_2_28_x86_64",
        "manylinux_2_27_x86_64",
        "manylinux_2_24_x86_64",
        "manylinux_2_17_x86_64",
        "manylinux2014_x86_64",
    ),
    "windows-x64": ("win_amd64",),
    "macos-arm64": ("macosx_11_0_arm64",),
    "macos-x64": ("macosx_11_0_x86_64",),
}
"""Blender's platform name → pip's platform tags (the oldest glibc/macOS Blender 4.2 runs on
and everything older; pip widens the macOS tags itself)."""
EXTENSION_WHEELS = ("opencv-python-headless", "safetensors", "pyyaml")
"""Bundled with a platform build. numpy comes with Blender; torch is too big for a zip."""
REQUIRED_MANIFEST_KEYS = (
    "schema_version",
    "id",
    "version",
    "name",
    "tagline",
    "maintainer",
    "type",
    "blender_version_min",
    "license",
)


class BuildError(Exception):
    """A problem with the tree that stops the build; the message says what to fix."""


def project_version(repo: Path) -> str:
    return str(tomllib.loads((repo / "pyproject.toml").read_text())["project"]["version"])


def project_requirements(repo: Path) -> list[str]:
    """pyproject's [project].dependencies: the one list of moodrig's runtime dependencies."""
    return list(tomllib.loads((repo / "pyproject.toml").read_text())["project"]["dependencies"])


def requirements_txt(repo: Path) -> str:
    lines = [
        "# moodrig's runtime dependencies, written by build_addon.py from pyproject.toml",
        *project_requirements(repo),
    ]
    return "\n".join(lines) + "\n"


def _name(requirement: str) -> str:
    head = requirement.split(";")[0]
    for sep in "<>=!~[ ":
        head = head.split(sep)[0]
    return head.strip().lower().replace("_", "-")


def pip_download(
    requirements: Sequence[str],
    platform: str,
    dest: Path,
    *,
    index_url: str | None = None,
    find_links: Path | None = None,
    python: str = sys.executable,
) -> list[Path]:
    """Wheels for ``platform`` and Python 3.11 (binary only: nothing is built), with their
    dependencies, into ``dest``; the files it holds afterwards. ``find_links``: only that
    folder (a wheelhouse), no index and no pip configuration."""
    if platform not in PLATFORMS:
        raise BuildError(f"unknown platform {platform!r}; one of {', '.join(PLATFORMS)}")
    argv = [
        python,
        "-m",
        "pip",
        "download",
        "--disable-pip-version-check",
        "--no-input",
        "--only-binary=:all:",
        "--python-version",
        PYTHON_VERSION,
        "--implementation",
        "cp",
        "--abi",
        "cp" + PYTHON_VERSION.replace(".", ""),
        "--dest",
        str(dest),
    ]
    for tag in PLATFORMS[platform]:
        argv += ["--platform", tag]
    env = None
    if find_links is not None:
        argv += ["--no-index", "--find-links", str(find_links)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
        env["PIP_CONFIG_FILE"] = os.devnull
    elif index_url:
        argv += ["--index-url", index_url]
    proc = subprocess.run([*argv, *requirements], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-6:])
        raise BuildError(f"pip download for {platform} failed:\n{tail}")
    return sorted(dest.glob("*.whl"))


def extension_wheels(
    repo: Path, platform: str, dest: Path, wheels_from: Path | None = None
) -> list[Path]:
    """The bundled wheels for ``platform``, resolved together with numpy's pin so that OpenCV
    fits the numpy Blender ships; from the index, or only from the folder ``wheels_from``."""
    wanted = [r for r in project_requirements(repo) if _name(r) in (*EXTENSION_WHEELS, "numpy")]
    files = pip_download(wanted, platform, dest, find_links=wheels_from)
    chosen = [f for f in files if _name(f.name.split("-")[0]) in EXTENSION_WHEELS]
    found = {_name(f.name.split("-")[0]) for f in chosen}
    if found != set(EXTENSION_WHEELS):
        raise BuildError(f"no {platform} wheel for {sorted(set(EXTENSION_WHEELS) - found)}")
    return chosen


def platform_manifest(text: str, platform: str, wheels: Sequence[str]) -> str:
    """The manifest of a platform build: ``platforms`` and ``wheels`` added as top-level keys
    (before the first table)."""
    lines = text.splitlines()
    first_table = next((i for i, line in enumerate(lines) if line.startswith("[")), len(lines))
    added = [
        f'platforms = ["{platform}"]',
        "wheels = [" + ", ".join(f'"./wheels/{w}"' for w in wheels) + "]",
        "",
    ]
    return "\n".join(lines[:first_table] + added + lines[first_table:]) + "\n"


def check_blender_manifest(repo: Path, version: str) -> None:
    path = repo / "blender_addon" / "blender_manifest.toml"
    if not path.is_file():
        raise BuildError(f"{path}: missing; Blender 4.2+ needs it to install the extension")
    try:
        manifest = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise BuildError(f"{path}: not valid TOML ({exc})") from exc
    missing = [k for k in REQUIRED_MANIFEST_KEYS if k not in manifest]
    if missing:
        raise BuildError(f"{path}: missing required field(s) {', '.join(missing)}")
    if manifest["id"] != "moodrig" or manifest["type"] != "add-on":
        raise BuildError(f"{path}: id must be 'moodrig' and type 'add-on'")
    if manifest["version"] != version:
        raise BuildError(
            f"{path}: version {manifest['version']!r} differs from pyproject.toml's {version!r}"
        )
    if len(manifest["tagline"]) > 64 or manifest["tagline"][-1:] in ".!?":
        raise BuildError(f"{path}: tagline must be at most 64 characters without a trailing period")


def check_bl_info(repo: Path, version: str) -> None:
    path = repo / "blender_addon" / "__init__.py"
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "bl_info" for t in node.targets
        ):
            info = ast.literal_eval(node.value)
            got = ".".join(str(x) for x in info["version"])
            if got != version:
                raise BuildError(
                    f"{path}: bl_info version {got} differs from pyproject.toml's {version}"
                )
            return
    raise BuildError(f"{path}: no bl_info; Blender 3.4–4.1 needs it to install the add-on")


def check_weights(weights: Path) -> list[Path]:
    """Every manifest's tensor file exists and matches its sha256; no stray weight files."""
    if not weights.is_dir():
        raise BuildError(f"{weights}: weights folder is missing")
    manifests = sorted(weights.rglob("*.manifest.json"))
    covered: set[Path] = set()
    for mpath in manifests:
        try:
            manifest = json.loads(mpath.read_text())
            name = manifest["file"]
            expected = manifest["sha256"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise BuildError(
                f"{mpath}: weights manifest is invalid ({exc}); re-export the weights"
            ) from exc
        wfile = mpath.parent / name
        if not wfile.is_file():
            raise BuildError(
                f"{wfile}: weight file named by {mpath.name} is missing; re-export or restore it"
            )
        digest = hashlib.sha256(wfile.read_bytes()).hexdigest()
        if digest != expected:
            raise BuildError(
                f"{wfile}: sha256 does not match {mpath.name}; the file was modified, re-export it"
            )
        covered.add(wfile)
    stray = [p for p in weights.rglob("*.safetensors") if p not in covered]
    if stray:
        raise BuildError(
            f"{stray[0]}: weight file without a manifest; export it with weights_tools"
        )
    return manifests


def _files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part in EXCLUDED_DIRS or part.startswith(".") for part in rel.parts):
            continue
        if path.is_file() and path.suffix not in EXCLUDED_SUFFIXES:
            yield path


def layout(repo: Path) -> dict[str, Path]:
    """Archive name → source file."""
    entries: dict[str, Path] = {}
    for path in _files(repo / "blender_addon"):
        entries[f"moodrig/{path.relative_to(repo / 'blender_addon').as_posix()}"] = path
    for folder in ("core", "weights"):
        for path in _files(repo / folder):
            entries[f"moodrig/{folder}/{path.relative_to(repo / folder).as_posix()}"] = path
    for name in ("LICENSE", "THIRD_PARTY_NOTICES.md"):
        if not (repo / name).is_file():
            raise BuildError(f"{repo / name}: missing; the add-on must ship it")
        entries[f"moodrig/{name}"] = repo / name
    return dict(sorted(entries.items()))


def build(
    repo: Path = REPO,
    out_dir: Path | None = None,
    platform: str | None = None,
    wheels_from: Path | None = None,
) -> Path:
    """The add-on zip; with ``platform``, the platform build with its bundled wheels (fetched
    by pip, or taken from the folder ``wheels_from``, e.g. a wheelhouse)."""
    version = project_version(repo)
    check_blender_manifest(repo, version)
    check_bl_info(repo, version)
    check_weights(repo / "weights")
    out_dir = out_dir or repo / "dist"
    out_dir.mkdir(parents=True, exist_ok=True)
    members: dict[str, bytes | Path] = dict(layout(repo))
    members["moodrig/requirements.txt"] = requirements_txt(repo).encode()
    name = f"moodrig-{version}.zip"
    with tempfile.TemporaryDirectory() as tmp_dir:
        if platform is not None:
            wheels = extension_wheels(repo, platform, Path(tmp_dir), wheels_from)
            manifest = members["moodrig/blender_manifest.toml"]
            assert isinstance(manifest, Path)
            members["moodrig/blender_manifest.toml"] = platform_manifest(
                manifest.read_text(), platform, [w.name for w in wheels]
            ).encode()
            members.update({f"moodrig/wheels/{w.name}": w for w in wheels})
            name = f"moodrig-{version}-{platform}.zip"
        target = out_dir / name
        _write_zip(target, dict(sorted(members.items())))
    return target


def _write_zip(target: Path, members: dict[str, bytes | Path]) -> None:
    tmp = target.with_suffix(".zip.part")
    with zipfile.ZipFile(tmp, "w") as zf:
        for arcname, src in members.items():
            info = zipfile.ZipInfo(arcname, date_time=ZIP_EPOCH)
            # Wheels are zips already: stored as they are.
            stored = arcname.endswith(".whl")
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            data = src if isinstance(src, bytes) else src.read_bytes()
            zf.writestr(info, data, compresslevel=None if stored else 9)
    tmp.replace(target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: dist/)")
    parser.add_argument(
        "--platform",
        choices=sorted(PLATFORMS),
        default=None,
        help="build for one platform, with OpenCV, safetensors and PyYAML as "
        "bundled wheels (Blender 4.2+ extension)",
    )
    parser.add_argument(
        "--wheels-from",
        type=Path,
        default=None,
        help="with --platform: take the wheels from this folder (a wheelhouse), no index",
    )
    args = parser.parse_args(argv)
    try:
        target = build(REPO, args.out, args.platform, args.wheels_from)
    except BuildError as exc:
        print(f"build_addon: error: {exc}", file=sys.stderr)
        return 1
    print(f"build_addon: wrote {target} ({target.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
