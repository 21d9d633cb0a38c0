"""Coalescing gaps (seed Phase 4, the `reference.coalescing_gaps` view made real): for each
active workflow, the distinct entities in its extracted table, in its core table, those in
extracted that core lacks, and the extracted rows that never reached core.

The check keeps what it counted in ledgers (one per key source, shared by the workflows that
read it) with a high-water mark on each table's id, so the hourly run reads only rows added
since the last one, and normalises keys in SQL: its cost follows what changed, and its memory
stays flat whatever the warehouse size. Deleted or re-keyed rows are not seen past the mark;
the weekly full recount (`full=True`) counts from scratch and reports the drift it corrected.
Workflows that do not coalesce report all their extracted entities as the gap: the data that
never reaches core ("Gap identified!" in the seed). Each check is stored as a snapshot."""

import logging
import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from cleanup.gaps import sql
from cleanup.gaps.models import GapLedger, GapSnapshot, GapTally
from kernel import entity_key_or_none
from registry.catalog import Catalog, catalog_load
from registry.models import Workflow

logger = logging.getLogger("enrichhub.gaps")


@dataclass
class Gap:
    workflow: str
    coalesces_to_core: bool
    keys_in_extracted: int
    keys_in_core: int | None
    gap: int
    invalid_keys: int
    seconds: float
    rows_waiting: int = 0
    full_recount: bool = False
    drift_keys: int | None = None
    drift_rows: int | None = None
    error: str | None = None


# When a ledger grew by more keys than this, and by a tenth of what it held, the ledger keys get
# fresh planner statistics once the check has counted, before any anti-join over whole ledgers
# (tally recounts, the missing keys): planned on the statistics of an empty table, one took 15
# minutes, not 60 ms. Once per check, not once per ledger: the window statements probe by key,
# whatever the statistics, and analysing after each of 60 ledgers cost 13 s of a first check
# at ten times the seed.
REPLAN_AFTER_KEYS = 10_000
REPLAN_AFTER_SHARE = 0.1


def _replan_needed(keys_before: int, keys_now: int) -> bool:
    grown = keys_now - keys_before
    return grown > REPLAN_AFTER_KEYS and grown > REPLAN_AFTER_SHARE * keys_before


class GapUnknown(Exception):
    """A column the workflow names is not in the catalog."""


@dataclass(frozen=True)
class _Sources:
    """The ledgers one workflow's gap is counted from."""

    workflow: Workflow
    extracted: GapLedger
    core: GapLedger | None

    @property
    def ledgers(self) -> list[GapLedger]:
        return [self.extracted] if self.core is None else [self.extracted, self.core]


@dataclass(frozen=True)
class _Counted:
    ledger: GapLedger
    upto_id: int  # the table's highest id when the check began; 0 for a table without an id

    @property
    def complete(self) -> bool:
        return self.ledger.counted_through_id >= self.upto_id

    def progress(self) -> str:
        return (f"{self.ledger.source_table} counted through id {self.ledger.counted_through_id:,} "
                f"of {self.upto_id:,}")


def gaps_check(*, workflow_names: list[str] | None = None, store: bool = True, full: bool = False,
               budget_s: float | None = None) -> list[Gap]:
    """Bring the ledgers of every active workflow (or the named ones) up to date and report their
    gaps; with `full`, count them again from scratch and report the drift. Stores snapshots unless
    told not to. With a budget, stops counting when it is spent: a workflow whose ledgers are not
    complete reports how far they got instead of a gap, and the next check continues there."""
    with sql.check_lock():
        return _gaps_check_locked(workflow_names=workflow_names, store=store, full=full, budget_s=budget_s)


