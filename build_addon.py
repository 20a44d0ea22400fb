#!/usr/bin/env python3
"""Build the installable add-on: ``dist/moodrig-<version>.zip``.

One top folder ``moodrig/`` holding the add-on modules (from ``blender_addon/``), ``core/``,
the ``weights/`` folder, the licence and third-party notices. The same zip installs as a
Blender 4.2+ extension (``blender_manifest.toml``) and as a legacy add-on (``bl_info``, 3.4+).

Reproducible: entries sorted, fixed timestamps and permissions, fixed compression level, so two
builds of the same tree are byte-identical. Refuses to build on a missing or tampered weight
file, or on a manifest that is invalid or disagrees with pyproject's version.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
EXCLUDED_DIRS = {"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
EXCLUDED_SUFFIXES = {".pyc", ".pyo", ".part"}
REQUIRED_MANIFEST_KEYS = ("schema_version", "id", "version", "name", "tagline", "maintainer", "type",
                          "blender_version_min", "license")


class BuildError(Exception):
    """A problem with the tree that stops the build; the message says what to fix."""


def project_version(repo: Path) -> str:
    return str(tomllib.loads((repo / "pyproject.toml").read_text())["project"]["version"])


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
        raise BuildError(f"{path}: version {manifest['version']!r} differs from pyproject.toml's {version!r}")
    if len(manifest["tagline"]) > 64 or manifest["tagline"][-1:] in ".!?":
        raise BuildError(f"{path}: tagline must be at most 64 characters without a trailing period")


def check_bl_info(repo: Path, version: str) -> None:
    path = repo / "blender_addon" / "__init__.py"
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "bl_info" for t in node.targets):
            info = ast.literal_eval(node.value)
            got = ".".join(str(x) for x in info["version"])
            if got != version:
                raise BuildError(f"{path}: bl_info version {got} differs from pyproject.toml's {version}")
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
            raise BuildError(f"{mpath}: weights manifest is invalid ({exc}); re-export the weights") from exc
        wfile = mpath.parent / name
        if not wfile.is_file():
            raise BuildError(f"{wfile}: weight file named by {mpath.name} is missing; re-export or restore it")
        digest = hashlib.sha256(wfile.read_bytes()).hexdigest()
        if digest != expected:
            raise BuildError(f"{wfile}: sha256 does not match {mpath.name}; the file was modified, re-export it")
        covered.add(wfile)
    stray = [p for p in weights.rglob("*.safetensors") if p not in covered]
    if stray:
        raise BuildError(f"{stray[0]}: weight file without a manifest; export it with weights_tools")
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


def build(repo: Path = REPO, out_dir: Path | None = None) -> Path:
    version = project_version(repo)
    check_blender_manifest(repo, version)
    check_bl_info(repo, version)
    check_weights(repo / "weights")
    out_dir = out_dir or repo / "dist"
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"moodrig-{version}.zip"
    tmp = target.with_suffix(".zip.part")
    with zipfile.ZipFile(tmp, "w") as zf:
        for arcname, src in layout(repo).items():
            info = zipfile.ZipInfo(arcname, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            zf.writestr(info, src.read_bytes(), compresslevel=9)
    tmp.replace(target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: dist/)")
    args = parser.parse_args(argv)
    try:
        target = build(REPO, args.out)
    except BuildError as exc:
        print(f"build_addon: error: {exc}", file=sys.stderr)
        return 1
    print(f"build_addon: wrote {target} ({target.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
