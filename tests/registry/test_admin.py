import pytest
from django.contrib.messages import get_messages

from registry.models import Workflow
from tests.factories import WorkflowFactory

URL = "/admin/registry/workflow/"


def _form(**overrides) -> dict:
    data = {"workflow_name": "company_news", "description": "", "vendor": "clay", "is_active": "on",
            "key_type": "company", "key_column": "domain", "raw_table": "raw.company_news",
            "extracted_table": "extracted.company_news", "core_table": "", "core_key_column": "",
            "refresh_after_days": "90", "gap_alert_threshold": ""}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.django_db
def test_the_list_shows_whether_each_table_exists(client, ops):
    WorkflowFactory(workflow_name="company_gone", extracted_table="extracted.company_gone", raw_table=None,
                    is_active=False)
    WorkflowFactory(workflow_name="company_news")
    page = client.get(URL).content.decode()
    assert "✓ extracted.company_news" in page
    assert "✗ extracted.company_gone (missing)" in page


@pytest.mark.django_db
def test_the_form_refuses_a_table_that_does_not_exist_on_its_field(client, ops):
    response = client.post(URL + "add/", _form(extracted_table="extracted.company_newz"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["extracted_table"] == ["table extracted.company_newz does not exist"]
    assert not Workflow.objects.exists()


@pytest.mark.django_db
def test_the_form_refuses_coalescing_without_a_core_table(client, ops):
    response = client.post(URL + "add/", _form(coalesces_to_core="on"))
    assert "a workflow that coalesces to core needs its core table" in response.context["adminform"].form.errors[
        "core_table"]


@pytest.mark.django_db
def test_a_change_is_recorded_with_who_and_when(client, ops):
    client.post(URL + "add/", _form())
    response = client.post(URL + "company_news/change/", _form(core_table="core.companies", coalesces_to_core="on"))
    assert response.status_code == 302
    latest = Workflow.objects.get().history.first()
    assert latest.history_user == ops and latest.history_type == "~"
    assert latest.coalesces_to_core is True and latest.history_date is not None
    assert client.get(URL + "company_news/history/").status_code == 200


@pytest.mark.django_db
def test_activating_refuses_incomplete_workflows_and_says_why(client, ops):
    WorkflowFactory(workflow_name="company_ready", is_active=False)
    Workflow.objects.create(workflow_name="company_draft", is_active=False)
    response = client.post(URL, {"action": "activate", "_selected_action": ["company_ready", "company_draft"]})
    assert response.status_code == 302
    assert Workflow.objects.get(workflow_name="company_ready").is_active is True
    assert Workflow.objects.get(workflow_name="company_draft").is_active is False
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert "1 workflows activated." in notes
    assert any(n.startswith("company_draft not activated: extracted_table: required") for n in notes)


@pytest.mark.django_db
def test_deactivating_in_bulk_is_recorded(client, ops):
    WorkflowFactory.create_batch(3)
    names = list(Workflow.objects.values_list("pk", flat=True))
    client.post(URL, {"action": "deactivate", "_selected_action": names})
    assert not Workflow.objects.filter(is_active=True).exists()
    reasons = {w.history.first().history_change_reason for w in Workflow.objects.all()}
    assert reasons == {"admin: deactivated by ops"}


@pytest.mark.django_db
def test_revalidating_lists_what_drifted(client, ops):
    WorkflowFactory(workflow_name="company_gone", extracted_table="extracted.company_gone", raw_table=None)
    response = client.post(URL, {"action": "revalidate", "_selected_action": ["company_gone"]})
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert notes[0] == "checked 1 workflows against the live catalog: 1 need attention"
    assert "  extracted_table: table extracted.company_gone does not exist" in notes


@pytest.mark.django_db
def test_a_core_key_column_without_a_core_table_is_refused(client, ops):
    response = client.post(URL + "add/", _form(core_key_column="domain"))
    assert response.context["adminform"].form.errors["core_key_column"] == ["a core key column needs a core table"]
    assert not Workflow.objects.exists()
