"""Backfill core.person_tenure for people who have start dates but no tenure (seed: 4,858)."""

from cleanup.jobs.kinds.base import Batch, DryRun, JobKind, id_keyset_batch
from cleanup.jobs.models import BatchJob
from cleanup.jobs.sql import tenure as sql


class TenureBackfill(JobKind):
    name = "tenure_backfill"
    writes = ("core.person_tenure",)
    description = "Insert into core.person_tenure the people of core.person_job_start_dates it lacks"

    def dry_run(self, job: BatchJob) -> DryRun:
        missing = sql.people_missing()
        return DryRun(would_change=missing,
                      summary=f"would add {missing:,} people to core.person_tenure, each with their most recent "
                              "start date")

    def planner_estimate(self, job: BatchJob) -> int:
        return sql.people_missing_estimate()

    def run_batch(self, job: BatchJob, *, limit: int) -> Batch:
        return id_keyset_batch(job, lambda after: sql.backfill_batch(after_id=after, limit=limit))
