import json
import re
import textwrap
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.audit import AuditRules, DeclarationStyle, Reporting, tree_scan
from registry.models import Workflow
from tests.examples import examples
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
    styles = {f.workflow: f.style for f in scan.functions}
    assert styles["company_news"] == DeclarationStyle.DECORATOR
    assert styles["company_headcount"] == DeclarationStyle.DECORATOR_WITH_OPTIONS  # the older @stub.function
    assert styles["company_firmographics"] == DeclarationStyle.CLASS_METHOD
    assert styles["company_investors"] == DeclarationStyle.DIRECT_CALL
    assert styles["person_github"] == DeclarationStyle.DECORATOR_WITH_OPTIONS  # in a file written for 3.14
    assert not {"healthcheck", "connect", "flush", "one"} & styles.keys()  # helper, hooks, local entrypoint


def test_it_sees_how_each_function_of_the_demo_tree_reports_its_runs():
    reporting = {f.workflow: f.reporting for f in tree_scan(paths=[DEMO_TREE], rules=RULES).functions}
    assert reporting["company_discovery"] == Reporting.WITH_BLOCK
    assert reporting["person_profile"] == Reporting.DECORATOR
    assert reporting["company_firmographics"] == Reporting.CLIENT_CALL  # self.runs.report_run(...)
    assert reporting["company_investors"] == Reporting.CLIENT_CALL
    assert sorted(name for name, how in reporting.items() if how is None) == [
        "company_headcount", "company_hiring_velocity", "company_salesnav_location", "company_web_traffic",
        "person_connections", "person_salesnav_profile"]


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
    assert "registered but not reporting their runs (2):" in output  # of the seed's 16, the SalesNav two
    assert re.search(r"company_headcount +\S+salesnav.py:11 ", output)


@pytest.mark.django_db
def test_once_everything_is_registered_the_check_still_fails_on_the_six_that_do_not_report():
    demo_registered_rows()
    _audit(str(DEMO_TREE), "--apply")
    code, output = _audit(str(DEMO_TREE), "--check")
    assert code == 1 and "present but unregistered (0)" in output
    assert "registered but not reporting their runs (6):" in output


@pytest.mark.django_db
def test_check_passes_once_everything_is_registered_and_reports(tmp_path):
    _write(tmp_path, "reporting.py", """
        @app.function(timeout=60)
        def ingest_company_y(payload):
            with track_enrichment("company_y", payload["domain"]):
                write_rows("extracted.company_y", [payload])
    """)
    _audit(str(tmp_path), "--apply")
    code, output = _audit(str(tmp_path), "--check")
    assert code == 0, output
    assert "registered but not reporting their runs (0):" in output


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
    silent = {f["workflow"]: f for f in report["not_reporting"]}
    assert sorted(silent) == ["company_headcount", "person_salesnav_profile"]
    assert silent["company_headcount"]["location"] == f"{DEMO_TREE}/salesnav.py:11"
    assert silent["company_headcount"]["reporting"] is None
    assert report["styles"] == {"@app.function(...)": 38, "@app.cls + @modal.method": 9,
                                "app.function(...)(fn)": 5, "@app.function": 1}


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


@pytest.mark.django_db
def test_while_a_file_does_not_parse_apply_deactivates_nothing(tmp_path):
    Workflow.objects.create(workflow_name="company_x", vendor="clay", is_active=True)
    _write(tmp_path, "broken.py", "@app.function()\ndef ingest_company_x(payload:\n    pass\n")
    _, output = _audit(str(tmp_path), "--apply")
    assert "1 absent rows kept active because some files could not be parsed" in output
    assert Workflow.objects.get(workflow_name="company_x").is_active is True


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


MODERN_SYNTAX = """
    type Payload = dict[str, object]
    type Pair[K, V] = tuple[K, V]


    def first[T](items: list[T]) -> T | None:
        match items:
            case [head, *_]:
                return head
            case _:
                return None


    class Batch[T]:
        def __init__(self, items: list[T]) -> None:
            self.items = items


    @app.function(timeout=60)
    def ingest_company_modern[T: Payload](payload: T) -> int:
        try:
            rows = first(payload["items"])
        except KeyError, TypeError:  # 3.14: several exceptions without parentheses
            rows = None
        query = t"domain:{payload['domain']}"  # 3.14: a template string
        with track_enrichment("company_modern", payload["domain"]):
            return write_rows("extracted.company_modern", [rows, query])


    @app.function
    async def ingest_person_modern(payload: Payload) -> None:
        match payload:
            case {"linkedin_url": str(url)}:
                report_run("person_modern", url, "completed")
"""


