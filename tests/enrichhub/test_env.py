import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import strategies as st

from enrichhub.env import env_bool, env_int, env_list, local_secret


@pytest.mark.parametrize("raw, expected", [("1", True), ("TRUE", True), (" yes ", True), ("off", False),
                                           ("0", False), ("", False)])
def test_env_bool_reads_the_usual_spellings(raw, expected):
    assert env_bool("DEBUG", not expected, environ={"DEBUG": raw}) is expected


def test_env_bool_falls_back_to_the_default_when_unset():
    assert env_bool("DEBUG", True, environ={}) is True


@given(st.text())
def test_env_bool_either_parses_or_names_the_variable(raw):
    try:
        env_bool("SOME_FLAG", False, environ={"SOME_FLAG": raw})
    except ImproperlyConfigured as exc:
        assert "SOME_FLAG" in str(exc)


@given(st.text())
def test_env_int_either_parses_or_names_the_variable(raw):
    try:
        value = env_int("WORKERS", 2, environ={"WORKERS": raw}, minimum=1)
    except ImproperlyConfigured as exc:
        assert "WORKERS" in str(exc)
    else:
        assert value >= 1


def test_env_int_rejects_values_below_the_minimum():
    with pytest.raises(ImproperlyConfigured, match="minimum of 1"):
        env_int("WORKERS", 2, environ={"WORKERS": "0"}, minimum=1)


@given(st.lists(st.text(alphabet=st.characters(blacklist_characters=","), min_size=1), max_size=5))
def test_env_list_splits_on_commas_and_drops_blanks(items):
    parsed = env_list("ALLOWED_HOSTS", [], environ={"ALLOWED_HOSTS": ",".join(items)})
    assert parsed == [item.strip() for item in items if item.strip()]


def test_the_local_secret_is_created_once_and_then_shared(tmp_path):
    path = tmp_path / "var" / "secret-key.txt"
    first = local_secret(path)
    assert len(first) >= 50
    assert local_secret(path) == first
    assert path.stat().st_mode & 0o077 == 0
