"""Error tracking with Sentry, only when SENTRY_DSN is set (settings call `init`).

Events leave the machine, so no personal data goes with them: no default PII (user, IP, cookies), no request
bodies (passwords, base64 avatars, uploaded files), no local variables of stack frames (rows of a customer's
file), and `scrub` replaces whatever still looks like an email address or a token in any string of the event
(exception messages, log lines and breadcrumbs quote values).
"""

from __future__ import annotations

import re
from typing import Any, cast

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# JWTs (three base64url parts, the first a JSON header), bearer credentials, and long opaque secrets such as
# invitation codes and reset tokens.
TOKEN = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*|(?i:bearer)\s+\S+|\b[\w-]{32,}\b")
SENSITIVE_KEYS = re.compile(r"pass|token|secret|authorization|cookie|email|avatar|file|key|code", re.IGNORECASE)
FILTERED = "[Filtered]"
METADATA = ("event_id", "release", "environment", "sdk", "platform", "timestamp", "level", "server_name", "modules")


def scrub_text(text: str) -> str:
    return TOKEN.sub(FILTERED, EMAIL.sub(FILTERED, text))


def _scrub(value, key: str = ""):
    if isinstance(value, str):
        return FILTERED if key and SENSITIVE_KEYS.search(key) else scrub_text(value)
    if isinstance(value, dict):
        return {k: _scrub(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(item, key) for item in value]
    return value


def scrub(event: dict, hint: dict | None = None) -> dict:
    """Sentry's before_send (and before_breadcrumb): the event with emails, tokens and file contents removed."""
    event.pop("user", None)
    request = event.get("request")
    if isinstance(request, dict):
        request.pop("data", None)
        request.pop("cookies", None)
    # What Sentry itself sets and holds nothing personal keeps its values (the event id is 32 hex digits).
    metadata = {key: event.pop(key) for key in METADATA if key in event}
    frames = {key: event.pop(key) for key in ("exception", "threads") if key in event}
    scrubbed = _scrub(event)
    scrubbed.update(metadata)
    for key, value in frames.items():
        scrubbed[key] = _scrub_exception(value)
    return scrubbed


def _scrub_exception(value):
    """Exception values (messages) are scrubbed; frames keep file names and lines, without local variables."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "value" and isinstance(item, str):
                out[key] = scrub_text(item)
            elif key == "vars":
                continue
            else:
                out[key] = _scrub_exception(item)
        return out
    if isinstance(value, list):
        return [_scrub_exception(item) for item in value]
    return value


def scrub_breadcrumb(crumb: dict, hint: dict | None = None) -> dict:
    return _scrub(crumb)


def init(*, dsn: str, environment: str, release: str | None = None, traces_sample_rate: float = 0.0, transport=None):
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        # What send_default_pii=False said (deprecated in sentry-sdk 2.7x for this): no user identity, no bodies,
        # no frame variables, no SQL parameters.
        data_collection={
            "user_info": False,
            "http_bodies": [],
            "stack_frame_variables": False,
            "database_query_data": False,
        },
        before_send=cast(Any, scrub),  # plain dicts in, plain dicts out: what Sentry sends
        before_breadcrumb=cast(Any, scrub_breadcrumb),
        traces_sample_rate=traces_sample_rate,
        transport=transport,
    )
