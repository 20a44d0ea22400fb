"""Fine-tune the style-transfer model to one character from its neutral texture and a few
labelled expressions.

    python -m moodrig.weights_tools.transfer_finetune --neutral face_neutral.png \
        --sheet labels.json --out DIR [--weights BASE.manifest.json] [--steps 200]

``labels.json``: the same sheet AMEE-GAN's fine-tuning reads (``core/editing/sheet.py``):
``[{"image": "smile.png", "expression": {"smile": 0.8}}, {"image": ..., "vector": [8 floats]}]``;
labels are symmetric (both sides take the shared value). Writes
``DIR/style_transfer_character.{safetensors,manifest.json}`` and ``DIR/finetune_config.json``;
the bake uses it with
``--appearance detailed --transfer-weights DIR/style_transfer_character.manifest.json``.
The work is done by ``core.transfer.finetune.finetune_transfer``, which the add-on calls directly.
"""

from __future__ import annotations

from moodrig.core.transfer.finetune import TransferFinetuneConfig, finetune_transfer
from moodrig.core.transfer.infer import TransferEditor
from moodrig.weights_tools.finetune_cli import entry_point, run_finetune_cli


def main(argv: list[str] | None = None) -> None:
    run_finetune_cli(
        argv,
        description="Fine-tune the style-transfer model to one character.",
        config_cls=TransferFinetuneConfig,
        default_stem=TransferEditor.save_stem,
        editor=TransferEditor,
        tune=finetune_transfer,
    )


if __name__ == "__main__":
    entry_point(main, "transfer_finetune")
