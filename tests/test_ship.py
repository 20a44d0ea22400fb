"""The ship tool: re-exporting a model's weights reproduces them exactly, for both models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from moodrig.weights_tools import ship


@pytest.mark.parametrize("model", sorted(ship.MODELS))
def test_shipping_the_shipped_weights_reproduces_them(model: str, tmp_path: Path) -> None:
    fmt = ship.MODELS[model]
    source = fmt.shipped_manifest()
    target = tmp_path / source.name
    ship.main(["--model", model, "--from", str(source), "--to", str(target)])
    assert json.loads(target.read_text()) == json.loads(source.read_text())
    net, _ = fmt.load(target)
    original, _ = fmt.load(source)
    assert fmt.weights_id(net) == fmt.weights_id(original)


def test_a_model_refuses_the_other_models_weights(tmp_path: Path) -> None:
    from moodrig.core.errors import WeightsError

    with pytest.raises(WeightsError, match="not 'amee-gan'"):
        ship.main(
            [
                "--model",
                "amee",
                "--from",
                str(ship.MODELS["transfer"].shipped_manifest()),
                "--to",
                str(tmp_path / "x.manifest.json"),
            ]
        )
