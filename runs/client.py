"""Report enrichment runs to enrichhub from an ingest function. Standard library only:
copy this file into the ingest repository, or install enrichhub and import it.

    from runs.client import report_run, track_enrichment

    with track_enrichment("company_discovery", "ironclad.com", source="clay") as run:
        rows = fetch_and_store(...)
        run.records_processed = len(rows)

    @track_enrichment("person_profile", lambda payload: payload["linkedin_url"], source="clay")
    def ingest_person_profile(payload): ...   # may return an int, or a dict with "records_processed"

    report_run("company_funding", "ironclad.com", "completed", source="clay", records_processed=3)

Events are batched: a background thread sends them as `{"events": [...]}`, up to
`batch_size` at a time or every `flush_interval` seconds, and whatever is left is flushed
when the process exits. Reporting never breaks or stalls the ingest: queuing an event never
blocks, a flush never waits longer than the reporter's timeout, a batch that cannot be sent
is retried with backoff and then logged, and the ingest's own exception, if any, is
re-raised unchanged.
"""

import atexit
import functools
import json
import logging
import os
import threading
import time
import urllib.error
import urllib.request
import weakref
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Literal

logger = logging.getLogger("enrichhub.client")

DEFAULT_TIMEOUT_SECONDS = 5.0
DEFAULT_ATTEMPTS = 3
DEFAULT_BACKOFF_SECONDS = 0.5
DEFAULT_BATCH_SIZE = 200  # the API takes up to 1,000 events a request
DEFAULT_FLUSH_INTERVAL_SECONDS = 1.0
DEFAULT_MAX_PENDING = 50_000  # about 20 MB of events held while enrichhub is unreachable
_PERMANENT = {400, 401, 403, 404, 413, 422}  # retrying would get the same answer


