"""teacher.analysis: exact replay at any episode, and counterfactual runs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from teacher import Curriculum, InvalidParameterError
from teacher.analysis import AnalysisError, counterfactual, load_log, teacher_at
from tests.teacher.conftest import CAPTURED


@pytest.fixture(scope="module")
def log(toy_run):
    return load_log(toy_run.path)


@pytest.mark.parametrize("episode", CAPTURED)
def test_teacher_at_equals_the_live_teacher(toy_run, log, episode):
    """Episodes 39/40/41 straddle the first fit (fit_rate 40): the state after episode 40
    already holds the fit that result triggered, as the live teacher did."""
    t = teacher_at(log, episode=episode)
    assert json.dumps(t.state_dict()) == toy_run.states[episode]
    assert t.n_updates_ == episode


def test_teacher_at_a_seq_and_bad_arguments(log):
    seq = int(log.tasks["seq"].iloc[50])
    t = teacher_at(log, seq=seq)
    ref = Curriculum.from_events(log.events, until_seq=seq).teacher
    assert json.dumps(t.state_dict()) == json.dumps(ref.state_dict())
    assert t.n_sampled_ == 51
    n = len(log.results)
    with pytest.raises(AnalysisError, match=rf"episode must be an integer in \[0, {n}\]"):
        teacher_at(log, episode=n + 1)
    with pytest.raises(AnalysisError, match="exactly one of"):
        teacher_at(log)
    with pytest.raises(AnalysisError, match="seq must be"):
        teacher_at(log, seq=0)


def test_counterfactual_with_the_same_settings_reproduces_the_run(toy_run, log):
    cf = counterfactual(log)
    cmp = cf.comparison()
    assert len(cmp) == len(log.tasks) and cmp["same"].all()
    for name in ("fits", "fit_components"):
        live = getattr(log, name).drop(columns=["seq", "time"], errors="ignore")
        pd.testing.assert_frame_equal(getattr(cf, name).drop(columns=["seq", "time"],
                                                            errors="ignore"), live)
    np.testing.assert_array_equal(cf.results["alp"], log.results["alp"])
    # the counterfactual teacher ends exactly where the live one did
    assert json.dumps(cf.teacher.state_dict()) == toy_run.states[max(toy_run.states)]
    assert cf.log.replay_error is None  # its own log replays exactly too
    assert "100% of tasks identical" in repr(cf)


def test_counterfactual_with_other_hyperparameters_differs(log):
    cf = counterfactual(log, fit_rate=30, random_task_ratio=0.5)
    assert cf.config.teacher_params == {**log.config.teacher_params, "fit_rate": 30,
                                        "random_task_ratio": 0.5}
    assert cf.config.teacher_params["k_range"] == [2, 5]  # kept from the live run
    assert cf.fits["episode"].tolist() == list(range(30, len(log.results) + 1, 30))
    cmp = cf.comparison()
    assert not cmp["same"].all()
    assert cmp.loc[cmp["episode"] < 30, "same"].all()  # bootstrap: same seed, same draws
    assert len(cf.tasks) == len(log.tasks)
    # results are the logged ones, fed in order
    pd.testing.assert_series_equal(cf.results["return"], log.results["return"])
    assert (cf.tasks["origin"] == "random").mean() > (log.tasks["origin"] == "random").mean()
    other_seed = counterfactual(log, seed=11)
    assert not other_seed.comparison()["same"].all()


def test_counterfactual_with_another_teacher(log):
    cf = counterfactual(log, "riac", max_region_size=30)
    assert cf.config.teacher == "riac" and cf.fits.empty
    assert cf.tasks["origin"].str.match(r"^(region|mutation):\d+$|^random$").all()
    assert counterfactual(log, "random").tasks["origin"].eq("random").all()
    with pytest.raises(InvalidParameterError, match="unknown hyper-parameter 'fit_rate'"):
        counterfactual(log, "random", fit_rate=3)
    with pytest.raises(InvalidParameterError, match="fit_rate must be an integer"):
        counterfactual(log, fit_rate=0)
    with pytest.raises(AnalysisError, match="pass seed="):
        counterfactual(log, random_state=1)
