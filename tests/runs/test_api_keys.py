from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from runs.models import ApiKey
from runs.services import api_key_authenticate, api_keys_deactivate


@pytest.mark.django_db
def test_create_api_key_prints_a_working_key_as_its_last_line():
    out = StringIO()
    call_command("create_api_key", "frontend", stdout=out)
    plain = out.getvalue().strip().splitlines()[-1]
    key = ApiKey.objects.get(name="frontend")
    assert plain.startswith(key.prefix + "_") and plain not in key.key_hash
    assert api_key_authenticate(plain=plain) == key


@pytest.mark.django_db
def test_a_second_key_with_the_same_name_is_refused():
    call_command("create_api_key", "frontend", stdout=StringIO())
    with pytest.raises(CommandError, match="exists already"):
        call_command("create_api_key", "frontend", stdout=StringIO())


@pytest.mark.django_db
def test_a_deactivated_or_altered_key_no_longer_authenticates():
    out = StringIO()
    call_command("create_api_key", "ingest", stdout=out)
    plain = out.getvalue().strip().splitlines()[-1]
    assert api_key_authenticate(plain=plain[:-1] + ("A" if plain[-1] != "A" else "B")) is None
    assert api_key_authenticate(plain=plain) is not None
    assert api_keys_deactivate(keys=ApiKey.objects.all()) == 1
    assert api_key_authenticate(plain=plain) is None
    assert api_key_authenticate(plain="garbage") is None


@pytest.mark.django_db
def test_a_verified_key_is_trusted_briefly_and_a_deactivation_in_the_admin_applies_at_once(client, monkeypatch):
    from django.contrib.auth import get_user_model

    from runs import services

    out = StringIO()
    call_command("create_api_key", "ingest", stdout=out)
    plain = out.getvalue().strip().splitlines()[-1]
    assert api_key_authenticate(plain=plain) is not None
    ApiKey.objects.update(is_active=False)  # as another process would
    assert api_key_authenticate(plain=plain) is not None  # still inside the trust window
    monkeypatch.setattr(services, "AUTH_CACHE_SECONDS", 0.0)
    services.api_keys_trust_revoke()
    assert api_key_authenticate(plain=plain) is None
    ApiKey.objects.update(is_active=True)
    assert api_key_authenticate(plain=plain) is not None
    admin = get_user_model().objects.create_superuser(username="ops", email="", password="x-test-only")
    client.force_login(admin)
    key = ApiKey.objects.get()
    client.post(f"/admin/runs/apikey/{key.pk}/change/", {"name": key.name})  # is_active unticked
    assert ApiKey.objects.get().is_active is False and api_key_authenticate(plain=plain) is None


@pytest.mark.django_db
def test_a_keys_last_use_is_recorded_once_a_minute_not_on_every_request(django_assert_num_queries):
    out = StringIO()
    call_command("create_api_key", "ingest", stdout=out)
    plain = out.getvalue().strip().splitlines()[-1]
    assert api_key_authenticate(plain=plain) is not None
    first_use = ApiKey.objects.get().last_used_at
    assert first_use is not None
    with django_assert_num_queries(0):  # the active keys are cached, and so is the recent write
        for _ in range(5):
            assert api_key_authenticate(plain=plain) is not None
    assert ApiKey.objects.get().last_used_at == first_use


def test_every_endpoint_but_health_asks_for_a_key_and_refuses_without_one(client, db):
    """The key is required once, on the API: a router added later cannot forget it."""
    from enrichhub.api import api

    paths = api.get_openapi_schema()["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            asks = bool(operation.get("security"))
            assert asks == (path != "/api/health"), (method, path)
            if asks:
                answer = getattr(client, method)(path, content_type="application/json")
                assert answer.status_code == 401 and "detail" in answer.json(), (method, path)
    assert client.get("/api/health").status_code == 200
