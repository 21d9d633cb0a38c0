import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from warehouse import sql as warehouse_sql
from warehouse.models import Company, Person
from warehouse.workflows import DEMO_WORKFLOWS

SEED_TABLES = {
    "core.companies", "core.companies_missing_location", "core.people", "core.person_locations",
    "core.person_job_titles", "core.person_work_history", "core.person_tenure", "core.person_job_start_dates",
    "core.company_funding", "extracted.company_discovery", "extracted.person_experience",
    "extracted.person_profile", "reference.companies_missing_cleaned_name", "reference.people_missing_country",
    "reference.job_title_mapping", "reference.enrichment_workflow_registry",
}


def _catalog() -> set[str]:
    """Qualified names of the ordinary tables in the warehouse's schemas, from the live catalog."""
    with connection.cursor() as cursor:
        cursor.execute("""SELECT n.nspname || '.' || c.relname FROM pg_class c
                          JOIN pg_namespace n ON n.oid = c.relnamespace
                          WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY(%s)""",
                       [["raw", "extracted", "core", "reference", "archive"]])
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db
def test_the_shape_has_every_table_the_seed_names_and_every_workflow_landing_table():
    tables = _catalog()
    assert SEED_TABLES <= tables
    for workflow in DEMO_WORKFLOWS:
        assert {workflow.raw_table, workflow.extracted_table} <= tables, workflow.name


@pytest.mark.django_db
def test_applying_the_shape_twice_changes_nothing():
    before = _catalog()
    call_command("create_warehouse")
    call_command("create_warehouse")
    assert _catalog() == before


@pytest.mark.django_db
def test_reapplying_the_shape_keeps_existing_rows():
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO reference.job_title_mapping VALUES ('Growth Lead', 'Marketing', 'Senior')")
    call_command("create_warehouse")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM reference.job_title_mapping WHERE raw_title = 'Growth Lead'")
        assert cursor.fetchone() == (1,)


def test_the_ddl_never_drops_truncates_or_alters():
    text = warehouse_sql.DDL_FILE.read_text().upper()
    statements = [line for line in text.splitlines() if not line.strip().startswith("--")]
    for word in ("DROP ", "TRUNCATE ", "ALTER ", "DELETE "):
        assert not any(word in line for line in statements), word


@pytest.mark.django_db
def test_the_ddl_is_refused_against_a_server_enrichhub_did_not_start(settings):
    settings.WAREHOUSE_DDL_ALLOWED = False
    with pytest.raises(CommandError, match="--force"):
        call_command("create_warehouse")
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo", "--scale", "0.01")
    call_command("create_warehouse", "--force")


@pytest.mark.django_db
def test_unmanaged_models_read_the_schema_qualified_tables():
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO core.companies (id, domain) VALUES (910001, 'example.org')")
        cursor.execute("INSERT INTO core.people (id, linkedin_url) VALUES (910001, 'linkedin.com/in/ex')")
    company = Company.objects.get(domain="example.org")
    assert company.id == 910001 and not company.has_location
    assert Person.objects.filter(linkedin_url="linkedin.com/in/ex").exists()
