"""Computing the dashboard's figures (scheduled) and assembling a page from them (per view).

A refresh folds the runs' recorded changes into their per-workflow tallies (so its cost grows
with the runs changed since the last refresh, not with all runs), scans core.companies and
core.people once each, and stores the result; a page view reads that row, the small
gap-snapshot table, active jobs and open alerts. So a page stays fast however large the
warehouse grows, and says how old its figures are.
"""

import time
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django_q.tasks import async_task

from cleanup.coalescing.selectors import title_classification_last
from cleanup.gaps.checks import gaps_check
from cleanup.jobs.services import ACTIVE
from cleanup.models import BatchJob, GapAlert, GapSnapshot
from dashboard import sql
from dashboard.models import DashboardSnapshot, RefreshRequest
from planning.models import EnrichmentPlan
from planning.services import plan_outcomes
from registry.models import Workflow
from runs.selectors import run_figures_by_status, run_spend_by_week
from runs.services import run_tallies_fold
from warehouse.hidden import REQUIRED_FIELDS

STATUSES = ("completed", "pending", "running", "failed")
TREND_POINTS = 30


# A request older than this is taken as lost (its task never ran): the next one queues again.
REFRESH_PATIENCE = timedelta(minutes=10)
REFRESH_TASK = "dashboard.tasks.dashboard_refresh_task"


def dashboard_refresh_request(*, reason: str, gap_workflows: list[str], skip_if_pending: bool = False) -> bool:
    """Have the q2 cluster measure the gaps of `gap_workflows` and compute the figures now, off the
    web request or the job that asked. With `skip_if_pending`, False when a refresh asked for since
    the latest figures is still to come (nothing queued): a second click adds nothing."""
    now = timezone.now()
    with transaction.atomic():
        request, _ = RefreshRequest.objects.select_for_update().get_or_create(
            pk=1, defaults={"requested_at": now - 2 * REFRESH_PATIENCE})
        if skip_if_pending and dashboard_refresh_pending(request=request, now=now):
            return False
        request.requested_at, request.reason = now, reason
        request.save(update_fields=["requested_at", "reason"])
    transaction.on_commit(lambda: async_task(REFRESH_TASK, sorted(gap_workflows), task_name="dashboard-refresh"))
    return True


def dashboard_refresh_with_gaps(*, gap_workflows: list[str] | None) -> DashboardSnapshot:
    """The gaps of these workflows measured now (their ledgers read only what changed), then the
    figures: the page's gap column and its drill-downs then agree."""
    if gap_workflows:
        gaps_check(workflow_names=gap_workflows, budget_s=settings.GAP_CHECK_BUDGET_S)
    return dashboard_refresh()


def coalescing_workflow_names(*, tables: tuple[str, ...] | None = None) -> list[str]:
    """The workflows whose gap the dashboard shows; with `tables`, those reading or writing them."""
    workflows = Workflow.objects.filter(is_active=True, coalesces_to_core=True)
    if tables is not None:
        workflows = workflows.filter(Q(core_table__in=tables) | Q(extracted_table__in=tables))
    return sorted(workflows.values_list("workflow_name", flat=True))


def dashboard_refresh_pending(*, request: RefreshRequest | None = None, now: datetime | None = None) -> datetime | None:
    """When the refresh still to come was asked for; None when the figures are as new as that."""
    request = request or RefreshRequest.objects.filter(pk=1).first()
    if request is None:
        return None
    latest = DashboardSnapshot.objects.values_list("taken_at", flat=True).first()
    asked = request.requested_at
    fresh = latest is not None and latest >= asked
    lost = (now or timezone.now()) - asked > REFRESH_PATIENCE
    return None if fresh or lost else asked


def dashboard_refresh_after_job(sender: object, job: BatchJob, tables: tuple[str, ...], **_: object) -> None:
    if job.rows_done:
        dashboard_refresh_request(reason=f"{job} changed {', '.join(tables) or 'the warehouse'}",
                                  gap_workflows=coalescing_workflow_names(tables=tables))


def dashboard_refresh() -> DashboardSnapshot:
    began = time.monotonic()
    figures = figures_compute()
    completed = {w["name"]: w["runs"]["completed"] for w in figures["workflows"]}
    return DashboardSnapshot.objects.create(taken_at=timezone.now(), seconds=time.monotonic() - began,
                                            figures=figures, completed_by_workflow=completed)


