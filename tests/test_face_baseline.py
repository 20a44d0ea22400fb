"""The person's own neutral learnt from a video, the cut detector and the stable smile decision."""

from __future__ import annotations

import numpy as np
import pytest

from moodrig.core.face import calibration as calib
from moodrig.core.face.baseline import BaselineConfig, person_neutral
from moodrig.core.face.decision import SmileDecisionConfig, smile_states
from moodrig.core.face.smile import smile_value
from moodrig.core.face.video import shots
from moodrig.core.track import ExpressionTrack

CAL = calib.cached()
ZN, ZS = CAL.smile_anchor
SD = CAL.smile_neutral_sd


def _clip(
    z: list[float], yaw: float | list[float] = 0.0, shot: list[int] | None = None
) -> tuple[np.ndarray, ...]:
    n = len(z)
    m = np.tile(CAL.neutral, (n, 1))
    y = np.full(n, yaw, dtype=np.float64) if np.isscalar(yaw) else np.asarray(yaw, dtype=np.float64)
    return (
        np.asarray(z, dtype=np.float64),
        m,
        y,
        np.ones(n, dtype=bool),
        np.zeros(n, dtype=np.int64) if shot is None else np.asarray(shot, dtype=np.int64),
    )


def _values(z: list[float], **kw: object) -> np.ndarray:
    zz, m, y, ok, sh = _clip(z, **kw)  # type: ignore[arg-type]
    return person_neutral(zz, m, y, ok, sh, CAL).smile(zz)


def test_a_faint_smile_reads_as_one_against_the_persons_own_rest() -> None:
    rest = ZN + 0.2 * SD  # a plain resting face
    faint = rest + 0.45 * (ZS - ZN) / 2  # under the population's boundary
    assert smile_value(faint, CAL.smile_anchor) < 0.5
    v = _values([faint] * 30 + [rest] * 40)  # the smile comes first: the whole clip teaches
    assert (v[:30] > 0.5).all() and (v[30:] < 0.15).all()


def test_a_smiley_resting_face_reads_neutral_at_rest() -> None:
    rest = ZN + 1.1 * SD  # reads about 0.33 against the population: below learn_below, above 0
    assert 0.2 < smile_value(rest, CAL.smile_anchor) < BaselineConfig().learn_below
    v = _values([rest] * 40 + [ZS] * 20)
    assert (v[:40] < 0.4 * smile_value(rest, CAL.smile_anchor)).all() and (v[40:] > 0.75).all()


def test_a_clip_without_rest_keeps_the_population_reading() -> None:
    zz, m, y, ok, sh = _clip([ZS - 0.3, ZS, ZS + 0.2] * 20)
    pn = person_neutral(zz, m, y, ok, sh, CAL)
    assert (pn.weight == 0).all() and np.array_equal(pn.neutral, np.tile(CAL.neutral, (60, 1)))
    assert np.allclose(pn.smile(zz), [smile_value(v, CAL.smile_anchor) for v in zz])


def test_a_rest_must_be_held() -> None:
    rest = ZN
    z = [ZS, ZS, rest, rest, rest, ZS, ZS] * 8  # rests of 3 frames: never 6 in a row
    zz, m, y, ok, sh = _clip(z)
    assert (person_neutral(zz, m, y, ok, sh, CAL).weight == 0).all()


def test_each_view_and_each_shot_learn_their_own() -> None:
    rest, faint = ZN - 0.5 * SD, ZN + 0.9 * (ZS - ZN) / 2
    # rest only seen in front: the right 3/4 view keeps the population's reading, moved by
    # view_transfer of the front's offset
    zz, m, y, ok, sh = _clip(
        [rest] * 30 + [faint] * 20 + [faint] * 20, yaw=[0.0] * 50 + [45.0] * 20
    )
    pn = person_neutral(zz, m, y, ok, sh, CAL)
    v = pn.smile(zz)
    assert (pn.weight[:50] > 0.8).all() and (pn.weight[50:] == 0).all()
    moved = BaselineConfig().view_transfer * (rest - ZN)
    assert (v[30:50] > 0.5).all()
    assert np.allclose(v[50:], smile_value(faint - moved, CAL.smile_anchor))
    assert np.allclose(pn.neutral[50:], CAL.neutral)  # the measures' offsets are 0 here
    # the same in two shots of one view: the second shot learns nothing from the first
    zz, m, y, ok, sh = _clip([rest] * 30 + [faint] * 20, shot=[0] * 30 + [1] * 20)
    assert (person_neutral(zz, m, y, ok, sh, CAL).weight[30:] == 0).all()


