"""Primary keys from the outside world (URLs, bodies, command lines), for every app."""

MAX_ID = 2**63 - 1


def as_id(value) -> int | None:
    """A primary key from a URL or body, or None when it cannot be one (so lookups answer 404/422, not 500)."""
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 0 < number <= MAX_ID else None