def _gaps_check_locked(*, workflow_names: list[str] | None, store: bool, full: bool,
                       budget_s: float | None) -> list[Gap]:
    began = time.monotonic()
    deadline = began + budget_s if budget_s is not None else None
    catalog = catalog_load()
    _ledgers_recover_lost_keys()
    workflows = _checked_workflows()
    if workflow_names:
        workflows = workflows.filter(workflow_name__in=workflow_names)
    sources: dict[str, _Sources] = {}
    gaps: dict[str, Gap] = {}
    for workflow in workflows:
        if not (workflow.key_type and workflow.key_column):
            continue
        try:
            sources[workflow.workflow_name] = _sources(workflow, catalog)
        except GapUnknown as exc:
            gaps[workflow.workflow_name] = Gap(workflow.workflow_name, workflow.coalesces_to_core, 0, None, 0, 0, 0.0,
                                               error=str(exc))
    ledgers = _ledgers_advance(list(sources.values()), catalog, deadline)
    tallies = GapTally.objects.in_bulk(list(sources))
    incremental = {name: _gap(s, ledgers, tallies[name], began) for name, s in sources.items()}
    if full:
        _ledgers_reset(ledgers.values())
        ledgers = _ledgers_advance(list(sources.values()), catalog, deadline)
        tallies = GapTally.objects.in_bulk(list(sources))
    for name, source in sources.items():
        gaps[name] = _gap(source, ledgers, tallies[name], began, replaced=incremental[name] if full else None)
    ordered = [gaps[w.workflow_name] for w in workflows if w.workflow_name in gaps]
    if store:
        _snapshots_store([g for g in ordered if g.error is None])
    return ordered


def checked_workflow_names() -> list[str]:
    """The workflows a gap check measures: active, with an extracted table."""
    return list(_checked_workflows().values_list("workflow_name", flat=True))


def gap_missing_keys(*, workflow_name: str) -> list[str]:
    """The normalised keys in the workflow's extracted table that its core table lacks, sorted."""
    workflow = Workflow.objects.get(workflow_name=workflow_name)
    (gap,) = gaps_check(workflow_names=[workflow_name], store=False)
    if gap.error:
        raise GapUnknown(gap.error)
    tally = GapTally.objects.get(workflow=workflow)
    return sql.missing_keys(ledger_id=tally.extracted_ledger_id, core_ledger_id=tally.core_ledger_id)


def _checked_workflows() -> QuerySet[Workflow]:
    return Workflow.objects.filter(is_active=True).exclude(extracted_table=None).order_by("workflow_name")


def _sources(workflow: Workflow, catalog: Catalog) -> _Sources:
    table, key_column, key_type = workflow.key_source
    if not catalog.has_column(table, key_column):
        raise GapUnknown(f"{table}.{key_column} does not exist")
    filled = workflow.coalesce_when_filled or ""
    if filled and not catalog.has_column(table, filled):
        raise GapUnknown(f"{table}.{filled} does not exist")
    extracted = _ledger(table, key_column, key_type, GapLedger.Role.EXTRACTED, filled=filled)
    core, column = workflow.core_table, workflow.core_lookup_column
    core_ledger = None
    if core and column and catalog.has_column(core, column):
        link = workflow.core_source_column or ""
        if link and not catalog.has_column(core, link):
            raise GapUnknown(f"{core}.{link} does not exist")
        core_ledger = _ledger(core, column, key_type, GapLedger.Role.CORE, link=link)
    _tally_point(workflow, extracted, core_ledger)
    return _Sources(workflow, extracted, core_ledger)


def _ledger(table: str, column: str, entity_type: str, role: str, *, filled: str = "", link: str = "") -> GapLedger:
    ledger, _ = GapLedger.objects.get_or_create(source_table=table, key_column=column, filled_column=filled,
                                                link_column=link, entity_type=entity_type, role=role)
    return ledger


def _tally_point(workflow: Workflow, extracted: GapLedger, core: GapLedger | None) -> None:
    """A workflow whose tables changed in the registry is counted again against its new ledgers."""
    tally, created = GapTally.objects.get_or_create(workflow=workflow, defaults={
        "extracted_ledger": extracted, "core_ledger": core})
    if not created and (tally.extracted_ledger_id, tally.core_ledger_id) != (extracted.pk, core and core.pk):
        tally.extracted_ledger, tally.core_ledger, tally.stale = extracted, core, True
        tally.save()


def _ledgers_advance(sources: Collection[_Sources], catalog: Catalog,
                     deadline: float | None) -> dict[int, _Counted]:
    """Count every ledger the sources need up to its table's current highest id, or as far as
    the deadline allows."""
    ledgers: dict[int, _Counted] = {}
    replan = False
    for source in sources:
        for ledger in source.ledgers:
            if ledger.pk not in ledgers:
                keys_before = ledger.keys + ledger.invalid_keys
                has_id = catalog.has_column(ledger.source_table, "id")
                ledgers[ledger.pk] = counted = _ledger_advance(ledger, has_id=has_id, deadline=deadline)
                replan |= _replan_needed(keys_before, counted.ledger.keys + counted.ledger.invalid_keys)
    complete = [source.workflow.workflow_name for source in sources
                if all(ledgers[ledger.pk].complete for ledger in source.ledgers)]
    _tallies_recount(complete, replan=replan)
    return ledgers


