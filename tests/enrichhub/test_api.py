import pytest


@pytest.mark.django_db
def test_health_reports_the_database_reachable_without_its_version(client):
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "reachable"}


def test_the_api_docs_and_schema_are_served(client):
    assert client.get("/api/docs").status_code == 200
    schema = client.get("/api/openapi.json").json()
    assert schema["info"]["title"] == "enrichhub"
    assert "/api/health" in schema["paths"]


def test_the_site_root_leads_to_the_admin(client):
    response = client.get("/")
    assert response.status_code == 302 and response.url == "/admin/"
