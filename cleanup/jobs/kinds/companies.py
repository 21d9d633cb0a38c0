"""Delete companies with neither discovery nor SalesNav location (seed: ~55,000), and undo it."""

from cleanup.jobs.kinds.base import Batch, DryRun, JobKind, JobParamsError, id_keyset_batch, job_parameter, require_int
from cleanup.jobs.models import BatchJob
from cleanup.jobs.sql import companies as sql


class DeleteCompaniesMissingLocation(JobKind):
    restored_by = "restore_companies_missing_location"
    name = "delete_companies_missing_location"
    writes = ("core.companies", "core.companies_missing_location")
    description = "Delete companies with no location; each row is archived in the same statement"
    destructive = True

    def prepare(self, job: BatchJob) -> None:
        if refusal := _archive_refusal():
            raise JobParamsError(refusal)

    def dry_run(self, job: BatchJob) -> DryRun:
        if refusal := _archive_refusal():
            return DryRun(0, refusal, blocked=refusal)
        total, referenced = sql.candidates_count()
        return DryRun(
            would_change=total - referenced,
            summary=(f"would delete {total - referenced:,} companies with no location, archiving each row "
                     f"(and its core.companies_missing_location row) in archive; {referenced:,} more are "
                     "referenced by core.person_work_history and are skipped"),
            details={"without_location": total, "skipped_referenced": referenced})

    def planner_estimate(self, job: BatchJob) -> int:
        return sql.candidates_estimate()

    def run_batch(self, job: BatchJob, *, limit: int) -> Batch:
        return id_keyset_batch(job, lambda after: sql.delete_batch(job_id=job.pk, after_id=after, limit=limit))


def _archive_refusal() -> str | None:
    """Why deleting would lose values now: the warehouse grew columns its archive lacks."""
    gaps = sql.archive_gaps()
    if not gaps:
        return None
    return (f"the archive has no column for {', '.join(gaps)}: deleting would lose those values. Add them to "
            "cleanup.jobs.models.ArchivedCompany (or ArchivedCompanyMissingLocation) and migrate first")


class RestoreCompaniesMissingLocation(JobKind):
    name = "restore_companies_missing_location"
    writes = ("core.companies", "core.companies_missing_location")
    description = "Put back the companies a delete job archived"
    destructive = True
    parameters = (job_parameter("delete_companies_missing_location"),)

    def clean_params(self, params: dict) -> dict:
        job_id = require_int(params, "job_id")
        if not BatchJob.objects.filter(pk=job_id, kind=DeleteCompaniesMissingLocation.name).exists():
            raise JobParamsError(f"job_id {job_id} is not a {DeleteCompaniesMissingLocation.name} job")
        return {"job_id": job_id}

    def dry_run(self, job: BatchJob) -> DryRun:
        count = sql.archived_count(job_id=job.params["job_id"])
        return DryRun(would_change=count,
                      summary=f"would restore {count:,} companies archived by job #{job.params['job_id']}")

    def run_batch(self, job: BatchJob, *, limit: int) -> Batch:
        source = job.params["job_id"]
        return id_keyset_batch(job, lambda after: sql.restore_batch(source_job_id=source, after_id=after, limit=limit))
