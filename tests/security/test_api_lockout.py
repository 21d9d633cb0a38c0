"""Finding 3: thirty keyless requests a minute from one address locked out valid keys from that
address too; behind a proxy or NAT, that stopped all reporting."""

from ipaddress import ip_address

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kernel import client_address

STATUS = "/api/enrichment/status"
BODY = {"entity_type": "company", "entity_key": "acme.io"}


def _ask(client, key: str | None, **meta):
    headers = {"X-API-Key": key} if key else {}
    return client.post(STATUS, BODY, content_type="application/json", headers=headers, **meta).status_code


@pytest.fixture
def low_limit(settings):
    settings.API_AUTH_FAILURES_PER_MINUTE = 3
    return settings


def test_keyless_and_wrong_requests_never_lock_out_a_valid_key_from_the_same_address(client, api_key, low_limit):
    failures = [_ask(client, None) for _ in range(30)] + [_ask(client, "ehk_deadbeef_guess") for _ in range(5)]
    assert set(failures[:3]) == {401} and set(failures[3:]) == {429}
    assert _ask(client, api_key) == 200  # the same address, after 35 failures


def test_failures_are_counted_per_key_prefix_as_well_as_per_address(client, api_key, low_limit):
    prefix = "_".join(api_key.split("_", 2)[:2])  # ehk_<hex>: the public part
    from_many = [_ask(client, f"{prefix}_wrong-secret", REMOTE_ADDR=f"10.0.0.{n}") for n in range(1, 6)]
    assert from_many == [401, 401, 401, 429, 429]  # one guesser spread over addresses is still slowed
    assert _ask(client, api_key, REMOTE_ADDR="10.0.0.1") == 200  # and the key's owner is not


def test_behind_a_trusted_proxy_each_client_is_counted_on_its_own_address(client, api_key, low_limit):
    low_limit.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "192.168.0.1"}
    noisy = [_ask(client, None, HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy) for _ in range(5)]
    assert noisy[-1] == 429
    assert _ask(client, None, HTTP_X_FORWARDED_FOR="203.0.113.8", **proxy) == 401  # another client: its own count
    spoofed = _ask(client, None, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7", **proxy)
    assert spoofed == 429  # what the client wrote left of the proxy's entry is not believed


addresses = st.ip_addresses().map(str)


@given(remote=addresses, chain=st.lists(addresses, max_size=5), proxies=st.integers(min_value=0, max_value=6))
def test_the_client_address_is_the_outermost_trusted_proxys_view(remote, chain, proxies):
    meta = {"REMOTE_ADDR": remote, "HTTP_X_FORWARDED_FOR": ", ".join(chain)}
    found = client_address(meta, proxy_count=proxies)
    if proxies == 0 or len(chain) < proxies:
        assert found == str(ip_address(remote))
    else:
        assert found == str(ip_address(chain[-proxies]))


@given(header=st.text(max_size=80))
def test_a_forwarded_header_that_is_no_address_list_falls_back_to_the_peer(header):
    found = client_address({"REMOTE_ADDR": "192.0.2.1", "HTTP_X_FORWARDED_FOR": header}, proxy_count=1)
    ip_address(found)  # always an address, never the header's text
