"""Convert MediaPipe's face detector and Face Mesh ``.tflite`` models to moodrig weights.

Source: the ``mediapipe==0.10.21`` wheel (Apache-2.0), fetched with
``pip download --no-deps`` into ``build/mediapipe/`` and read as a zip; mediapipe is never
installed. The ``.tflite`` flatbuffers are parsed by ``mediapipe_tflite_reader.py`` in the
throwaway parity venv (which has the ``tflite`` package); this script, run with moodrig's
own venv, rebuilds each graph as :class:`moodrig.core.face.tflite_net.TfliteNet`, checks that
the weights load strictly, and writes ``weights/face/<name>.safetensors`` + manifest.

    .venv/bin/python -m moodrig.weights_tools.convert_mediapipe [--parity-python PATH]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import torch

from moodrig.core.face.models import DETECTOR, MESH, ModelSpec
from moodrig.core.face.tflite_net import build
from moodrig.core.paths import weights_dir
from moodrig.core.weights import export_weights

REPO = Path(__file__).resolve().parent.parent
WHEEL_VERSION = "0.10.21"
WHEEL_GLOB = f"mediapipe-{WHEEL_VERSION}-*.whl"


def find_or_fetch_wheel(folder: Path) -> Path:
    wheels = sorted(folder.glob(WHEEL_GLOB))
    if not wheels:
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                f"mediapipe=={WHEEL_VERSION}",
                "--python-version",
                "3.11",
                "--only-binary=:all:",
                "-d",
                str(folder),
            ],
            check=True,
        )
        wheels = sorted(folder.glob(WHEEL_GLOB))
    if not wheels:
        raise SystemExit(f"no {WHEEL_GLOB} in {folder}")
    return wheels[0]


def extract(wheel: Path, member: str, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / Path(member).name
    with zipfile.ZipFile(wheel) as zf:
        target.write_bytes(zf.read(member))
    return target


def convert(
    spec: ModelSpec, wheel: Path, build_dir: Path, parity_python: Path, out_dir: Path
) -> Path:
    tfl = extract(wheel, spec.wheel_member, build_dir / "tflite")
    prefix = build_dir / spec.name
    reader = REPO / "weights_tools" / "mediapipe_tflite_reader.py"
    subprocess.run([str(parity_python), str(reader), str(tfl), str(prefix)], check=True)
    arch = json.loads(prefix.with_suffix(".json").read_text(encoding="utf-8"))
    with np.load(prefix.with_suffix(".npz")) as npz:
        tensors = {k: torch.from_numpy(np.array(npz[k], dtype=np.float32)) for k in npz.files}
    net = build(arch, tensors)  # strict load: every parameter present, shapes equal
    shape = arch["input_shape_nhwc"]
    with torch.inference_mode():
        outs = net(torch.zeros(1, shape[3], shape[1], shape[2]))
    if [list(o.shape) for o in outs] != arch["output_shapes"]:
        raise SystemExit(
            f"{spec.name}: output shapes {[list(o.shape) for o in outs]} != {arch['output_shapes']}"
        )
    return export_weights(
        out_dir / f"{spec.name}.safetensors",
        tensors,
        model=spec.model,
        model_version=spec.version,
        architecture=arch,
        training={"source": "converted, not trained"},
        extra={
            "source": {
                "package": f"mediapipe=={WHEEL_VERSION}",
                "wheel": wheel.name,
                "member": spec.wheel_member,
                "tflite_sha256": hashlib.sha256(tfl.read_bytes()).hexdigest(),
                "license": "Apache-2.0 (see THIRD_PARTY_NOTICES.md)",
            },
            "input": {"size": shape[1], "range": list(spec.input_range), "layout": "NCHW RGB"},
        },
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--build-dir", type=Path, default=REPO / "build" / "mediapipe")
    ap.add_argument("--parity-python", type=Path, default=REPO / ".venv-parity" / "bin" / "python")
    ap.add_argument("--out", type=Path, default=weights_dir() / "face")
    args = ap.parse_args(argv)
    if not args.parity_python.exists():
        raise SystemExit(f"{args.parity_python} is missing: run `make parity-venv` first")
    wheel = find_or_fetch_wheel(args.build_dir)
    for spec in (DETECTOR, MESH):
        print(f"wrote {convert(spec, wheel, args.build_dir, args.parity_python, args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
