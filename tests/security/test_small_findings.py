"""Finding 8, the smaller ones: each a way past a permission, a leak, or a key read wrongly."""

import os
import re
import subprocess
import sys

import idna
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cleanup.coalescing.mapping import mapping_problems
from cleanup.coalescing.models import CoalesceMapping
from dashboard.models import DashboardSnapshot
from kernel import normalise_domain
from runs.models import ApiKey, Run
from runs.services import api_key_authenticate, run_events_record
from tests.conftest import database_url
from tests.factories import WorkflowFactory, staff_user
from tests.own_server import PROJECT_ROOT

# Letters IDNA 2003 maps away (ß to ss, ς to σ) that UTS #46 non-transitional keeps.
DEVIATIONS = st.sampled_from(["ß", "ς", "straße", "faß", "βόλος"])
LABELS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöüéß", min_size=1, max_size=12)


def test_a_domain_with_sharp_s_is_its_own_domain_in_both_spellings():
    assert normalise_domain("faß.de") == normalise_domain("xn--fa-hia.de") == "xn--fa-hia.de"
    assert normalise_domain("https://www.FASS.de/x") == "fass.de" != normalise_domain("faß.de")


@given(deviation=DEVIATIONS, tail=LABELS)
def test_unicode_and_punycode_spellings_give_one_key(deviation, tail):
    unicode_host = f"{deviation}{tail}.de"
    key = normalise_domain(unicode_host)
    assert key == normalise_domain(key) == normalise_domain(f"https://www.{unicode_host}/path")
    assert idna.decode(key) == unicode_host.lower()  # nothing was mapped away on the way




def test_marking_failed_runs_pending_needs_the_change_permission(client, db):
    WorkflowFactory(workflow_name="company_news")
    run_events_record(items=[{"workflow_name": "company_news", "entity_key": "acme.io", "entity_type": "company",
                              "status": "failed"}])
    client.force_login(staff_user("sam", "runs.view_run", "registry.view_workflow"))
    run = Run.objects.get()
    client.post("/admin/runs/run/", {"action": "mark_pending", "_selected_action": [run.pk]})
    assert Run.objects.get().status == "failed"


def test_the_dashboard_needs_its_view_permission_and_a_refresh_needs_more(client, db):
    client.force_login(staff_user("sam"))
    assert client.get("/admin/dashboard/").status_code == 403
    assert client.post("/admin/dashboard/refresh/").status_code == 403
    assert "dashboard-link" not in client.get("/admin/").content.decode()
    client.logout()
    client.force_login(staff_user("vic", "dashboard.view_dashboardsnapshot"))
    assert client.get("/admin/dashboard/").status_code == 200
    assert client.post("/admin/dashboard/refresh/").status_code == 403
    assert not DashboardSnapshot.objects.exists()


@pytest.mark.parametrize("column, problem", [
    ("id", "core.companies.id is kept by the database and enrichhub"),
    ("created_at", "core.companies.created_at is kept by the database and enrichhub"),
    ("salesnav_location", "only company_salesnav_location may write it"),
    ("discovery_location", "only company_discovery may write it"),
])
def test_a_mapping_may_not_write_identity_bookkeeping_or_another_workflows_location(db, column, problem):
    workflow = WorkflowFactory(workflow_name="company_cleaned_name", raw_table=None,
                               extracted_table="extracted.company_cleaned_name", core_table="core.companies",
                               coalesces_to_core=True)
    mapping = CoalesceMapping(workflow=workflow, columns={column: "payload.company"})
    problems = mapping_problems(mapping)
    assert any(problem in message for messages in problems.values() for message in messages), problems


def test_a_new_api_keys_plaintext_is_shown_once_on_a_page_not_in_a_cookie(client, ops):
    response = client.post("/admin/runs/apikey/add/", {"name": "frontend", "is_active": "on"})
    page = response.content.decode()
    key = ApiKey.objects.get(name="frontend")
    (plain,) = re.findall(r'value="(ehk_[^"]+)"', page)
    assert plain.startswith(key.prefix + "_") and api_key_authenticate(plain=plain) == key
    assert "no-store" in response["Cache-Control"]
    assert plain not in str(response.cookies) and plain not in str(client.cookies)
    assert plain not in client.get("/admin/runs/apikey/").content.decode()


def test_health_tells_anonymous_clients_no_server_version(client, db):
    body = client.get("/api/health").json()
    assert body == {"status": "ok", "database": "reachable"}


DEPLOY_WARNINGS = ("security.W004", "security.W008", "security.W012", "security.W016")


def _deploy_check(settings, **environment: str) -> str:
    env = {**os.environ, "DATABASE_URL": database_url(settings.DATABASES["default"]),
           "SECRET_KEY": "k" * 20 + "-production-secret-" + "z" * 30, "ALLOWED_HOSTS": "enrichhub.example.com",
           **environment}
    done = subprocess.run([sys.executable, "manage.py", "check", "--deploy"], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    return done.stdout + done.stderr


@pytest.mark.system
def test_https_cookies_hsts_and_the_proxy_header_are_settings_check_deploy_accepts(settings, db):
    plain = _deploy_check(settings)
    assert all(warning in plain for warning in DEPLOY_WARNINGS), plain
    production = _deploy_check(settings, ENRICHHUB_HTTPS="true", ENRICHHUB_HSTS_SECONDS="31536000",
                               ENRICHHUB_PROXY_SSL_HEADER="X-Forwarded-Proto")
    assert not [warning for warning in DEPLOY_WARNINGS if warning in production], production
