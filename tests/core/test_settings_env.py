"""The settings read each typed variable of the environment the same way."""

from decimal import Decimal

import pytest

from omnistore.settings import env

NAME = "OMNISTORE_TEST_SETTING"


@pytest.fixture
def unset(monkeypatch):
    monkeypatch.delenv(NAME, raising=False)


def test_an_unset_variable_gives_the_default_with_its_type(unset):
    assert env.env_int(NAME, 7) == 7
    assert env.env_float(NAME, 5.0) == 5.0
    assert str(env.env_decimal(NAME, "1000.00")) == "1000.00"
    assert env.env_decimal_or_none(NAME, "150.00") == Decimal("150.00")
    assert env.env_decimal_or_none(NAME, "") is None
    assert env.env_bool(NAME, True) is True
    assert env.env_list(NAME, "a, b") == ["a", "b"]


def test_a_set_variable_is_parsed_to_the_type(monkeypatch):
    monkeypatch.setenv(NAME, "12")
    assert env.env_int(NAME, 7) == 12
    assert isinstance(env.env_float(NAME, 5.0), float)
    assert env.env_float(NAME, 5.0) == 12.0
    monkeypatch.setenv(NAME, "12.50")
    assert str(env.env_decimal(NAME, "1")) == "12.50"
    monkeypatch.setenv(NAME, " 7.5 ")
    assert env.env_decimal_or_none(NAME, "10") == Decimal("7.5")
    monkeypatch.setenv(NAME, " ")
    assert env.env_decimal_or_none(NAME, "10") is None
    monkeypatch.setenv(NAME, "Yes")
    assert env.env_bool(NAME, False) is True
    monkeypatch.setenv(NAME, "off")
    assert env.env_bool(NAME, True) is False
    monkeypatch.setenv(NAME, " a.com, .b.org ,,")
    assert env.env_list(NAME, "") == ["a.com", ".b.org"]


def test_a_value_that_does_not_parse_stops_the_settings(monkeypatch):
    monkeypatch.setenv(NAME, "seven")
    with pytest.raises(ValueError):
        env.env_int(NAME, 7)
    with pytest.raises(ValueError):
        env.env_float(NAME, 5.0)
