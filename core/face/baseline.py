"""A person's own neutral face, learnt from the frames of one clip (opt-in, video).

Why: the calibration's neutral is the population's. A person whose resting mouth is wide or
upturned reads as slightly smiling in every frame, one with heavy lids as half-closed eyes.
Over a clip, a person is mostly at rest, so low/middle quantiles of their own raw values are a
good estimate of their neutral, and the parameters can be made relative to it.

Estimate, per frame, from all frames so far (causal, bounded memory: one fixed histogram of
``bins`` per channel, whatever the clip length):

* smile: the ``smile_quantile`` (0.25) of the raw smile score z; the offset from the
  population's neutral mean score is subtracted from z;
* measures (``measures.MEASURE_NAMES``): the ``measure_quantiles`` (lip gap 0.25, since talking
  opens the mouth; the others the median: blinks and brow raises are brief) replace the
  calibrated neutral ``n``.

Safeguards: each offset is clipped to ± ``max_shift_sd`` (1.5) between-person SDs of the
neutral (``neutral_sd``, ``smile_neutral_sd`` in the calibration) and blended in as
N / (N + ``prior_frames``), so the first frames stay near the population neutral. With the
shipped calibration the decision boundary lies 1.6 SDs above the neutral mean score and the
mean London smile 3.5 SDs above it: a 1.5-SD shift brings every resting face up to 3.1 SDs
above the mean back below the boundary, while someone who smiles through a whole clip still
reads as smiling (3.5 − 1.5 > 1.6; tested). One person per clip: call
:meth:`PersonBaseline.reset` for a new person.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .calibration import Calibration
from .measures import N_MEASURES


@dataclass(frozen=True)
class BaselineConfig:
    """Per-person neutral settings (``AnalyzerConfig.person_baseline``)."""

    prior_frames: float = 30.0
    """Weight of the population neutral, in frames (30 = one second at 30 fps)."""
    smile_quantile: float = 0.25
    """Quantile of the smile score taken as the person's neutral."""
    measure_quantiles: tuple[float, ...] = (0.25, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5)
    """Quantile of each raw measure (``MEASURE_NAMES`` order) taken as the person's neutral."""
    max_shift_sd: float = 1.5
    """Largest offset from the population neutral, in between-person SDs."""
    bins: int = 256
    """Histogram bins per channel (over ± ``span_sd`` SDs around the population neutral)."""
    span_sd: float = 4.0
    """Half-width of each histogram, in SDs; values beyond land in the end bins."""

    def __post_init__(self) -> None:
        if len(self.measure_quantiles) != N_MEASURES:
            raise ValueError(f"measure_quantiles needs {N_MEASURES} values, got {len(self.measure_quantiles)}")
        qs = (self.smile_quantile, *self.measure_quantiles)
        if not all(0.0 < q < 1.0 for q in qs):
            raise ValueError(f"quantiles must lie in (0, 1), got {qs}")
        if self.prior_frames < 0 or self.max_shift_sd < 0 or self.bins < 8 or self.span_sd <= self.max_shift_sd:
            raise ValueError("need prior_frames >= 0, max_shift_sd >= 0, bins >= 8 and span_sd > max_shift_sd")


class PersonBaseline:
    """Running per-person neutral (measures and smile score) of one clip."""

    def __init__(self, cal: Calibration, config: BaselineConfig = BaselineConfig()) -> None:
        self.config = config
        # channel 0: smile score z, channels 1..7: raw measures
        self._centre = np.concatenate([[cal.smile_anchor[0]], cal.neutral])
        self._sd = np.concatenate([[cal.smile_neutral_sd], cal.neutral_sd])
        self._q = np.array([config.smile_quantile, *config.measure_quantiles])
        self._lo = self._centre - config.span_sd * self._sd
        self._width = 2 * config.span_sd * self._sd / config.bins
        self._hist = np.zeros((len(self._centre), config.bins), dtype=np.int64)
        self.frames = 0
        self._offset = np.zeros(len(self._centre))

    def reset(self) -> None:
        """Forget the frames seen (a new person or a new clip)."""
        self._hist[:] = 0
        self.frames = 0
        self._offset[:] = 0.0

    def update(self, measures: NDArray[np.float64], z: float) -> None:
        """Add one frame's raw measures and smile score, and refresh the offsets."""
        v = np.concatenate([[z], measures])
        if not np.all(np.isfinite(v)):
            return
        k = np.clip(((v - self._lo) / self._width).astype(np.int64), 0, self.config.bins - 1)
        self._hist[np.arange(len(v)), k] += 1
        self.frames += 1
        cum = np.cumsum(self._hist, axis=1)
        idx = np.argmax(cum >= self._q[:, None] * self.frames, axis=1)
        quantile = self._lo + (idx + 0.5) * self._width
        lim = self.config.max_shift_sd * self._sd
        w = self.frames / (self.frames + self.config.prior_frames)
        self._offset = np.clip(quantile - self._centre, -lim, lim) * w

    def smile_shift(self) -> float:
        """Offset subtracted from the raw smile score (person's neutral − population's)."""
        return float(self._offset[0])

    def neutral(self) -> NDArray[np.float64]:
        """The person's neutral raw measures (population neutral + clipped offsets)."""
        out: NDArray[np.float64] = self._centre[1:] + self._offset[1:]
        return out
