"""One HTTP attempt to a checked destination: connect to the checked address (never resolving the name
again), TLS with the name's SNI and certificate check, POST the body, read the status line.

The whole attempt (connect, TLS, send, answer) is cut at the timeout, however slowly a receiver drips
its answer: a watchdog shuts the socket down at the deadline. Redirects are not followed (a 3xx is a
failed attempt), and at most RESPONSE_BYTES of the answer are read.
"""

import contextlib
import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass

from django.conf import settings

from .destinations import Destination

RESPONSE_BYTES = 4096


@dataclass(frozen=True)
class Outcome:
    status: int | None  # the receiver's HTTP status; None when none came
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def tls_context() -> ssl.SSLContext:
    """The system's CAs, or WEBHOOK_CA_FILE's (a private CA in development and tests)."""
    return ssl.create_default_context(cafile=getattr(settings, "WEBHOOK_CA_FILE", "") or None)


class _Watchdog:
    """Shuts the attempt's current socket down at the deadline, which ends any blocked read or write."""

    def __init__(self, seconds: float):
        self.sock: socket.socket | None = None
        self.fired = False
        self._timer = threading.Timer(max(seconds, 0.0), self._cut)
        self._timer.daemon = True
        self._timer.start()

    def _cut(self) -> None:
        self.fired = True
        if self.sock is not None:
            with contextlib.suppress(OSError):  # already closed: the attempt is over anyway
                self.sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


def _host_header(destination: Destination) -> str:
    host = f"[{destination.host}]" if ":" in destination.host else destination.host
    default = 443 if destination.scheme == "https" else 80
    return host if destination.port == default else f"{host}:{destination.port}"


def post(destination: Destination, body: bytes, headers: dict[str, str], *, timeout: float) -> Outcome:
    deadline = time.monotonic() + timeout
    watchdog = _Watchdog(timeout)
    connection = None
    try:
        sock = socket.create_connection((destination.address, destination.port), timeout=timeout)
        watchdog.sock = sock
        if watchdog.fired:
            raise TimeoutError
        if destination.scheme == "https":
            sock.settimeout(max(deadline - time.monotonic(), 0.01))
            sock = tls_context().wrap_socket(sock, server_hostname=destination.host)
            watchdog.sock = sock
        connection = http.client.HTTPConnection(destination.host, destination.port, timeout=timeout)
        connection.sock = sock
        connection.request("POST", destination.path, body=body, headers={"Host": _host_header(destination), **headers})
        sock.settimeout(max(deadline - time.monotonic(), 0.01))
        response = connection.getresponse()
        response.read(RESPONSE_BYTES)
        return Outcome(status=response.status)
    except TimeoutError:
        return Outcome(status=None, error=f"No answer within {timeout:g} s.")
    except (OSError, http.client.HTTPException) as error:
        if watchdog.fired or time.monotonic() >= deadline:
            return Outcome(status=None, error=f"No answer within {timeout:g} s.")
        return Outcome(status=None, error=f"{type(error).__name__}: {error}"[:500])
    finally:
        watchdog.cancel()
        if connection is not None:
            connection.close()
        elif watchdog.sock is not None:
            watchdog.sock.close()