def _ledger_advance(ledger: GapLedger, *, has_id: bool, deadline: float | None) -> _Counted:
    # A reset or another check may have moved its mark since it was read: the weekly recount
    # resets the ledgers, and one without an id compared its stale count with the table's
    # changes, skipped the recount and reported every extracted key missing from core.
    ledger.refresh_from_db()
    if not has_id:
        return _Counted(_ledger_count_whole(ledger), 0)
    upto = sql.highest_id(table=ledger.source_table)
    while ledger.counted_through_id < upto and (deadline is None or time.monotonic() < deadline):
        # A large backlog (first check, full recount) repeats its keys across windows: large
        # windows read each spelling once and insert each key once instead of updating it.
        backlog = upto - ledger.counted_through_id > 10 * settings.GAP_WINDOW_ROWS
        rows = settings.GAP_RECOUNT_WINDOW_ROWS if backlog else settings.GAP_WINDOW_ROWS
        end = sql.window_end(table=ledger.source_table, after_id=ledger.counted_through_id, upto_id=upto, rows=rows)
        ledger = _window_count(ledger.pk, after_id=ledger.counted_through_id, upto_id=end)
    return _Counted(ledger, upto)


def _ledger_count_whole(ledger: GapLedger) -> GapLedger:
    """A table without an id has no mark to keep: it is counted whole again, but only once
    PostgreSQL's statistics show it changed since the last count."""
    changes = sql.table_changes(table=ledger.source_table)
    if changes is not None and changes == ledger.changes_counted:
        return ledger
    _ledgers_reset([ledger], vacuum=False)
    ledger = _window_count(ledger.pk, after_id=None, upto_id=None)
    GapLedger.objects.filter(pk=ledger.pk).update(changes_counted=-1 if changes is None else changes)
    return ledger


def _window_count(ledger_id: int, *, after_id: int | None, upto_id: int | None) -> GapLedger:
    """Fold one window of rows into a ledger and the tallies that read it, in one transaction.
    A check killed between windows resumes from the last committed mark."""
    with transaction.atomic():
        sql.window_lock()
        ledger = GapLedger.objects.select_for_update().get(pk=ledger_id)
        if after_id is not None and ledger.counted_through_id != after_id:
            return ledger  # another check counted this window meanwhile
        sql.window_stage(table=ledger.source_table, column=ledger.key_column, entity_type=ledger.entity_type,
                         filled=ledger.filled_column, after_id=after_id, upto_id=upto_id)
        sql.window_decide((raw, entity_key_or_none(entity_type=ledger.entity_type, raw=raw))
                          for raw in sql.window_undecided())
        valid_rows, invalid_rows = sql.window_fold()
        new_keys, new_invalid = sql.ledger_add_window(ledger_id=ledger.pk,
                                                      key_rows=ledger.role == GapLedger.Role.EXTRACTED)
        for tally in GapTally.objects.filter(extracted_ledger=ledger, stale=False):
            sql.tally_add_extracted(tally_workflow=tally.workflow_id, core_ledger_id=tally.core_ledger_id)
        # A workflow whose core ledger is its extracted ledger never has a gap: nothing to remove.
        for tally in GapTally.objects.filter(core_ledger=ledger, stale=False).exclude(extracted_ledger=ledger):
            sql.tally_remove_reached(tally_workflow=tally.workflow_id, extracted_ledger_id=tally.extracted_ledger_id)
        if ledger.link_column:
            ledger.linked_rows += sql.window_linked_rows(table=ledger.source_table, link_column=ledger.link_column,
                                                         after_id=after_id, upto_id=upto_id)
        ledger.keys += new_keys
        ledger.invalid_keys += new_invalid
        ledger.rows += valid_rows
        ledger.invalid_rows += invalid_rows
        ledger.counted_through_id = upto_id or 0
        ledger.counted_at = timezone.now()
        ledger.save()
    return ledger


