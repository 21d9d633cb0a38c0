"""Backfill core.company_funding from extracted.company_discovery (seed: ~96,000 domains).

Phase "stage" reads extracted.company_discovery in id order and keeps, per normalised
domain, the latest funding range in the seed's intermediate table; phase "insert" copies
it into core in domain order, skipping domains core already has; the intermediate table
is dropped when the job completes. Both phases are keyset-walked and idempotent. With
`keys`, only those domains are staged: the repair of a gap's missing keys.
"""

from cleanup.jobs.funding_ranges import funding_bounds
from cleanup.jobs.kinds.base import Batch, DryRun, JobParamsError, KindBase, keys_clean
from cleanup.jobs.models import BatchJob
from cleanup.jobs.sql import funding as sql
from kernel import COMPANY, InvalidEntityKey, normalise_domain


class FundingBackfill(KindBase):
    name = "funding_backfill"
    writes = ("core.company_funding",)
    description = "Backfill core.company_funding from extracted.company_discovery, latest range per domain"
    # A staging window locks nothing anyone else writes, and an insert batch only adds rows
    # core does not have: batches of ~150 ms halve the per-batch overhead that 50 ms cost.
    target_batch_ms = 150
    # An insert batch costs about twice a staging window of as many rows, and the first insert
    # batch inherits the last window's size: the cap keeps it near the target.
    max_batch_rows = 5_000

    def clean_params(self, params: dict) -> dict:
        unknown = set(params) - {"keys"}
        if unknown:
            raise JobParamsError(f"funding_backfill takes only keys (the domains to backfill), not "
                                 f"{', '.join(sorted(unknown))}")
        return {"keys": keys_clean(params["keys"], entity_type=COMPANY)} if "keys" in params else {}

    def prepare(self, job: BatchJob) -> None:
        sql.staging_create(job_id=job.pk)

    def estimate(self, job: BatchJob) -> int | None:
        """The job's own dry run counted it: counting the staged domains core lacks again, at
        the switch to inserting, took a whole second at ten times the seed, in one batch."""
        return (job.dry_run_report or {}).get("would_change")

    def dry_run(self, job: BatchJob) -> DryRun:
        wanted = _wanted(job)
        counted = sql.domains_with_range(wanted=sorted(wanted) if wanted is not None else None)
        from_python, invalid = set(), 0
        for spelling in counted.undecided:
            try:
                key = normalise_domain(spelling)
            except InvalidEntityKey:
                invalid += 1
                continue
            if wanted is None or key in wanted:
                from_python.add(key)
        also_from_sql, funded = sql.keys_counted(keys=sorted(from_python))
        domains = counted.domains + len(from_python - also_from_sql)
        missing = counted.missing + len(from_python - also_from_sql - funded)
        return DryRun(would_change=missing,
                      summary=f"would add {missing:,} domains to core.company_funding ({domains:,} domains have "
                              f"a range in extracted.company_discovery; {invalid} spellings are no valid domain)",
                      details={"domains_with_range": domains, "invalid_domains": invalid})

    def run_batch(self, job: BatchJob, *, limit: int) -> Batch:
        if job.checkpoint.get("phase", "stage") == "stage":
            return self._stage(job, limit)
        added, last = sql.insert_batch(job_id=job.pk, after_domain=job.checkpoint.get("after_domain", ""),
                                       limit=limit)
        if last is None:
            return Batch(rows=0, checkpoint=job.checkpoint, done=True)
        return Batch(rows=added, checkpoint={"phase": "insert", "after_domain": last})

    def _stage(self, job: BatchJob, limit: int) -> Batch:
        """One window of `limit` rows with a range: domains in normal form are staged by one
        statement, the other spellings through the Python normaliser."""
        after = job.checkpoint.get("after_id", 0)
        upto = sql.window_end(after_id=after, limit=limit)
        if upto is None:
            return Batch(rows=0, checkpoint={"phase": "insert", "after_domain": ""})
        wanted = _wanted(job)
        bounds = {text: funding_bounds(text) for text in sql.window_ranges(after_id=after, upto_id=upto)}
        other_spellings = sql.stage_window(job_id=job.pk, after_id=after, upto_id=upto, bounds=bounds,
                                           wanted=sorted(wanted) if wanted is not None else None)
        staged: dict[str, tuple] = {}
        for row_id, domain, funding_range, created_at in other_spellings:
            try:
                key = normalise_domain(domain)
            except InvalidEntityKey:
                continue
            if wanted is not None and key not in wanted:
                continue
            if key not in staged or (created_at, row_id) > (staged[key][4], staged[key][5]):
                staged[key] = (key, funding_range, *bounds[funding_range], created_at, row_id)
        sql.staging_add(job_id=job.pk, rows=list(staged.values()))
        # Staging writes nothing to core: progress counts core rows only.
        return Batch(rows=0, checkpoint={"phase": "stage", "after_id": upto})

    def finish(self, job: BatchJob) -> None:
        sql.staging_drop(job_id=job.pk)


def _wanted(job: BatchJob) -> set[str] | None:
    """The domains a repair job is limited to; None for the whole backfill."""
    return set(job.params["keys"]) if job.params.get("keys") else None

