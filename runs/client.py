"""Report enrichment runs to enrichhub from an ingest function. Standard library only:
copy this file into the ingest repository, or install enrichhub and import it.

    from runs.client import track_enrichment

    with track_enrichment("company_discovery", "ironclad.com", source="clay") as run:
        rows = fetch_and_store(...)
        run.records_processed = len(rows)

    @track_enrichment("person_profile", lambda payload: payload["linkedin_url"], source="clay")
    def ingest_person_profile(payload): ...   # may return an int, or a dict with "records_processed"

`running` is reported on entry, `completed` or `failed` on exit. Reporting never breaks the
ingest: a failed report is retried with backoff and then logged, and the ingest's own
exception, if any, is re-raised unchanged.
"""

import functools
import json
import logging
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Literal

logger = logging.getLogger("enrichhub.client")

DEFAULT_TIMEOUT_SECONDS = 5.0
DEFAULT_ATTEMPTS = 3
DEFAULT_BACKOFF_SECONDS = 0.5
_PERMANENT = {400, 401, 403, 404, 413, 422}  # retrying would get the same answer


class Reporter:
    """Sends run events to POST /api/enrichment/runs."""

    def __init__(self, base_url: str | None = None, api_key: str | None = None, *,
                 timeout: float = DEFAULT_TIMEOUT_SECONDS, attempts: int = DEFAULT_ATTEMPTS,
                 backoff: float = DEFAULT_BACKOFF_SECONDS) -> None:
        self.base_url = (base_url or os.environ.get("ENRICHHUB_URL", "http://127.0.0.1:8000")).rstrip("/")
        self.api_key = api_key or os.environ.get("ENRICHHUB_API_KEY", "")
        self.timeout, self.attempts, self.backoff = timeout, attempts, backoff

    def send(self, event: dict[str, Any]) -> bool:
        """True when enrichhub recorded the event; False (and a log line) otherwise. Never raises."""
        body = json.dumps(event, default=str).encode()
        request = urllib.request.Request(f"{self.base_url}/api/enrichment/runs", data=body, method="POST",
                                         headers={"Content-Type": "application/json", "X-API-Key": self.api_key})
        for attempt in range(1, self.attempts + 1):
            try:
                with urllib.request.urlopen(request, timeout=self.timeout):
                    return True
            except urllib.error.HTTPError as exc:
                detail = exc.read(500).decode("utf-8", "replace")
                if exc.code in _PERMANENT:
                    logger.warning("enrichhub refused run event (%s): %s", exc.code, detail)
                    return False
                reason = f"HTTP {exc.code}"
            except (urllib.error.URLError, OSError, ValueError) as exc:
                reason = str(getattr(exc, "reason", exc))
            if attempt < self.attempts:
                time.sleep(self.backoff * 2 ** (attempt - 1))
        logger.warning("could not report run event to %s after %d attempts: %s", self.base_url, self.attempts, reason)
        return False


class track_enrichment:  # noqa: N801 -- used as a decorator and a context manager, like contextlib's
    """Report one enrichment: running on entry, completed/failed on exit."""

    def __init__(self, workflow: str, entity_key: str | Callable[..., str], source: str | None = None, *,
                 entity_type: str | None = None, reporter: Reporter | None = None) -> None:
        self.workflow, self.entity_key, self.source = workflow, entity_key, source
        self.entity_type = entity_type
        self.reporter = reporter or Reporter()
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
        key = str(self.entity_key)
        event = {"workflow_name": self.workflow, "entity_key": key, "status": status,
                 "entity_type": self.entity_type or ("person" if "linkedin.com/in/" in key.lower() else "company"),
                 "source": self.source, "at": datetime.now(UTC).isoformat(),
                 "records_processed": self.records_processed, "credits_spent": self.credits_spent, "error": error}
        self.reporter.send({name: value for name, value in event.items() if value is not None})


def _records_in(result: Any) -> int | None:
    if isinstance(result, bool):
        return None
    if isinstance(result, int):
        return result
    if isinstance(result, dict) and isinstance(result.get("records_processed"), int):
        return result["records_processed"]
    return None
