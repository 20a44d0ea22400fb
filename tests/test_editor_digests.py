"""The shipped editors' outputs, bit for bit: refactors of the editing stack must not move a bit.

Both shipped models edit painter textures at 256 px on CPU with one thread, and are fine-tuned
for three steps on a painter sheet; the sha256 of every output (edited texture and mask) and
the tuned weights' content ids are compared with values recorded from the editors as they
are. Float32 convolutions round differently per instruction set (oneDNN picks its kernels per
CPU) and per thread count, so the digests are computed in a child process pinned to one thread
and to AVX2 kernels (``ATEN_CPU_CAPABILITY``, ``ONEDNN_MAX_CPU_ISA``), which every supported
x86-64 development and CI machine has, and compared with the digests recorded per kind of CPU
(:data:`DIGESTS`); the model ids (content hashes of the stored tensors) are the same
everywhere.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

from moodrig.core.amee.finetune import FinetuneConfig, finetune
from moodrig.core.amee.infer import AmeeEditor
from moodrig.core.detail import detail_vector
from moodrig.core.expression import expression_vector
from moodrig.core.painter import DEFAULT_STYLE, paint_face, random_style
from moodrig.core.transfer.finetune import TransferFinetuneConfig, finetune_transfer
from moodrig.core.transfer.infer import TransferEditor

AMEE_ID = "649323549c1f"
TRANSFER_ID = "fb8f8e75428c"

PINNED_ENV = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "OMP_NUM_THREADS": "1"}
XEON_AVX2 = {
    "amee": "dc5293ed651631b31e7687df2ffb80329746789812f1e4ad2069f8d851951d9c",
    "amee_neutral_source": "3fbac3534267c1b02a9db9e2fb7c677df0f677ddbcd52f6ab3a4eb3e3e786662",
    "amee_rgb": "eda77d1940d67fc1bd40eff611b024b87d7c6a04517006dc773636f900f3e373",
    "transfer": "c5bccf2b969f7f27bd3834e72081198d4f2d427961bee92520ccc6ae542c4fe3",
    "transfer_rgb": "1e6ffd9c1ae0e04d1e7bb0e1c4aee6aa1d12df0506ee16002212e474fd3b9c73",
    "amee_finetune": "04efc33d5913",
    "transfer_finetune": "1032f91d9ccc",
}
EPYC_AVX2 = {
    "amee": "c89b2430b7f8ab3701ecb68c0b00a4f1e7c200256c128e2a3b604ed7b7c58caa",
    "amee_neutral_source": "9b8c2dda77e74ef99db9b4ca79b347cd00a17da7d0829c4c8388e299efc89f82",
    "amee_rgb": "458a11db24877845afb5539be4243c526ea58b2831b7a86f73aced05bc520acf",
    "transfer": "25d3219190b3d747919d129079a0e1bfcea7fba9f96869e19a9149b214b011c5",
    "transfer_rgb": "0c3eae7cc238d9ce7ff70a7aed9ce433be729e70f7fbe8c8d81678870636c059",
    "amee_finetune": "f9b938dab491",
    "transfer_finetune": "9e350596ee45",
}
XEON_AVX512 = {
    "amee": "17609d54232c93aab3253fb9de99402ae7b26ffeb134dcbf790f5b01d21db894",
    "amee_neutral_source": "d5c1b2c3d1bce8ef8c3e660c61dacc8816fc00eb6a6ed563218a5a4c56f5f95c",
    "amee_rgb": "c2b2aaaf1d9c5de91edf7d436ac260002754719ea7b4659f2d1d74ffd1505cf1",
    "transfer": "688df9675b2eadd0c0f8b35dd1580c91104ec75454a85e4a55f459efb07af613",
    "transfer_rgb": "8f1054b98d3706526a13f15b483febdfb002d5cea52694517c70c29e8909ba47",
    "amee_finetune": "d85d658727b0",
    "transfer_finetune": "ba25148f8b35",
}
DIGESTS: dict[str, list[dict[str, str]]] = {
    "AVX2": [XEON_AVX2, EPYC_AVX2],
    "AVX512": [XEON_AVX512],
}
"""ATen CPU capability → the cases' sha256 digests as recorded on each kind of machine: an
AVX-512 Xeon (natively and pinned to AVX2) and an AMD EPYC pinned to AVX2, which computes
other bits than the Xeon for the same pinned ISA (oneDNN's blocking follows the CPU). The test
compares the pinned AVX2 run with every set recorded; to record, run this file with Python
(and the ``PINNED_ENV`` variables) on a commit whose outputs are trusted."""


def _textures() -> np.ndarray:
    zero = np.zeros(8, np.float32)
    styles = (DEFAULT_STYLE, random_style(np.random.default_rng(1)))
    return np.stack([paint_face(s, zero, 256) for s in styles])


def _digest(*arrays: np.ndarray) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(a.tobytes())
    return h.hexdigest()


def outputs() -> dict[str, str]:
    """Every case's digest, as the shipped editors compute it now."""
    tex = _textures()
    ex = np.stack(
        [
            expression_vector(smile=0.8),
            expression_vector(jaw_open=0.6, brow_raise=0.7, eye_wide=0.3),
        ]
    )
    amee = AmeeEditor.load(device="cpu")
    out = {
        "amee": _digest(*amee.edit_with_mask(tex, ex)),
        "amee_neutral_source": _digest(*amee.edit_with_mask(tex, ex, np.zeros_like(ex))),
        "amee_rgb": _digest(amee.edit(tex[..., :3].copy(), ex)),
    }
    transfer = TransferEditor.load(device="cpu")
    d = np.stack(
        [detail_vector(smile_l=0.9, jaw_open=0.3), detail_vector(brow_raise_r=0.8, frown_l=0.5)]
    )
    out["transfer"] = _digest(transfer.edit(tex, d), transfer.mask(tex, d))
    out["transfer_rgb"] = _digest(transfer.edit(tex[..., :3].copy(), d))
    # A few fine-tuning steps on a painter sheet: the tuned weights' content id hashes them all.
    neutral = paint_face(DEFAULT_STYLE, np.zeros(8, np.float32), 64)
    sheet = [(paint_face(DEFAULT_STYLE, e, 64), e) for e in ex]
    out["amee_finetune"] = finetune(amee, neutral, sheet, FinetuneConfig(steps=3, batch=2)).model_id
    tuned = finetune_transfer(transfer, neutral, sheet, TransferFinetuneConfig(steps=3, batch=2))
    out["transfer_finetune"] = tuned.model_id
    return out


def test_shipped_model_ids() -> None:
    assert AmeeEditor.load(device="cpu").model_id == AMEE_ID
    assert TransferEditor.load(device="cpu").model_id == TRANSFER_ID


def test_shipped_editors_outputs_are_unchanged() -> None:
    proc = subprocess.run(
        [sys.executable, str(Path(__file__))],
        capture_output=True,
        text=True,
        env={**os.environ, **PINNED_ENV},
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout)
    assert list(got) == ["AVX2"], f"AVX2 kernels could not be pinned on this CPU: {list(got)}"
    assert got["AVX2"] in DIGESTS["AVX2"], (
        "the shipped editors' outputs match no recorded set; if this is a kind of CPU not "
        f"recorded yet, check its outputs and add them: {got['AVX2']}"
    )


if __name__ == "__main__":
    torch.set_num_threads(1)
    print(json.dumps({torch.backends.cpu.get_cpu_capability(): outputs()}, indent=4))
