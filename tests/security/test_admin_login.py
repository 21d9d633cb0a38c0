"""Finding 7: the admin login answered 199 wrong passwords and then let the right one in."""

import pytest
from django.contrib.auth import get_user_model

LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "the-right-one-x1"


@pytest.fixture
def staff_member(db, settings):
    settings.AXES_FAILURE_LIMIT = 5
    return get_user_model().objects.create_user(username="olga", password=PASSWORD, is_staff=True)


def _login(client, password: str, *, username: str = "olga", address: str = "203.0.113.5", **meta) -> int:
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address,
                       **meta).status_code


def test_after_the_limit_even_the_right_password_is_refused_from_that_address(client, staff_member):
    wrong = [_login(client, f"guess-{n}") for n in range(5)]
    assert wrong == [200] * 4 + [429]  # the form again, with its error; then the lockout
    assert _login(client, PASSWORD) == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_per_user_and_address(client, staff_member):
    for n in range(5):
        _login(client, f"guess-{n}")
    assert _login(client, PASSWORD, address="198.51.100.7") == 302  # the same user from elsewhere
    client.logout()
    get_user_model().objects.create_user(username="piet", password=PASSWORD, is_staff=True)
    assert _login(client, PASSWORD, username="piet") == 302  # another user from that address


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_one_locked(client, staff_member, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"address": "192.168.0.1"}
    for n in range(5):
        _login(client, f"guess-{n}", HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy)
    assert _login(client, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy) == 429
    assert _login(client, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.10", **proxy) == 302
