"""A person's own neutral face, learnt from the frames of a video (opt-in).

Why: the calibration's neutral is the population's. A person whose resting mouth is wide or
upturned reads as slightly smiling in every frame; one with a flat resting mouth shows a faint
smile as no smile at all. Measured on London (``docs/face_eval.md``): between people the
neutral smile score varies as much as a faint smile, while a person's smiling photo scores
above their own neutral one in nearly every pair. So where a person has been seen at rest,
a smile is judged against *their* neutral.

The video is analysed first, then the neutral is learnt from the whole clip (a bake or the
command line needs the whole track anyway), so a smile shown before the person's first rest is
read against the same neutral as one shown after it:

* **Only frames at rest teach.** A frame is at rest when the running median of its smile value
  (over ``learn_after`` frames) is at most ``learn_below`` through a run of at least
  ``learn_after`` frames: a held rest, not the dip of a passing expression. Values are read
  against the neutral learnt so far; the learning is repeated ``passes`` times from the
  population's neutral, so frames whose rest only shows against the person's own neutral join
  later. A person who smiles all clip long teaches nothing and keeps the population's reading.
* **Per view.** A person's neutral score in front says only about half of it in a 3/4 view
  (correlation 0.43 to 0.54 on London's neutral photos), so each yaw band
  (``view_edges_deg``) learns its own; a band without a rest of its own is read with the
  population's margin, moved by ``view_transfer`` of the learnt bands' offset.
* **Per shot.** A cut (``shot``, found by ``video.shots``) starts afresh: nothing learnt
  before it is used after it, or the other way round.
* **Robust and bounded.** The ``smile_quantile`` of the resting frames' smile scores (and the
  ``measure_quantiles`` of their raw measures, ``measures.MEASURE_NAMES``) is the person's
  neutral, clipped to ± ``max_shift_sd`` between-person SDs from the population's
  (``smile_neutral_sd``, ``neutral_sd``) and blended in as N / (N + ``prior_frames``), N the
  band's number of resting frames.

How it is read (``video.py``): the smile value is ``smile_value(z − shift, anchor)``. With no
neutral learnt, shift = 0 and the anchors are the population's (its neutral mean score → 0,
z = 0 → 0.5, its smiling mean → 1). With the person's neutral b fully learnt, the value is 0
at b, 0.5 at b + ``smile_margin`` · Δ and 1 at b + Δ (Δ: the population's smiling minus
neutral mean score): the 0.5 point sits closer to the person's own neutral than the population
boundary sits to the population's neutral (1.6 SDs), because the person's own neutral is known
instead of guessed. In between, shift and anchors are blended by the band's weight.

On that reading the value scale is stretched above 0.5 (0.5 to 1 spans 0.9 Δ of raw score,
0 to 0.5 only 0.1 Δ), so the per-frame smile decision has its own, narrower band in value
(``decision``) than the population's reading (``VideoConfig.decision``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from .calibration import Calibration
from .decision import SmileDecisionConfig
from .measures import N_MEASURES
from .smile import smile_value

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class BaselineConfig:
    """Per-person neutral settings (``VideoConfig.person_baseline``)."""

    learn_below: float = 0.45
    """A frame is at rest when the running median of its smile value is at most this ..."""
    learn_after: int = 6
    """... throughout a run of at least this many frames (also the median's window)."""
    passes: int = 3
    """Times the learning is repeated, each reading the values against the last pass's neutral."""
    smile_margin: float = 0.1
    """With the person's neutral learnt, the smile value crosses 0.5 this share of the
    population's mean smile (its smiling minus neutral mean score) above it."""
    prior_frames: float = 6.0
    """Weight of the population neutral, in resting frames of the band."""
    smile_quantile: float = 0.25
    """Quantile of the resting frames' smile scores taken as the person's neutral (a low one:
    frames of a faint smile that reads below ``learn_below`` may be among them)."""
    measure_quantiles: tuple[float, ...] = (0.25, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5)
    """Quantile of each raw measure (``MEASURE_NAMES`` order) over the resting frames (lip
    gap 0.25, since talking opens the mouth; the others the median: blinks are brief)."""
    max_shift_sd: float = 2.0
    """Largest offset from the population neutral, in between-person SDs."""
    view_transfer: float = 0.75
    """Share of the learnt views' offset (rest-frame weighted mean) assumed for a view with no
    rest of its own, read with the population's margin. On London's neutral photos a person's
    neutral smile score correlates 0.43 to 0.54 between the front and a 3/4 view; on the
    labelled clips (one light, one camera per clip) 0.75 read best
    (``research/smile_video.py``)."""
    view_edges_deg: tuple[float, ...] = (-20.0, 20.0)
    """Yaw (degrees) where one view band ends and the next begins (3 bands: turned to image
    left, front, turned to image right)."""
    decision: SmileDecisionConfig = field(
        default_factory=lambda: SmileDecisionConfig(on=0.52, off=0.48)
    )
    """The per-frame smile decision on this reading (``VideoConfig.smile_decision``): the
    band is narrower in value than the population reading's, as the scale above 0.5 is
    stretched (on at 0.52 lies 0.036 Δ of raw score above the 0.5 point)."""

    def __post_init__(self) -> None:
        if len(self.measure_quantiles) != N_MEASURES:
            raise ValueError(
                f"measure_quantiles needs {N_MEASURES} values, got {len(self.measure_quantiles)}"
            )
        qs = (self.smile_quantile, *self.measure_quantiles)
        if not all(0.0 < q < 1.0 for q in qs):
            raise ValueError(f"quantiles must lie in (0, 1), got {qs}")
        if self.prior_frames < 0 or self.max_shift_sd < 0:
            raise ValueError("need prior_frames >= 0 and max_shift_sd >= 0")
        if not 0.0 < self.learn_below < 0.5 or self.learn_after < 1 or self.passes < 1:
            raise ValueError("need 0 < learn_below < 0.5, learn_after >= 1 and passes >= 1")
        if not 0.0 < self.smile_margin < 1.0 or list(self.view_edges_deg) != sorted(
            self.view_edges_deg
        ):
            raise ValueError("need 0 < smile_margin < 1 and increasing view_edges_deg")


@dataclass(frozen=True)
class PersonNeutral:
    """Per-frame reading of a clip against the person's own neutral."""

    smile_shift: F64
    """(N,) subtracted from the raw smile score."""
    smile_anchor: F64
    """(N, 2) scores (after the shift) that read 0 and 1."""
    neutral: F64
    """(N, 7) the person's neutral raw measures (population + weighted, clipped offsets)."""
    weight: F64
    """(N,) how much of the person's own neutral is used (0: the population's)."""

    def smile(self, z: F64) -> F64:
        """The smile values of raw scores ``z`` (N,)."""
        return np.array(
            [
                smile_value(float(v - s), (float(a[0]), float(a[1])))
                for v, s, a in zip(z, self.smile_shift, self.smile_anchor, strict=True)
            ]
        )


def _resting(value: F64, valid: NDArray[np.bool_], below: float, n: int) -> NDArray[np.bool_]:
    """Frames inside runs of at least ``n`` valid frames whose running median value (over
    ``n`` frames, centred; single noisy frames neither make nor break a rest) is at most
    ``below``. Invalid frames are left out and neither break nor count in a run."""
    idx = np.flatnonzero(valid)
    out = np.zeros(len(value), dtype=bool)
    if len(idx) < n:
        return out
    v = value[idx]
    pad = np.pad(v, (n // 2, n - 1 - n // 2), mode="edge")
    med = np.median(np.lib.stride_tricks.sliding_window_view(pad, n), axis=1)
    f = med <= below
    d = np.diff(np.concatenate(([0], f.astype(np.int8), [0])))
    for a, b in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1), strict=True):
        if b - a >= n:
            out[idx[a:b]] = True
    return out


def person_neutral(
    z: F64,
    measures: F64,
    yaw: F64,
    valid: NDArray[np.bool_],
    shot: NDArray[np.int64],
    cal: Calibration,
    config: BaselineConfig = BaselineConfig(),
) -> PersonNeutral:
    """The person's neutral for every frame of a clip (see the module docs).

    ``z`` (N,) raw smile scores, ``measures`` (N, 7) raw measures, ``yaw`` (N,) degrees,
    ``valid`` (N,) frames with a face, ``shot`` (N,) shot number of each frame (a cut between
    two frames gives them different numbers)."""
    n = len(z)
    zn, zs = cal.smile_anchor
    delta = zs - zn
    margin = config.smile_margin * delta
    centre = np.concatenate([[zn], cal.neutral])
    lim = config.max_shift_sd * np.concatenate([[cal.smile_neutral_sd], cal.neutral_sd])
    q = np.array([config.smile_quantile, *config.measure_quantiles])
    band = np.searchsorted(np.asarray(config.view_edges_deg), np.nan_to_num(yaw))
    values = np.column_stack([z, measures])
    ok = valid & np.all(np.isfinite(values), axis=1) & np.isfinite(yaw)
    offset = np.zeros((n, len(centre)))
    weight = np.zeros(n)
    guess = np.zeros((n, len(centre)))

    def reading(offset: F64, weight: F64, guess: F64) -> tuple[F64, F64, F64]:
        """shift, anchors (N, 2) and neutral measures (N, 7) of every frame."""
        own = weight[:, None] * offset + (1 - weight[:, None]) * guess
        shift = weight * margin + own[:, 0] + weight * zn
        lo = (1 - weight) * zn - weight * margin
        anchor = np.column_stack([lo, (1 - weight) * zs + weight * (delta - margin)])
        return shift, anchor, cal.neutral[None, :] + own[:, 1:]

    for _ in range(config.passes):
        shift, anchor, _ = reading(offset, weight, guess)
        value = np.array(
            [
                smile_value(float(v - s), (float(a), float(b)))
                for v, s, (a, b) in zip(np.nan_to_num(z), shift, anchor, strict=True)
            ]
        )
        resting = np.zeros(n, dtype=bool)
        for s in np.unique(shot):  # runs of rest never span a cut
            m = shot == s
            resting[m] = _resting(value[m], ok[m], config.learn_below, config.learn_after)
        offset = np.zeros_like(offset)
        weight = np.zeros(n)
        guess = np.zeros_like(guess)
        for s in np.unique(shot):
            learnt = []
            for b in np.unique(band[shot == s]):
                frames = (shot == s) & (band == b)
                rest = frames & resting
                k = int(rest.sum())
                if k == 0:
                    continue
                est = np.array([np.quantile(values[rest, c], q[c]) for c in range(len(q))])
                offset[frames] = np.clip(est - centre, -lim, lim)
                weight[frames] = k / (k + config.prior_frames)
                learnt.append((k, offset[frames][0]))
            if learnt:  # what the learnt views say about the others
                k_all = np.array([k for k, _ in learnt], dtype=np.float64)
                mean = (k_all[:, None] * np.array([o for _, o in learnt])).sum(axis=0) / k_all.sum()
                guess[shot == s] = config.view_transfer * mean
    shift, anchor, neutral = reading(offset, weight, guess)
    return PersonNeutral(smile_shift=shift, smile_anchor=anchor, neutral=neutral, weight=weight)