def test_the_learnt_offsets_are_bounded_and_invalid_frames_ignored() -> None:
    zz, m, y, ok, sh = _clip([ZN - 6 * SD] * 30)
    m[:, 5:7] -= 9 * CAL.neutral_sd[5:7]  # very heavy lids
    ok[::3] = False
    zz[::3] = np.nan
    cfg = BaselineConfig(view_transfer=0.0)
    pn = person_neutral(zz, m, y, ok, sh, CAL, cfg)
    assert pn.weight[1] == pytest.approx(20 / (20 + cfg.prior_frames))
    own = pn.smile_shift[1] / pn.weight[1] - cfg.smile_margin * (ZS - ZN)  # the neutral score used
    assert own == pytest.approx(ZN - cfg.max_shift_sd * SD, rel=1e-6)
    assert np.allclose(
        pn.neutral[1, 5:7], CAL.neutral[5:7] - cfg.max_shift_sd * CAL.neutral_sd[5:7] * pn.weight[1]
    )


@pytest.mark.parametrize(
    "bad",
    [
        {"smile_quantile": 0.0},
        {"measure_quantiles": (0.5,) * 6},
        {"prior_frames": -1.0},
        {"learn_below": 0.6},
        {"learn_after": 0},
        {"passes": 0},
        {"smile_margin": 1.0},
        {"view_edges_deg": (20.0, -20.0)},
    ],
)
def test_baseline_config_is_checked(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        BaselineConfig(**bad)  # type: ignore[arg-type]


def test_cuts_are_single_abrupt_changes() -> None:
    calm = [1.0] * 5
    cut = [*calm, 12.0, *calm]
    dissolve = [*calm, 5.0, 5.5, 5.0, 5.2, 5.1, 5.0, *calm]  # each frame a sixth of a big change
    flash = [*calm, 20.0, 19.0, *calm]  # on and off again
    assert shots(np.array(cut), 4.0).tolist() == [0] * 5 + [1] * 6
    assert shots(np.array(dissolve), 4.0).max() == 0
    assert shots(np.array(flash), 4.0).max() == 0
    assert shots(np.array([*calm, 3.5, *calm]), 4.0).max() == 0  # below the level


def _track(
    smile: list[float], valid: list[bool] | None = None, fps: float = 24.0
) -> ExpressionTrack:
    e = np.zeros((len(smile), 8), np.float32)
    e[:, 1] = smile
    return ExpressionTrack(
        fps,
        e,
        np.zeros((len(smile), 3), np.float32),
        np.ones(len(smile), bool) if valid is None else np.array(valid),
    )


def test_the_decision_holds_through_noise_near_the_middle() -> None:
    rng = np.random.default_rng(0)
    faint = list(
        np.clip(0.55 + 0.04 * rng.standard_normal(96), 0, 1)
    )  # a faint smile, just above the middle
    rest = list(np.clip(0.1 + 0.05 * rng.standard_normal(48), 0, 1))
    smiling = smile_states(_track(rest + [0.8] * 24 + faint + rest))
    assert not smiling[:48].any() and smiling[48:168].all() and not smiling[168:].any()
    plain = np.array(faint) > 0.5
    assert np.count_nonzero(np.diff(plain.astype(int))) > 10  # what a plain 0.5 test would do


def test_short_blips_are_dropped_and_invalid_frames_hold() -> None:
    cfg = SmileDecisionConfig(min_dwell_s=0.25)  # 6 frames at 24 fps
    blip = [0.1] * 20 + [0.9] * 3 + [0.1] * 20
    assert not smile_states(_track(blip), cfg).any()
    held = [0.1] * 10 + [0.9] * 10 + [0.0] * 5 + [0.9] * 10
    valid = [True] * 20 + [False] * 5 + [True] * 10
    assert smile_states(_track(held, valid), cfg)[10:].all()
    with pytest.raises(ValueError):
        SmileDecisionConfig(on=0.4, off=0.5)


def test_the_person_reading_has_its_own_decision_band() -> None:
    """With the person's neutral the value scale is stretched above 0.5, so its decision band
    is narrower in value; a video config picks the band of the reading it makes."""
    from moodrig.core.face.video import VideoConfig

    population = VideoConfig()
    person = VideoConfig(person_baseline=BaselineConfig())
    assert population.smile_decision == population.decision
    assert person.smile_decision == BaselineConfig().decision
    band = person.smile_decision
    assert population.decision.off < band.off < 0.5 < band.on < population.decision.on
    held = [0.1] * 24 + [0.53] * 24 + [0.1] * 24  # a faint smile on the person's reading
    assert smile_states(_track(held), band)[24:48].all()
    assert not smile_states(_track(held), population.decision).any()
