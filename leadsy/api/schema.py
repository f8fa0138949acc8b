"""OpenAPI helpers: the wrapped response shapes and the error responses every operation can give.

@extend_schema(responses={200: envelope("user", UserSerializer)})
@extend_schema(parameters=PAGINATION_PARAMETERS, responses={200: list_envelope("users", UserSerializer)})
"""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from .authentication import NOT_AUTHENTICATED, TOKEN_EXPIRED, TOKEN_INVALID
from .pagination import MetaSerializer


class ErrorSerializer(serializers.Serializer):
    message = serializers.CharField()


AUTH_ERROR_CODES = [NOT_AUTHENTICATED, TOKEN_EXPIRED, TOKEN_INVALID]  # named AuthErrorCodeEnum (settings)


class AuthErrorSerializer(serializers.Serializer):
    message = serializers.CharField()
    code = serializers.ChoiceField(
        choices=AUTH_ERROR_CODES,
        help_text="`token_expired`: refresh the token; `token_invalid`: log in again.",
    )


class ValidationErrorSerializer(serializers.Serializer):
    message = serializers.CharField(default="Validation failed")
    errors = serializers.DictField(
        child=serializers.JSONField(),
        help_text="Field name → list of reasons; reasons that concern no single field are under `base`.",
    )


class MessageSerializer(serializers.Serializer):
    message = serializers.CharField()


PAGINATION_PARAMETERS = [
    OpenApiParameter("page", OpenApiTypes.INT, description="Page number, from 1. Past the last page: empty list."),
    OpenApiParameter(
        "per_page", OpenApiTypes.INT, description="Items per page: default 25, values over 100 count as 100."
    ),
]


def _component_name(key: str) -> str:
    return "".join(part.capitalize() for part in key.split("_"))


_ENVELOPES: dict = {}


def envelope(key: str, serializer_class, *, name: str | None = None):
    """`{key: {...}}`. One class per (name, serializer): apps that wrap the same object share the component."""
    name = name or f"{_component_name(key)}Envelope"
    if (name, serializer_class) not in _ENVELOPES:
        _ENVELOPES[name, serializer_class] = inline_serializer(name=name, fields={key: serializer_class()})
    return _ENVELOPES[name, serializer_class]


def list_envelope(key: str, serializer_class, *, name: str | None = None, meta=MetaSerializer):
    """`{key: [...], "meta": {...}}` (`meta=CappedMetaSerializer` for a list counted up to a cap)."""
    return inline_serializer(
        name=name or f"{_component_name(key)}ListEnvelope",
        fields={key: serializer_class(many=True), "meta": meta()},
    )


class AutoSchema(SpectacularAutoSchema):
    """Adds the contract's error responses to every operation that does not declare its own."""

    def map_parsers(self):
        # One content type per operation: JSON, or multipart where a file is uploaded. A form-encoded
        # alternative beside multipart makes generated clients offer a body that cannot carry the file.
        return [media_type for media_type in super().map_parsers() if media_type != "application/x-www-form-urlencoded"]

    def _get_request_body(self, direction="request"):
        # A body is required wherever an operation has one: a client always sends the JSON object (even `{}`
        # for a PATCH), and generators turn an optional body into code that cannot be imported.
        body = super()._get_request_body(direction)
        if body is not None:
            body["required"] = True
        return body

    def _is_public(self) -> bool:
        return any(isinstance(permission, AllowAny) for permission in self.view.get_permissions())

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        errors = {
            "404": ErrorSerializer,
            "422": ValidationErrorSerializer,
            "429": ErrorSerializer,
            "500": ErrorSerializer,
        }
        if not self._is_public():
            errors.update({"401": AuthErrorSerializer, "403": ErrorSerializer})
        if self.method in ("POST", "PUT", "PATCH"):
            errors["413"] = ErrorSerializer
        for code, serializer in errors.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(serializer, code, direction=direction)
        return responses
