"""The registry's list shows lines that apps above it provide, without importing them."""

from registry import workflow_lines as hook


def test_the_planner_provides_its_lines_and_another_app_adds_its_own(monkeypatch, db):
    monkeypatch.setattr(hook, "_providers", dict(hook._providers))
    assert list(hook._providers) == ["planning"]  # registered by planning's AppConfig.ready
    hook.workflow_lines_provide("planning", lambda: {"company_discovery": ["company_name 80% (1,000)"]})
    hook.workflow_lines_provide("audit", lambda: {"company_discovery": ["audited"], "person_profile": ["audited"]})
    assert hook.workflow_lines() == {"company_discovery": ["company_name 80% (1,000)", "audited"],
                                     "person_profile": ["audited"]}


def test_the_list_shows_a_providers_lines_under_the_workflows_name(monkeypatch, admin_client):
    from registry.models import Workflow

    Workflow.objects.create(workflow_name="company_discovery", key_type="company")
    monkeypatch.setattr(hook, "_providers", {"test": lambda: {"company_discovery": ["fills <b>names</b>"]}})
    page = admin_client.get("/admin/registry/workflow/").content.decode()
    assert "company_discovery<br><span class=\"quiet\">fills &lt;b&gt;names&lt;/b&gt;</span>" in page
