"""Synthetic expression tracks for six demo characters (the BPFA's tests and measurements).

A demo track is a sequence of expression episodes (smile, frown, surprise, head turn left
or right) separated by neutral stretches, with smooth ramps, blinks and a little noise.
The six characters differ in temperament (which episodes they favour), intensity, tempo
and frame rate. These are scripted, not analysed from video: they exercise the
event → behavior → joint pipeline with a known ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from moodrig.core.expression import INDEX, N_EXPRESSION
from moodrig.core.track import ExpressionTrack

EPISODES = ("smile", "frown", "surprise", "look_left", "look_right")


@dataclass(frozen=True)
class DemoCharacter:
    """Temperament of a scripted character.

    Attributes:
        name: display name.
        fps: frame rate of its track.
        weights: relative frequency of each of ``EPISODES``.
        intensity: peak expression level (0–1) of its episodes.
        episode_s: (min, max) episode length in seconds.
        gap_s: (min, max) neutral stretch between episodes in seconds.
        yaw_deg: (min, max) |head yaw| of its head turns in degrees.
    """

    name: str
    fps: float
    weights: tuple[float, float, float, float, float]
    intensity: float
    episode_s: tuple[float, float]
    gap_s: tuple[float, float]
    yaw_deg: tuple[float, float]


DEMO_CHARACTERS: tuple[DemoCharacter, ...] = (
    DemoCharacter("cheerful", 30.0, (4, 1, 1, 1, 1), 0.85, (1.5, 3.5), (1.2, 2.5), (20, 35)),
    DemoCharacter("grumpy", 24.0, (1, 4, 1, 1, 1), 0.8, (1.5, 4.0), (1.2, 3.0), (18, 30)),
    DemoCharacter("jumpy", 30.0, (1, 1, 4, 1, 1), 0.9, (1.0, 2.5), (1.0, 2.0), (20, 40)),
    DemoCharacter("curious", 25.0, (1, 1, 1, 3, 3), 0.75, (1.5, 3.0), (1.2, 2.5), (25, 50)),
    DemoCharacter("calm", 24.0, (1, 1, 1, 1, 1), 0.65, (2.0, 4.0), (1.5, 3.5), (18, 28)),
    DemoCharacter("lively", 60.0, (2, 1, 2, 2, 2), 0.95, (1.0, 2.5), (1.0, 2.0), (22, 45)),
)


def _ramp(n: int, a: int, b: int, ramp: int) -> NDArray[np.float64]:
    """0→1 over ``ramp`` frames from a, 1 until b, 1→0 over ``ramp`` frames (half-cosine)."""
    t = np.arange(n, dtype=np.float64)
    up = np.clip((t - a) / ramp, 0.0, 1.0)
    down = np.clip((b - t) / ramp, 0.0, 1.0)
    x = np.minimum(up, down)
    return np.asarray(0.5 - 0.5 * np.cos(np.pi * x), dtype=np.float64)


def demo_track(character: DemoCharacter, seconds: float = 60.0, seed: int = 0) -> ExpressionTrack:
    """A scripted track of ``seconds`` for ``character``; same seed, same track."""
    rng = np.random.default_rng(seed)
    fps = character.fps
    n = round(seconds * fps)
    expr = np.zeros((n, N_EXPRESSION))
    head = np.zeros((n, 3))
    w = np.asarray(character.weights, dtype=np.float64)
    w /= w.sum()
    ramp = max(2, round(0.25 * fps))
    t = rng.uniform(*character.gap_s)
    while True:
        length = rng.uniform(*character.episode_s)
        a, b = round(t * fps), round((t + length) * fps)
        if b + ramp >= n:
            break
        kind = EPISODES[int(rng.choice(len(EPISODES), p=w))]
        env = _ramp(n, a, b, ramp)
        level = character.intensity * rng.uniform(0.85, 1.0)
        if kind == "smile":
            expr[:, INDEX["smile"]] += level * env
            expr[:, INDEX["jaw_open"]] += 0.3 * level * env
        elif kind == "frown":
            expr[:, INDEX["frown"]] += level * env
            expr[:, INDEX["brow_furrow"]] += 0.8 * level * env
        elif kind == "surprise":
            expr[:, INDEX["brow_raise"]] += level * env
            expr[:, INDEX["eye_wide"]] += level * env
            expr[:, INDEX["jaw_open"]] += 0.6 * level * env
        else:
            sign = 1.0 if kind == "look_left" else -1.0
            head[:, 0] += sign * rng.uniform(*character.yaw_deg) * env
        t += length + rng.uniform(*character.gap_s)
    # Blinks every 2-6 s, about 0.15 s long.
    tb = rng.uniform(1.0, 3.0)
    while tb * fps < n - fps:
        a = round(tb * fps)
        k = max(2, round(0.15 * fps))
        expr[a : a + k, INDEX["eye_close_l"]] = 0.95
        expr[a : a + k, INDEX["eye_close_r"]] = 0.95
        tb += rng.uniform(2.0, 6.0)
    expr += rng.normal(0.0, 0.02, expr.shape)
    head[:, 0] += rng.normal(0.0, 0.5, n)
    head[:, 1] += 3.0 * np.sin(np.arange(n) / fps * 0.7) + rng.normal(0.0, 0.3, n)
    return ExpressionTrack(
        fps=fps,
        expressions=np.clip(expr, 0.0, 1.0).astype(np.float32),
        head=head.astype(np.float32),
    )
