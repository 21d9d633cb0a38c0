"""Retire a reference table whose purpose is served: moved to archive (restorable), never dropped."""

from urllib.parse import urlencode

from django.urls import reverse

from cleanup.jobs.kinds.base import Batch, DryRun, JobKind, JobParamsError, Parameter, job_parameter, require_int
from cleanup.jobs.models import BatchJob
from cleanup.jobs.sql import reference_tables as sql
from warehouse.review_lists import REVIEW_LISTS, review_list_missing, review_list_waiting


def _table_param(params: dict) -> str:
    table = params.get("table")
    if table not in sql.RETIRABLE:
        raise JobParamsError(f"table must be one of {', '.join(sql.RETIRABLE)}, got {table!r}")
    return table


def _next_steps(retirable: sql.Retirable, outstanding: int) -> list[dict]:
    """The rows that keep the table, the job that fills them, and the plan for what no job can."""
    kind, params, does = retirable.filled_by
    entity = REVIEW_LISTS[retirable.review_list].entity
    rows = reverse(f"admin:warehouse_{entity}_changelist") + "?" + urlencode({"review_list": retirable.review_list})
    start = reverse("admin:cleanup_batchjob_start") + "?" + urlencode({"kind": kind, **params})
    plan = reverse("plan") + "?" + urlencode({"entity_type": entity, "budget_credits": "100"})
    return [{"label": f"see the {outstanding:,} rows still waiting", "url": rows},
            {"label": f"fill them: {does}", "url": start},
            {"label": "plan enrichment for what the warehouse has no value for", "url": plan}]


class DropReferenceTable(JobKind):
    name = "drop_reference_tables"
    description = "Move a reference table to archive once its condition holds"
    parameters = (Parameter("table", "table", type="choice", choices=lambda: sorted(sql.RETIRABLE), required=True,
                            help_text="moved to the archive schema once every row it lists has what it waits for"),)
    restored_by = "restore_reference_tables"
    destructive = True

    def clean_params(self, params: dict) -> dict:
        return {"table": _table_param(params)}

    def dry_run(self, job: BatchJob) -> DryRun:
        retirable = sql.RETIRABLE[job.params["table"]]
        if not sql.exists(schema=retirable.schema, table=retirable.table):
            return DryRun(0, f"{job.params['table']} does not exist (retired already?)", blocked="table is gone")
        outstanding = review_list_waiting(retirable.review_list).count()
        settled = review_list_missing(retirable.review_list).count() - outstanding
        rows = sql.row_count(schema=retirable.schema, table=retirable.table)
        details = {"rows": rows, "waiting": outstanding, "settled_without_value": settled}
        if outstanding:
            return DryRun(0, f"{rows:,} rows listed, {outstanding:,} still waiting", details=details,
                          blocked=f"{outstanding:,} {retirable.reason}", links=_next_steps(retirable, outstanding))
        review = REVIEW_LISTS[retirable.review_list]
        unfilled = (f" {settled:,} listed rows stay without {review.field}: {review.work} is complete and found none "
                    "(the archived copy keeps them listed)." if settled else "")
        return DryRun(1, f"would move {job.params['table']} ({rows:,} rows) to archive."
                         f"{sql.archived_name(table=retirable.table, job_id=job.pk or 0)}.{unfilled}", details=details)

    def run_batch(self, job: BatchJob, *, limit: int) -> Batch:
        report = self.dry_run(job)  # re-checked in the job's own transaction, not trusted from before
        if report.blocked:
            raise JobParamsError(f"condition does not hold: {report.blocked}")
        retirable = sql.RETIRABLE[job.params["table"]]
        sql.move(from_schema=retirable.schema, from_table=retirable.table, to_schema="archive",
                 to_table=sql.archived_name(table=retirable.table, job_id=job.pk))
        return Batch(rows=1, checkpoint={"moved": True}, done=True)


class RestoreReferenceTable(JobKind):
    name = "restore_reference_tables"
    description = "Move a retired reference table back from archive"
    parameters = (job_parameter("drop_reference_tables"),)
    destructive = True

    def clean_params(self, params: dict) -> dict:
        job_id = require_int(params, "job_id")
        source = BatchJob.objects.filter(pk=job_id, kind=DropReferenceTable.name).first()
        if source is None:
            raise JobParamsError(f"job_id {job_id} is not a {DropReferenceTable.name} job")
        return {"job_id": job_id, "table": source.params["table"]}

    def dry_run(self, job: BatchJob) -> DryRun:
        retirable = sql.RETIRABLE[job.params["table"]]
        archived = sql.archived_name(table=retirable.table, job_id=job.params["job_id"])
        if not sql.exists(schema="archive", table=archived):
            return DryRun(0, f"archive.{archived} does not exist", blocked="nothing archived by that job")
        if sql.exists(schema=retirable.schema, table=retirable.table):
            return DryRun(0, f"{job.params['table']} exists again", blocked="the table exists again")
        return DryRun(1, f"would move archive.{archived} back to {job.params['table']}")

    def run_batch(self, job: BatchJob, *, limit: int) -> Batch:
        report = self.dry_run(job)
        if report.blocked:
            raise JobParamsError(f"cannot restore: {report.blocked}")
        retirable = sql.RETIRABLE[job.params["table"]]
        sql.move(from_schema="archive", from_table=sql.archived_name(table=retirable.table,
                                                                   job_id=job.params["job_id"]),
                 to_schema=retirable.schema, to_table=retirable.table)
        return Batch(rows=1, checkpoint={"moved": True}, done=True)