class Reporter:
    """Sends run events to POST /api/enrichment/runs, batched by a background thread."""

    def __init__(self, base_url: str | None = None, api_key: str | None = None, *,
                 timeout: float = DEFAULT_TIMEOUT_SECONDS, attempts: int = DEFAULT_ATTEMPTS,
                 backoff: float = DEFAULT_BACKOFF_SECONDS, batch_size: int = DEFAULT_BATCH_SIZE,
                 flush_interval: float = DEFAULT_FLUSH_INTERVAL_SECONDS,
                 max_pending: int = DEFAULT_MAX_PENDING) -> None:
        self.base_url = (base_url or os.environ.get("ENRICHHUB_URL", "http://127.0.0.1:8000")).rstrip("/")
        self.api_key = api_key or os.environ.get("ENRICHHUB_API_KEY", "")
        self.timeout, self.attempts, self.backoff = timeout, attempts, backoff
        self.batch_size, self.flush_interval, self.max_pending = batch_size, flush_interval, max_pending
        self.sent = self.refused = self.dropped = 0  # events, for the ingest's own logs and tests
        self.requests = 0
        self._pending: deque[dict[str, Any]] = deque()
        self._in_flight = 0
        self._flush_wanted = False
        self._closing = False
        self._changed = threading.Condition()
        self._worker: threading.Thread | None = None
        _live_reporters.add(self)

    def report(self, event: dict[str, Any]) -> None:
        """Queue one event; returns at once. When `max_pending` events wait already (enrichhub
        unreachable for long), the oldest is dropped and counted rather than grow without end."""
        with self._changed:
            if len(self._pending) >= self.max_pending:
                self._pending.popleft()
                self.dropped += 1
                if self.dropped == 1 or self.dropped % 1000 == 0:
                    logger.warning("enrichhub unreachable: %d run events dropped so far", self.dropped)
            self._pending.append(event)
            self._worker_start()
            if len(self._pending) >= self.batch_size:
                self._changed.notify_all()

    def report_run(self, workflow_name: str, entity_key: str, status: str, **fields: Any) -> None:
        """Queue the event of one run: `status` is running, completed or failed; `fields` may
        hold entity_type, source, records_processed, credits_spent, error and at."""
        self.report(run_event(workflow_name, entity_key, status, **fields))

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every event queued so far was sent or given up, at most `timeout`
        seconds (the reporter's own timeout by default). True when all of them reached
        enrichhub; events it refused are logged, and count as delivered."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        with self._changed:
            dropped_before = self.dropped
            self._flush_wanted = True
            self._changed.notify_all()
            drained = self._changed.wait_for(lambda: not self._pending and not self._in_flight,
                                              timeout=max(0.0, deadline - time.monotonic()))
            self._flush_wanted = False
            return drained and self.dropped == dropped_before

    def close(self, timeout: float | None = None) -> bool:
        """Flush, then stop the background thread; later events start a new one."""
        delivered = self.flush(timeout)
        with self._changed:
            self._closing = True
            self._changed.notify_all()
        if self._worker is not None:
            self._worker.join(timeout=self.timeout if timeout is None else timeout)
        return delivered

    def send(self, event: dict[str, Any]) -> bool:
        """Send one event now, without the queue. True when enrichhub accepted it. Never raises."""
        return self._post([event])

    def _worker_start(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            self._closing = False
            self._worker = threading.Thread(target=self._send_forever, name="enrichhub-reporter", daemon=True)
            self._worker.start()

    def _send_forever(self) -> None:
        while True:
            batch = self._next_batch()
            if not batch:
                return  # closed
            delivered = self._post(batch)
            with self._changed:
                self._in_flight = 0
                if not delivered:
                    # Kept for the next try, unless the ingest is waiting to exit: a flush is bounded.
                    kept = 0 if self._flush_wanted or self._closing else max(0, self.max_pending - len(self._pending))
                    self._pending.extendleft(reversed(batch[:kept]))
                    self.dropped += len(batch) - min(kept, len(batch))
                self._changed.notify_all()
                if not delivered and not self._closing:
                    self._changed.wait(timeout=self.backoff)

    def _next_batch(self) -> list[dict[str, Any]]:
        """The next batch to send; empty once the reporter is closed and nothing waits."""
        with self._changed:
            self._changed.wait_for(lambda: bool(self._pending) or self._closing)
            if self._closing and not self._pending:
                return []
            if len(self._pending) < self.batch_size and not self._flush_wanted:
                # Let a batch fill for a moment; a flush or a full batch cuts the wait short.
                self._changed.wait_for(lambda: len(self._pending) >= self.batch_size or self._flush_wanted,
                                       timeout=self.flush_interval)
            batch = [self._pending.popleft() for _ in range(min(self.batch_size, len(self._pending)))]
            self._in_flight = len(batch)
            return batch

    def _post(self, events: list[dict[str, Any]]) -> bool:
        """True when enrichhub answered (the events are recorded, or refused for good)."""
        body = json.dumps({"events": events}, default=str).encode()
        request = urllib.request.Request(f"{self.base_url}/api/enrichment/runs", data=body, method="POST",
                                         headers={"Content-Type": "application/json", "X-API-Key": self.api_key})
        reason = "not tried"
        for attempt in range(1, self.attempts + 1):
            try:
                self.requests += 1
                with urllib.request.urlopen(request, timeout=self.timeout):
                    self.sent += len(events)
                    return True
            except urllib.error.HTTPError as exc:
                if exc.code in _PERMANENT:
                    self._log_refusal(exc, events)
                    return exc.code == 422  # the valid items of a 422 batch were recorded
                reason = f"HTTP {exc.code}"
            except (urllib.error.URLError, OSError, ValueError) as exc:
                reason = str(getattr(exc, "reason", exc))
            if attempt < self.attempts:
                time.sleep(self.backoff * 2 ** (attempt - 1))
        logger.warning("could not report %d run events to %s after %d attempts: %s", len(events), self.base_url,
                       self.attempts, reason)
        return False

    def _log_refusal(self, exc: urllib.error.HTTPError, events: list[dict[str, Any]]) -> None:
        detail = exc.read(4000).decode("utf-8", "replace")
        try:
            rejected = json.loads(detail).get("rejected") or []
        except (ValueError, AttributeError):
            rejected = []
        refused = len(rejected) if exc.code == 422 and rejected else len(events)
        self.refused += refused
        self.sent += len(events) - refused
        logger.warning("enrichhub refused %d of %d run events (%s): %s", refused, len(events), exc.code, detail[:500])


# Every reporter flushes at exit, bounded by its timeout, so a short-lived ingest process
# does not lose the events of its last second.
_live_reporters: "weakref.WeakSet[Reporter]" = weakref.WeakSet()


@atexit.register
def _flush_all_at_exit() -> None:
    for reporter in list(_live_reporters):
        if reporter._pending or reporter._in_flight:
            dropped_before, waiting = reporter.dropped, len(reporter._pending) + reporter._in_flight
            if not reporter.flush():
                lost = reporter.dropped - dropped_before + len(reporter._pending) + reporter._in_flight
                logger.warning("exiting with %d of %d run events not delivered to %s", lost, waiting,
                               reporter.base_url)


_default_reporter: Reporter | None = None
_default_lock = threading.Lock()


def default_reporter() -> Reporter:
    """One reporter per process, from ENRICHHUB_URL and ENRICHHUB_API_KEY, so that the events
    of every ingest function in the process share batches."""
    global _default_reporter
    with _default_lock:
        if _default_reporter is None:
            _default_reporter = Reporter()
        return _default_reporter


def report_run(workflow_name: str, entity_key: str, status: str, **fields: Any) -> None:
    """Queue a run event on the process's reporter (see `Reporter.report_run`)."""
    default_reporter().report_run(workflow_name, entity_key, status, **fields)


def run_event(workflow_name: str, entity_key: str, status: str, *, entity_type: str | None = None,
              **fields: Any) -> dict[str, Any]:
    """The API's event body; the entity type is guessed from the key when not given."""
    key = str(entity_key)
    event = {"workflow_name": workflow_name, "entity_key": key, "status": status,
             "entity_type": entity_type or ("person" if "linkedin.com/in/" in key.lower() else "company"),
             "at": datetime.now(UTC).isoformat(), **fields}
    return {name: value for name, value in event.items() if value is not None}


class track_enrichment:  # noqa: N801 -- used as a decorator and a context manager, like contextlib's
    """Report one enrichment: running on entry, completed/failed on exit."""

    def __init__(self, workflow: str, entity_key: str | Callable[..., str], source: str | None = None, *,
                 entity_type: str | None = None, reporter: Reporter | None = None) -> None:
        self.workflow, self.entity_key, self.source = workflow, entity_key, source
        self.entity_type = entity_type
        self.reporter = reporter
        self.records_processed: int | None = None
        self.credits_spent: float | None = None

    def __enter__(self) -> "track_enrichment":
        self._report("running")
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> Literal[False]:
        if exc is None:
            self._report("completed")
        else:
            self._report("failed", error=f"{type(exc).__name__}: {exc}"[:2000])
        return False  # the ingest's exception propagates unchanged

    def __call__(self, function: Callable) -> Callable:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = self.entity_key(*args, **kwargs) if callable(self.entity_key) else self.entity_key
            with track_enrichment(self.workflow, key, self.source, entity_type=self.entity_type,
                                  reporter=self.reporter) as run:
                result = function(*args, **kwargs)
                run.records_processed = _records_in(result)
                return result
        return wrapper

    def _report(self, status: str, error: str | None = None) -> None:
        reporter = self.reporter or default_reporter()
        reporter.report_run(self.workflow, str(self.entity_key), status, entity_type=self.entity_type,
                            source=self.source, records_processed=self.records_processed,
                            credits_spent=self.credits_spent, error=error)


def _records_in(result: Any) -> int | None:
    if isinstance(result, bool):
        return None
    if isinstance(result, int):
        return result
    if isinstance(result, dict) and isinstance(result.get("records_processed"), int):
        return result["records_processed"]
    return None
