"""Hyper-parameter versions: new configurations take today's defaults; recorded ones of
an older version migrate through each teacher's table; unversioned records get their
version by the one documented inference (teacher/_versions.py)."""

from __future__ import annotations

import json
import re

import pytest

from teacher import TEACHERS, CurriculumConfig, StateMismatchError, make_teacher
from teacher.base import BASE_PARAMS
from teacher.toy import ToyStudent

SPACE = ToyStudent().space


def _everything_but(name: str, *missing: str) -> dict:
    """Every hyper-parameter of ``name`` at today's default, except ``missing``."""
    params = make_teacher(name, SPACE).get_params()
    return {k: v for k, v in params.items() if k not in (*BASE_PARAMS, *missing)}


def _config(name: str, params: dict, **kw) -> CurriculumConfig:
    return CurriculumConfig(name="v", teacher=name, space=SPACE, teacher_params=params, **kw)


@pytest.mark.parametrize(("name", "missing", "default"), [
    ("setter-solver", "fit_float32", True),
    ("setter-solver", "setter_blocks", 1),
    ("setter-solver", "setter_start", "uniform"),
    ("alp-gmm", "alp_ties", "latest"),
    ("alp-gmm+", "alp_ties", "latest"),
    ("alp-gmm+", "region_ratio", 0.5),
    ("alp-gmm+", "region_veto", 0.5),
    ("goal-gan", "pretrain", "initial"),
    ("spdl", "value_bandwidth", 0.1),
])
def test_a_new_configuration_always_takes_todays_defaults(name, missing, default):
    """Naming every hyper-parameter but one never makes a new configuration look old
    (before versions it silently ran with alp_ties='earliest' or region_ratio=0)."""
    teacher = _config(name, _everything_but(name, missing)).make_teacher()
    assert teacher.get_params()[missing] == default


@pytest.mark.parametrize("name", sorted(TEACHERS))
def test_every_migration_table_is_complete_and_reaches_todays_names(name):
    cls = TEACHERS[name]
    assert sorted(cls.param_migrations) == list(range(1, cls.params_version))
    today = set(cls.param_names()) - set(BASE_PARAMS)
    for version in range(1, cls.params_version + 1):
        added_later = {k for n, a in cls.param_migrations.items() if n >= version for k in a}
        old = {k: v for k, v in _everything_but(name).items() if k not in added_later}
        assert cls.infer_params_version(old) == version
        assert set(cls.migrate_params(old, version)) == today


# version N -> the values of the hyper-parameters added since, as version N ran
TABLE = {
    "setter-solver": {1: {"fit_float32": False, "setter_blocks": 3, "setter_start": "reference"},
                      2: {"setter_start": "reference"}, 3: {}},
    "alp-gmm": {1: {"alp_ties": "earliest"}, 2: {}},
    "alp-gmm+": {
        1: {"region_veto": 0.0, "veto_tries": 10, "alp_ties": "earliest", "region_ratio": 0.0},
        2: {"alp_ties": "earliest", "region_ratio": 0.0},
        3: {"region_ratio": 0.0},
        4: {},
    },
    "goal-gan": {1: {"pretrain": "subspace", "initial_mean": None, "initial_std": None}, 2: {}},
    "spdl": {1: {"value_bandwidth": None}, 2: {}},
}


@pytest.mark.parametrize(("name", "version"),
                         [(n, v) for n, table in TABLE.items() for v in table])
def test_a_recorded_version_migrates_to_the_values_it_ran_with(name, version):
    expected = TABLE[name][version]
    old = _everything_but(name, *expected)
    made = _config(name, old, params_version=version).make_teacher()
    assert {k: made.get_params()[k] for k in expected} == expected
    assert _config(name, old, params_version=version).resolved().params_version == (
        TEACHERS[name].params_version)


@pytest.mark.parametrize("name", sorted(TABLE))
def test_an_unknown_version_is_refused_by_name(name):
    newest = TEACHERS[name].params_version
    expected = re.escape(f"params_version of {name!r} must be")
    for bad in (0, newest + 1, "2", True):
        with pytest.raises(StateMismatchError, match=expected):
            _config(name, {}, params_version=bad).make_teacher()


@pytest.mark.parametrize(("name", "missing", "expected"), [
    # the compatibility cases the README listed before versions existed
    ("alp-gmm", ("alp_ties",), {"alp_ties": "earliest"}),
    ("alp-gmm+", ("region_ratio",), {"region_ratio": 0.0, "alp_ties": "latest"}),
    ("alp-gmm+", ("alp_ties", "region_ratio"), {"region_ratio": 0.0, "alp_ties": "earliest"}),
    ("alp-gmm+", ("region_veto", "veto_tries", "alp_ties", "region_ratio"),
     {"region_veto": 0.0, "region_ratio": 0.0, "alp_ties": "earliest"}),
])
def test_an_unversioned_record_written_in_full_is_read_as_the_version_that_wrote_it(
    name, missing, expected
):
    recorded = _config(name, _everything_but(name, *missing)).to_json()
    del recorded["params_version"]  # written before versions existed
    config = CurriculumConfig.from_json(json.loads(json.dumps(recorded)))
    params = config.make_teacher().get_params()
    assert {k: params[k] for k in expected} == expected


def test_an_unversioned_partial_record_takes_todays_defaults():
    """Logs from before defaults were recorded list only what their creator gave."""
    recorded = _config("alp-gmm+", {"fit_rate": 100}).to_json()
    del recorded["params_version"]
    config = CurriculumConfig.from_json(recorded)
    assert config.params_version == TEACHERS["alp-gmm+"].params_version
    params = config.make_teacher().get_params()
    assert (params["region_ratio"], params["alp_ties"], params["fit_rate"]) == (0.5, "latest", 100)


def test_states_and_logged_configurations_record_their_version():
    teacher = make_teacher("alp-gmm+", SPACE, random_state=0)
    assert teacher.state_dict()["params_version"] == 4
    config = _config("alp-gmm", {}).resolved()
    assert config.to_json()["params_version"] == 2
    assert CurriculumConfig.from_json(config.to_json()) == config
    new = _config("alp-gmm", {})
    assert CurriculumConfig.from_json(new.to_json()) == new  # None stays None


def test_a_versioned_state_without_a_later_parameter_takes_todays_default():
    """Only unversioned states are inferred: a version-4 state lacking region_ratio is
    malformed input, read with the default, not guessed to be older."""
    teacher = make_teacher("alp-gmm+", SPACE, random_state=0, region_ratio=0.0)
    state = json.loads(json.dumps(teacher.state_dict()))
    del state["params"]["region_ratio"]
    clone = make_teacher("alp-gmm+", SPACE)
    clone.load_state_dict(state)
    assert clone.region_ratio == 0.5
