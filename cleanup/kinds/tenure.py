"""Backfill core.person_tenure for people who have start dates but no tenure (seed: 4,858)."""

from cleanup.kinds.base import Batch, DryRun, no_params
from cleanup.models import BatchJob
from cleanup.sql import tenure as sql


class TenureBackfill:
    name = "tenure_backfill"
    description = "Insert into core.person_tenure the people of core.person_job_start_dates it lacks"
    destructive = False

    def clean_params(self, params: dict) -> dict:
        return no_params(params)

    def prepare(self, job: BatchJob) -> None:
        pass

    def estimate(self, job: BatchJob) -> int:
        return sql.people_missing()

    def dry_run(self, job: BatchJob) -> DryRun:
        missing = sql.people_missing()
        return DryRun(would_change=missing,
                      summary=f"would add {missing:,} people to core.person_tenure, each with their most recent "
                              "start date")

    def run_batch(self, job: BatchJob, *, limit: int) -> Batch:
        added, last = sql.backfill_batch(after_id=job.checkpoint.get("after_id", 0), limit=limit)
        if last is None:
            return Batch(rows=0, checkpoint=job.checkpoint, done=True)
        return Batch(rows=added, checkpoint={"after_id": last})

    def finish(self, job: BatchJob) -> None:
        pass