def _ledgers_reset(ledgers: Iterable[GapLedger | _Counted], *, vacuum: bool = True) -> None:
    """Forget what the ledgers counted; every tally that reads one is recomputed after. When that
    is every ledger (the weekly recount), the keys go by TRUNCATE: deleting 23 million keys one
    by one, then vacuuming them away, cost minutes of a recount at ten times the seed."""
    chosen = [counted.ledger if isinstance(counted, _Counted) else counted for counted in ledgers]
    with transaction.atomic():
        sql.window_lock()
        everything = set(GapLedger.objects.values_list("pk", flat=True)) <= {ledger.pk for ledger in chosen}
        if everything:
            sql.ledger_keys_truncate()
        for ledger in chosen:
            if not everything:
                sql.ledger_keys_delete(ledger_id=ledger.pk)
            GapLedger.objects.filter(pk=ledger.pk).update(
                counted_through_id=0, changes_counted=-1, keys=0, rows=0, invalid_keys=0, invalid_rows=0, linked_rows=0,
                recounted_at=timezone.now())
            GapTally.objects.filter(Q(extracted_ledger=ledger) | Q(core_ledger=ledger)).update(stale=True)
            ledger.counted_through_id = 0
    if vacuum and not everything and not connection.in_atomic_block:  # VACUUM cannot run inside a transaction
        sql.ledger_keys_vacuum()


def _ledgers_recover_lost_keys() -> None:
    """Ledgers whose keys the server lost in a crash (the keys table is unlogged) start over."""
    with transaction.atomic():
        sql.window_lock()
        if sql.ledger_keys_lost():
            logger.warning("the gap ledgers' keys were lost in a server crash: counting them again from scratch")
            _ledgers_reset(list(GapLedger.objects.all()))


def _tallies_recount(workflow_names: list[str], *, replan: bool) -> None:
    stale = list(GapTally.objects.filter(workflow_id__in=workflow_names, stale=True))
    if stale or replan:  # the ledgers changed wholesale: plan the anti-joins on what they hold now
        sql.ledger_keys_analyse()
    for tally in stale:
        with transaction.atomic():
            sql.window_lock()
            tally.missing_keys, tally.missing_rows = sql.tally_recount(
                ledger_id=tally.extracted_ledger_id, core_ledger_id=tally.core_ledger_id)
            tally.stale = False
            tally.save()


def _gap(source: _Sources, ledgers: dict[int, _Counted], tally: GapTally, began: float, *,
         replaced: Gap | None = None) -> Gap:
    counted = [ledgers[ledger.pk] for ledger in source.ledgers]
    if not all(c.complete for c in counted):
        unfinished = "; ".join(c.progress() for c in counted if not c.complete)
        return Gap(source.workflow.workflow_name, source.workflow.coalesces_to_core, 0, None, 0, 0,
                   time.monotonic() - began, error=f"still counting ({unfinished}); the next check continues")
    extracted = ledgers[source.extracted.pk].ledger
    core = ledgers[source.core.pk].ledger if source.core else None
    if core is not None and core.link_column:
        waiting = max(0, extracted.rows + extracted.invalid_rows - core.linked_rows)
    else:
        waiting = tally.missing_rows + extracted.invalid_rows
    gap = Gap(source.workflow.workflow_name, source.workflow.coalesces_to_core, extracted.keys,
              core.keys if core else None, tally.missing_keys, extracted.invalid_keys, time.monotonic() - began,
              rows_waiting=waiting, full_recount=replaced is not None)
    if replaced is not None and replaced.error is None:
        gap.drift_keys, gap.drift_rows = gap.gap - replaced.gap, gap.rows_waiting - replaced.rows_waiting
    return gap


def _snapshots_store(gaps: list[Gap]) -> None:
    now = timezone.now()
    with transaction.atomic():
        GapSnapshot.objects.bulk_create([
            GapSnapshot(workflow_id=g.workflow, checked_at=now, coalesces_to_core=g.coalesces_to_core,
                        keys_in_extracted=g.keys_in_extracted, keys_in_core=g.keys_in_core, gap=g.gap,
                        invalid_keys=g.invalid_keys, rows_waiting=g.rows_waiting, full_recount=g.full_recount,
                        drift_keys=g.drift_keys, drift_rows=g.drift_rows, seconds=g.seconds) for g in gaps])
