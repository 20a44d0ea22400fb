"""Where an editor runs and at what precision."""

from __future__ import annotations

import torch

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


def pick_dtype(device: torch.device, dtype: torch.dtype | None = None) -> torch.dtype:
    """``dtype``, or by default float32 on CPU and float16 on CUDA / MPS; InputError otherwise."""
    if dtype is None:
        return torch.float32 if device.type == "cpu" else torch.float16
    if dtype not in DTYPES:
        raise InputError(None, f"dtype must be float32, float16 or bfloat16, got {dtype}")
    return dtype