def test_python_3_12_to_3_14_syntax_hides_no_ingest_function(tmp_path):
    _write(tmp_path, "modern.py", MODERN_SYNTAX)
    scan = tree_scan(paths=[tmp_path], rules=RULES)
    assert scan.failures == []
    found = {f.workflow: f for f in scan.functions}
    assert sorted(found) == ["company_modern", "person_modern"]
    assert found["company_modern"].tables == {"extracted_table": "extracted.company_modern"}
    assert (found["company_modern"].line, found["company_modern"].reporting) == (20, Reporting.WITH_BLOCK)
    assert (found["person_modern"].style, found["person_modern"].reporting) == (DeclarationStyle.DECORATOR,
                                                                                Reporting.CLIENT_CALL)


def test_modal_declarations_count_as_modal_declares_them(tmp_path):
    _write(tmp_path, "styles.py", """
        @app.function
        def ingest_company_bare(payload): ...

        @app.function()
        def ingest_company_empty_call(payload): ...

        @app.function(image=image, schedule=modal.Period(hours=1))
        def ingest_company_options(payload): ...

        @app.cls(gpu="any")
        class Vendor:
            @modal.enter()
            def ingest_company_setup(self): ...

            @modal.exit()
            def ingest_company_teardown(self): ...

            @modal.method()
            def ingest_company_member(self, payload): ...

            def ingest_company_plain_member(self, payload): ...

        @app.local_entrypoint()
        def ingest_company_from_laptop(): ...

        def ingest_company_wrapped(payload): ...

        def _helper(payload): ...

        wrapped = app.function(**OPTIONS)(ingest_company_wrapped)
        ingest_company_aliased = app.function(timeout=5)(_helper)
        ignored = other.function(**OPTIONS)(ingest_company_wrapped)
    """)
    styles = {f.workflow: f.style for f in tree_scan(paths=[tmp_path], rules=RULES).functions}
    assert styles == {
        "company_bare": DeclarationStyle.DECORATOR,
        "company_empty_call": DeclarationStyle.DECORATOR,
        "company_options": DeclarationStyle.DECORATOR_WITH_OPTIONS,
        "company_member": DeclarationStyle.CLASS_METHOD,
        "company_wrapped": DeclarationStyle.DIRECT_CALL,
        "company_aliased": DeclarationStyle.DIRECT_CALL,
    }


def test_each_way_of_reporting_a_run_is_recognised_and_lookalikes_are_not(tmp_path):
    _write(tmp_path, "reporting.py", """
        @app.function()
        @track_enrichment("company_a", lambda p: p["domain"])
        def ingest_company_decorated(payload): ...

        @app.function()
        def ingest_company_block(payload):
            with open("x") as f, client.track_enrichment("company_b", payload["domain"]) as run:
                run.records_processed = 1

        @app.function()
        def ingest_company_client(payload):
            self.runs.report_run("company_c", payload["domain"], "completed")

        @app.function()
        def ingest_company_silent(payload):
            log("track_enrichment would be nice")  # a string, not a call
            report_run_later = None

        @app.function()
        def ingest_company_reference_only(payload):
            hook = track_enrichment  # named, never called
    """)
    reporting = {f.workflow: f.reporting for f in tree_scan(paths=[tmp_path], rules=RULES).functions}
    assert reporting == {"company_decorated": Reporting.DECORATOR, "company_block": Reporting.WITH_BLOCK,
                         "company_client": Reporting.CLIENT_CALL, "company_silent": None,
                         "company_reference_only": None}


