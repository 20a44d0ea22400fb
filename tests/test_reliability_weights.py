"""Weights are only safetensors, verified against the manifest's sha256 before use, and refused
with a repair hint (reinstall / re-export) when tampered, truncated, misnamed or mismatched.
Nothing is ever unpickled: a pickle bomb that passes the hash is still never executed, and no
code in ``core/`` or ``blender_addon/`` can unpickle (AST scan).
"""

from __future__ import annotations

import ast
import json
import pickle
from pathlib import Path
from typing import Any

import pytest
import torch
from corpora import load_corpus
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moodrig.core import weights as W
from moodrig.core.errors import WeightsError

REPAIR = ("Reinstall", "re-export")


def _tensors() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return {
        "conv.weight": torch.randn(4, 3, 3, 3, generator=g),
        "conv.bias": torch.randn(4, generator=g),
    }


def _export(folder: Path, **kw: Any) -> Path:
    args: dict[str, Any] = dict(model="tiny", model_version=3, architecture={"channels": 4})
    args.update(kw)
    return W.export_weights(folder / "tiny.safetensors", _tensors(), **args)


def _refused(mpath: Path, needle: str, **kw: Any) -> WeightsError:
    with pytest.raises(WeightsError) as info:
        W.load_weights(
            mpath, model=kw.get("model", "tiny"), model_version=kw.get("model_version", 3)
        )
    msg = str(info.value)
    assert needle.lower() in msg.lower(), msg
    assert all(word.lower() in msg.lower() for word in REPAIR), f"no repair hint: {msg}"
    assert info.value.fix
    return info.value


def _edit_manifest(mpath: Path, **changes: Any) -> None:
    m = json.loads(mpath.read_text())
    m.update(changes)
    mpath.write_text(json.dumps(m))


def test_roundtrip_is_exact_and_deterministic(tmp_path: Path) -> None:
    mpath = _export(tmp_path)
    tensors, manifest = W.load_weights(mpath, model="tiny", model_version=3)
    for k, v in _tensors().items():
        assert torch.equal(tensors[k], v)
    assert manifest["architecture"] == {"channels": 4}
    # export_weights promises byte-identical output for identical input (committed weights only
    # change when the model does). Eight exports: a random key order would show almost surely.
    blobs = set()
    for _ in range(8):
        _export(tmp_path)
        blobs.add(((tmp_path / "tiny.safetensors").read_bytes(), mpath.read_bytes()))
    assert len(blobs) == 1, "export_weights is not byte-deterministic (safetensors metadata order?)"
    assert not list(tmp_path.glob("*.part")), "atomic writes leave no temporary files"


