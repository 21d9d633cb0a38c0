from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from runs.indexes import key_indexes_missing
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


def test_it_lists_key_columns_without_their_indexes_and_creates_them_concurrently(unindexed_table):
    WorkflowFactory(workflow_name="company_index_probe", raw_table=None, extracted_table=TABLE,
                    core_table=None, coalesces_to_core=False)
    missing = key_indexes_missing()
    assert [(n.table, n.column, n.function, n.workflows) for n in missing] == [
        (TABLE, "domain", None, ("company_index_probe",)),
        (TABLE, "domain", "company_key_v1", ("company_index_probe",))]
    out = StringIO()
    call_command("registry_indexes", stdout=out)
    assert f"{TABLE} has no index on domain;" in out.getvalue()
    assert f"{TABLE} has no index on reference.company_key_v1(domain);" in out.getvalue()
    assert "2 missing" in out.getvalue()
    call_command("registry_indexes", "--create", stdout=out)
    assert "created company_index_probe_domain_key_idx" in out.getvalue()
    assert "created company_index_probe_domain_company_key_v1_idx" in out.getvalue()
    assert key_indexes_missing() == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname::text, i.indisvalid, pg_get_indexdef(i.indexrelid) FROM pg_index i"
                       " JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass ORDER BY 1", [TABLE])
        indexes = cursor.fetchall()
    assert [(name, valid) for name, valid, _ in indexes] == [
        ("company_index_probe_domain_company_key_v1_idx", True),
        ("company_index_probe_domain_key_idx", True),
        ("company_index_probe_pkey", True)]
    assert "company_key_v1(domain)" in indexes[0][2]


def test_an_index_on_another_function_of_the_column_does_not_count(unindexed_table):
    WorkflowFactory(workflow_name="company_index_probe", raw_table=None, extracted_table=TABLE,
                    core_table=None, coalesces_to_core=False)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE INDEX ON {TABLE} (lower(domain))")
    assert "company_key_v1" in [need.function for need in key_indexes_missing()]
