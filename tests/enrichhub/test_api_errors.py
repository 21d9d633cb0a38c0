"""Every answer under /api/ is JSON, and none shows a traceback, whatever DEBUG says."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

from tests.fixtures.api import event

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _is_json_without_traceback(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    text = response.content.decode()
    assert "Traceback" not in text and "SELECT" not in text and 'File "' not in text
    return json.loads(text)


@pytest.mark.system
def test_debug_is_off_unless_asked_for():
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    shown = subprocess.run([sys.executable, "manage.py", "shell", "-c",
                            "from django.conf import settings; print(settings.DEBUG)"],
                           cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert shown.stdout.strip().splitlines()[-1] == "False", shown.stderr


@pytest.mark.parametrize("debug", [False, True])
def test_unknown_paths_and_methods_are_json(client, db, debug):
    with override_settings(DEBUG=debug):
        missing = client.get("/api/no/such/endpoint")
        assert missing.status_code == 404 and "/api/docs" in _is_json_without_traceback(missing)["detail"]
        wrong_method = client.get("/api/enrichment/runs")
        assert wrong_method.status_code == 405
        assert _is_json_without_traceback(wrong_method)["detail"] == "Method Not Allowed"
        assert wrong_method["Allow"] == "POST"


@pytest.mark.parametrize("debug", [False, True])
def test_an_unexpected_error_is_a_json_500_without_its_traceback(client, api_key, monkeypatch, debug):
    from runs import status

    def broken(**kwargs):
        raise RuntimeError("SELECT secret FROM internals")

    monkeypatch.setattr(status, "entity_status_get", broken)
    client.raise_request_exception = False
    with override_settings(DEBUG=debug):
        response = client.post("/api/enrichment/status", {"entity_type": "company", "entity_key": "acme.io"},
                               content_type="application/json", headers={"X-API-Key": api_key})
    assert response.status_code == 500
    assert _is_json_without_traceback(response)["detail"] == "an unexpected error; it was logged"


def test_a_body_over_the_limit_is_a_413_that_states_the_limit(report, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    events = [event(entity_key=f"company{i}.com") for i in range(2_000)]
    response = report({"events": events})
    assert response.status_code == 413
    assert "100,000 bytes" in _is_json_without_traceback(response)["detail"]


def test_wrong_keys_past_the_limit_are_answered_429_without_asking_the_database(client, api_key, settings,
                                                                                django_assert_num_queries):
    settings.API_AUTH_FAILURES_PER_MINUTE = 3
    body = {"entity_type": "company", "entity_key": "acme.io"}
    statuses = [client.post("/api/enrichment/status", body, content_type="application/json",
                            headers={"X-API-Key": f"ehk_0000000{i}_wrong"}).status_code for i in range(4)]
    assert statuses == [401, 401, 401, 429]
    with django_assert_num_queries(0):
        throttled = client.post("/api/enrichment/status", body, content_type="application/json",
                                headers={"X-API-Key": "ehk_00000009_wrong"})
    assert throttled.status_code == 429
    _is_json_without_traceback(throttled)


def test_static_files_are_served_with_debug_off_as_gunicorn_would(client, db, settings):
    settings.DEBUG = False
    for url in ("/static/admin/css/base.css", "/static/ninja/swagger-ui-bundle.js", "/static/enrichhub/admin.css"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith(("text/css", "text/javascript", "application/javascript"))
        response.close()


def test_browsers_find_a_favicon(client, ops, settings):
    settings.DEBUG = False
    icon = client.get("/favicon.ico", follow=True)
    assert 'rel="icon"' in client.get("/admin/").content.decode()
    assert icon.status_code == 200 and icon["Content-Type"] == "image/svg+xml"
    icon.close()
