from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework_simplejwt.authentication import JWTAuthentication as SimpleJWTAuthentication

from leadsy import logs


class JWTAuthentication(SimpleJWTAuthentication):
    """`Authorization: Bearer <token>`, and also a bare `Authorization: <token>`.

    The published API examples send the header without a scheme, so clients written from them
    must keep working.
    """

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            logs.bind(user_id=result[0].pk)  # the request's later lines (and the tasks it queues) name the user
        return result

    def get_raw_token(self, header: bytes) -> bytes | None:
        parts = header.split()
        if len(parts) == 1:
            return parts[0]
        return super().get_raw_token(header)

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class JWTAuthenticationScheme(OpenApiAuthenticationExtension):
    """Documents our JWT authentication once, for every operation that uses it."""

    target_class = "leadsy.api.authentication.JWTAuthentication"
    name = "jwtAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "`Authorization: Bearer <access token>`; a bare `Authorization: <token>` works too.",
        }
