"""Coalesce extracted.person_experience into core.person_work_history (the seed's missing sync).

A sweep starts where the last completed job stopped (its high-water mark, an extracted id),
so its cost follows the new rows; it upserts, so a changed row that comes back is updated.
A reconciliation walks the whole id range in windows and picks, with an anti-join, only
the rows that never reached core: the first run (there was never a sync) and the periodic
proof that nothing older was left behind. Keys are normalised with the one normaliser;
titles mapped through reference.job_title_mapping with the rule fallback. A refresh walks
every row and upserts it: for extracted rows changed in place, or after the mapping grew.
"""

from cleanup.coalescing.core_keys import core_ids
from cleanup.coalescing.kinds.modes import keys_dry_run, mode_clean, mode_parameter, sweep_start, walk_start
from cleanup.coalescing.sql import experience as sql
from cleanup.coalescing.titles import TitleMatch, title_match
from cleanup.jobs.kinds.base import Batch, DryRun, JobKind, JobParamsError, Parameter, keys_clean, keys_parameter
from cleanup.jobs.lookahead import lookahead_start, lookahead_take
from cleanup.jobs.models import BatchJob
from kernel import COMPANY, PERSON, InvalidEntityKey, domain_or_none, key_lookup, normalise_linkedin_url

MODES = ("sweep", "reconcile", "refresh", "keys")
# A reconciliation batch looks at this many ids per row the batch may write.
RECONCILE_WINDOW_PER_ROW = 8


class CoalescePersonExperience(JobKind):
    name = "coalesce_person_experience"
    writes = ("core.person_work_history",)
    description = "Sync extracted.person_experience into core.person_work_history, titles mapped"
    parameters = (mode_parameter(MODES), keys_parameter("profile URLs (mode keys)"),
                  Parameter("part", "part", help_text="reconcile only: 1/2 and 2/2 split the id range between "
                                                      "two clusters"))
    # Most of a batch is Python (normalising keys, mapping titles): larger batches amortise it,
    # but a batch's time follows the rows it writes, which windows of synced ids hide from
    # the adaptation; the cap keeps a batch of new rows under ~150 ms.
    target_batch_ms = 150
    max_batch_rows = 1_000

    # Reconciliations of different parts of the rows (id % n) may run side by side, one per q2
    # worker; every other job of this kind excludes the others.
    exclusive_param = "part"

    def clean_params(self, params: dict) -> dict:
        mode = mode_clean(params, MODES)
        if mode == "keys":
            return {"mode": mode, "keys": keys_clean(params.get("keys"), entity_type=PERSON)}
        if "part" in params:
            if mode != "reconcile":
                raise JobParamsError("part splits a reconciliation only: use it with mode reconcile")
            return {"mode": mode, "part": _part_clean(params["part"])}
        return {"mode": mode}

    def prepare(self, job: BatchJob) -> None:
        if "after_id" not in job.checkpoint:
            job.checkpoint = {"after_id": walk_start(job, kind=self.name),
                              "until": sql.experience_max_id(),
                              "inserted": 0, "updated": 0, "by_rule": 0, "invalid": 0}

    def dry_run(self, job: BatchJob) -> DryRun:
        if job.params.get("mode") == "keys":
            return keys_dry_run(job, what="the experience of", into="work history")
        start = sweep_start(job, kind=self.name)
        rows, never = sql.pending_count(after_id=start, **_part(job))
        share = f" (part {job.params['part']}: ids with the same remainder)" if "part" in job.params else ""
        # A reconciliation writes only the rows never coalesced; a sweep or refresh may update any row it reads.
        return DryRun(would_change=never if job.params.get("mode") == "reconcile" else rows,
                      summary=f"would read {rows:,} extracted rows after id {start:,}{share}; {never:,} have never "
                              "reached core.person_work_history (changed ones are updated too)",
                      details={"start_after_id": start, "rows": rows, "never_coalesced": never})

    def run_batch(self, job: BatchJob, *, limit: int) -> Batch:
        state = dict(job.checkpoint)
        reconcile = job.params.get("mode") == "reconcile"
        if reconcile and state["after_id"] >= state["until"]:
            return Batch(rows=0, checkpoint=state, done=True)
        after = state["after_id"]
        rows = lookahead_take((job.pk, after, limit), lambda: _rows_after(job, after, state["until"], limit))
        if not rows and not reconcile:
            return Batch(rows=0, checkpoint=state, done=True)
        if reconcile and len(rows) < limit:
            state["after_id"] = _window_end(after, state["until"], limit)
        else:  # a full reconciliation batch may have left missing rows in its window: go on right after it
            state["after_id"] = rows[-1][0]
        # The next batch reads other ids than this one writes: read them meanwhile.
        following, until = state["after_id"], state["until"]
        lookahead_start((job.pk, following, limit), lambda: _rows_after(job, following, until, limit))
        written = self._write(state, rows)
        return Batch(rows=written, checkpoint=state)

    def _write(self, state: dict, rows: list[tuple]) -> int:
        """Coalesce resolved rows into core; updates the counters in state; returns rows written."""
        mapping = sql.titles_mapped(sorted({row[3].strip() for row in rows if row[3] and row[8] is None}))
        coalesced = []
        for row in rows:
            item = _coalesced(row, mapping)
            if item is None:
                state["invalid"] += 1
                continue
            state["by_rule"] += item.pop("by_rule")
            coalesced.append(item)
        _ids_resolve(coalesced, field="person_id", key="url", entity_type=PERSON)
        _ids_resolve(coalesced, field="company_id", key="domain", entity_type=COMPANY)
        inserted, updated = sql.work_history_upsert(rows=coalesced)
        state.update(inserted=state["inserted"] + inserted, updated=state["updated"] + updated)
        return inserted + updated


