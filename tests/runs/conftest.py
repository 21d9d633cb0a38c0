import json

import pytest

from enrichhub.db_roles import WEB
from runs.services import api_key_create
from tests.factories import WorkflowFactory
from tests.roles import run_as

URL = "/api/enrichment/runs"


@pytest.fixture
def api_key(db) -> str:
    return api_key_create(name="modal-ingest")[1]


@pytest.fixture
def workflows(db):
    company = WorkflowFactory(workflow_name="company_news")
    person = WorkflowFactory(workflow_name="person_email", key_type="person", key_column="linkedin_url",
                             raw_table="raw.person_email", extracted_table="extracted.person_email")
    return company, person


@pytest.fixture
def report(client, api_key, workflows):
    # The API's tests run with the web role's privileges: proof that the role is enough.
    run_as(WEB)

    def post(body, *, key: str | None = api_key, raw: bytes | None = None):
        headers = {"X-API-Key": key} if key else {}
        data = raw if raw is not None else json.dumps(body)
        return client.post(URL, data=data, content_type="application/json", headers=headers)
    return post


def event(**overrides) -> dict:
    base = {"workflow_name": "company_news", "entity_key": "Ironclad.com", "entity_type": "company",
            "status": "completed", "records_processed": 3, "source": "clay", "at": "2026-11-01T10:00:00Z"}
    base.update(overrides)
    return base
