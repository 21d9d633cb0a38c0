import pytest
from django.core.management import CommandError, call_command
from psycopg import sql

from tests.oracles import scalar
from warehouse.demo.figures import SEED_INGEST_WORKFLOWS, SEED_REGISTERED_WORKFLOWS, DemoSize
from warehouse.demo.seed import DEMO_TABLES, DemoDataExists, demo_seed
from warehouse.demo.statements import CLAY_ANSWERED_WORKFLOW
from warehouse.models import Company, PersonWorkHistory
from warehouse.workflows import DEMO_WORKFLOWS, generic_landing_workflows

SCALE = 0.01
# The seed's funding delta, with extracted domains normalised (scheme, www., case, slash).
FUNDING_DELTA = r"""
    WITH extracted AS (
        SELECT lower(regexp_replace(domain, '^(https?://)?(www\.)?([^/]+)/?$', '\3', 'i')) AS domain
        FROM extracted.company_discovery WHERE total_funding_amount_range_usd IS NOT NULL)
    SELECT count(DISTINCT e.domain) FROM extracted e
    LEFT JOIN core.company_funding cf ON cf.domain = e.domain WHERE cf.domain IS NULL"""


def _table(qualified: str) -> sql.Identifier:
    return sql.Identifier(*qualified.split("."))


def _rows(qualified: str) -> int:
    return scalar(sql.SQL("SELECT count(*) FROM {}").format(_table(qualified)))


def _table_digest(qualified: str) -> str:
    return scalar(sql.SQL("SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {} t")
                   .format(_table(qualified)))


@pytest.fixture
def seeded(db):
    return demo_seed(scale=SCALE, seed=7)


def test_it_reproduces_the_seeds_figures_at_scale(seeded):
    figures = DemoSize(SCALE).figures()
    assert scalar(
        "SELECT count(*) FROM core.companies_missing_location"
        " WHERE discovery_location IS NULL AND salesnav_location IS NULL"
    ) == figures["missing_location"]
    missing = Company.objects.filter(discovery_location=None, salesnav_location=None)
    assert missing.count() == figures["missing_location"]
    assert scalar(
        "SELECT count(DISTINCT s.person_id) FROM core.person_job_start_dates s"
        " LEFT JOIN core.person_tenure t ON t.person_id = s.person_id WHERE t.person_id IS NULL"
    ) == figures["tenure_gap"]
    assert scalar(FUNDING_DELTA) == figures["funding_delta"]
    assert PersonWorkHistory.objects.count() == figures["work_history_rows"]
    assert scalar(
        "SELECT count(*) FROM extracted.person_experience e WHERE NOT EXISTS"
        " (SELECT 1 FROM core.person_work_history w WHERE w.source_record_id = e.id)"
    ) == figures["experience_not_synced"]


def test_it_registers_16_of_the_53_workflows_in_the_old_registry_shape(seeded):
    assert len(DEMO_WORKFLOWS) == SEED_INGEST_WORKFLOWS
    assert scalar("SELECT count(*) FROM reference.enrichment_workflow_registry") == SEED_REGISTERED_WORKFLOWS


def test_every_workflow_landing_table_has_rows(seeded):
    listed = scalar("SELECT count(*) FROM reference.companies_missing_cleaned_name")
    for workflow in generic_landing_workflows():
        answers_for_listed = listed if workflow.name == CLAY_ANSWERED_WORKFLOW else 0
        assert _rows(workflow.extracted_table) == DemoSize(SCALE).generic_rows(workflow.name) + answers_for_listed
        assert _rows(workflow.raw_table) == _rows(workflow.extracted_table)


def test_clay_answered_for_every_company_listed_for_it_some_without_a_name(seeded):
    unanswered = scalar("SELECT count(*) FROM reference.companies_missing_cleaned_name r WHERE NOT EXISTS"
                        " (SELECT 1 FROM extracted.company_cleaned_name e WHERE e.domain = r.domain)")
    nameless = scalar("SELECT count(*) FROM reference.companies_missing_cleaned_name r WHERE NOT EXISTS"
                      " (SELECT 1 FROM extracted.company_cleaned_name e WHERE e.domain = r.domain"
                      "  AND e.payload ? 'company')")
    assert unanswered == 0 and 0 < nameless < scalar("SELECT count(*) FROM reference.companies_missing_cleaned_name")


def test_the_data_is_dirty_the_way_real_data_is(seeded):
    assert scalar("SELECT count(*) FROM extracted.company_discovery WHERE domain <> lower(domain)") > 0
    assert scalar("SELECT count(*) FROM extracted.company_discovery WHERE domain LIKE 'https://www.%'") > 0
    assert scalar(
        "SELECT count(*) FROM (SELECT lower(domain) FROM extracted.company_discovery GROUP BY 1"
        " HAVING count(*) > 1) AS duplicated"
    ) > 0
    assert scalar("SELECT count(*) FROM extracted.person_experience WHERE linkedin_url LIKE 'https://www.%/'") > 0
    assert scalar("SELECT count(*) FROM extracted.person_experience WHERE linkedin_url LIKE '%\\%C3%'") > 0
    assert scalar("SELECT count(*) FROM core.people WHERE full_name ~ '[^\\x01-\\x7F]'") > 0
    assert scalar("SELECT count(*) FROM core.person_work_history WHERE matched_job_function IS NULL") > 0


def test_the_same_seed_gives_the_same_data_and_another_seed_does_not(seeded):
    tables = DEMO_TABLES + [generic_landing_workflows()[0].extracted_table]
    first = {table: _table_digest(table) for table in tables}
    demo_seed(scale=SCALE, seed=7, reset=True)
    assert {table: _table_digest(table) for table in tables} == first
    demo_seed(scale=SCALE, seed=8, reset=True)
    assert _table_digest("core.companies") != first["core.companies"]


def test_a_second_run_refuses_instead_of_doubling_the_data(seeded):
    companies = Company.objects.count()
    with pytest.raises(DemoDataExists, match="--reset"):
        demo_seed(scale=SCALE, seed=7)
    with pytest.raises(CommandError, match="--reset"):
        call_command("seed_demo", "--scale", str(SCALE))
    call_command("seed_demo", "--scale", str(SCALE), "--if-empty")
    assert Company.objects.count() == companies


@pytest.mark.django_db
def test_an_out_of_range_scale_is_refused_before_anything_is_written():
    with pytest.raises(CommandError, match="scale must be between"):
        call_command("seed_demo", "--scale", "0")
    assert Company.objects.count() == 0


def test_the_table_count_the_demo_bar_counts_to_is_the_number_of_tables_seeded(seeded):
    from warehouse.demo.seed import demo_table_count

    assert len(seeded.rows_by_table) == demo_table_count()