def figures_compute() -> dict:
    runs: dict[str, dict] = defaultdict(lambda: {"runs": dict.fromkeys(STATUSES, 0), "last_run_at": None,
                                                 "credits": 0.0, "wasted": 0.0})
    run_tallies_fold()
    for workflow, status, count, last, credits, wasted in run_figures_by_status():
        entry = runs[workflow]
        entry["runs"][status] = count
        entry["last_run_at"] = max(filter(None, [entry["last_run_at"], last.isoformat() if last else None]),
                                   default=None)
        entry["credits"] += float(credits)
        entry["wasted"] += float(wasted)
    workflows = [{"name": w.workflow_name, "key_type": w.key_type, "vendor": w.vendor or "", "active": w.is_active,
                  "coalesces_to_core": w.coalesces_to_core, **runs[w.workflow_name]}
                 for w in Workflow.objects.order_by("workflow_name")]
    hidden = {}
    for entity in REQUIRED_FIELDS:
        total, combos = sql.hidden_counts(entity)
        hidden[entity] = {"total": total, "hidden": sum(rows for _, rows in combos),
                          "combinations": [{"missing": list(missing), "rows": rows} for missing, rows in combos]}
    spend = [{"workflow": workflow, "week": week.isoformat(), "credits": float(credits), "wasted": float(wasted)}
             for workflow, week, credits, wasted in run_spend_by_week()]
    return {"entity_totals": {entity: hidden[entity]["total"] for entity in hidden}, "workflows": workflows,
            "hidden_leads": hidden, "spend_by_week": spend, "plan_outcomes": _plan_outcomes()}


def dashboard_page(*, entity_type: str = "", vendor: str = "") -> dict:
    """What the page shows, filtered by entity type and vendor ("" for all)."""
    snapshot = DashboardSnapshot.objects.defer("completed_by_workflow").first()
    if snapshot is None:
        return {"snapshot": None, "jobs": _active_jobs(), "alerts": _open_alerts(), "plans": _plans({})}
    figures = snapshot.figures
    totals = figures["entity_totals"]
    workflows = [w for w in figures["workflows"] if w["active"] and (not entity_type or w["key_type"] == entity_type)
                 and (not vendor or w["vendor"] == vendor)]
    gaps, gap_trends = _gaps()
    coverage_trends = _coverage_trends()
    for workflow in workflows:
        entities = totals.get(workflow["key_type"]) or 0
        workflow["enriched"] = workflow["runs"]["completed"]
        workflow["coverage_percent"] = 100.0 * workflow["enriched"] / entities if entities else 0.0
        workflow["entities"] = entities
        workflow["gap"] = gaps.get(workflow["name"])
        workflow["gap_trend"] = gap_trends.get(workflow["name"], [])
        workflow["coverage_trend"] = coverage_trends.get(workflow["name"], [])
    names = {w["name"] for w in workflows}
    spend = [row for row in figures["spend_by_week"] if row["workflow"] in names]
    return {"snapshot": snapshot, "workflows": workflows, "hidden_leads": figures["hidden_leads"],
            "spend_by_week": _weekly_totals(spend), "spend_by_workflow": _spend_by_workflow(workflows),
            "spend_by_vendor": _spend_by_vendor(workflows),
            "vendors": sorted({w["vendor"] for w in figures["workflows"] if w["vendor"]}),
            "jobs": _active_jobs(), "alerts": _open_alerts(), "title_classification": title_classification_last(),
            "plans": _plans(figures.get("plan_outcomes", {}))}


def _gaps() -> tuple[dict[str, dict], dict[str, list[int]]]:
    """Latest gap per workflow, and its last TREND_POINTS gaps oldest first."""
    # Only the last TREND_POINTS checks: the snapshot table grows by a row per workflow and check.
    checks = GapSnapshot.objects.order_by("-checked_at").values_list("checked_at", flat=True).distinct()
    oldest = list(checks[:TREND_POINTS])[-1:]
    recent = (GapSnapshot.objects.filter(checked_at__gte=oldest[0] if oldest else timezone.now())
              .annotate(position=Window(RowNumber(), partition_by=[F("workflow_id")],
                                                           order_by=F("checked_at").desc()))
              .filter(position__lte=TREND_POINTS)
              .values_list("workflow_id", "gap", "rows_waiting", "checked_at", "position"))
    latest, trends = {}, defaultdict(list)
    for workflow, gap, rows_waiting, checked_at, position in sorted(recent, key=lambda row: (row[0], -row[4])):
        trends[workflow].append(gap)
        if position == 1:
            latest[workflow] = {"gap": gap, "rows_waiting": rows_waiting, "checked_at": checked_at}
    return latest, trends


