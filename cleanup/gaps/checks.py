"""Coalescing gaps (seed Phase 4, the `reference.coalescing_gaps` view made real): for each
active workflow, the distinct entities in its extracted table, in its core table, and those
in extracted that core lacks. Keys are normalised in Python, the one normaliser, because
both sides store spellings (`https://www.X.com/` in extracted, `X.com` in core). Workflows
that do not coalesce report all their extracted entities as the gap: the data that never
reaches core ("Gap identified!" in the seed). Each check is stored as a snapshot."""

import time
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from cleanup.gaps import sql
from cleanup.gaps.models import GapSnapshot
from kernel import InvalidEntityKey, normalise_entity_key
from registry.catalog import Catalog, catalog_load
from registry.models import Workflow


@dataclass
class Gap:
    workflow: str
    coalesces_to_core: bool
    keys_in_extracted: int
    keys_in_core: int | None
    gap: int
    invalid_keys: int
    seconds: float
    error: str | None = None


def gaps_check(*, workflow_names: list[str] | None = None, store: bool = True) -> list[Gap]:
    """Compute every active workflow's gap (or the named ones'); store snapshots unless told not to."""
    catalog = catalog_load()
    workflows = _checked_workflows()
    if workflow_names:
        workflows = workflows.filter(workflow_name__in=workflow_names)
    normalised: dict[tuple[str, str], tuple[set[str], int]] = {}  # a table read once per check
    gaps = [_gap(w, catalog, normalised) for w in workflows if w.key_type and w.key_column]
    if store:
        _snapshots_store([g for g in gaps if g.error is None])
    return gaps


def checked_workflow_names() -> list[str]:
    """The workflows a gap check measures: active, with an extracted table."""
    return list(_checked_workflows().values_list("workflow_name", flat=True))


def _checked_workflows() -> QuerySet[Workflow]:
    return Workflow.objects.filter(is_active=True).exclude(extracted_table=None).order_by("workflow_name")


def _gap(workflow: Workflow, catalog: Catalog, cache: dict) -> Gap:
    began = time.monotonic()
    try:
        extracted, core_keys, invalid = _key_sets(workflow, catalog, cache)
    except GapUnknown as exc:
        return Gap(workflow.workflow_name, workflow.coalesces_to_core, 0, None, 0, 0, 0.0, error=str(exc))
    missing = len(extracted - core_keys) if core_keys is not None else len(extracted)
    return Gap(workflow.workflow_name, workflow.coalesces_to_core, len(extracted),
               len(core_keys) if core_keys is not None else None, missing, invalid, time.monotonic() - began)


class GapUnknown(Exception):
    """The workflow's extracted key column is not in the catalog."""


def gap_missing_keys(*, workflow_name: str) -> list[str]:
    """The normalised keys in the workflow's extracted table that its core table lacks, sorted."""
    workflow = Workflow.objects.get(workflow_name=workflow_name)
    extracted, core_keys, _ = _key_sets(workflow, catalog_load(), {})
    return sorted(extracted - (core_keys or set()))


def _key_sets(workflow: Workflow, catalog: Catalog, cache: dict) -> tuple[set[str], set[str] | None, int]:
    """(keys in extracted, keys in core or None without a core table, invalid extracted keys)."""
    if not catalog.has_column(workflow.extracted_table, workflow.key_column):
        raise GapUnknown(f"{workflow.extracted_table}.{workflow.key_column} does not exist")
    table, key_column, key_type = workflow.key_source
    filled = workflow.coalesce_when_filled
    if filled and not catalog.has_column(table, filled):
        raise GapUnknown(f"{table}.{filled} does not exist")
    extracted, invalid = _keys(table, key_column, key_type, cache, filled=filled)
    column = workflow.core_lookup_column
    if workflow.core_table and column and catalog.has_column(workflow.core_table, column):
        return extracted, _keys(workflow.core_table, column, key_type, cache)[0], invalid
    return extracted, None, invalid


def _keys(table: str, column: str, entity_type: str, cache: dict, *, filled: str | None = None
          ) -> tuple[set[str], int]:
    if (table, column, filled) not in cache:
        keys, invalid = set(), 0
        for raw in sql.distinct_keys(table=table, column=column, filled=filled):
            try:
                keys.add(normalise_entity_key(entity_type=entity_type, raw=raw))
            except InvalidEntityKey:
                invalid += 1
        cache[(table, column, filled)] = (keys, invalid)
    return cache[(table, column, filled)]


def _snapshots_store(gaps: list[Gap]) -> None:
    now = timezone.now()
    with transaction.atomic():
        GapSnapshot.objects.bulk_create([
            GapSnapshot(workflow_id=g.workflow, checked_at=now, coalesces_to_core=g.coalesces_to_core,
                        keys_in_extracted=g.keys_in_extracted, keys_in_core=g.keys_in_core, gap=g.gap,
                        invalid_keys=g.invalid_keys, seconds=g.seconds) for g in gaps])