def test_export_refuses_other_suffixes(tmp_path: Path) -> None:
    for name in ("w.pt", "w.pth", "w.bin", "w.ckpt"):
        with pytest.raises(ValueError, match="safetensors"):
            W.export_weights(
                tmp_path / name, _tensors(), model="tiny", model_version=1, architecture={}
            )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_flipped_byte_is_refused_before_parsing(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path_factory.mktemp("flip")
    mpath = _export(folder)
    wfile = folder / "tiny.safetensors"
    blob = bytearray(wfile.read_bytes())
    pos = data.draw(st.integers(0, len(blob) - 1), label="byte")
    xor = data.draw(st.integers(1, 255), label="xor")
    blob[pos] ^= xor
    wfile.write_bytes(bytes(blob))
    parsed: list[int] = []
    monkeypatch.setattr(W, "st_load", lambda b: parsed.append(1))
    _refused(mpath, "does not match the manifest")
    assert not parsed, "a tampered file must never reach the parser"


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_truncation_or_extension_is_refused(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    folder = tmp_path_factory.mktemp("trunc")
    mpath = _export(folder)
    wfile = folder / "tiny.safetensors"
    blob = wfile.read_bytes()
    if data.draw(st.booleans(), label="extend"):
        wfile.write_bytes(blob + data.draw(st.binary(min_size=1, max_size=64), label="tail"))
    else:
        wfile.write_bytes(blob[: data.draw(st.integers(0, len(blob) - 1), label="length")])
    _refused(mpath, "truncated or replaced")


def test_wrong_format_version(tmp_path: Path) -> None:
    mpath = _export(tmp_path)
    for bad in (0, 2, "1", None):
        _edit_manifest(mpath, format_version=bad)
        _refused(mpath, "format version")


def test_wrong_model_version_and_name(tmp_path: Path) -> None:
    mpath = _export(tmp_path)
    err = _refused(mpath, "version 3", model_version=4)
    assert "expects 4" in str(err)
    _refused(mpath, "'tiny', not 'face_mesh'", model="face_mesh")


def test_shape_and_name_mismatch_with_manifest(tmp_path: Path) -> None:
    mpath = _export(tmp_path)
    m = json.loads(mpath.read_text())
    m["tensors"]["conv.bias"]["shape"] = [5]
    mpath.write_text(json.dumps(m))
    _refused(mpath, "has shape [4], manifest says [5]")
    m["tensors"]["conv.extra"] = {"shape": [1], "dtype": "float32"}
    mpath.write_text(json.dumps(m))
    _refused(mpath, "tensor names differ")


@pytest.mark.parametrize(
    "name",
    [
        "../tiny.safetensors",
        "/etc/passwd",
        "sub/tiny.safetensors",
        "..\\tiny.safetensors",
        "..",
        ".",
    ],
)
def test_manifest_cannot_name_a_file_outside_its_folder(tmp_path: Path, name: str) -> None:
    inner = tmp_path / "inner"
    inner.mkdir()
    mpath = _export(inner)
    # A valid file exists where an escaping name would point: it must still be refused.
    _export(tmp_path)
    (inner / "sub").mkdir()
    _export(inner / "sub")
    _edit_manifest(mpath, file=name)
    with pytest.raises(WeightsError) as info:
        W.load_weights(mpath, model="tiny", model_version=3)
    assert "outside its own folder" in str(info.value) or "missing" in str(info.value)
    assert "Reinstall" in str(info.value)


def test_missing_weights_and_missing_or_broken_manifest(tmp_path: Path) -> None:
    mpath = _export(tmp_path)
    (tmp_path / "tiny.safetensors").unlink()
    _refused(mpath, "weights file is missing")
    _refused(tmp_path / "nothing.manifest.json", "manifest file is missing")
    for text, needle in (
        ("{", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ("\udcff", "not valid JSON"),
    ):
        bad = tmp_path / "bad.manifest.json"
        bad.write_bytes(text.encode("utf-8", "surrogateescape"))
        _refused(bad, needle)
    for key in ("format_version", "model", "model_version", "file", "sha256", "bytes", "tensors"):
        mpath = _export(tmp_path)
        m = json.loads(mpath.read_text())
        del m[key]
        mpath.write_text(json.dumps(m))
        _refused(mpath, f"lacks the field '{key}'")


class _Bomb:
    """Unpickling this creates a file: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.marker,))


@pytest.mark.parametrize("protocol", [2, 5])
def test_a_pickle_with_a_matching_hash_is_never_unpickled(tmp_path: Path, protocol: int) -> None:
    """An attacker who can rewrite both files gets a parse error, never code execution."""
    import hashlib

    marker = tmp_path / "PWNED"
    payload = pickle.dumps(_Bomb(marker), protocol=protocol)
    # Sanity: the payload really does run code when unpickled.
    pickle.loads(payload)
    assert marker.exists()
    marker.unlink()
    mpath = _export(tmp_path)
    (tmp_path / "tiny.safetensors").write_bytes(payload)
    _edit_manifest(mpath, bytes=len(payload), sha256=hashlib.sha256(payload).hexdigest())
    _refused(mpath, "cannot be parsed")
    assert not marker.exists()
    # Also as a torch.save zip archive (what a .pt checkpoint is).
    torch.save({"x": _Bomb(marker)}, tmp_path / "tiny.safetensors")
    marker.unlink(missing_ok=True)
    blob = (tmp_path / "tiny.safetensors").read_bytes()
    _edit_manifest(mpath, bytes=len(blob), sha256=hashlib.sha256(blob).hexdigest())
    _refused(mpath, "cannot be parsed")
    assert not marker.exists()


def test_shipped_weights_all_verify_and_are_safetensors(repo_root: Path) -> None:
    wdir = repo_root / "weights"
    manifests = sorted(wdir.rglob("*.manifest.json"))
    assert manifests, "weights/ ships manifests"
    for m in manifests:
        manifest, _ = W.verify_file(m)
        assert str(manifest["file"]).endswith(".safetensors")
    for f in wdir.rglob("*"):
        if f.is_file():
            assert f.suffix in {".safetensors", ".json", ".md", ".txt"}, (
                f"unexpected file in weights/: {f}"
            )
            if f.suffix == ".safetensors":
                assert W.manifest_path_for(f).is_file(), f"{f} has no manifest"


UNPICKLERS = {"pickle", "cPickle", "_pickle", "dill", "cloudpickle", "joblib", "shelve", "marshal"}


def _unsafe_calls(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.split(".")[0] in UNPICKLERS]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in UNPICKLERS:
            found.append(f"from {node.module} import")
        elif isinstance(node, ast.Call):
            f = node.func
            dotted = ast.unparse(f)
            kws = {k.arg: k.value for k in node.keywords}
            if dotted.endswith(("torch.load", "torch.jit.load")):
                wo = kws.get("weights_only")
                if not (isinstance(wo, ast.Constant) and wo.value is True):
                    found.append(f"{dotted}( without weights_only=True")
            if dotted.endswith(("np.load", "numpy.load")):
                ap = kws.get("allow_pickle")
                if ap is not None and not (isinstance(ap, ast.Constant) and ap.value is False):
                    found.append(f"{dotted}(allow_pickle=...)")
            if dotted.endswith(("yaml.unsafe_load", "yaml.full_load", "yaml.load_all")):
                found.append(dotted)
            if dotted.endswith("yaml.load"):
                loader = kws.get("Loader")
                name = ast.unparse(loader) if loader is not None else ""
                if not name or ("Safe" not in name and not name.startswith("_")):
                    found.append(f"yaml.load(Loader={name or 'default'})")
    return found


def test_the_scanner_catches_unsafe_code() -> None:
    bad = (
        "import pickle\nfrom joblib import load\nimport torch\n"
        "torch.load('x')\ntorch.load('x', weights_only=False)\nnp.load('x', allow_pickle=True)\n"
        "yaml.load(t)\nyaml.unsafe_load(t)\n"
    )
    assert len(_unsafe_calls(ast.parse(bad))) == 7
    good = (
        "torch.load('x', weights_only=True)\nnp.load('x')\nyaml.load(t, Loader=yaml.SafeLoader)\n"
    )
    assert _unsafe_calls(ast.parse(good)) == []


def test_no_code_in_core_or_addon_can_unpickle(repo_root: Path) -> None:
    files = [
        p for d in ("core", "blender_addon", "weights_tools") for p in (repo_root / d).rglob("*.py")
    ]
    assert len(files) > 20
    problems = {
        str(p.relative_to(repo_root)): f
        for p in files
        if (f := _unsafe_calls(ast.parse(p.read_text(encoding="utf-8"))))
    }
    # The one pickle: the pipe between the add-on and the child process it starts, read
    # through an unpickler that admits only moodrig's classes, arrays and paths (below).
    assert problems.pop("core/background.py", None) == ["import pickle"]
    assert problems == {}
    # Custom YAML loaders must derive from SafeLoader.
    for p in files:
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                "Loader" in ast.unparse(b) for b in node.bases
            ):
                assert all("SafeLoader" in ast.unparse(b) for b in node.bases), f"{p}: {node.name}"


# --------------------------------------------------------------------------- hostile weights corpus


WC = load_corpus("weights_corpus")


@pytest.mark.parametrize("case", WC.CASES, ids=lambda c: c.name)
def test_hostile_weights_are_refused_with_one_line(tmp_path: Path, case: Any) -> None:
    """Inflated architectures with matching tensors, impossible sizes, non-files: a one-line
    WeightsError naming the file, in well under the corpus' 60 s bound."""
    r = WC.run(case, tmp_path / case.name)
    assert r["ok"], r
    assert r["seconds"] < 10.0, r
    assert str(tmp_path) in r["message"], "the message names the file"


def test_every_architecture_field_of_every_editing_model_is_inflated_in_the_corpus() -> None:
    from dataclasses import fields

    from moodrig.core.amee.config import AmeeConfig
    from moodrig.core.transfer.config import TransferConfig

    names = [c.name for c in WC.CASES]
    for prefix, cfg in (("amee", AmeeConfig), ("transfer", TransferConfig)):
        for f in fields(cfg):
            assert any(n.startswith(f"{prefix}_{f.name}_") for n in names), f"{prefix}.{f.name}"


def test_hostile_weights_stay_small_in_memory() -> None:
    """Every case in one child process: its peak RSS (VmHWM) stays far below what the
    manifests ask for (a million residual blocks, 5 GiB files, 10^9 elements)."""
    import subprocess
    import sys

    code = f"""
import json, sys
sys.path.insert(0, {str(Path(WC.__file__).parent)!r})
import tempfile
from pathlib import Path
import weights_corpus as wc
def hwm():
    status = open("/proc/self/status").read().splitlines()
    return int(next(l for l in status if l.startswith("VmHWM")).split()[1]) / 1024
with tempfile.TemporaryDirectory() as tmp:
    wc.run(wc.CASES[0], Path(tmp) / "warm")  # imports and the first export
    base = hwm()
    rows = [wc.run(c, Path(tmp) / c.name) for c in wc.CASES]
print(json.dumps({{"base": base, "peak": hwm(), "bad": [r for r in rows if not r["ok"]]}}))
"""
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=600,
        env={**__import__("os").environ, "OMP_NUM_THREADS": "1"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    assert r["bad"] == []
    assert r["peak"] < 1024, r
    assert r["peak"] - r["base"] < 200, f"peak RSS grew {r['peak'] - r['base']:.0f} MB: {r}"


INFLATABLE = {
    "amee": ["resolution", "n_residual", "n_expression", "enc_channels", "disc_channels"],
    "transfer": ["resolution", "n_residual", "style_dim", "mlp_dim", "channels", "disc_channels"],
}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_architecture_number_loads_or_is_refused_quickly(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    import time

    model = data.draw(st.sampled_from(sorted(INFLATABLE)), label="model")
    name = data.draw(st.sampled_from(INFLATABLE[model]), label="field")
    number = st.one_of(
        st.integers(-2, 2**70),
        st.sampled_from([10**6, 10**9, 2**31, 2**63]),
        st.floats(allow_nan=True, allow_infinity=True),
        st.booleans(),
        st.none(),
        st.text(max_size=3),
    )
    values = st.lists(number, max_size=12) if "channels" in name else number
    value = data.draw(values, label="value")
    folder = tmp_path_factory.mktemp(model)
    manifest = WC.export(model, folder)
    WC.arch(**{name: value})(folder)
    t0 = time.perf_counter()
    try:
        WC.load(model, manifest)
    except WeightsError as exc:
        assert "\n" not in str(exc) and str(manifest) in str(exc)
    assert time.perf_counter() - t0 < 10.0


def test_the_job_pipe_refuses_every_callable_but_its_own() -> None:
    import os
    import pickle
    from pathlib import Path

    import numpy as np

    from moodrig.core.background import loads_message
    from moodrig.core.request import BakeRequest

    message = (
        "result",
        {
            "track": np.arange(6, dtype=np.float32).reshape(2, 3),
            "path": Path("/tmp/x"),
            "request": BakeRequest(seed=3),
        },
        [1, (2, 3)],
    )
    back = loads_message(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))
    assert back[1]["request"] == BakeRequest(seed=3) and back[1]["path"] == Path("/tmp/x")
    assert np.array_equal(back[1]["track"], message[1]["track"])

    class Exploit:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (os.system, ("echo pwned",))

    with pytest.raises(pickle.UnpicklingError, match="refuses"):
        loads_message(pickle.dumps(("result", Exploit())))
    with pytest.raises(pickle.UnpicklingError, match="refuses"):
        loads_message(pickle.dumps(("result", eval)))
