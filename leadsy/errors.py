"""Domain errors: what a service refuses, said without HTTP.

Services raise these; `leadsy.api.exceptions.exception_handler` maps them to the contract's bodies
(InvalidFields → 422 with `errors`, NotFound → 404, Forbidden → 403, Conflict → 409, Gone → 410, TooLarge → 413),
and the admin and the management commands catch `DomainError` and show `message`. Nothing here imports
Django or DRF, so any layer may raise them.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every refusal a service makes; `message` is for a person."""

    default_message = "The request cannot be carried out."

    def __init__(self, message: str | None = None):
        self.message = message or self.default_message
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class InvalidFields(DomainError):
    """Input that breaks a rule: `errors` maps a field (or "base") to its reasons."""

    default_message = "Validation failed"

    def __init__(self, errors: dict, message: str | None = None):
        # Usually {field: [reason, ...]}; a nested body (a list of items) keeps the request's shape.
        self.errors = errors
        first = next((reasons[0] for reasons in errors.values() if isinstance(reasons, list) and reasons), None)
        super().__init__(message or (first if isinstance(first, str) else None))

    def __reduce__(self):
        return (type(self), (self.errors, self.message))


class NotFound(DomainError):
    default_message = "Not found."


class Forbidden(DomainError):
    default_message = "You do not have permission to perform this action."


class Conflict(DomainError):
    default_message = "The request conflicts with the current state of the resource."


class Gone(DomainError):
    """Something that existed and was removed on purpose (an import's files after their retention)."""

    default_message = "This resource is no longer available."


class TooLarge(DomainError):
    default_message = "The request body is too large."
