import json
from io import StringIO

from django.core.management import call_command
from django.db import connection

from cleanup.gaps.checks import gaps_check
from cleanup.gaps.models import GapSnapshot
from registry.demo import demo_registry_complete
from tests.fixtures.warehouse import SCALE
from warehouse.demo.figures import DemoSize


def test_the_gap_counts_the_people_only_extracted_knows(demo):
    demo_registry_complete()
    gaps = {g.workflow: g for g in gaps_check()}
    figures = DemoSize(SCALE).figures()
    profile = gaps["person_profile"]
    assert profile.gap == figures["people_only_in_extracted"]  # the generator's own figure, not a recount
    assert profile.keys_in_extracted == figures["profiles_of_known_people"] + figures["people_only_in_extracted"]
    assert gaps["company_discovery"].gap == 0 and gaps["company_discovery"].keys_in_core == figures["companies"]
    # Only discovered companies with a funding range are meant for core.company_funding: the seed's delta.
    assert gaps["company_funding"].gap == figures["funding_delta"]
    customers = gaps["company_customers"]
    assert customers.keys_in_core is None and customers.gap == customers.keys_in_extracted > 0
    assert GapSnapshot.objects.count() == len(gaps)


def test_coalescing_closes_the_gap_it_measures(demo):
    demo_registry_complete()
    with connection.cursor() as cursor:  # five people lose their whole work history in core
        cursor.execute("DELETE FROM core.person_work_history WHERE person_id IN (1, 2, 3, 4, 5)")
    (before,) = gaps_check(workflow_names=["person_experience"], store=False)
    assert before.gap == 5
    call_command("run_job", "coalesce_person_experience", "--param", "mode=reconcile", "--sleep-ms", "0",
                 stdout=StringIO())
    (after,) = gaps_check(workflow_names=["person_experience"], store=False)
    assert after.gap == 0 and GapSnapshot.objects.count() == 0


def test_check_gaps_prints_json_and_keeps_a_history(demo):
    demo_registry_complete()
    for _ in range(2):
        out = StringIO()
        call_command("check_gaps", "--format", "json", "--workflow", "person_profile", stdout=out)
    (row,) = json.loads(out.getvalue())
    assert row["workflow"] == "person_profile" and row["gap"] == DemoSize(SCALE).figures()["people_only_in_extracted"]
    assert GapSnapshot.objects.filter(workflow_id="person_profile").count() == 2


def test_gap_snapshots_are_listed_in_the_admin(client, demo):
    from django.contrib.auth import get_user_model

    demo_registry_complete()
    gaps_check(workflow_names=["person_profile"])
    client.force_login(get_user_model().objects.create_superuser(username="ops", email="", password="x-test-only"))
    page = client.get("/admin/cleanup/gapsnapshot/")
    assert page.status_code == 200
    (row,) = page.context["cl"].result_list
    assert row.workflow_id == "person_profile" and row.gap == DemoSize(SCALE).figures()["people_only_in_extracted"]
