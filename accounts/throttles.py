"""The public endpoints' own throttles (rates in settings: login_ip, login_email, password_reset_*, signup)."""

from leadsy.api.throttles import BodyFieldThrottle, IPThrottle


class LoginIPThrottle(IPThrottle):
    scope = "login_ip"


class LoginEmailThrottle(BodyFieldThrottle):
    scope = "login_email"


class PasswordResetIPThrottle(IPThrottle):
    scope = "password_reset_ip"


class PasswordResetEmailThrottle(BodyFieldThrottle):
    scope = "password_reset_email"


class SignupThrottle(IPThrottle):
    """Anonymous sign-ups per IP: a duplicate email answers 422, so unthrottled sign-up would list users."""

    scope = "signup"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return super().get_cache_key(request, view)
