"""Fine-tune AMEE-GAN to one character from its neutral texture and a few labelled expressions.

    python -m moodrig.weights_tools.amee_finetune --neutral face_neutral.png \
        --sheet labels.json --out DIR [--weights BASE.manifest.json] [--steps 300] [--device cpu]

``labels.json``: a list of {"image": "smile.png", "expression": {"smile": 0.8, ...}} (names
from the expression vocabulary, missing entries 0) or {"image": ..., "vector": [8 floats]};
image paths are relative to the sheet. Writes ``DIR/amee_gan_character.{safetensors,manifest.json}``
and ``DIR/finetune_config.json``. The work is done by core.amee.finetune.finetune, which the
add-on calls directly.
"""

from __future__ import annotations

from moodrig.core.amee.finetune import FinetuneConfig, finetune
from moodrig.core.amee.infer import AmeeEditor
from moodrig.weights_tools.finetune_cli import entry_point, run_finetune_cli


def main(argv: list[str] | None = None) -> None:
    run_finetune_cli(
        argv,
        description="Fine-tune AMEE-GAN to one character.",
        config_cls=FinetuneConfig,
        default_stem=AmeeEditor.save_stem,
        editor=AmeeEditor,
        tune=finetune,
    )


if __name__ == "__main__":
    entry_point(main, "amee_finetune")
