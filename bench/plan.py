"""`make bench BENCH=plan`: the enrichment plan over every hidden lead at scale 1 and 10, as the
whole `manage.py plan_enrichment` command, against one SQL statement a competent engineer would
write for the same question (per hidden lead the cheapest single workflow that declares every
field it misses and is not fresh for it, bought cheapest first while the budget lasts), timed
whole through psql in the same run. Both plans are valued with the same measured fill rates,
measured from the runs the backfill derives from the demo's history."""

import json
import os
import subprocess
import tempfile
import time
from decimal import Decimal

from bench.environment import at_scale, bench_database_uri, ensure_demo_data, manage
from bench.growth import timed_command
from enrichhub.embedded_db import _bin_path
from warehouse.workflows import DEMO_FILLS

# BENCH_PLAN_SCALES=1 measures scale 1 alone (scale 10 seeds 46 million rows first).
SCALES = tuple(os.environ.get("BENCH_PLAN_SCALES", "1,10").split(","))
BUDGET = 5000
KINDS = {"company": ("core.companies", "domain", "company_key_v1", ("company_name", "company_country")),
         "person": ("core.people", "linkedin_url", "person_key_v1",
                    ("person_country", "matched_job_function", "matched_seniority"))}

_CHEAPEST_FIRST = """
WITH hidden AS (
    SELECT reference.{function}({column}) AS entity_key,
           array_remove(ARRAY[{missing}], NULL) AS missing
    FROM {table} GROUP BY 1
    HAVING {any_missing}),
offers AS (
    SELECT workflow_name, default_credit_cost AS credits, fills_fields, refresh_after_days
    FROM reference.enrichment_workflow_registry
    WHERE is_active AND key_type = '{kind}' AND cardinality(fills_fields) > 0 AND default_credit_cost IS NOT NULL),
picked AS (
    SELECT DISTINCT ON (h.entity_key) h.entity_key, o.workflow_name, o.credits
    FROM hidden h JOIN offers o ON o.fills_fields @> h.missing
    WHERE NOT EXISTS (
        SELECT 1 FROM reference.enrichment_runs r
        WHERE r.workflow_name = o.workflow_name AND r.entity_key = h.entity_key
          AND (r.status IN ('pending', 'running') OR (r.status = 'failed' AND r.attempts >= 3)
               OR (r.status = 'completed' AND r.completed_at > now() - make_interval(days => o.refresh_after_days))))
    ORDER BY h.entity_key, o.credits, o.workflow_name)
SELECT entity_key, workflow_name, credits FROM (
    SELECT *, sum(credits) OVER (ORDER BY credits, entity_key) AS spent FROM picked) ranked
WHERE spent <= {budget}"""


# The fill rates as one statement would measure them: key every core row, join the settled runs.
_FILL_RATES = """
WITH state AS (
    SELECT reference.{function}({column}) AS entity_key, {filled}
    FROM {table} GROUP BY 1)
SELECT r.workflow_name, count(*), {counted}
FROM reference.enrichment_runs r LEFT JOIN state s USING (entity_key)
WHERE r.entity_type = '{kind}' AND r.status = 'completed' AND r.completed_at <= now() - interval '24 hours'
GROUP BY 1;"""


def _fill_rates_statements() -> str:
    statements = []
    for kind, (table, column, function, fields) in KINDS.items():
        filled = ", ".join(f"bool_or(NOT ({field} IS NULL OR btrim({field}) = '')) AS {field}" for field in fields)
        counted = ", ".join(f"count(*) FILTER (WHERE s.{field})" for field in fields)
        statements.append(_FILL_RATES.format(function=function, column=column, table=table, filled=filled,
                                             counted=counted, kind=kind))
    return "\n".join(statements)


def _psql_seconds(statements: str) -> float:
    began = time.perf_counter()
    subprocess.run([str(_bin_path() / "psql"), bench_database_uri(), "-X", "-q", "-o", "/dev/null", "-c", statements],
                   check=True)
    return time.perf_counter() - began


def _statement(kind: str) -> str:
    table, column, function, fields = KINDS[kind]
    filled = [f"bool_or(NOT ({field} IS NULL OR btrim({field}) = ''))" for field in fields]
    missing = ", ".join(f"CASE WHEN {flag} THEN NULL ELSE '{field}' END" for flag, field in zip(filled, fields,
                                                                                                    strict=True))
    any_missing = " OR ".join(f"NOT {flag}" for flag in filled)
    return _CHEAPEST_FIRST.format(function=function, column=column, table=table, missing=missing,
                                  any_missing=any_missing, kind=kind, budget=BUDGET)


