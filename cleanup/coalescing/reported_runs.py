"""Which job kind brings a workflow's extracted rows to core, and starting it for exactly
some entities: when runs are reported completed, or when ops repair a gap.

Completed runs are picked up by a frequent q2 schedule rather than a task per event: the
runs app stays unaware of jobs (dependencies point cleanup -> runs), and however many
events arrive between two ticks, each workflow gets one job for all their entities.
"""

from datetime import datetime, timedelta

from django.utils import timezone

from cleanup.coalescing.models import CoalesceMapping, CoalesceWatermark
from cleanup.jobs.models import BatchJob
from cleanup.jobs.services import JobRefused, Operator, job_start
from registry.models import Workflow
from runs.models import Run

# Workflows whose coalescing is code (several core tables, title mapping); others coalesce
# through their declarative mapping.
CODE_COALESCERS = {"person_experience": "coalesce_person_experience", "person_profile": "coalesce_person_profile"}
MAPPED_KIND = "coalesce_mapped"
MAX_KEYS_PER_JOB = 10_000
# Runs are read up to this long ago: an event's transaction that started before the read but
# commits after it still has an updated_at inside a later read's window.
SETTLE = timedelta(seconds=5)
FIRST_LOOK_BACK = timedelta(minutes=10)


class NoCoalescer(Exception):
    """The workflow has no coalescing job: neither code nor an active mapping."""


def coalescer_kind(workflow_name: str) -> str:
    if workflow_name in CODE_COALESCERS:
        return CODE_COALESCERS[workflow_name]
    if CoalesceMapping.objects.filter(workflow_id=workflow_name, is_active=True).exists():
        return MAPPED_KIND
    raise NoCoalescer(f"{workflow_name} has no coalescing job: add a coalesce mapping for it")


# What covers every row when there are too many keys for one job: the work-history
# reconciliation takes what never reached core; the others read every row again.
WHOLE_TABLE_MODES = {"coalesce_person_experience": "reconcile"}


def coalescing_job_params(workflow_name: str, *, keys: list[str] | None = None) -> tuple[str, dict]:
    """(kind, params) of a job coalescing the workflow: a sweep without keys, exactly `keys`,
    or the whole table when there are more keys than one job takes."""
    kind = coalescer_kind(workflow_name)
    params: dict[str, object]
    if not keys:
        params = {"mode": "sweep"}
    elif len(keys) <= MAX_KEYS_PER_JOB:
        params = {"mode": "keys", "keys": keys}
    else:
        params = {"mode": WHOLE_TABLE_MODES.get(kind, "refresh")}
    if kind == MAPPED_KIND:
        params["workflow"] = workflow_name
    return kind, params


def coalesce_keys_start(workflow_name: str, *, keys: list[str], user: Operator = None) -> BatchJob:
    """Create and enqueue the job; raises JobRefused / JobParamsError with the reason."""
    kind, params = coalescing_job_params(workflow_name, keys=keys)
    return job_start(kind=kind, params=params, user=user)


def coalescing_workflows() -> list[str]:
    """Active workflows that coalesce to core and have a job that does it."""
    names = Workflow.objects.filter(is_active=True, coalesces_to_core=True).order_by("workflow_name")
    mapped = set(CoalesceMapping.objects.filter(is_active=True).values_list("workflow_id", flat=True))
    return [name for name in names.values_list("workflow_name", flat=True) if name in CODE_COALESCERS or name in mapped]


def reported_runs_coalesce(*, now: datetime | None = None) -> dict[str, str]:
    """For every coalescing workflow: the entities whose runs completed since the last call go
    to one job. A workflow whose job cannot start now (another is active) keeps its mark and
    is tried again on the next call. Returns workflow -> what happened."""
    until = (now or timezone.now()) - SETTLE
    return {workflow: _hand_on_new_runs(workflow, until) for workflow in coalescing_workflows()}


def _hand_on_new_runs(workflow: str, until: datetime) -> str:
    watermark, _ = CoalesceWatermark.objects.get_or_create(workflow_id=workflow,
                                                           defaults={"runs_seen_until": until - FIRST_LOOK_BACK})
    keys = sorted(set(Run.objects.filter(workflow_id=workflow, status=Run.Status.COMPLETED,
                                         updated_at__gt=watermark.runs_seen_until, updated_at__lte=until)
                      .values_list("entity_key", flat=True)[:MAX_KEYS_PER_JOB + 1]))
    if keys:
        try:
            job = coalesce_keys_start(workflow, keys=keys)
        except JobRefused as exc:
            return f"waiting: {exc}"
    CoalesceWatermark.objects.filter(pk=watermark.pk).update(runs_seen_until=until)
    return f"job #{job.pk} for {len(keys):,} entities" if keys else "nothing new"
