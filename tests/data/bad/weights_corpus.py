"""Hostile weights: manifests whose tensors match their sha256 but whose architecture asks for
far more than the file holds, and tensor files and manifests of impossible sizes.

Each case exports a small, valid model into a folder of its own, then edits it. Loading must
refuse it with a WeightsError containing ``phrase``, quickly and without allocating what the
manifest asks for (tests/test_reliability_weights.py runs every case, and all of them in one
child process whose peak memory is measured).

    python tests/data/bad/weights_corpus.py          # every case, one JSON line each
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GiB = 1 << 30


@dataclass(frozen=True)
class WeightsCase:
    name: str
    model: str
    """What is exported and loaded: 'amee', 'transfer' or 'face_mesh' (the shipped network)."""
    edit: Callable[[Path], None]
    """Changes the exported manifest (``folder/model.manifest.json``) or tensor file."""
    phrase: str
    """Text the WeightsError must contain."""


def manifest_of(folder: Path) -> Path:
    return folder / "model.manifest.json"


def export(model: str, folder: Path) -> Path:
    """A small valid export of ``model`` in ``folder``; returns its manifest."""
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    if model == "amee":
        from moodrig.core.amee.config import AmeeConfig
        from moodrig.core.amee.model import Generator
        from moodrig.core.amee.weights_io import AMEE_WEIGHTS

        net = Generator(
            AmeeConfig(
                resolution=32, enc_channels=(4, 8, 8, 16, 16), n_residual=1, disc_channels=(8, 16)
            )
        )
        return AMEE_WEIGHTS.export(folder / "model.safetensors", net)
    if model == "transfer":
        from moodrig.core.transfer.config import TransferConfig
        from moodrig.core.transfer.model import TransferModel
        from moodrig.core.transfer.weights_io import TRANSFER_WEIGHTS

        tnet = TransferModel(
            TransferConfig(
                resolution=32, channels=(4, 4, 8), n_residual=1, mlp_dim=8, disc_channels=(8, 16)
            )
        )
        return TRANSFER_WEIGHTS.export(folder / "model.safetensors", tnet)
    if model == "face_mesh":
        from moodrig.core.paths import weights_dir

        src = weights_dir() / "face"
        shutil.copy(src / "face_mesh.safetensors", folder / "model.safetensors")
        m = json.loads((src / "face_mesh.manifest.json").read_text())
        m["file"] = "model.safetensors"
        manifest_of(folder).write_text(json.dumps(m))
        return manifest_of(folder)
    raise ValueError(model)


def load(model: str, manifest: Path) -> Any:
    """The loader the product uses for ``model``."""
    if model == "amee":
        from moodrig.core.amee.weights_io import AMEE_WEIGHTS

        return AMEE_WEIGHTS.load(manifest)
    if model == "transfer":
        from moodrig.core.transfer.weights_io import TRANSFER_WEIGHTS

        return TRANSFER_WEIGHTS.load(manifest)
    return _load_face(manifest)


def _load_face(manifest: Path) -> Any:
    """``load_net`` reads ``<folder>/face_mesh.manifest.json``: give it that name."""
    from moodrig.core.face.models import MESH, load_net

    target = manifest.with_name("face_mesh.manifest.json")
    if not target.exists():
        os.link(manifest, target)
    return load_net(MESH, manifest.parent)


# --------------------------------------------------------------------------- edits


def _manifest(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(manifest_of(folder).read_text())
    return data


def _write(folder: Path, m: dict[str, Any]) -> None:
    manifest_of(folder).write_text(json.dumps(m))


def arch(**changes: Any) -> Callable[[Path], None]:
    """Set architecture fields; the tensors (and their sha256) stay as exported."""

    def edit(folder: Path) -> None:
        m = _manifest(folder)
        m["architecture"].update(changes)
        _write(folder, m)

    return edit


def field(**changes: Any) -> Callable[[Path], None]:
    """Set top-level manifest fields."""

    def edit(folder: Path) -> None:
        m = _manifest(folder)
        m.update(changes)
        _write(folder, m)

    return edit


def layer(kind: str, **changes: Any) -> Callable[[Path], None]:
    """Change the first face-network layer of kind ``kind``."""

    def edit(folder: Path) -> None:
        m = _manifest(folder)
        spec = next(s for s in m["architecture"]["layers"] if s["op"] == kind)
        spec.update(changes)
        _write(folder, m)

    return edit


def extra_layer(**spec: Any) -> Callable[[Path], None]:
    """Append one layer that reads the input image (nothing reads its output)."""

    def edit(folder: Path) -> None:
        m = _manifest(folder)
        m["architecture"]["layers"].append({"in": [0], "out": 10_000, "name": "extra", **spec})
        _write(folder, m)

    return edit


def many_layers(n: int) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        m = _manifest(folder)
        relu = {"op": "relu", "in": [0], "out": 0, "name": "r"}
        m["architecture"]["layers"] = m["architecture"]["layers"] + [relu] * n
        _write(folder, m)

    return edit


def tensor_declared(shape: list[int], nbytes: int) -> Callable[[Path], None]:
    """The manifest declares one more, huge tensor and a tensor file of ``nbytes``; the file is
    made that size, sparse (no disk is used)."""

    def edit(folder: Path) -> None:
        m = _manifest(folder)
        m["tensors"]["huge"] = {"shape": shape, "dtype": "float32"}
        m["bytes"] = nbytes
        _write(folder, m)
        with open(folder / "model.safetensors", "r+b") as fh:
            fh.truncate(nbytes)

    return edit


def sparse_weights(nbytes: int, declare: bool) -> Callable[[Path], None]:
    """The tensor file grown to ``nbytes`` (sparse); ``declare``: the manifest says so too."""

    def edit(folder: Path) -> None:
        with open(folder / "model.safetensors", "r+b") as fh:
            fh.truncate(nbytes)
        if declare:
            field(bytes=nbytes)(folder)

    return edit


def sparse_manifest(nbytes: int) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        with open(manifest_of(folder), "r+b") as fh:
            fh.truncate(nbytes)

    return edit


def padded_manifest(nbytes: int) -> Callable[[Path], None]:
    """Valid JSON, padded with spaces to ``nbytes``."""

    def edit(folder: Path) -> None:
        text = manifest_of(folder).read_text()
        manifest_of(folder).write_text(text + " " * (nbytes - len(text)))

    return edit


def raw_manifest(text: str) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        manifest_of(folder).write_text(text)

    return edit


def weights_replaced_by(kind: str) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        w = folder / "model.safetensors"
        w.unlink()
        if kind == "fifo":
            os.mkfifo(w)
        elif kind == "dev_zero":
            w.symlink_to("/dev/zero")
        else:
            w.mkdir()

    return edit


M = 10**6
G = 10**9

CASES: list[WeightsCase] = [
    # AMEE-GAN: every architecture field inflated, the tensors left as exported.
    WeightsCase("amee_n_residual_1e6", "amee", arch(n_residual=M), "n_residual must be in"),
    WeightsCase("amee_n_residual_32", "amee", arch(n_residual=32), "do not match the architecture"),
    WeightsCase("amee_resolution_1e9", "amee", arch(resolution=G), "resolution must be in"),
    WeightsCase("amee_resolution_1024", "amee", arch(resolution=1024), "resolution must be in"),
    WeightsCase(
        "amee_feature_maps_512", "amee", arch(resolution=512, enc_channels=[64] * 5), "feature maps"
    ),
    WeightsCase("amee_resolution_float", "amee", arch(resolution=32.0), "whole number"),
    WeightsCase(
        "amee_enc_channels_1e6", "amee", arch(enc_channels=[M] * 5), "enc_channels must be in"
    ),
    WeightsCase(
        "amee_enc_channels_1024", "amee", arch(enc_channels=[1024] * 5), "architecture needs"
    ),
    WeightsCase("amee_enc_channels_many", "amee", arch(enc_channels=[4] * 100_000), "at most 8"),
    WeightsCase(
        "amee_disc_channels_1e6", "amee", arch(disc_channels=[M, M]), "disc_channels must be in"
    ),
    WeightsCase("amee_n_expression_1e6", "amee", arch(n_expression=M), "n_expression must be in"),
    WeightsCase("amee_n_expression_64", "amee", arch(n_expression=64), "architecture needs"),
    WeightsCase("amee_skips_1e6", "amee", arch(skips=M), "true or false"),
    WeightsCase("amee_inject_string", "amee", arch(inject="yes"), "true or false"),
    WeightsCase("amee_use_mask_off", "amee", arch(use_mask=False), "do not match the architecture"),
    WeightsCase("amee_magnitude_head_null", "amee", arch(magnitude_head=None), "true or false"),
    WeightsCase("amee_source_input_on", "amee", arch(source_input=True), "architecture needs"),
    WeightsCase("amee_unknown_field", "amee", arch(n_layers=M), "unknown AmeeConfig field"),
    WeightsCase("amee_architecture_list", "amee", field(architecture=[M]), "must be an object"),
    # The transfer model: every architecture field.
    WeightsCase("transfer_n_residual_1e6", "transfer", arch(n_residual=M), "n_residual must be in"),
    WeightsCase("transfer_resolution_1e9", "transfer", arch(resolution=G), "resolution must be in"),
    WeightsCase(
        "transfer_channels_1e6", "transfer", arch(channels=[M, M, M]), "channels must be in"
    ),
    WeightsCase("transfer_style_dim_1e6", "transfer", arch(style_dim=M), "style_dim must be in"),
    WeightsCase("transfer_style_dim_1024", "transfer", arch(style_dim=1024), "architecture needs"),
    WeightsCase("transfer_mlp_dim_1e6", "transfer", arch(mlp_dim=M), "mlp_dim must be in"),
    WeightsCase(
        "transfer_disc_channels_1e6",
        "transfer",
        arch(disc_channels=[M] * 8),
        "disc_channels must be in",
    ),
    WeightsCase("transfer_spatial_style_2", "transfer", arch(spatial_style=2), "true or false"),
    WeightsCase(
        "transfer_use_mask_off", "transfer", arch(use_mask=False), "do not match the architecture"
    ),
    # The face networks: the layer list comes from the manifest.
    WeightsCase("face_conv_cout_1e6", "face_mesh", layer("conv", cout=M), "architecture needs"),
    WeightsCase(
        "face_conv_kernel_1e4",
        "face_mesh",
        layer("conv", kernel=[10_000, 10_000]),
        "architecture needs",
    ),
    WeightsCase(
        "face_pad_1e6",
        "face_mesh",
        layer("pad", pads=[[0, 0], [M, M], [M, M], [0, 0]]),
        "architecture config is invalid",
    ),
    WeightsCase(
        "face_extra_pad_1e6",
        "face_mesh",
        extra_layer(op="pad", pads=[[0, 0], [M, M], [M, M], [0, 0]]),
        "tensor elements",
    ),
    WeightsCase(
        "face_extra_pad_batch",
        "face_mesh",
        extra_layer(op="pad", pads=[[M, M], [0, 0], [0, 0], [0, 0]]),
        "batch axis",
    ),
    WeightsCase("face_prelu_1e9", "face_mesh", layer("prelu", channels=G), "architecture needs"),
    WeightsCase("face_unknown_op", "face_mesh", layer("add", op="fft"), "unknown op"),
    WeightsCase("face_30000_layers", "face_mesh", many_layers(30_000), "more than the limit"),
    WeightsCase(
        "face_architecture_string",
        "face_mesh",
        field(architecture="x" * 1000),
        "architecture config is invalid",
    ),
    # Sizes: checked from the manifest and os.stat before anything is read.
    WeightsCase("declared_1e9_elements", "amee", tensor_declared([G], 4 * G), "tensor elements"),
    WeightsCase("declared_negative_shape", "amee", tensor_declared([-5], 100), "no valid shape"),
    WeightsCase(
        "declared_bytes_5GiB",
        "amee",
        sparse_weights(5 * GiB, declare=True),
        "more than its tensors can need",
    ),
    WeightsCase(
        "weights_file_5GiB", "amee", sparse_weights(5 * GiB, declare=False), "truncated or replaced"
    ),
    WeightsCase("manifest_3GiB", "amee", sparse_manifest(3 * GiB), "more than the limit"),
    WeightsCase("manifest_padded_2MB", "amee", padded_manifest(2_000_000), "more than the limit"),
    WeightsCase(
        "manifest_nested_100k",
        "amee",
        raw_manifest("[" * 100_000 + "]" * 100_000),
        "not valid JSON",
    ),
    WeightsCase(
        "manifest_5000_digit_number",
        "amee",
        raw_manifest('{"bytes": ' + "9" * 5000 + "}"),
        "not valid JSON",
    ),
    WeightsCase("manifest_bytes_is_a_string", "amee", field(bytes="1e9"), "must be a whole number"),
    WeightsCase("weights_file_fifo", "amee", weights_replaced_by("fifo"), "not a regular file"),
    WeightsCase(
        "weights_file_dev_zero", "amee", weights_replaced_by("dev_zero"), "not a regular file"
    ),
    WeightsCase("weights_file_folder", "amee", weights_replaced_by("folder"), "not a regular file"),
]


def make(case: WeightsCase, folder: Path) -> Path:
    """The case's files in ``folder``; returns the manifest."""
    export(case.model, folder)
    case.edit(folder)
    return manifest_of(folder)


def run(case: WeightsCase, folder: Path) -> dict[str, Any]:
    """Load the case: the outcome, its message and how long it took."""
    from moodrig.core.errors import WeightsError

    manifest = make(case, folder)
    t0 = time.perf_counter()
    try:
        load(case.model, manifest)
        outcome, message = "loaded", ""
    except WeightsError as exc:
        outcome, message = "refused", str(exc)
    seconds = time.perf_counter() - t0
    ok = outcome == "refused" and case.phrase.lower() in message.lower() and "\n" not in message
    return {
        "name": case.name,
        "outcome": outcome,
        "message": message[:300],
        "seconds": seconds,
        "ok": ok,
    }


def main(argv: list[str]) -> int:
    import tempfile

    names = set(argv)
    with tempfile.TemporaryDirectory() as tmp:
        for case in CASES:
            if names and case.name not in names:
                continue
            print(json.dumps(run(case, Path(tmp) / case.name)), flush=True)
            shutil.rmtree(Path(tmp) / case.name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