def _window_end(after_id: int, until: int, limit: int) -> int:
    """The last id a reconciliation batch looks at."""
    return min(after_id + limit * RECONCILE_WINDOW_PER_ROW, until)


def _rows_after(job: BatchJob, after_id: int, until: int, limit: int) -> list[tuple]:
    """The batch's rows after after_id, resolved: for a reconciliation up to `limit` never
    coalesced in its window of ids; otherwise the next `limit` (the job's keys' only)."""
    if job.params.get("mode") == "reconcile":
        return sql.experience_missing(after_id=after_id, upto_id=_window_end(after_id, until, limit), limit=limit,
                                      **_part(job))
    lookup = None
    if job.params.get("mode") == "keys":
        lookup = key_lookup(table=sql.SOURCE, column="linkedin_url", entity_type=PERSON, keys=job.params["keys"])
    return sql.experience_batch(after_id=after_id, limit=limit, lookup=lookup)


def _part_clean(part: object) -> str:
    """"k/n": the k-th of n shares of the rows (1-based)."""
    try:
        index, count = (int(number) for number in str(part).split("/"))
    except ValueError:
        raise JobParamsError(f"part must look like 1/2 (the first of two shares), got {part!r}") from None
    if not 1 <= index <= count <= 64:
        raise JobParamsError(f"part {part!r}: need 1 <= k <= n <= 64")
    return f"{index}/{count}"


def _part(job: BatchJob) -> dict[str, int]:
    """A part "k/n" takes the rows with id % n == k - 1; no part takes them all."""
    if "part" not in job.params:
        return {"parts": 1, "remainder": 0}
    index, count = (int(number) for number in job.params["part"].split("/"))
    return {"parts": count, "remainder": index - 1}


def _coalesced(row: tuple, mapping: dict) -> dict | None:
    """One resolved row (see sql.experience_missing) as the upsert takes it; None for a row
    without a valid profile URL."""
    row_id, url, domain, title, person_key, company_key, person_id, company_id, function, seniority = row
    if person_key is None:
        try:
            person_key = normalise_linkedin_url(url)
        except InvalidEntityKey:
            return None
    if company_key is None:
        company_key = domain_or_none(domain)
    if function is not None:
        match = TitleMatch(function, seniority, by_rule=False)
    else:
        match = title_match(title, mapping=mapping)  # the classifier caches: titles repeat
    return {"id": row_id, "url": person_key, "domain": company_key, "person_id": person_id,
            "company_id": company_id, "job_function": match.job_function, "seniority": match.seniority,
            "by_rule": int(match.by_rule)}


def _ids_resolve(items: list[dict], *, field: str, key: str, entity_type: str) -> None:
    """Fill the core ids SQL found under no exact key: stored under another spelling, or absent."""
    unresolved = {item[key] for item in items if item[field] is None and item[key]}
    if not unresolved:
        return
    found = core_ids(entity_type=entity_type, keys=unresolved)
    for item in items:
        if item[field] is None and item[key]:
            item[field] = found.get(item[key])