def _coverage_trends() -> dict[str, list[int]]:
    rows = list(DashboardSnapshot.objects.values_list("completed_by_workflow", flat=True)[:TREND_POINTS])
    trends = defaultdict(list)
    for completed in reversed(rows):
        for workflow, count in completed.items():
            trends[workflow].append(count)
    return trends


def _weekly_totals(rows: list[dict]) -> list[dict]:
    weeks: dict[str, dict] = {}
    for row in rows:
        week = weeks.setdefault(row["week"], {"week": row["week"], "credits": 0.0, "wasted": 0.0})
        week["credits"] += row["credits"]
        week["wasted"] += row["wasted"]
    return [weeks[week] for week in sorted(weeks)]


def _spend_by_workflow(workflows: list[dict]) -> list[dict]:
    spent = [{"name": w["name"], "vendor": w["vendor"], "credits": w["credits"], "wasted": w["wasted"]}
             for w in workflows if w["credits"]]
    return sorted(spent, key=lambda row: -row["credits"])


def _spend_by_vendor(workflows: list[dict]) -> list[dict]:
    vendors: dict[str, dict] = {}
    for workflow in workflows:
        if workflow["credits"]:
            row = vendors.setdefault(workflow["vendor"], {"vendor": workflow["vendor"], "credits": 0.0, "wasted": 0.0})
            row["credits"] += workflow["credits"]
            row["wasted"] += workflow["wasted"]
    return sorted(vendors.values(), key=lambda row: -row["credits"])


def _plan_outcomes() -> dict[str, dict]:
    """What happened since each of the latest plans was exported, by plan id. Measured with the
    other figures, not per page view: each plan's leads are read back from core."""
    return {str(outcome["plan"].pk): {"runs_planned": outcome["runs_planned"],
                                      "runs_completed": outcome["runs_completed"],
                                      "credits_spent": float(outcome["credits_spent"]),
                                      "visible_now": outcome["visible_now"]}
            for outcome in plan_outcomes(list(EnrichmentPlan.objects.all()[:PLANS_SHOWN]))}


def _plans(outcomes: dict[str, dict]) -> list[dict]:
    """The latest exported plans, each with its outcome as of the last refresh (None for a plan
    exported since)."""
    plans = EnrichmentPlan.objects.all()[:PLANS_SHOWN]
    return [{"plan": plan, "outcome": outcomes.get(str(plan.pk))} for plan in plans]


def _active_jobs() -> list[BatchJob]:
    return list(BatchJob.objects.filter(status__in=ACTIVE).order_by("created_at"))


def _open_alerts() -> list[GapAlert]:
    return list(GapAlert.objects.filter(resolved_at=None).select_related("workflow").order_by("-opened_at"))


def snapshot_age(snapshot: DashboardSnapshot, now: datetime | None = None) -> float:
    return ((now or timezone.now()) - snapshot.taken_at).total_seconds()


TOP_STATEMENTS = 25
PLANS_SHOWN = 10


def database_server_label() -> str:
    """Which PostgreSQL enrichhub runs on, as the admin and /api/health say it."""
    version: int = connection.pg_version  # type: ignore[attr-defined]  # the postgresql backend's
    major, minor = divmod(version, 10_000)
    origin = "embedded" if settings.EMBEDDED_DATABASE else "DATABASE_URL"
    return f"PostgreSQL {major}.{minor} ({origin})"


def database_overview() -> dict:
    """The superusers' page: the server, and the statements that took the most time."""
    ready = sql.statement_statistics_ready()
    statements = [
        {"query": query, "calls": calls, "mean_ms": mean_ms, "total_ms": total_ms, "rows": rows}
        for query, calls, mean_ms, total_ms, rows in (sql.top_statements(limit=TOP_STATEMENTS) if ready else [])
    ]
    return {"server": database_server_label(), "statements_ready": ready, "statements": statements}
