"""Writes of the runs app: recording run events, API keys, re-enrichment requests."""

import hashlib
import hmac
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from pydantic import ValidationError

from kernel import InvalidEntityKey, ProcessCache, normalise_entity_key
from registry.models import Workflow
from runs.models import ApiKey, Run
from runs.schemas import RunEventIn
from runs.sql import events as sql
from runs.sql import tallies

# Clocks of ingest machines drift; an event far in the future would shadow every real one.
MAX_CLOCK_SKEW = timedelta(minutes=5)
# No enrichment of the warehouse ran before this; an earlier time is a client's bug (year 1 once
# reached the table as a BC timestamp).
EARLIEST_EVENT_AT = datetime(2000, 1, 1, tzinfo=UTC)
API_KEY_PREFIX = "ehk_"
# Writing last_used_at on every request would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# The key lookup was a fifth of a status request's cost; the active keys are trusted this long, in
# Django's cache: each process's own memory, or Redis shared by every web server.
AUTH_CACHE_SECONDS = 2.0
ACTIVE_KEYS_ENTRY = "api-keys-active"


@dataclass(frozen=True)
class EventRejection:
    index: int
    field: str | None
    error: str


@dataclass(frozen=True)
class EventResult:
    index: int
    workflow_name: str
    entity_key: str
    outcome: str  # "applied" | "ignored"


@dataclass(frozen=True)
class RecordingReport:
    received: int
    results: list[EventResult]
    rejected: list[EventRejection]


def run_events_record(*, items: list[Any], received_at: datetime | None = None) -> RecordingReport:
    """Validate each item on its own and record the valid ones; one bad item never
    costs the others. Idempotent and order-safe (see runs.sql.events)."""
    now = received_at or timezone.now()
    workflows = {w.workflow_name: w for w in Workflow.objects.all()}
    valid: list[tuple[int, sql.EventRow]] = []
    rejected: list[EventRejection] = []
    for index, item in enumerate(items):
        row_or_rejection = _event_validate(index, item, workflows=workflows, now=now)
        if isinstance(row_or_rejection, EventRejection):
            rejected.append(row_or_rejection)
        else:
            valid.append((index, row_or_rejection))
    return RecordingReport(received=len(items), results=_events_apply(valid), rejected=rejected)


def _event_validate(index: int, item: Any, *, workflows: dict[str, Workflow],
                    now: datetime) -> sql.EventRow | EventRejection:
    try:
        event = RunEventIn.model_validate(item)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        return EventRejection(index, field, first["msg"])
    workflow = workflows.get(event.workflow_name)
    if workflow is None:
        return EventRejection(index, "workflow_name", f"unknown workflow {event.workflow_name!r}")
    if not workflow.is_active:
        return EventRejection(index, "workflow_name", f"workflow {event.workflow_name!r} is inactive")
    if workflow.key_type and workflow.key_type != event.entity_type:
        return EventRejection(index, "entity_type",
                              f"workflow {workflow.workflow_name!r} enriches {workflow.key_type} entities, "
                              f"not {event.entity_type}")
    try:
        key = normalise_entity_key(entity_type=event.entity_type, raw=event.entity_key)
    except InvalidEntityKey as exc:
        return EventRejection(index, "entity_key", str(exc))
    at = _aware(event.at) if event.at else now
    if at > now + MAX_CLOCK_SKEW:
        return EventRejection(index, "at", f"{at.isoformat()} is in the future")
    if at < EARLIEST_EVENT_AT:
        return EventRejection(index, "at", f"{at.isoformat()} is before {EARLIEST_EVENT_AT:%Y-%m-%d}: "
                                           "no enrichment ran then; send the time it happened, or none")
    return sql.EventRow(workflow_name=workflow.workflow_name, entity_key=key, entity_type=event.entity_type,
                        status=event.status, records_processed=event.records_processed, at=at,
                        source=event.source, error=event.error, credits_spent=event.credits_spent)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _events_apply(valid: list[tuple[int, sql.EventRow]]) -> list[EventResult]:
    """Rounds of at most one event per (workflow, entity), oldest first: one INSERT cannot
    touch the same row twice, and applying in time order keeps attempts counted right."""
    by_pair: dict[tuple[str, str], list[tuple[int, sql.EventRow]]] = defaultdict(list)
    for index, row in valid:
        by_pair[(row.workflow_name, row.entity_key)].append((index, row))
    queues = [sorted(events, key=lambda e: (e[1].at, _STAGE[e[1].status])) for events in by_pair.values()]
    results: list[EventResult] = []
    with transaction.atomic():
        for round_number in range(max((len(q) for q in queues), default=0)):
            round_events = [q[round_number] for q in queues if len(q) > round_number]
            changed = sql.events_upsert(rows=[row for _, row in round_events])
            results += [EventResult(index, row.workflow_name, row.entity_key,
                                    "applied" if (row.workflow_name, row.entity_key) in changed else "ignored")
                        for index, row in round_events]
    return sorted(results, key=lambda r: r.index)