def _statement_run(kind: str) -> tuple[float, list[tuple[str, str, Decimal]]]:
    """Whole psql command: (seconds, its rows)."""
    began = time.perf_counter()
    done = subprocess.run([str(_bin_path() / "psql"), bench_database_uri(), "-X", "-A", "-t", "-F", "\t", "-c",
                           _statement(kind)], capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - began
    rows = [line.split("\t") for line in done.stdout.splitlines() if line.strip()]
    return seconds, [(key, workflow, Decimal(credits)) for key, workflow, credits in rows]


def _expected_visible(kind: str, rows: list[tuple[str, str, Decimal]]) -> float:
    """The statement's plan valued like ours: each lead's chance that its workflow fills all it misses."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as pairs_file:
        json.dump([[key, workflow] for key, workflow, _ in rows], pairs_file)
    script = f"""
import json
from planning.figures import figures_latest
from decimal import Decimal
from planning.optimiser import Offer, visible_probability
from planning.services import hidden_missing
figures = figures_latest()
pairs = json.load(open('{pairs_file.name}'))
missing = hidden_missing(entity_type='{kind}', keys=[key for key, _ in pairs])
total = 0.0
for key, workflow in pairs:
    rates = {{field: rate.rate for field, rate in figures[workflow].fill_rates.items()}}
    total += visible_probability(missing[key], [Offer(workflow, Decimal(0), rates)])
print(total)
"""
    try:
        return float(manage("shell", "-c", script).stdout.strip().splitlines()[-1])
    finally:
        os.unlink(pairs_file.name)


def _scale_rows(scale: str) -> list[str]:
    with at_scale(scale):
        ensure_demo_data()
        manage("migrate", "--verbosity", "0")
        manage("complete_demo_registry")
        # Rates measured from runs, not the defaults: the declaring workflows' runs from history
        # (idempotent; a second bench run writes nothing).
        manage("backfill_runs", *(arg for name in DEMO_FILLS for arg in ("--workflow", name)))
        # The count first: the fill rates are measured on it.
        counted = timed_command("shell", "-c", "from planning.tasks import hidden_leads_count_task\n"
                                               "print(hidden_leads_count_task())")
        refresh = timed_command("shell", "-c", "from planning.figures import figures_refresh\n"
                                               "print(figures_refresh().seconds)")
        statement_s = _psql_seconds(_fill_rates_statements())
        rows = [f"| {scale} | hidden leads and run keys outside core counted (the five-minute refresh) | "
                f"{counted.seconds:.1f} | {counted.peak_mb:.0f} | | |",
                f"| {scale} | fill rates and costs measured on that count (the hourly refresh) | "
                f"{refresh.seconds:.1f} | {refresh.peak_mb:.0f} | | |",
                f"| {scale} | fill rates of both entity types by keying core, one statement each | "
                f"{statement_s:.1f} | | | |"]
        for kind in KINDS:
            ours = timed_command("plan_enrichment", "--budget", str(BUDGET), "--entity-type", kind, "--format",
                                 "json")
            totals = json.loads(ours.output)["totals"]
            statement_s, statement_rows = _statement_run(kind)
            statement_value = _expected_visible(kind, statement_rows)
            rows.append(f"| {scale} | {kind}: plan over {totals['hidden_leads_considered']:,} hidden leads, "
                        f"{totals['leads']:,} chosen (inside the command: {totals['seconds']:.2f} s) | "
                        f"{ours.seconds:.1f} | {ours.peak_mb:.0f} | "
                        f"{totals['expected_newly_visible']:,.1f} | {totals['credits']} |")
            rows.append(f"| {scale} | {kind}: one statement, cheapest covering workflow first, "
                        f"{len(statement_rows):,} chosen | {statement_s:.1f} | | {statement_value:,.1f} | "
                        f"{sum(c for _, _, c in statement_rows)} |")
    return rows


def run() -> str:
    rows = [row for scale in SCALES for row in _scale_rows(scale)]
    return "\n".join([
        f"- command: `make bench BENCH=plan` (scales {', '.join(SCALES)}) — a budget of {BUDGET:,} credits for each "
        "entity type; the plan as the "
        "whole `manage.py plan_enrichment --format json` command, the statement as the whole psql command; both "
        "plans valued with the same measured fill rates (expected leads to become visible)",
        "",
        "| scale | what | seconds | peak MB | expected newly visible | credits |",
        "|---|---|---:|---:|---:|---:|",
        *rows,
        "",
        "- goal: a plan over all hidden leads in under 1 s, at scale 1 and 10, with flat memory. The plan reads the "
        "hidden leads counted off the request (every five minutes and after each job that writes core), the "
        "runs that block some of them, and a class's first keys by one index range; 'inside the command' is "
        "what a request to the running API server pays, the whole command adds starting Python and Django",
    ])
