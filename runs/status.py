"""What the frontend asks before spending credits: which enrichments ran for an entity,
what reached core, and whether enriching it again now would be a waste (seed Phase 3)."""

from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import psycopg
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, transaction
from django.utils import timezone

from kernel import (
    REPLICA,
    ProcessCache,
    index_probes,
    key_function_indexes,
    normalise_entity_key,
    read_alias,
    replica_failed,
    stored_variants,
)
from registry.catalog import catalog_load
from runs.sql import status as status_sql

NOT_RUN = "not_run"
# (workflow, entity index) -> (rows in extracted, rows in core)
Counts = dict[tuple[str, int], tuple[int, int]]
_IN_FLIGHT = {"pending", "running"}
# Tables created after a plan was built are picked up when it ages out.
PLAN_MAX_AGE_SECONDS = 60.0
_plans: ProcessCache[tuple, status_sql.StatusPlan] = ProcessCache()
# This process's copy of the active workflows, and the registry version it was read at.
_registry: ProcessCache[str, tuple[str, list[status_sql.WorkflowSpec]]] = ProcessCache()


@dataclass
class EnrichmentStatus:
    workflow_name: str
    status: str
    coalesces_to_core: bool
    completed_at: datetime | None = None
    records_in_extracted: int | None = None
    records_in_core: int | None = None
    missing_in_core: bool = False
    fresh_until: datetime | None = None
    should_enrich: bool = True
    attempts: int = 0
    error: str | None = None


@dataclass
class EntityStatus:
    entity_type: str
    entity_key: str
    enrichments: list[EnrichmentStatus] = field(default_factory=list)

    def as_dict(self) -> dict:
        """Plain data for the response: validating dicts is far cheaper than reading attributes."""
        return {"entity_type": self.entity_type, "entity_key": self.entity_key,
                "enrichments": [vars(item) for item in self.enrichments], "coverage": self.coverage}

    @property
    def coverage(self) -> dict[str, int]:
        counts = {"total_workflows": len(self.enrichments), "completed": 0, "pending": 0, "running": 0,
                  "failed": 0, NOT_RUN: 0}
        for item in self.enrichments:
            counts[item.status] += 1
        return counts


def entity_status_get(*, entity_type: str, entity_key: str) -> EntityStatus:
    """Raises kernel.InvalidEntityKey for a key that is not a domain / profile URL."""
    key = normalise_entity_key(entity_type=entity_type, raw=entity_key)
    return normalised_entity_statuses_get(entities=[(entity_type, key)])[0]


def normalised_entity_statuses_get(*, entities: list[tuple[str, str]]) -> list[EntityStatus]:
    """Statuses of many entities, their keys already normalised, in a constant number of
    queries: per entity type present, one count statement and one runs query (plus one
    registry read after it changed)."""
    for _ in range(2):  # a registry change seen mid-request: reload once and answer from that
        version, specs = _registry.get("active") or _registry_reload()
        results = [EntityStatus(kind, key) for kind, key in entities]
        versions_seen = set()
        for kind in sorted({kind for kind, _ in entities}):
            versions_seen.add(_fill(kind, [r for r in results if r.entity_type == kind],
                                    [s for s in specs if s.key_type == kind], registry_version=version))
        if versions_seen <= {version}:
            return results
        _registry_reload()
    return results


def _registry_reload() -> tuple[str, list[status_sql.WorkflowSpec]]:
    version, specs = status_sql.specs_fetch()
    _plans.clear()  # plans of an older registry are dead weight
    return _registry.put("active", (version, specs))


def _fill(kind: str, statuses: list[EntityStatus], specs: list[status_sql.WorkflowSpec], *,
          registry_version: str) -> str:
    """Fill the statuses of one entity type; returns the registry version the counts saw.

    The row counts may come from the replica; the runs, and so `should_enrich` and
    `fresh_until`, always come from the primary: a run reported a moment ago is seen there at
    once, whatever the replica's lag."""
    plan, (version, counts) = _counts_with_current_plan(specs, kind, [status.entity_key for status in statuses],
                                                        registry_version=registry_version)
    runs = status_sql.runs_fetch(entity_type=kind, keys=[s.entity_key for s in statuses])
    now = timezone.now()
    for owner, status in enumerate(statuses):
        status.enrichments = [
            _item(spec=spec, run=runs.get((spec.name, status.entity_key)),
                  counted=counts.get((spec.name, owner), (0, 0)), table_error=plan.table_errors.get(spec.name),
                  now=now)
            for spec in specs]
    return version


