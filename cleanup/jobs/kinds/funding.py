"""Backfill core.company_funding from extracted.company_discovery (seed: ~96,000 domains).

Phase "stage" reads extracted.company_discovery in id windows and appends each row with a
range, under its normalised domain, to the seed's intermediate table, partitioned by domain
range; phase "insert" takes one partition a batch, in domain order, and adds the latest range
of each domain core lacks. The intermediate table is dropped when the job completes. A batch's
checkpoint commits with its rows, so a resumed job neither repeats nor skips a window. With
`keys`, only those domains are staged: the repair of a gap's missing keys.
"""

import math

from cleanup.jobs.funding_ranges import funding_bounds
from cleanup.jobs.kinds.base import Batch, DryRun, JobKind, JobParamsError, keys_clean, keys_parameter
from cleanup.jobs.models import BatchJob
from cleanup.jobs.sql import funding as sql
from kernel import COMPANY, InvalidEntityKey, normalise_domain

# An insert batch is one partition: about 20,000 staged rows take some 100 ms at ten times the
# seed. Past MAX_PARTITIONS * that many rows, partitions grow instead of multiplying: creating
# and dropping them takes a lock on each in one transaction, and the server's lock table holds
# max_locks_per_transaction (64 by default) times max_connections.
STAGED_ROWS_PER_PARTITION = 20_000
MAX_PARTITIONS = 500
SAMPLED_KEYS_PER_PARTITION = 200


class FundingBackfill(JobKind):
    name = "funding_backfill"
    writes = ("core.company_funding",)
    description = "Backfill core.company_funding from extracted.company_discovery, latest range per domain"
    parameters = (keys_parameter("only these domains (empty: every domain core lacks)"),)
    # A staging window locks nothing anyone else writes, and an insert batch only adds rows
    # core does not have: batches of ~150 ms halve the per-batch overhead that 50 ms cost.
    target_batch_ms = 150

    def clean_params(self, params: dict) -> dict:
        unknown = set(params) - {"keys"}
        if unknown:
            raise JobParamsError(f"funding_backfill takes only keys (the domains to backfill), not "
                                 f"{', '.join(sorted(unknown))}")
        return {"keys": keys_clean(params["keys"], entity_type=COMPANY)} if "keys" in params else {}

    def prepare(self, job: BatchJob) -> None:
        partitioned = sql.staging_partitioned(job_id=job.pk)
        if partitioned:
            return  # a resumed job: its partitions were sampled once and hold what it staged
        if partitioned is not None:
            sql.staging_drop(job_id=job.pk)  # staged by an older release, in one table with a key
        if job.checkpoint:
            # What it staged is gone (dropped above, or by hand): stage again from the start.
            job.checkpoint = {}
            job.save(update_fields=["checkpoint"])
        sql.staging_create(job_id=job.pk, boundaries=_partition_boundaries(_wanted(job)))

    def dry_run(self, job: BatchJob) -> DryRun:
        wanted = _wanted(job)
        counted = sql.domains_with_range(wanted=_listed(wanted))
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
        number = job.checkpoint["partition"]
        added = sql.insert_partition(job_id=job.pk, number=number)
        if added is None:
            return Batch(rows=0, checkpoint=job.checkpoint, done=True)
        return Batch(rows=added, checkpoint={"phase": "insert", "partition": number + 1})

    def _stage(self, job: BatchJob, limit: int) -> Batch:
        """One window of `limit` rows with a range: domains in normal form are staged by one
        statement, the other spellings through the Python normaliser."""
        after = job.checkpoint.get("after_id", 0)
        upto = sql.window_end(after_id=after, limit=limit)
        if upto is None:
            return Batch(rows=0, checkpoint={"phase": "insert", "partition": 0})
        wanted = _wanted(job)
        bounds = {text: funding_bounds(text) for text in sql.window_ranges(after_id=after, upto_id=upto)}
        other_spellings = sql.stage_window(job_id=job.pk, after_id=after, upto_id=upto, bounds=bounds,
                                           wanted=_listed(wanted))
        staged = []
        for row_id, domain, funding_range, created_at in other_spellings:
            try:
                key = normalise_domain(domain)
            except InvalidEntityKey:
                continue
            if wanted is None or key in wanted:
                staged.append((key, funding_range, *bounds[funding_range], created_at, row_id))
        if staged:
            sql.staging_add(job_id=job.pk, rows=staged)
        # Staging writes nothing to core: progress counts core rows only.
        return Batch(rows=0, checkpoint={"phase": "stage", "after_id": upto})

    def finish(self, job: BatchJob) -> None:
        sql.staging_drop(job_id=job.pk)


def _partition_boundaries(wanted: set[str] | None) -> list[str]:
    """Domains that split the staged rows into partitions of about STAGED_ROWS_PER_PARTITION,
    from a sample of the source's keys (the source's row count is an upper bound of the rows
    staged, so partitions come out no larger)."""
    rows = len(wanted) if wanted is not None else sql.source_rows_estimate()
    parts = max(1, min(MAX_PARTITIONS, math.ceil(rows / STAGED_ROWS_PER_PARTITION)))
    if parts == 1:
        return []
    percent = min(100.0, 100.0 * SAMPLED_KEYS_PER_PARTITION * parts / rows)
    boundaries = sql.key_sample(percent=percent, parts=parts, wanted=_listed(wanted))
    return list(dict.fromkeys(boundaries))  # a partition needs two different bounds; SQL's order kept


def _listed(wanted: set[str] | None) -> list[str] | None:
    """The wanted domains as the statements take them: a sorted array, or NULL for all."""
    return sorted(wanted) if wanted is not None else None


def _wanted(job: BatchJob) -> set[str] | None:
    """The domains a repair job is limited to; None for the whole backfill."""
    return set(job.params["keys"]) if job.params.get("keys") else None

