import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from registry.models import Workflow

OLD_SHAPE = {"workflow_name", "description", "provider", "created_at"}
PHASE_ONE = {"raw_table", "extracted_table", "core_table", "key_column", "key_type", "coalesces_to_core", "is_active",
             "core_key_column", "refresh_after_days", "gap_alert_threshold", "updated_at"}
LATEST = "0006_workflow_fills"
ADDED_SINCE = {"coalesce_when_filled", "core_source_column", "fills_fields", "default_credit_cost"}


def _migrate(app_label: str, migration: str | None) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([(app_label, migration)])


def _columns() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = 'reference' AND table_name = 'enrichment_workflow_registry'"
        )
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db
def test_migrating_adopts_an_existing_registry_and_keeps_every_row():
    _migrate("registry", None)
    assert _columns() == OLD_SHAPE
    with connection.cursor() as cursor:
        for n in range(16):
            cursor.execute(
                "INSERT INTO reference.enrichment_workflow_registry (workflow_name, description, provider)"
                " VALUES (%s, %s, 'clay')", [f"legacy_{n}", f"legacy workflow {n}"],
            )
    _migrate("registry", LATEST)
    assert _columns() == OLD_SHAPE | PHASE_ONE | ADDED_SINCE
    rows = Workflow.objects.order_by("workflow_name")
    assert rows.count() == 16
    first = rows.get(workflow_name="legacy_0")
    assert (first.description, first.vendor, first.is_active, first.coalesces_to_core) == (
        "legacy workflow 0", "clay", True, False)
    assert first.refresh_after_days == 90 and first.core_table is None


@pytest.mark.django_db
def test_migrating_an_empty_database_creates_the_registry():
    _migrate("registry", None)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE reference.enrichment_workflow_registry")
    assert _columns() == set()
    _migrate("registry", LATEST)
    assert _columns() == OLD_SHAPE | PHASE_ONE | ADDED_SINCE
    Workflow.objects.create(workflow_name="company_news", key_type="company")
    assert Workflow.objects.get().is_active is True


@pytest.mark.django_db
def test_reversing_gives_back_the_original_shape_with_its_rows():
    Workflow.objects.create(workflow_name="company_news", vendor="clay", extracted_table="extracted.company_news")
    with connection.cursor() as cursor:
        # The history row's deferred foreign key would otherwise block dropping its table.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    _migrate("registry", None)
    assert _columns() == OLD_SHAPE
    with connection.cursor() as cursor:
        cursor.execute("SELECT workflow_name, provider FROM reference.enrichment_workflow_registry")
        assert cursor.fetchall() == [("company_news", "clay")]


@pytest.mark.django_db
def test_the_database_enforces_key_type_and_coalescing_for_plain_sql_writers():
    from django.db import IntegrityError, transaction

    for values in [("a", "Company", False, None), ("b", "person", True, None)]:
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("INSERT INTO reference.enrichment_workflow_registry"
                           " (workflow_name, key_type, coalesces_to_core, core_table) VALUES (%s, %s, %s, %s)", values)
