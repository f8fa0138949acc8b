"""One exception handler for the whole API: every error leaves in the contract's shape.

- 422 `{"message": "Validation failed", "errors": {"field": ["reason"], "base": [...]}}` for
  validation errors, malformed bodies and unsupported content types;
- `{"message": "..."}` for 401, 403, 404, 405, 409, 410, 413, 429 (with `Retry-After`);
- 500 `{"message": "Internal server error"}`, the trace going to the log only.

Services raise `leadsy.errors` (InvalidFields → 422, NotFound → 404, Forbidden → 403, Conflict → 409,
Gone → 410, TooLarge → 413); DRF's and Django's own errors are accepted too.

The plain Django views at the bottom answer in the same shape for what never reaches DRF
(unknown URLs, a disallowed Host header, a body too large for Django itself).
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from leadsy import errors

logger = logging.getLogger("leadsy.api")

VALIDATION_MESSAGE = "Validation failed"
INTERNAL_ERROR_MESSAGE = "Internal server error"
UNPROCESSABLE = status.HTTP_422_UNPROCESSABLE_ENTITY


def validation_errors(detail) -> dict:
    """Shape any validation detail as `{field: [reasons]}`, non-field reasons under `base`."""
    if isinstance(detail, dict):
        errors = {}
        for field, reasons in detail.items():
            key = "base" if field in ("non_field_errors", "__all__") else field
            errors[key] = _reasons(reasons)
        return errors
    return {"base": _reasons(detail)}


def _reasons(value):
    if isinstance(value, dict):
        return validation_errors(value)
    if isinstance(value, (list, tuple)):
        if any(isinstance(item, (dict, list)) for item in value):
            return [_reasons(item) for item in value]
        return [str(item) for item in value]
    return [str(value)]


def validation_response(errors: dict) -> Response:
    return Response({"message": VALIDATION_MESSAGE, "errors": errors}, status=UNPROCESSABLE)


def _from_domain(exc: errors.DomainError) -> exceptions.APIException:
    """A service's refusal in DRF's terms (TooLarge first: an oversized upload is also InvalidFields)."""
    if isinstance(exc, errors.TooLarge):
        api = exceptions.APIException(exc.message)
        api.status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        return api
    if isinstance(exc, errors.InvalidFields):
        return exceptions.ValidationError(exc.errors)
    if isinstance(exc, errors.NotFound):
        return exceptions.NotFound(exc.message)
    if isinstance(exc, errors.Forbidden):
        return exceptions.PermissionDenied(exc.message)
    if isinstance(exc, errors.Conflict):
        api = exceptions.APIException(exc.message)
        api.status_code = status.HTTP_409_CONFLICT
        return api
    if isinstance(exc, errors.Gone):
        api = exceptions.APIException(exc.message)
        api.status_code = status.HTTP_410_GONE
        return api
    return exceptions.ValidationError({"base": [exc.message]})  # any other refusal of the input


def exception_handler(exc, context):
    # Services raise leadsy.errors; accounts and companies still raise DRF/Django errors (both accepted).
    if isinstance(exc, errors.DomainError):
        exc = _from_domain(exc)
    elif isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = exceptions.APIException("The request body is too large.")
        exc.status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    elif isinstance(exc, TooManyFieldsSent):
        exc = exceptions.ValidationError({"base": ["The request has too many fields."]})

    set_rollback()
    if isinstance(exc, (exceptions.ValidationError, exceptions.ParseError, exceptions.UnsupportedMediaType)):
        detail = exc.detail if isinstance(exc, exceptions.ValidationError) else [str(exc.detail)]
        return validation_response(validation_errors(detail))
    if isinstance(exc, exceptions.APIException):
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None) is not None:
            headers["Retry-After"] = str(max(1, int(exc.wait)))
        body = {"message": _message(exc.detail)}
        if exc.status_code == status.HTTP_401_UNAUTHORIZED:
            body["code"] = _auth_code(exc)
        return Response(body, status=exc.status_code, headers=headers)

    logger.exception("Unhandled error in %s", context.get("view").__class__.__name__, exc_info=exc)
    return Response({"message": INTERNAL_ERROR_MESSAGE}, status=status.HTTP_500_INTERNAL_SERVER_ERROR)


def _auth_code(exc) -> str:
    """The contract's 401 `code`: `token_expired` (refresh), `token_invalid` (log in again), `not_authenticated`."""
    from .authentication import NOT_AUTHENTICATED, TOKEN_EXPIRED, TOKEN_INVALID

    code = exc.get_codes() if hasattr(exc, "get_codes") else None
    if isinstance(code, str) and code in (NOT_AUTHENTICATED, TOKEN_EXPIRED, TOKEN_INVALID):
        return code
    return NOT_AUTHENTICATED if isinstance(exc, exceptions.NotAuthenticated) else TOKEN_INVALID


def _message(detail) -> str:
    if isinstance(detail, dict):
        # simplejwt's token errors carry {"detail": ..., "messages": [...]}.
        return str(detail.get("detail") or next(iter(detail.values()), ""))
    if isinstance(detail, list):
        return "; ".join(str(item) for item in detail)
    return str(detail)


# Django-level handlers (leadsy/urls.py), for requests that never reach a DRF view.
def bad_request(request, exception=None):
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse({"message": "The request body is too large."}, status=413)
    if isinstance(exception, SuspiciousOperation):
        return JsonResponse({"message": "Bad request."}, status=400)
    return JsonResponse({"message": "Bad request."}, status=400)


def permission_denied(request, exception=None):
    return JsonResponse({"message": "You do not have permission to perform this action."}, status=403)


def page_not_found(request, exception=None):
    return JsonResponse({"message": "Not found."}, status=404)


def server_error(request):
    return JsonResponse({"message": INTERNAL_ERROR_MESSAGE}, status=500)
