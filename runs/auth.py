"""API keys, and what a flood of wrong ones gets.

A presented key is always checked, against the active keys held in the cache (runs.services), so
a valid key is never refused for other clients' failures. Failures are counted per client address
and per presented key prefix, separately; past the limit in a minute, a failing request is
answered 429 rather than 401, telling a guesser to slow down without locking anyone out.
"""

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.errors import Throttled
from ninja.security import APIKeyHeader

from kernel import client_address
from runs.models import ApiKey
from runs.services import api_key_authenticate, api_key_prefix

FAILURE_WINDOW_SECONDS = 60


class ApiKeyAuth(APIKeyHeader):
    """`X-API-Key: ehk_…`; a missing or unknown key is answered 401, or 429 past the limit."""

    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiKey | None:
        found = api_key_authenticate(plain=key) if key else None
        if found is None:
            _failure_count(request, key or "")
        return found


def _failure_count(request: HttpRequest, key: str) -> None:
    """Count the failure for its address and for its key prefix; past the limit, 429."""
    address = client_address(request.META, proxy_count=settings.TRUSTED_PROXY_COUNT)
    counters = [f"api-auth-failures:address:{address}"]
    if prefix := api_key_prefix(key):
        counters.append(f"api-auth-failures:prefix:{prefix}")
    counts = [_counted(counter) for counter in counters]  # every counter counts this failure
    if max(counts) > settings.API_AUTH_FAILURES_PER_MINUTE:
        raise Throttled(wait=FAILURE_WINDOW_SECONDS)


def _counted(counter: str) -> int:
    """This failure counted in; the window's count so far. The window starts with the first
    failure; add() and incr() are atomic where the cache is shared."""
    if cache.add(counter, 1, timeout=FAILURE_WINDOW_SECONDS):
        return 1
    try:
        return cache.incr(counter)
    except ValueError:  # expired between add() and incr()
        cache.add(counter, 1, timeout=FAILURE_WINDOW_SECONDS)
        return 1