_STAGE = {"pending": 0, "running": 1, "failed": 2, "completed": 3}


def runs_mark_pending(*, runs: QuerySet[Run]) -> int:
    """Ask for re-enrichment of failed runs; other statuses are left alone. Returns how many."""
    return runs.filter(status=Run.Status.FAILED).update(
        status=Run.Status.PENDING, last_event_at=timezone.now(), updated_at=timezone.now())


def run_tallies_fold() -> int:
    """Bring the per-workflow tallies up to date with the runs; returns the groups changed."""
    with transaction.atomic():
        return tallies.tally_fold()


def run_tallies_recount() -> None:
    """Rebuild the tallies from every run. Only a deleted run's latest event can leave a tally
    behind the runs (a maximum cannot be taken back), so this is for repairs, not a schedule."""
    with transaction.atomic():
        tallies.tally_recount()


def api_key_create(*, name: str, created_by: Any = None) -> tuple[ApiKey, str]:
    """Create a key; returns it with the plain key, which is not stored and cannot be shown again."""
    prefix = API_KEY_PREFIX + secrets.token_hex(4)
    plain = f"{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(name=name, prefix=prefix, key_hash=_digest(plain), created_by=created_by)
    # Usable at once on every server; again at commit, in case a request read the keys before it.
    api_keys_trust_revoke()
    transaction.on_commit(api_keys_trust_revoke)
    return key, plain


def api_key_prefix(plain: str) -> str:
    """The public part of a key (ehk_<hex>), or "" when `plain` does not have a key's shape."""
    parts = plain.split("_", 2)  # ehk, the public hex part, the secret (which may hold "_")
    return f"{parts[0]}_{parts[1]}" if len(parts) == 3 and f"{parts[0]}_" == API_KEY_PREFIX else ""


def api_key_authenticate(*, plain: str) -> ApiKey | None:
    """The active key matching `plain`, or None.

    The active keys are read once per AUTH_CACHE_SECONDS, whatever is presented: a flood of
    wrong keys costs no database work. A deactivation through enrichhub applies at once where
    the cache is shared (Redis), and in the deactivating process otherwise; other processes
    follow within that time.
    """
    key = _active_keys().get(api_key_prefix(plain))
    if key is None or not hmac.compare_digest(key.key_hash, _digest(plain)):
        return None
    _last_used_record(key)
    return key


# When this process last recorded each key's use: the shared cache is asked at most once a
# minute per key and process, not on every request.
_LAST_USED_NOTED: ProcessCache[int, bool] = ProcessCache()


def _last_used_record(key: ApiKey) -> None:
    resolution = LAST_USED_RESOLUTION.total_seconds()
    if _LAST_USED_NOTED.get(key.pk, max_age_s=resolution):
        return
    _LAST_USED_NOTED.put(key.pk, True)
    if cache.add(f"api-key-used:{key.pk}", 1, timeout=resolution):  # one writer across servers
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())


def _active_keys() -> dict[str, ApiKey]:
    keys = cache.get(ACTIVE_KEYS_ENTRY)
    if keys is None:
        keys = {key.prefix: key for key in ApiKey.objects.filter(is_active=True)}
        cache.set(ACTIVE_KEYS_ENTRY, keys, timeout=AUTH_CACHE_SECONDS)
    return keys


def api_keys_deactivate(*, keys: QuerySet[ApiKey]) -> int:
    """Deactivate the active ones among `keys`; refused at once by every web server sharing the
    cache, by the others within AUTH_CACHE_SECONDS. Returns how many were active."""
    active = list(keys.filter(is_active=True))
    ApiKey.objects.filter(pk__in=[key.pk for key in active]).update(is_active=False)
    api_keys_trust_revoke()
    return len(active)


def api_keys_trust_revoke() -> None:
    """Forget the active keys read: the next request asks the database."""
    cache.delete(ACTIVE_KEYS_ENTRY)


def _digest(plain: str) -> str:
    # The keys are 256 random bits: a fast hash is enough, no password-style stretching.
    return hashlib.sha256(plain.encode()).hexdigest()
