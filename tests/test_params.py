"""The parameter table: validation messages, and the JSON fixture the script reads."""

from __future__ import annotations

import json

import pytest

from bgoptimizer.exceptions import ParameterError
from bgoptimizer.params import FitParams, params_schema


def test_defaults_validate_and_round_trip():
    p = FitParams()
    assert FitParams.from_mapping(p.to_dict()) == p


def test_fixture_matches_the_table(fixtures_dir):
    on_disk = json.loads((fixtures_dir / "params.json").read_text())
    assert on_disk == params_schema(), "regenerate tests/fixtures/params.json (see README)"


@pytest.mark.parametrize(
    ("values", "match"),
    [
        ({"samples": 2}, r"samples must be in \[3, 512\], got 2"),
        ({"order": 5}, r"order must be in \[1, 4\]"),
        ({"learning_rate": 0.0}, r"learning_rate must be in \(0.0, 1.0\]"),
        ({"alpha": float("nan")}, r"alpha must be finite"),
        ({"samples": 3.5}, r"samples must be int"),
        ({"samples": True}, r"samples must be int"),
        ({"correction": "add"}, r"correction must be one of subtract, divide"),
        ({"sample": 10}, r"unknown parameter\(s\): sample"),
        ({"threshold_min": 0.5, "threshold_max": 0.4}, r"threshold_min \(0.5\) must be below"),
    ],
)
def test_bad_values_name_the_parameter(values, match):
    with pytest.raises(ParameterError, match=match):
        FitParams.from_mapping(values)


def test_int_accepted_where_float_expected():
    alpha = FitParams.from_mapping({"alpha": 3}).alpha
    assert alpha == 3.0
    assert isinstance(alpha, float)
