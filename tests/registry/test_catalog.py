import pytest
from django.db import connection

from registry.catalog import catalog_load, workflow_problems
from registry.models import Workflow
from tests.factories import WorkflowFactory


def _problems(**fields) -> dict[str, list[str]]:
    return workflow_problems(workflow=WorkflowFactory.build(**fields), catalog=catalog_load())


@pytest.mark.django_db
def test_a_complete_workflow_over_existing_tables_is_valid():
    assert _problems() == {}
    assert _problems(core_table="core.companies", coalesces_to_core=True) == {}


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["company_news", "Extracted.Company_News", "extracted.company news",
                                   "extracted.company_news;drop", "a.b.c"])
def test_a_table_name_must_be_lower_case_schema_dot_table(value):
    assert "not a lower-case schema.table name" in _problems(extracted_table=value)["extracted_table"][0]


@pytest.mark.django_db
def test_a_table_must_exist_in_the_catalog():
    problems = _problems(raw_table="raw.nothing_here", core_table="core.nowhere")
    assert problems["raw_table"] == ["table raw.nothing_here does not exist"]
    assert problems["core_table"] == ["table core.nowhere does not exist"]


@pytest.mark.django_db
def test_the_key_column_must_exist_in_raw_and_extracted_tables():
    assert _problems(key_column="linkedin_url")["key_column"] == [
        "column linkedin_url is not in raw.company_news", "column linkedin_url is not in extracted.company_news"]


@pytest.mark.django_db
def test_the_core_key_column_must_exist_in_the_core_table():
    problems = _problems(core_table="core.person_work_history", coalesces_to_core=True)
    assert "column domain is not in core.person_work_history" in problems["key_column"][0]
    assert _problems(core_table="core.person_work_history", core_key_column="company_domain") == {}
    assert "core_key_column" in _problems(core_table="core.people", core_key_column="no_such_column")


@pytest.mark.django_db
def test_coalescing_to_core_needs_a_core_table():
    assert _problems(coalesces_to_core=True)["core_table"] == [
        "a workflow that coalesces to core needs its core table"]


@pytest.mark.django_db
def test_the_column_that_must_be_filled_must_exist_in_the_extracted_table():
    assert _problems(coalesce_when_filled="payload") == {}
    assert _problems(coalesce_when_filled="funding")["coalesce_when_filled"] == [
        "column funding is not in extracted.company_news"]


@pytest.mark.django_db
def test_key_type_is_company_or_person():
    assert "not one of: company, person" in _problems(key_type="account")["key_type"][0]


@pytest.mark.django_db
def test_an_active_workflow_must_say_where_its_data_lands_and_how_it_is_keyed():
    problems = _problems(extracted_table=None, key_column=None, key_type=None, raw_table=None)
    assert set(problems) == {"extracted_table", "key_column", "key_type"}
    assert _problems(extracted_table=None, key_column=None, key_type=None, raw_table=None, is_active=False) == {}


@pytest.mark.django_db
def test_a_dropped_table_shows_as_drift_not_a_crash():
    from registry.selectors import registry_drift

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE extracted.short_lived (domain text)")
    WorkflowFactory(workflow_name="short_lived", extracted_table="extracted.short_lived", raw_table=None)
    assert registry_drift() == []
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE extracted.short_lived")
    (drift,) = registry_drift()
    assert drift.workflow_name == "short_lived"
    assert drift.problems == {"extracted_table": ["table extracted.short_lived does not exist"]}
    assert Workflow.objects.get().extracted_table == "extracted.short_lived"
