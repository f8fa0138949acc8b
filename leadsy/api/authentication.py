from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication as SimpleJWTAuthentication
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError
from rest_framework_simplejwt.settings import api_settings

from leadsy import logs

# The contract's 401 `code`s: a client refreshes on `token_expired` and logs in again on `token_invalid`.
NOT_AUTHENTICATED, TOKEN_EXPIRED, TOKEN_INVALID = "not_authenticated", "token_expired", "token_invalid"


class TokenExpired(AuthenticationFailed):
    default_detail = "Token is expired."
    default_code = TOKEN_EXPIRED


class TokenInvalid(AuthenticationFailed):
    default_detail = "Token is invalid."
    default_code = TOKEN_INVALID


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

    def get_validated_token(self, raw_token: bytes):
        # simplejwt says "not valid for any token type" for both; PyJWT checks the signature before
        # `exp`, so an expired error means a genuine token the client can refresh.
        for token_class in api_settings.AUTH_TOKEN_CLASSES:
            try:
                return token_class(raw_token)
            except ExpiredTokenError:
                raise TokenExpired() from None
            except TokenError:  # bad signature, wrong type, malformed, revoked: not one of ours
                pass
        raise TokenInvalid()

    def get_user(self, validated_token):
        try:
            return super().get_user(validated_token)
        except AuthenticationFailed as error:  # deleted or inactive user, password changed since
            raise TokenInvalid(_message(error)) from None


def _message(error) -> str:
    detail = error.detail
    return str(detail.get("detail", "Token is invalid.")) if isinstance(detail, dict) else str(detail)


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
