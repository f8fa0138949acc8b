from rest_framework_simplejwt.authentication import JWTAuthentication as SimpleJWTAuthentication


class JWTAuthentication(SimpleJWTAuthentication):
    """`Authorization: Bearer <token>`, and also a bare `Authorization: <token>`.

    The published API examples send the header without a scheme, so clients written from them
    must keep working.
    """

    def get_raw_token(self, header: bytes) -> bytes | None:
        parts = header.split()
        if len(parts) == 1:
            return parts[0]
        return super().get_raw_token(header)

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'