def _counts_with_current_plan(specs: list[status_sql.WorkflowSpec], kind: str, keys: list[str], *,
                              registry_version: str) -> tuple[status_sql.StatusPlan, tuple[str, Counts]]:
    """Run the cached statement, on the replica when it may answer; if a table vanished since
    it was built, rebuild it from today's catalog once (the workflow then reports the missing
    table) instead of failing."""
    fingerprint = tuple(specs)
    plan = _plans.get(fingerprint, max_age_s=PLAN_MAX_AGE_SECONDS) or _plan_build(fingerprint, specs)
    if read_alias() == REPLICA:
        answer = _replica_counts(plan, kind, keys, registry_version=registry_version)
        if answer is not None:
            return plan, answer
    # Inside a transaction a failed statement must be rolled back to a savepoint; in
    # autocommit (a plain API request) there is nothing to roll back, so no extra round trips.
    guard = transaction.atomic() if connection.in_atomic_block else nullcontext()
    try:
        with guard:
            return plan, _counts_fetch(plan, kind, keys)
    except status_sql.StalePlan:
        plan = _plan_build(fingerprint, specs)
        return plan, _counts_fetch(plan, kind, keys)


def _replica_counts(plan: status_sql.StatusPlan, kind: str, keys: list[str], *,
                    registry_version: str) -> tuple[str, Counts] | None:
    """The replica's counts, or None where the primary must answer: the replica failed, or it
    has not yet replayed the registry this process reads (it may lack that registry's tables)."""
    try:
        version, counts = _counts_fetch(plan, kind, keys, using=REPLICA)
    except status_sql.StalePlan:
        return None
    except (DatabaseError, psycopg.Error) as exc:  # down, or a query cancelled by recovery
        replica_failed(exc)
        return None
    return (version, counts) if version == registry_version else None


def _counts_fetch(plan: status_sql.StatusPlan, kind: str, keys: list[str],
                  using: str = DEFAULT_DB_ALIAS) -> tuple[str, Counts]:
    probes = [(probe, owner) for owner, key in enumerate(keys)
              for probe in index_probes(entity_type=kind, key=key)]
    spellings = [(spelling, owner) for owner, key in enumerate(keys)
                 for spelling in stored_variants(entity_type=kind, key=key)] if plan.uses_spellings else []
    return status_sql.counts_fetch(plan=plan, probes=probes, spellings=spellings, using=using)


def _plan_build(fingerprint: tuple, specs: list[status_sql.WorkflowSpec]) -> status_sql.StatusPlan:
    plan = status_sql.plan_compile(workflows=list(specs), catalog=catalog_load(),
                                   key_function_indexes=key_function_indexes())
    return _plans.put(fingerprint, plan)


def _item(*, spec: status_sql.WorkflowSpec, run: status_sql.RunRow | None, counted: tuple[int, int],
          table_error: str | None, now: datetime) -> EnrichmentStatus:
    """One workflow's status for one entity: its run, if any, and its rows in extracted and core."""
    extracted, core = counted
    item = EnrichmentStatus(
        workflow_name=spec.name, status=run.status if run else NOT_RUN, coalesces_to_core=spec.coalesces_to_core,
        records_in_extracted=None if table_error else extracted, records_in_core=None if table_error else core,
        error=table_error)
    if run:
        item.completed_at, item.attempts = run.completed_at, run.attempts
        if run.status == "failed" and not table_error:
            item.error = run.error or None
    item.missing_in_core = spec.coalesces_to_core and not table_error and extracted > 0 and core == 0
    if item.completed_at:
        item.fresh_until = item.completed_at + timedelta(days=spec.refresh_after_days)
    fresh = item.status == "completed" and item.fresh_until is not None and now < item.fresh_until
    item.should_enrich = item.status not in _IN_FLIGHT and not fresh
    return item
