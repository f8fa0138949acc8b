"""Where a webhook may point: the URL checks at save, and the SSRF-safe resolution at each delivery.

A name is resolved once per attempt; every address it resolves to must be public (not private,
loopback, link-local, multicast, reserved, unspecified, shared or otherwise non-global), and the
attempt connects to one of those checked addresses, never resolving again. A name that resolved to
a public address when saved and to 127.0.0.1 later is thus refused at delivery, before any connection.

`WEBHOOKS_ALLOW_PRIVATE_URLS` (development, tests) allows plain http and private addresses.
"""

import ipaddress
import os
import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

DEFAULT_PORTS = {"https": 443, "http": 80}


class Refused(Exception):
    """The URL or what its host resolves to is not an allowed destination (the message says why)."""


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str  # the name, for the Host header and TLS (SNI, certificate check)
    port: int
    path: str  # path and query, as sent in the request line
    address: str  # the checked IP address the attempt connects to


def allow_private() -> bool:
    return bool(getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_URLS", False))


def _split(url: str) -> tuple[str, str, int, str]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise Refused(f"Not a valid URL ({error}).") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise Refused("Must be an https:// URL.")
    if scheme != "https" and not allow_private():
        raise Refused("Must be an https:// URL.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise Refused("The URL has no host.")
    if parts.username is not None or parts.password is not None:
        raise Refused("The URL must not contain credentials.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, host, port or DEFAULT_PORTS[scheme], path


def refusal(address: str) -> str | None:
    """Why this address is no allowed destination, or None when it is a public one."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for label, flag in (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("unspecified", ip.is_unspecified),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
    ):
        if flag:
            return f"{address} is a {label} address."
    if not ip.is_global:
        return f"{address} is not a public address."
    return None


# getaddrinfo takes no timeout (the system resolver's own: 5 s per server and try): it runs in these
# threads, and the caller stops waiting after WEBHOOK_RESOLVE_SECONDS. A stuck lookup holds its thread
# until the resolver gives up; a request never waits longer than the setting. One pool per process: a
# forked worker (Celery's pool, gunicorn's) inherits no threads, only a parent's pool that believes it has.
_resolvers: dict[int, ThreadPoolExecutor] = {}


def _resolver_pool() -> ThreadPoolExecutor:
    pid = os.getpid()
    if pid not in _resolvers:
        _resolvers.clear()
        _resolvers[pid] = ThreadPoolExecutor(max_workers=8, thread_name_prefix="webhook-resolve")
    return _resolvers[pid]


def _addresses(host: str, port: int) -> list[str]:
    seconds = settings.WEBHOOK_RESOLVE_SECONDS
    lookup = _resolver_pool().submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        infos = lookup.result(timeout=seconds)
    except FutureTimeout:
        lookup.cancel()  # still queued behind stuck lookups: never run it
        raise Refused(f"The host {host} could not be resolved within {seconds:g} s.") from None
    except (OSError, UnicodeError) as error:
        raise Refused(f"The host {host} could not be resolved ({error}).") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise Refused(f"The host {host} could not be resolved.")
    return addresses


def resolve(url: str) -> Destination:
    """The URL's checked destination: every address of its host must be allowed (one bad one refuses it,
    so a name cannot mix a public address with an internal one). Raises Refused."""
    scheme, host, port, path = _split(url)
    addresses = _addresses(host, port)
    if not allow_private():
        for address in addresses:
            reason = refusal(address)
            if reason is not None:
                raise Refused(f"The host {host} resolves to a non-public address: {reason}")
    return Destination(scheme=scheme, host=host, port=port, path=path, address=addresses[0])


def check_url(url: str) -> None:
    """At save: the same checks as a delivery (the scheme, and every address the host resolves to now)."""
    resolve(url)