_DECLARATIONS = {
    DeclarationStyle.DECORATOR: ["@app.function\ndef {name}(payload):\n{body}"],
    DeclarationStyle.DECORATOR_WITH_OPTIONS: [
        "@stub.function(timeout=60)\nasync def {name}(payload):\n{body}",
        # Options over several lines, tuple values, trailing comments, a banner above.
        "#####\n# helpers\n#####\n@app.function(\n    cpu=(1.125, 16.125),  # burst\n"
        "    memory=(1024, 65536),  # reserve, limit\n    image=runtime_image,\n)\n"
        "def {name}(\n    payload: dict[str, str | None],\n    threads: int = 16,\n) -> bytes:\n{body}",
    ],
    DeclarationStyle.CLASS_METHOD: ["@app.cls()\nclass C_{name}:\n    @modal.method()\n"
                                    "    def {name}(self, payload):\n    {body}"],
    DeclarationStyle.DIRECT_CALL: ["def {name}(payload):\n{body}\nf_{name} = app.function(**OPTIONS)({name})"],
    None: ["@app.local_entrypoint()\ndef {name}(payload):\n{body}"],  # not an ingest function
}
_SHAPES = [(style, template) for style, templates in _DECLARATIONS.items() for template in templates]
# An image built by a long method chain before the app, as Modal projects write it.
IMAGE_CHAIN = """runtime_image = (
    modal.Image
    .debian_slim(python_version="3.12")  # base
    .apt_install("git", "zstd")
    .uv_pip_install(
        "polars",  # frames
        f"git+{REPO}@{COMMIT}",
    )
    .workdir("/app")
    .pipe(patch_image)
)

app = modal.App(NAME, image=runtime_image, tags={"group": "x"})
"""
_BODIES = {
    Reporting.WITH_BLOCK: "    with track_enrichment('w', payload['domain']):\n        pass\n",
    Reporting.CLIENT_CALL: "    client.report_run('w', payload['domain'], 'completed')\n",
    None: "    write_rows('extracted.x', [payload])\n",
}


@given(st.lists(st.tuples(st.sampled_from(_SHAPES), st.sampled_from(list(_BODIES)),
                          st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)),
                min_size=1, max_size=8, unique_by=lambda item: item[2]),
       st.booleans())
@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_whatever_the_mix_each_ingest_function_is_found_once_with_its_style_and_reporting(tmp_path, shapes,
                                                                                        image_chain):
    functions = [(style, reporting, name) for (style, _template), reporting, name in shapes]
    source = (IMAGE_CHAIN + "\n\n" if image_chain else "") + "\n\n".join(
        template.format(name=f"ingest_{name}", body=_BODIES[reporting]) for (_, template), reporting, name in shapes)
    path = tmp_path / "generated.py"
    path.write_text(source)
    scan = tree_scan(paths=[path], rules=RULES)
    assert scan.failures == [], source
    found = {(f.workflow, f.style, f.reporting) for f in scan.functions}
    assert len(scan.functions) == len(found)
    assert found == {(name, style, reporting) for style, reporting, name in functions if style is not None}


def test_a_large_tree_is_scanned_by_several_processes_with_the_same_result(tmp_path, monkeypatch):
    for index in range(450):
        _write(tmp_path, f"vendor_{index:03d}.py", f"""
            @app.function(timeout=60)
            def ingest_company_v{index}(payload):
                report_run("company_v{index}", payload["domain"], "completed")
                write_rows("extracted.company_v{index}", [payload])
        """ if index % 150 else "def ingest_company_broken(:\n")
    parallel = tree_scan(paths=[tmp_path], rules=RULES)
    monkeypatch.setattr("registry.audit.PARALLEL_FROM_FILES", 10_000)
    serial = tree_scan(paths=[tmp_path], rules=RULES)
    assert parallel.files_scanned == serial.files_scanned == 450
    assert parallel.functions == serial.functions and len(parallel.functions) == 447
    assert parallel.failures == serial.failures and len(parallel.failures) == 3


def test_options_over_several_lines_after_an_image_chain_are_found(tmp_path):
    """The shape a review reported as missed once (the only one of 117 in a public Modal project)."""
    _write(tmp_path, "tool.py", IMAGE_CHAIN + '''

##########################################
# Helper functions
##########################################
@app.function(
    cpu=(1.125, 16.125),  # burst for compression
    memory=(1024, 65536),  # reserve 1 GB, limit 64 GB
    timeout=MAX_TIMEOUT,
    volumes=CONF.mounts(output_volume=True),
    image=runtime_image,
)
def ingest_company_bundle(
    root: str | Path,
    paths: Iterable[str | Path],
    tar_args: list[str] | None = None,
) -> bytes:
    write_rows("extracted.company_bundle", [root])
''')
    (function,) = tree_scan(paths=[tmp_path], rules=RULES).functions
    written = (tmp_path / "tool.py").read_text().splitlines()
    definition_line = 1 + next(n for n, line in enumerate(written) if line.startswith("def ingest_company_bundle"))
    assert (function.workflow, function.style, function.line) == ("company_bundle",
                                                                  DeclarationStyle.DECORATOR_WITH_OPTIONS,
                                                                  definition_line)
    assert function.tables == {"extracted_table": "extracted.company_bundle"}
