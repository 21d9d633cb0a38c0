import json
import re
import textwrap
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from registry.audit import AuditRules, tree_scan
from registry.models import Workflow
from tests.factories import demo_registered_rows

DEMO_TREE = Path(__file__).resolve().parents[2] / "examples" / "modal_ingest"
RULES = AuditRules(function_decorators=frozenset({"app.function", "stub.function"}),
                   class_decorators=frozenset({"app.cls"}),
                   name_pattern=re.compile(r"^ingest_(?P<workflow>[a-z0-9_]+)$"),
                   key_columns={"domain": "company", "linkedin_url": "person"})


def _audit(*args: str) -> tuple[int, str]:
    from io import StringIO

    out = StringIO()
    try:
        call_command("registry_audit", *args, stdout=out)
    except SystemExit as exit_:
        return int(exit_.code), out.getvalue()
    return 0, out.getvalue()


def _write(folder: Path, name: str, source: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(source))
    return path


def test_it_finds_all_53_functions_of_the_demo_tree_in_every_declaration_style():
    scan = tree_scan(paths=[DEMO_TREE], rules=RULES)
    assert len(scan.functions) == 53 and scan.failures == []
    names = {f.workflow for f in scan.functions}
    assert {"company_firmographics", "company_headcount", "person_profile"} <= names  # cls, stub, function
    assert "healthcheck" not in names and "connect" not in names


def test_it_infers_tables_and_key_from_what_the_code_writes():
    by_name = {f.workflow: f for f in tree_scan(paths=[DEMO_TREE], rules=RULES).functions}
    funding = by_name["company_funding"]
    assert funding.tables == {"raw_table": "raw.company_discovery", "extracted_table": "extracted.company_discovery"}
    assert (funding.key_column, funding.key_type) == ("domain", "company")
    assert (by_name["person_email"].key_column, by_name["person_email"].key_type) == ("linkedin_url", "person")


@pytest.mark.django_db
def test_on_the_demo_registry_37_functions_are_unregistered_and_check_fails():
    demo_registered_rows()
    code, output = _audit(str(DEMO_TREE), "--check")
    assert code == 1
    assert "registered and present (16)" in output
    assert "present but unregistered (37)" in output
    assert "registered but absent from code (0)" in output


@pytest.mark.django_db
def test_check_passes_once_everything_is_registered():
    demo_registered_rows()
    _audit(str(DEMO_TREE), "--apply")
    code, output = _audit(str(DEMO_TREE), "--check")
    assert code == 0 and "present but unregistered (0)" in output


@pytest.mark.django_db
def test_without_apply_it_is_a_dry_run():
    demo_registered_rows()
    code, output = _audit(str(DEMO_TREE))
    assert code == 0 and "dry run" in output
    assert Workflow.objects.count() == 16
    assert Workflow.objects.filter(extracted_table__isnull=False).count() == 0


@pytest.mark.django_db
def test_apply_drafts_inactive_rows_fills_blanks_and_deactivates_absent_ones():
    demo_registered_rows()
    Workflow.objects.create(workflow_name="company_retired_signal", vendor="clay")
    Workflow.objects.filter(workflow_name="company_news").update(extracted_table="extracted.company_news_v2")
    _audit(str(DEMO_TREE), "--apply")
    assert Workflow.objects.count() == 16 + 1 + 37
    draft = Workflow.objects.get(workflow_name="person_github")
    assert (draft.is_active, draft.raw_table, draft.extracted_table, draft.key_column, draft.key_type) == (
        False, "raw.person_github", "extracted.person_github", "linkedin_url", "person")
    assert draft.history.get().history_change_reason == "registry_audit --apply"
    filled = Workflow.objects.get(workflow_name="person_profile")
    assert (filled.extracted_table, filled.key_column, filled.is_active) == ("extracted.person_profile",
                                                                             "linkedin_url", True)
    curated = Workflow.objects.get(workflow_name="company_news")
    assert curated.extracted_table == "extracted.company_news_v2"  # filled blanks only, never overwrites
    assert Workflow.objects.get(workflow_name="company_retired_signal").is_active is False


@pytest.mark.django_db
def test_json_output_lists_the_three_groups():
    demo_registered_rows()
    _, output = _audit(str(DEMO_TREE), "--format", "json")
    report = json.loads(output)
    assert report["functions_found"] == 53
    assert len(report["registered_present"]) == 16 and len(report["unregistered"]) == 37
    assert report["absent"] == [] and report["changes"]["applied"] is False
    assert report["unregistered"][0]["location"].startswith(str(DEMO_TREE))


@pytest.mark.django_db
def test_a_file_that_does_not_parse_is_reported_and_the_audit_goes_on(tmp_path):
    _write(tmp_path, "broken.py", "@app.function()\ndef ingest_company_x(:\n    pass\n")
    _write(tmp_path, "fine.py", """
        @app.function()
        def ingest_company_y(payload):
            write_rows("extracted.company_y", [payload["domain"]])
    """)
    code, output = _audit(str(tmp_path))
    assert code == 0
    assert re.search(r"could not parse .*broken.py: syntax error at line 2", output)
    assert "company_y" in output and "scanned 2 files" in output


def test_a_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="no such file or folder: .*nowhere"):
        call_command("registry_audit", str(tmp_path / "nowhere"))


def test_the_name_pattern_and_decorators_decide_what_counts(tmp_path):
    _write(tmp_path, "mixed.py", """
        @app.function
        def ingest_company_a(payload): ...

        @app.function(schedule=modal.Period(days=1))
        def refresh_cache(): ...

        def ingest_company_undecorated(payload): ...

        @other.function()
        def ingest_company_b(payload): ...

        @app.cls()
        class Person:
            @modal.method()
            async def ingest_person_c(self, payload): ...
    """)
    scan = tree_scan(paths=[tmp_path], rules=RULES)
    assert sorted(f.workflow for f in scan.functions) == ["company_a", "person_c"]


def test_virtualenvs_and_caches_are_not_scanned(tmp_path):
    (tmp_path / ".venv" / "lib").mkdir(parents=True)
    _write(tmp_path / ".venv" / "lib", "vendored.py", "@app.function()\ndef ingest_company_z(p): ...\n")
    assert tree_scan(paths=[tmp_path], rules=RULES).functions == []
