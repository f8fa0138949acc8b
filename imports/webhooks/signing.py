"""The delivered body and its signature (the contract's `Leadsy-Signature`).

A receiver recomputes `hex(HMAC-SHA256(secret, f"{t}.{raw body}"))` over the bytes it received and
compares it with `v1`, and refuses a `t` too far from its clock (replays).
"""

import hashlib
import hmac
import json
from datetime import datetime

SIGNATURE_HEADER = "Leadsy-Signature"
EVENT_HEADER = "Leadsy-Event"
DELIVERY_HEADER = "Leadsy-Delivery"


def event_body(*, delivery_id: int, event: str, created_at: datetime, import_file: dict | None) -> str:
    """The JSON posted: `{"id", "event", "created_at", "data": {"import_file": {...}}}`."""
    payload = {
        "id": delivery_id,
        "event": event,
        "created_at": created_at.isoformat().replace("+00:00", "Z"),
        "data": {"import_file": import_file},
    }
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str)


def signature(*, secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def headers(*, secret: str, body: bytes, timestamp: int, event: str, delivery_id: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "Leadsy-Webhooks/1",
        EVENT_HEADER: event,
        DELIVERY_HEADER: str(delivery_id),
        SIGNATURE_HEADER: signature(secret=secret, body=body, timestamp=timestamp),
    }
