"""Where an editor runs and at what precision."""

from __future__ import annotations

import numpy as np
import torch
from numpy.typing import NDArray

from ..errors import InputError

DTYPES = (torch.float32, torch.float16, torch.bfloat16)
"""Precisions a network pass may run at (compositing is always float32)."""


def pick_device(device: str = "auto") -> torch.device:
    """ "auto": CUDA, then MPS, then CPU; or the named device (error when unavailable)."""
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if device not in ("cpu", "cuda", "mps"):
        raise InputError(None, f"device must be 'auto', 'cpu', 'cuda' or 'mps', got {device!r}")
    if device == "cuda" and not torch.cuda.is_available():
        raise InputError(None, "device 'cuda' was requested but no CUDA GPU is available")
    if device == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise InputError(None, "device 'mps' was requested but MPS is not available")
    return torch.device(device)


def pick_dtype(
    device: torch.device, dtype: torch.dtype | None = None, *, half: bool = True
) -> torch.dtype:
    """``dtype``, or by default float32 on the CPU and on CUDA / MPS float16 where ``half``
    (the network was measured to give the same textures in half precision, docs/gpu.md),
    else float32; InputError for another dtype."""
    if dtype is None:
        return torch.float16 if half and device.type != "cpu" else torch.float32
    if dtype not in DTYPES:
        raise InputError(None, f"dtype must be float32, float16 or bfloat16, got {dtype}")
    return dtype


def to_device(array: NDArray[np.float32], device: torch.device) -> torch.Tensor:
    """``array`` as a tensor on ``device``: one copy to a GPU; on the CPU a view of the same
    memory (``Tensor.to`` returns the tensor itself), so the CPU runs the same code path."""
    return torch.from_numpy(array).to(device)
