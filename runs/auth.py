from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.errors import Throttled
from ninja.security import APIKeyHeader

from runs.models import ApiKey
from runs.services import api_key_authenticate

FAILURE_WINDOW_SECONDS = 60


class ApiKeyAuth(APIKeyHeader):
    """`X-API-Key: ehk_…`; a missing or unknown key is answered 401.

    Each wrong key costs a database lookup, so a client address that sends too many wrong keys
    in a minute is answered 429 without one, whatever key it tries next.
    """

    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiKey | None:
        counter = _failure_counter(request)
        if (cache.get(counter) or 0) >= settings.API_AUTH_FAILURES_PER_MINUTE:
            raise Throttled(wait=FAILURE_WINDOW_SECONDS)
        found = api_key_authenticate(plain=key) if key else None
        if found is None:
            _count_failure(counter)
        return found


def _failure_counter(request: HttpRequest) -> str:
    return f"api-auth-failures:{request.META.get('REMOTE_ADDR', '')}"


def _count_failure(counter: str) -> None:
    # The window starts with the first failure; add() is atomic where the cache is shared.
    if not cache.add(counter, 1, timeout=FAILURE_WINDOW_SECONDS):
        try:
            cache.incr(counter)
        except ValueError:  # expired between add() and incr()
            cache.add(counter, 1, timeout=FAILURE_WINDOW_SECONDS)
