"""The hidden leads a plan chooses from, counted off the request: keying and grouping every core
row took most of a plan's time (seconds at the seed's scale, a minute at ten times it). They are
counted again every five minutes and as soon as a job that wrote core.companies or core.people
completes, each with the workflows not to buy for it then; a plan reads the runs changed since
live, and says how old the count is. Before the first count, the first plan counts.

The same pass keeps the run keys core lacks: with the hidden leads they give the fill-rate
measurement (planning.figures) every run's entity as of the count, without keying core again."""

import time

from django.conf import settings
from django.db import transaction
from django_q.tasks import async_task

from cleanup.jobs.models import BatchJob
from planning import sql
from planning.models import HiddenLeadsCount
from warehouse.hidden import REQUIRED_FIELDS

RECOUNT_TASK = "planning.tasks.hidden_leads_count_task"


def missing_fields(fields: tuple[str, ...], bits: int) -> frozenset[str]:
    return frozenset(field for index, field in enumerate(fields) if bits & (1 << index))


def hidden_leads_count(*, entity_type: str) -> HiddenLeadsCount:
    """Count the entity type's hidden leads now (a q2 task's work, not a request's), and the run
    keys core lacks, for the fill-rate measurement."""
    began = time.monotonic()
    with sql.count_snapshot(entity_type) as (snapshot_at, runs_through):
        sql.core_keys_stage(entity_type=entity_type, fields=REQUIRED_FIELDS[entity_type])
        classes = sql.hidden_leads_replace(entity_type=entity_type, max_failures=settings.PLAN_MAX_FAILURES)
        sql.run_keys_outside_core_replace(entity_type=entity_type)
        counted, _ = HiddenLeadsCount.objects.update_or_create(entity_type=entity_type, defaults={
            "counted_at": snapshot_at, "seconds": time.monotonic() - began, "runs_through": runs_through,
            "classes": [[bits, list(blocked), leads] for bits, blocked, leads in classes]})
    sql.count_tables_analyse()
    return counted


def hidden_leads_total(counted: HiddenLeadsCount) -> int:
    return sum(leads for _, _, leads in counted.classes)


def hidden_leads_latest(*, entity_type: str) -> HiddenLeadsCount:
    """The latest count, or one made now when there is none yet."""
    return (HiddenLeadsCount.objects.filter(entity_type=entity_type).first()
            or hidden_leads_count(entity_type=entity_type))


def hidden_leads_after_job(sender: object, job: BatchJob, tables: tuple[str, ...], **_: object) -> None:
    """A job changed a core table leads are hidden by: count that entity type again, in the q2 cluster."""
    changed = sorted(entity for entity, (schema, table, _) in sql.CORE_ENTITIES.items()
                     if f"{schema}.{table}" in tables)
    if changed and job.rows_done:
        transaction.on_commit(lambda: async_task(RECOUNT_TASK, changed, task_name="hidden-leads-count"))
