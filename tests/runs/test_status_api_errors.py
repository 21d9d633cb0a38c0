import pytest

from enrichhub.api import api
from runs.schemas import MAX_STATUS_BATCH

STATUS = "/api/enrichment/status"


def _post(client, body, key, path=STATUS, raw=None):
    return client.post(path, raw if raw is not None else body, content_type="application/json",
                       headers={"X-API-Key": key} if key else {})


@pytest.mark.django_db
def test_without_a_key_it_is_401(client):
    assert _post(client, {"entity_type": "company", "entity_key": "a.com"}, None).status_code == 401


@pytest.mark.parametrize("body, field", [
    ({"entity_key": "ironclad.com"}, "entity_type"),
    ({"entity_type": "account", "entity_key": "ironclad.com"}, "entity_type"),
    ({"entity_type": "company", "entity_key": ""}, "entity_key"),
    ({"entity_type": "company", "entity_key": "x" * 2049}, "entity_key"),
    ({"entity_type": "company", "entity_key": "not a domain"}, "entity_key"),
    ({"entity_type": "person", "entity_key": "ironclad.com"}, "entity_key"),
])
def test_bad_input_is_a_422_naming_the_field(client, api_key, body, field):
    response = _post(client, body, api_key)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == field


def test_a_body_that_is_not_json_is_a_422(client, api_key):
    assert _post(client, None, api_key, raw="{nope").status_code == 422


def test_a_batch_over_the_limit_is_a_422_naming_entities(client, api_key):
    entities = [{"entity_type": "company", "entity_key": f"c{n}.com"} for n in range(MAX_STATUS_BATCH + 1)]
    response = _post(client, {"entities": entities}, api_key, path=STATUS + "/batch")
    assert response.status_code == 422 and "entities" in response.json()["detail"][0]["loc"]


def test_a_bad_key_in_a_batch_names_its_index(client, api_key, workflows):
    entities = [{"entity_type": "company", "entity_key": "ok.com"}, {"entity_type": "company", "entity_key": "bad"}]
    response = _post(client, {"entities": entities}, api_key, path=STATUS + "/batch")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "payload", "entities", 1, "entity_key"]


def test_each_key_is_throttled_on_its_own(client, api_key, workflows, monkeypatch):
    from runs.services import api_key_create

    (throttle,) = api.throttle  # one rate for every endpoint, set on the API
    monkeypatch.setattr(throttle, "num_requests", 2)
    body = {"entity_type": "company", "entity_key": "a.com"}
    assert [_post(client, body, api_key).status_code for _ in range(3)] == [200, 200, 429]
    assert _post(client, body, api_key_create(name="other")[1]).status_code == 200


def test_the_openapi_document_shows_both_endpoints_with_the_seeds_examples(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    single = paths["/api/enrichment/status"]["post"]["requestBody"]["content"]["application/json"]["examples"]
    assert single["a company"]["value"] == {"entity_type": "company", "entity_key": "ironclad.com"}
    assert single["a person"]["value"] == {"entity_type": "person", "entity_key": "linkedin.com/in/johndoe"}
    assert "/api/enrichment/status/batch" in paths
