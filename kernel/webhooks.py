"""POSTing to a webhook an operator configured, safely: within a total deadline, never to the
machine's own or its network's addresses unless allowed, and without the URL in any message.

A webhook URL often carries its secret (a token in the path or query, a password before the
host); messages name the webhook by its host only. The address is resolved once, checked, and
connected to as checked, so a name that resolves elsewhere a moment later (DNS rebinding) gains
nothing. urllib's timeout is per socket operation: a receiver answering a byte every few seconds
held a request for minutes. Here a timer closes the connection when the deadline passes.
"""

import base64
import http.client
import socket
import ssl
import threading
import time
from ipaddress import IPv4Address, IPv6Address, ip_address
from urllib.parse import urlsplit

USER_AGENT = "enrichhub-webhook"


class WebhookFailed(Exception):
    """Not delivered; the message names the webhook by its host, never by its URL."""


def webhook_label(url: str) -> str:
    """How a webhook is shown: its host, without user, password, path or query."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    return f"webhook at {host}:{parts.port}" if parts.port else f"webhook at {host}"


def webhook_post(url: str, body: bytes, *, deadline_s: float, allow_private: bool) -> int:
    """POST `body` as JSON; the HTTP status of a 2xx answer, else WebhookFailed."""
    started = time.monotonic()
    label = webhook_label(url)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookFailed(f"the {label} has no http(s) address; check its setting")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = webhook_address(parts.hostname, port, allow_private=allow_private, label=label)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = _PinnedConnection(parts.hostname, port, address=address, tls=parts.scheme == "https",
                                   timeout=deadline_s)
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, "Host": parts.netloc.rpartition("@")[2]}
    if parts.username:
        credentials = f"{parts.username}:{parts.password or ''}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode()
    remaining = deadline_s - (time.monotonic() - started)
    closer = threading.Timer(max(0.0, remaining), connection.abort)
    closer.start()
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        status = response.status
    except (OSError, http.client.HTTPException) as exc:
        if connection.aborted:
            raise WebhookFailed(f"the {label} did not answer within {deadline_s:g} s") from None
        raise WebhookFailed(f"the {label} could not be reached: {type(exc).__name__}") from None
    finally:
        closer.cancel()
        connection.close()
    if not 200 <= status < 300:
        raise WebhookFailed(f"the {label} answered HTTP {status}")
    return status


def webhook_address(host: str, port: int, *, allow_private: bool, label: str) -> str:
    """The first address of `host`; refused when any is the machine's own or a private network's."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise WebhookFailed(f"the {label}: its host name does not resolve") from None
    addresses = [ip_address(entry[4][0]) for entry in found]
    if not allow_private and (inner := next((a for a in addresses if not _public(a)), None)):
        raise WebhookFailed(f"the {label} resolves to {_kind(inner)} address; webhooks go to public addresses "
                            "unless ENRICHHUB_WEBHOOK_ALLOW_PRIVATE is set")
    return str(addresses[0])


def _public(address: IPv4Address | IPv6Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    return _public(mapped) if mapped else address.is_global and not address.is_multicast


def _kind(address: IPv4Address | IPv6Address) -> str:
    if address.is_loopback:
        return "a loopback"
    if address.is_link_local:
        return "a link-local"
    if address.is_private:
        return "a private"
    return "a reserved"


class _PinnedConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, with TLS verified against the host name."""

    def __init__(self, host: str, port: int, *, address: str, tls: bool, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address, self._tls, self.aborted = address, tls, False

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), timeout=self.timeout)
        if self._tls:
            self.sock = ssl.create_default_context().wrap_socket(self.sock, server_hostname=self.host)

    def abort(self) -> None:
        self.aborted = True
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
