"""Which address a request came from, behind the proxies the operator says are in front."""

from collections.abc import Mapping
from ipaddress import ip_address
from typing import Any


def client_address(meta: Mapping[str, Any], *, proxy_count: int) -> str | None:
    """The client's address: REMOTE_ADDR with no trusted proxy; else the address the outermost
    trusted proxy saw, `proxy_count` entries from the right of X-Forwarded-For. Entries further
    left are the client's to write, so they are never believed. A header shorter than the
    proxies in front, or an entry that is no address, gives the nearest proxy's view instead.
    None when even that is unknown (a request made up in code)."""
    remote = _address_or_none(str(meta.get("REMOTE_ADDR") or ""))
    if proxy_count <= 0:
        return remote
    forwarded = [part.strip() for part in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",") if part.strip()]
    if len(forwarded) < proxy_count:
        return remote
    return _address_or_none(forwarded[-proxy_count]) or remote


def _address_or_none(text: str) -> str | None:
    try:
        return str(ip_address(text.strip()))
    except ValueError:
        return None
