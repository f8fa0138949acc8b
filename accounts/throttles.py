"""The public endpoints' own throttles (rates in settings: login_ip, login_email, password_reset_*, signup_*)."""

from rest_framework.throttling import UserRateThrottle

from leadsy.api.throttles import BodyFieldThrottle, IPThrottle


class LoginIPThrottle(IPThrottle):
    scope = "login_ip"


class LoginEmailThrottle(BodyFieldThrottle):
    scope = "login_email"


class TokenRefreshThrottle(IPThrottle):
    """Its own bucket: a client refreshing every few minutes must not eat the login budget of its IP."""

    scope = "token_refresh"


class PasswordResetIPThrottle(IPThrottle):
    scope = "password_reset_ip"


class PasswordResetEmailThrottle(BodyFieldThrottle):
    scope = "password_reset_email"


class SignupIPThrottle(IPThrottle):
    """Sign-ups per IP, with or without a JWT: a duplicate email answers 422, so sign-up lists users."""

    scope = "signup"


class SignupUserThrottle(UserRateThrottle):
    """Sign-ups per signed-in caller (owners/admins adding users), on top of the per-IP limit."""

    scope = "signup_user"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None  # anonymous sign-ups are counted per IP only
        return super().get_cache_key(request, view)


class VerificationResendThrottle(UserRateThrottle):
    """Each resend emails the caller's address: bound how often anyone can make us do it."""

    scope = "verify_email_resend"
