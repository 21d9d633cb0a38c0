from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from registry.indexes import key_indexes_missing
from tests.factories import WorkflowFactory

TABLE = "extracted.company_index_probe"


@pytest.fixture
def unindexed_table(transactional_db):
    # CREATE INDEX CONCURRENTLY cannot run in a transaction: this test commits, and cleans up.
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {TABLE} (id serial PRIMARY KEY, domain text, created_at timestamptz)")
    yield TABLE
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


def test_it_lists_key_columns_without_an_index_and_creates_them_concurrently(unindexed_table):
    WorkflowFactory(workflow_name="company_index_probe", raw_table=None, extracted_table=TABLE,
                    core_table="core.companies", coalesces_to_core=True)
    missing = key_indexes_missing()
    assert [(n.table, n.column, n.workflows) for n in missing] == [(TABLE, "domain", ("company_index_probe",))]
    out = StringIO()
    call_command("registry_indexes", stdout=out)
    assert f"{TABLE} (domain) has no index" in out.getvalue() and "1 missing" in out.getvalue()
    call_command("registry_indexes", "--create", stdout=out)
    assert "created company_index_probe_domain_key_idx" in out.getvalue()
    assert key_indexes_missing() == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass("
                       "'extracted.company_index_probe_domain_key_idx')")
        assert cursor.fetchone() == (True,)
