"""The shared editor stack: both editors have one interface (core/editing/editor.py; the bake's
Editor protocol is checked by mypy in core), choose devices and precisions the same way, check
their inputs the same way, and fine-tune on the device asked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from moodrig.core.amee.infer import AmeeEditor
from moodrig.core.detail import N_DETAIL, detail_vector
from moodrig.core.editing.device import pick_device, pick_dtype
from moodrig.core.editing.finetune import SheetTraining
from moodrig.core.editor import Editor
from moodrig.core.errors import InputError
from moodrig.core.expression import N_EXPRESSION
from moodrig.core.painter import DEFAULT_STYLE, paint_face
from moodrig.core.transfer.infer import TransferEditor


@pytest.fixture(scope="module")
def editors() -> dict[str, Editor]:
    return {"amee": AmeeEditor.load(device="cpu"), "transfer": TransferEditor.load(device="cpu")}


def test_both_editors_are_editors_with_one_interface(editors: dict[str, Editor]) -> None:
    amee, transfer = editors["amee"], editors["transfer"]
    for name in (
        "model_id",
        "takes_source",
        "resolution",
        "edit",
        "edit_with_mask",
        "mask",
        "save",
    ):
        assert hasattr(amee, name) and hasattr(transfer, name), name
    assert amee.takes_source and not transfer.takes_source
    assert amee.resolution == transfer.resolution == 64
    tex = paint_face(DEFAULT_STYLE, np.zeros(N_EXPRESSION, np.float32), 96)[None]
    for editor, vec in (
        (amee, np.full((1, N_EXPRESSION), 0.5, np.float32)),
        (transfer, detail_vector(smile_l=0.8)[None]),
    ):
        src = np.zeros_like(vec)
        out, mask = editor.edit_with_mask(tex, vec, src)
        assert (
            out.shape == tex.shape
            and mask.shape == (1, 96, 96)
            and np.array_equal(out[..., 3], tex[..., 3])
        )
        assert np.array_equal(out, editor.edit(tex, vec, src)) and np.array_equal(
            mask, editor.mask(tex, vec, src)
        )
        assert not np.array_equal(out, tex)
    # the transfer model does not read what the texture shows now
    d = detail_vector(smile_l=0.8)[None]
    assert np.array_equal(transfer.edit(tex, d), transfer.edit(tex, d, np.full_like(d, 0.3)))


def test_inputs_are_checked_alike(editors: dict[str, Editor]) -> None:
    tex = np.zeros((1, 32, 32, 3), np.float32)
    for editor, n, label in (
        (editors["amee"], N_EXPRESSION, "expressions"),
        (editors["transfer"], N_DETAIL, "detail vectors"),
    ):
        with pytest.raises(InputError, match=f"^{label} must have shape \\(1, {n}\\)"):
            editor.edit(tex, np.zeros((2, n), np.float32))
        with pytest.raises(InputError, match=f"^source {label} must have shape"):
            editor.edit(tex, np.zeros((1, n), np.float32), np.zeros((3, n), np.float32))
        with pytest.raises(InputError, match="finite"):
            editor.edit(np.full_like(tex, np.nan), np.zeros((1, n), np.float32))


def test_device_and_precision_choice() -> None:
    expected = "cuda" if torch.cuda.is_available() else None
    assert pick_device("cpu").type == "cpu"
    if expected is not None:
        assert pick_device("auto").type == expected
    elif not getattr(torch.backends, "mps", None) or not torch.backends.mps.is_available():
        assert pick_device("auto").type == "cpu"
    with pytest.raises(InputError, match="device must be"):
        pick_device("tpu")
    assert (
        pick_dtype(torch.device("cpu")) == torch.float32
        and pick_dtype(torch.device("cuda")) == torch.float16
    )
    with pytest.raises(InputError, match="dtype"):
        pick_dtype(torch.device("cpu"), torch.float64)
    with pytest.raises(ValueError, match="TransferFinetuneConfig: steps"):
        from moodrig.core.transfer.finetune import TransferFinetuneConfig

        TransferFinetuneConfig(steps=0)
    assert SheetTraining().steps > 0


@pytest.mark.parametrize("model", ["amee", "transfer"])
def test_finetuning_runs_on_the_device_asked(
    model: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sheet entry points load the base on ``device`` (here CPU, the only device every
    machine has) and the tuned editor stays there."""
    from moodrig.core.amee import finetune as amee_ft
    from moodrig.core.editing import sheet as sheet_mod
    from moodrig.core.transfer import finetune as transfer_ft

    neutral = paint_face(DEFAULT_STYLE, np.zeros(N_EXPRESSION, np.float32), 64)
    examples = [
        (
            paint_face(DEFAULT_STYLE, np.eye(N_EXPRESSION, dtype=np.float32)[k], 64),
            np.eye(N_EXPRESSION, dtype=np.float32)[k],
        )
        for k in range(3)
    ]
    monkeypatch.setattr(sheet_mod, "read_sheet", lambda _: examples)
    seen: list[str] = []
    entry = (
        amee_ft.finetune_from_sheet if model == "amee" else transfer_ft.finetune_transfer_from_sheet
    )
    config = (
        amee_ft.FinetuneConfig(steps=1, batch=2)
        if model == "amee"
        else transfer_ft.TransferFinetuneConfig(steps=1, batch=2)
    )
    cls = AmeeEditor if model == "amee" else TransferEditor
    real_load = cls.load.__func__  # type: ignore[attr-defined]

    def load(c: type, manifest_path: Path | None = None, device: str = "auto") -> object:
        seen.append(device)
        return real_load(c, manifest_path, device=device)

    monkeypatch.setattr(cls, "load", classmethod(load))
    manifest = entry(
        tmp_path / "labels.json", neutral, tmp_path / "out", config=config, device="cpu"
    )
    assert seen == ["cpu"]
    assert (
        cls.load(manifest, device="cpu").manifest["finetuned_from"]
        == cls.load(device="cpu").model_id
    )
