"""From a gap to its repair in the admin: the missing keys, one action that coalesces exactly
those, the unmapped titles, and mappings checked against the catalog."""

import csv
import io

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone

from cleanup.coalescing.models import CoalesceMapping
from cleanup.coalescing.titles import unmapped_titles_list
from cleanup.gaps.checks import gap_missing_keys, gaps_check
from cleanup.gaps.models import GapSnapshot
from cleanup.jobs.models import BatchJob
from kernel import normalise_linkedin_url
from registry.demo import demo_registry_complete
from tests.factories import WorkflowFactory
from tests.oracles import column

MISSING = "/admin/cleanup/gapsnapshot/missing/person_profile/"


def _oracle_missing() -> list[str]:
    profiles = {normalise_linkedin_url(url) for url in column("SELECT linkedin_url FROM extracted.person_profile")}
    people = {normalise_linkedin_url(url) for url in column("SELECT linkedin_url FROM core.people")}
    return sorted(profiles - people)


def test_the_missing_keys_page_lists_them_and_exports_all_as_csv(client, ops, demo):
    demo_registry_complete()
    expected = _oracle_missing()
    assert expected and gap_missing_keys(workflow_name="person_profile") == expected
    page = client.get(MISSING).content.decode()
    assert f"{len(expected):,} keys of person_profile are in extracted and missing from core" in page
    assert expected[0] in page
    assert 'Home</a> &rsaquo;\n  <a href="/admin/cleanup/">Clean-ups and backfills</a> &rsaquo;' in page
    exported = list(csv.reader(io.StringIO(client.get(MISSING + "?format=csv").content.decode())))
    assert exported == [["entity_key"], *([key] for key in expected)]
    assert client.get("/admin/cleanup/gapsnapshot/missing/no_such_workflow/").status_code == 404


def test_one_action_coalesces_exactly_the_missing_keys_and_closes_the_gap(client, ops, demo,
                                                                          django_capture_on_commit_callbacks):
    demo_registry_complete()
    gaps_check(workflow_names=["person_profile"])
    snapshot = GapSnapshot.objects.get(workflow_id="person_profile")
    assert snapshot.gap == len(_oracle_missing()) > 0
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post("/admin/cleanup/gapsnapshot/", {"action": "coalesce_missing",
                                                                "_selected_action": [snapshot.pk]}, follow=True)
    job = BatchJob.objects.get(kind="coalesce_person_profile")
    assert f"job #{job.pk} started" in response.content.decode()
    assert job.params == {"mode": "keys", "keys": _oracle_missing()}
    from cleanup.jobs.engine import job_run

    assert job_run(job_id=job.pk) == "completed"
    assert _oracle_missing() == [] and gaps_check(workflow_names=["person_profile"])[0].gap == 0


def test_without_the_permission_to_start_jobs_the_repair_is_refused(client, demo):
    user = get_user_model().objects.create_user(username="viewer", password="x-test-only", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename="view_gapsnapshot"))
    client.force_login(user)
    demo_registry_complete()
    assert client.get(MISSING).status_code == 200
    assert client.post(MISSING).status_code == 403
    assert not BatchJob.objects.exists()


def test_the_unmapped_titles_page_shows_counts_and_the_rules_guess(client, ops, demo):
    titles = unmapped_titles_list()
    page = client.get("/admin/cleanup/gapsnapshot/unmapped-titles/").content.decode()
    assert titles and f"{len(titles):,} distinct titles" in page and titles[0].raw_title in page
    exported = list(csv.reader(io.StringIO(client.get("/admin/cleanup/gapsnapshot/unmapped-titles/?format=csv")
                                           .content.decode())))
    assert exported[1][:2] == [titles[0].raw_title, str(titles[0].rows)] and len(exported) == len(titles) + 1


def test_a_mapping_is_checked_against_the_catalog_when_saved(client, ops, demo):
    demo_registry_complete()
    form = {"workflow": "company_cleaned_name", "columns": '{"cleaned_name": "payload.nope", "nope": "payload.x"}',
            "is_active": "on"}
    page = client.post("/admin/cleanup/coalescemapping/add/", form).content.decode()
    assert "core column core.companies.nope does not exist" in page
    assert not CoalesceMapping.objects.exists()
    form["columns"] = '{"cleaned_name": "payload.company"}'
    assert client.post("/admin/cleanup/coalescemapping/add/", form).status_code == 302
    assert CoalesceMapping.objects.get().columns == {"cleaned_name": "payload.company"}


def test_the_snapshot_list_shows_numbers_as_people_read_them(client, ops):
    workflow = WorkflowFactory(workflow_name="company_news")
    GapSnapshot.objects.create(workflow=workflow, checked_at=timezone.now(), coalesces_to_core=True,
                               keys_in_extracted=31904, keys_in_core=1200, gap=30704, invalid_keys=1500,
                               seconds=0.10360428900003171)
    page = client.get("/admin/cleanup/gapsnapshot/").content.decode()
    assert all(figure in page for figure in ("31,904", "1,200", "30,704", "1,500", "0.10 s"))
    assert "0.1036" not in page


def test_every_repair_button_the_demo_shows_starts_a_job_and_the_others_say_why(client, ops, demo):
    demo_registry_complete()
    with_gaps = [gap for gap in gaps_check() if gap.gap and gap.error is None]
    pressed, explained = [], []
    for gap in with_gaps:
        url = f"/admin/cleanup/gapsnapshot/missing/{gap.workflow}/"
        page = client.get(url).content.decode()
        if 'id="repair"' in page:
            answer = client.post(url, follow=True)
            said = [str(message) for message in answer.context["messages"]]
            assert any(message.startswith(f"{gap.workflow}: job #") for message in said), said
            pressed.append(gap.workflow)
        else:
            assert 'id="no-repair"' in page and gap.workflow in page
            explained.append(gap.workflow)
    jobs = BatchJob.objects.filter(started_by=ops)
    assert jobs.count() == len(pressed)
    assert "company_funding" in pressed and jobs.filter(kind="funding_backfill").exists()
    assert pressed and explained  # the demo has both kinds of workflow
