"""Every answer under /api/ is JSON, whatever went wrong, and never shows a traceback or SQL.

django-ninja answers its own validation, authentication and throttling errors in JSON. What
it does not see is answered here: paths and methods it does not route (404, 405), bodies over
the upload limit (413), bodies nested too deeply to parse, an unexpected exception (500),
and a database that cannot be reached (503 with Retry-After, logged once per outage).
"""

import logging
import threading
from collections.abc import Callable
from http import HTTPStatus

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger("enrichhub.api")
API_PREFIX = "/api/"
RETRY_AFTER_SECONDS = 5


def json_error(status: int, detail: object, **headers: str) -> JsonResponse:
    response = JsonResponse({"detail": detail}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def body_too_large(limit: int) -> JsonResponse:
    return json_error(413, f"the body is larger than the limit of {limit:,} bytes; send fewer events per request")


class DatabaseOutage:
    """Logs one line when the database stops answering and one when it answers again, however
    many requests fail in between (a 30 s outage used to log hundreds of thousands of lines)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.down = False

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            if not self.down:
                self.down = True
                logger.error("database unreachable, answering 503 until it is back: %s",
                             str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)

    def answered(self) -> None:
        if self.down:
            with self._lock:
                if self.down:
                    self.down = False
                    logger.warning("database reachable again")


database_outage = DatabaseOutage()


def is_outage(exc: BaseException) -> bool:
    """A lost or refused connection, as opposed to a statement that failed on a live server."""
    return isinstance(exc, (OperationalError, InterfaceError)) and not _is_statement_error(exc)


def _is_statement_error(exc: BaseException) -> bool:
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None) or ""
    # Class 08 is connection exceptions, 57P is operator intervention (shutdown, crash, cannot
    # connect now); a lock or statement timeout (55P03, 57014) is a live server's answer.
    return bool(sqlstate) and not (sqlstate.startswith("08") or sqlstate in ("57P01", "57P02", "57P03"))


def unavailable() -> JsonResponse:
    response = json_error(503, "the database is unreachable; try again shortly", Retry_After=str(RETRY_AFTER_SECONDS))
    # DatabaseOutage logged it once; Django's request logger would add a line per request.
    response._has_been_logged = True  # type: ignore[attr-defined]  # read by Django's log_response
    return response


class ApiJsonErrorsMiddleware:
    """Rewrites non-JSON error answers under /api/ into JSON, and refuses oversized bodies first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and _declared_length(request) > limit:
            return body_too_large(limit)
        response = self.get_response(request)
        if response.status_code < 500:
            database_outage.answered()
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith("application/json"):
            # A 405 keeps its Allow header: it tells the client which method to use instead.
            kept = {"Allow": response["Allow"]} if response.has_header("Allow") else {}
            return json_error(response.status_code, _reason(response), **kept)
        return response

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not request.path.startswith(API_PREFIX):
            return None
        return api_exception_response(exc)


def api_exception_response(exc: BaseException) -> JsonResponse:
    if is_outage(exc):
        database_outage.failed(exc)
        return unavailable()
    if isinstance(exc, RecursionError):
        return json_error(422, "the body nests too deeply to parse")
    logger.error("unexpected error answering an API request", exc_info=exc)
    return json_error(500, "an unexpected error; it was logged")


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _reason(response: HttpResponse) -> str:
    try:
        return HTTPStatus(response.status_code).phrase
    except ValueError:
        return "error"


