"""What the web tier's protections need to know of a request."""

from django.conf import settings
from django.http import HttpRequest

from kernel import client_address


def request_client_address(request: HttpRequest) -> str | None:
    """The client's address, behind ENRICHHUB_TRUSTED_PROXY_COUNT proxies (the login lockout's)."""
    return client_address(request.META, proxy_count=settings.TRUSTED_PROXY_COUNT)
