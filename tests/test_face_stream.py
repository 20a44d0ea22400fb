"""Ways to run the analyser that must not change its results: the pipelined stream (describe
on a second thread), batched photos (one detector call for many), the network thread count."""

from __future__ import annotations

import cv2
import numpy as np
import torch

from moodrig.core.face import AnalyzerConfig, FaceAnalyzer
from moodrig.core.face.io import read_image
from moodrig.core.paths import data_dir


def _clip() -> list[np.ndarray]:
    """The sample face moving, with two frames of noise (tracking lost and found again); the
    frames are written into one reused buffer, as the video reader does."""
    photo = read_image(data_dir() / "sample_face.jpg")
    rng = np.random.default_rng(0)
    out = []
    for k in range(10):
        m = cv2.getRotationMatrix2D((256, 256), 3.0 * np.sin(k), 1.0 + 0.02 * k)
        m[:, 2] += (4 * k, 2 * k)
        f = cv2.warpAffine(photo, m, (512, 512), borderMode=cv2.BORDER_REPLICATE)
        out.append((rng.random(f.shape) * 255).astype(np.uint8) if k in (4, 5) else f)
    return out


def _same(a: object, b: object) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return bool(
        np.array_equal(a.landmarks, b.landmarks)
        and np.array_equal(a.expression, b.expression)  # type: ignore[attr-defined]
        and a.head == b.head
        and a.detected_by == b.detected_by
    )  # type: ignore[attr-defined]


def test_pipelined_stream_gives_the_sequential_results() -> None:
    frames = _clip()
    seq = list(FaceAnalyzer().track_stream(frames, pipelined=False))
    buf = np.empty_like(frames[0])

    def reused() -> object:
        for f in frames:
            np.copyto(buf, f)
            yield buf

    an = FaceAnalyzer()
    par = list(an.track_stream(reused(), pipelined=True))  # type: ignore[arg-type]
    assert an.last_stream_pipelined is True
    assert [r is None for r in seq] == [False] * 4 + [True] * 2 + [False] * 4
    assert all(_same(a, b) for a, b in zip(seq, par, strict=True))


def test_batched_photos_give_the_one_by_one_results() -> None:
    frames = _clip()
    an = FaceAnalyzer()
    one = [an.analyze(f) for f in frames]
    many = an.analyze_many(frames, batch=4)
    assert all(_same(a, b) for a, b in zip(one, many, strict=True))


def test_networks_run_with_the_configured_threads_and_restore_the_callers() -> None:
    seen: list[int] = []
    an = FaceAnalyzer(AnalyzerConfig(threads=1))
    real = an.mesh.net

    class Spy(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> object:
            seen.append(torch.get_num_threads())
            return real(x)

    an.mesh.net = Spy()
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        an.analyze(_clip()[0])
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    assert seen and set(seen) == {1}
