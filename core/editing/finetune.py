"""Per-character fine-tuning: the training loop every editor shares.

The artist's sheet (sheet.py) gives the character's neutral texture and K (3–8) labelled
expression textures; each model turns them into exact training examples (AMEE-GAN: every
ordered pair of the K + 1 images; the transfer model: each texture with its label's drawing)
and a loss. The loop trains a float32 copy of the editor's network with Adam on the editor's
device, BatchNorm statistics frozen (eval mode: a handful of images cannot skew them), then
rounds it to the storage precision. The result is a new editor; the base weights are never
touched. Save it beside the .blend with ``editor.save(folder)``.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

import numpy as np
import torch
from numpy.typing import NDArray

from ..errors import InputError
from .batch import Vocabulary, check_textures
from .composite import to_model_resolution
from .device import to_device
from .editor import ModelEditor

E = TypeVar("E", bound=ModelEditor[Any])
M = TypeVar("M", bound=torch.nn.Module)

Example = tuple[NDArray[np.float32], NDArray[np.float32]]
"""(texture (H, W, 3|4) float32 in [0, 1], its label: a vector of the model's vocabulary)."""
Progress = Callable[[int, int, float], None]
"""progress(step, total_steps, loss)."""
Label = Callable[[NDArray[np.float32], int], NDArray[np.float32]]
"""label(value, k): example k's label read as a vector of the model's vocabulary."""
Loss = Callable[[Any, NDArray[np.int64]], torch.Tensor]
"""loss(network, indices of this step's training examples)."""


@dataclass(frozen=True)
class SheetTraining:
    """Settings every fine-tuning shares (CLI flags map 1:1)."""

    steps: int = 300
    """Adam steps (each a batch of examples)."""
    batch: int = 8
    """Examples per step."""
    lr: float = 5e-5
    """Adam learning rate, constant."""
    seed: int = 0
    """Seeds example sampling."""
    threads: int = 0
    """torch.set_num_threads for the run (0: leave as is)."""

    def __post_init__(self) -> None:
        if self.steps < 1 or self.batch < 1 or not self.lr > 0:
            raise ValueError(f"{type(self).__name__}: steps, batch and lr must be positive")


def check_label(vocabulary: Vocabulary, label: NDArray[np.float32], k: int) -> NDArray[np.float32]:
    """One example's label as a float32 vector of ``vocabulary``, or an InputError naming it."""
    arr = np.asarray(label, dtype=np.float32)
    try:
        out: NDArray[np.float32] = vocabulary.check_batch(arr[None], 1)[0]
    except InputError as exc:
        raise InputError(None, f"label of example {k}: {exc}") from exc
    return out


def sheet_batch(
    editor: ModelEditor[Any],
    neutral: NDArray[np.float32],
    examples: Sequence[Example],
    label: Label | None = None,
) -> tuple[torch.Tensor, NDArray[np.float32]]:
    """The sheet as training data: images (K + 1, 3, R, R) in [-1, 1] on the editor's device,
    the neutral texture first, and their labels (K + 1, n) float32 in the editor's vocabulary,
    the neutral one zeros. ``label(value, k)`` reads example k's label (default: a vector of
    the vocabulary, checked)."""
    if len(examples) < 1:
        raise InputError(
            None,
            "fine-tuning needs at least one labelled expression texture besides the neutral one",
        )
    vocab = editor.weights.vocabulary
    read = label or (lambda value, k: check_label(vocab, value, k))
    imgs: list[torch.Tensor] = []
    for k, tex in enumerate([neutral] + [t for t, _ in examples]):
        if not isinstance(tex, np.ndarray) or tex.ndim != 3:
            raise InputError(None, f"fine-tuning texture {k} must be an (H, W, 3|4) float32 array")
        check_textures(tex[None])
        rgb = to_device(np.ascontiguousarray(tex[..., :3]), editor.device).permute(2, 0, 1)[None]
        imgs.append(to_model_resolution(rgb, editor.resolution)[0])
    labels = [np.zeros(vocab.size, np.float32)]
    labels += [read(value, k) for k, (_, value) in enumerate(examples)]
    return torch.stack(imgs) * 2.0 - 1.0, np.stack(labels)


def tune_network(
    network: M,
    device: torch.device,
    config: SheetTraining,
    *,
    choices: int,
    salt: int,
    loss: Loss,
    progress: Progress | None = None,
) -> tuple[M, float]:
    """A float32 copy of ``network`` on ``device``, fine-tuned; returns it (eval mode) and the
    seconds taken.

    Each step draws ``config.batch`` indices in [0, ``choices``) (numpy generator seeded with
    ``[config.seed, salt]``) and takes one Adam step on ``loss(network, indices)``, with the
    BatchNorm statistics frozen. The loss's tensors must live on ``device``.
    """
    old_threads = torch.get_num_threads()
    if config.threads > 0:
        torch.set_num_threads(config.threads)
    net = copy.deepcopy(network).to(device=device, dtype=torch.float32)
    net.eval()  # frozen BatchNorm statistics
    opt = torch.optim.Adam(net.parameters(), lr=config.lr, betas=(0.5, 0.999))
    rng = np.random.default_rng([config.seed, salt])
    t0 = time.time()
    try:
        with torch.enable_grad():
            for step in range(1, config.steps + 1):
                value = loss(net, rng.integers(0, choices, config.batch))
                opt.zero_grad(set_to_none=True)
                value.backward()  # type: ignore[no-untyped-call]
                opt.step()
                if progress is not None:
                    progress(step, config.steps, float(value.item()))
    finally:
        torch.set_num_threads(old_threads)
    return net.eval(), time.time() - t0


def train_on_sheet(
    editor: E,
    config: SheetTraining,
    *,
    choices: int,
    salt: int,
    loss: Loss,
    examples: int,
    progress: Progress | None = None,
) -> E:
    """Fine-tune a copy of ``editor``'s network (:func:`tune_network`) and return it as a new
    editor of its class."""
    net, seconds = tune_network(
        editor.network,
        editor.device,
        config,
        choices=choices,
        salt=salt,
        loss=loss,
        progress=progress,
    )
    fmt = editor.weights
    fmt.storage_round_trip(net)
    manifest: dict[str, Any] = dict(editor.manifest)
    manifest["finetuned_from"] = editor.model_id
    manifest["finetune"] = {
        **asdict(config),
        "examples": examples,
        "seconds": round(seconds, 1),
    }
    return type(editor).from_network(
        net,
        manifest,
        device=str(editor.device.type),
        dtype=editor.dtype,
        model_id=fmt.weights_id(net),
    )
