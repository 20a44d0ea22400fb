"""The diagnosis CLI end to end on a tiny untrained generator and regressor (plumbing and
counts)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from amee_tiny import tiny_exports

from moodrig.core.expression import EXPRESSION_NAMES
from moodrig.weights_tools import amee_diagnose
from moodrig.weights_tools.amee_data import style_and_expressions
from moodrig.weights_tools.amee_eval import eval_pairs


@pytest.mark.parametrize(
    "split,source", [("eval", None), ("train", None), ("eval", "given"), ("eval", "unknown")]
)
def test_diagnose_prints_every_entry_with_the_removal_pairs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], split: str, source: str | None
) -> None:
    weights, reg_m = tiny_exports(tmp_path, source_input=source is not None)
    amee_diagnose.main(
        [
            "--weights",
            str(weights),
            "--regressor",
            str(reg_m),
            "--styles",
            "2",
            "--split",
            split,
            *(["--source", source] if source else []),
        ]
    )
    out = capsys.readouterr().out
    assert (
        f"2 styles of split '{split}' x 14 pairs" + (f", source {source}" if source else "") + "\n"
        in out
    )
    rows = {line.split("|")[1].strip(): line for line in out.splitlines() if line.startswith("| ")}
    pairs = eval_pairs(8)
    for k, name in enumerate(EXPRESSION_NAMES):
        # removal pairs: target 0, source above 0.3, counted here from the same styles
        n = 0
        for s in range(2):
            ex = style_and_expressions(0, split, s, 8)[1]
            n += sum(1 for i, j in pairs if ex[j][k] == 0 and ex[i][k] > 0.3)
        cells = [c.strip() for c in rows[name].split("|")[2:-1]]
        assert len(cells) == 6
        assert cells[4] == "-" if n == 0 else cells[4].endswith(f"({n})")
        assert all(np.isfinite(float(c.split()[0])) for c in cells if c != "-")
