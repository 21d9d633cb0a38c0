"""Requests per API key, counted in Django's cache: the web servers that share it (Redis) share
the count, so the rate holds for a key however many servers it spreads its requests over."""

import time

from django.http import HttpRequest
from ninja.throttling import AuthRateThrottle


class SharedKeyRateThrottle(AuthRateThrottle):
    """django-ninja's per-key throttle keeps a list of every request's time, read and written back
    whole on each request: two servers doing so at once overwrite each other's requests, and at
    6000/m the list is 6000 entries long. This one increments a counter, an atomic operation in
    Redis, and weighs the previous window by how much of it still lies within the last period."""

    def allow_request(self, request: HttpRequest) -> bool:
        if self.rate is None or self.num_requests is None or self.duration is None:
            return True
        ident = self.get_cache_key(request)
        window, elapsed = divmod(time.time(), self.duration)
        this_window = self._requests_counted(f"{ident}:{int(window)}")
        last_window = self.cache.get(f"{ident}:{int(window) - 1}") or 0
        self._seconds_left = self.duration - elapsed
        return last_window * (1 - elapsed / self.duration) + this_window <= self.num_requests

    def wait(self) -> float | None:
        return getattr(self, "_seconds_left", None)

    def _requests_counted(self, counter: str) -> int:
        """This request counted in; the window's count so far."""
        assert self.duration is not None
        if self.cache.add(counter, 1, timeout=2 * self.duration):
            return 1
        try:
            return self.cache.incr(counter)
        except ValueError:  # expired between add() and incr()
            self.cache.add(counter, 1, timeout=2 * self.duration)
            return 1
