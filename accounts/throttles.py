"""The public endpoints' own throttles (rates in settings: login_ip, login_email, password_reset_*, signup_*)."""

from django.contrib import admin
from django.http import JsonResponse
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


class CredentialChangeThrottle(UserRateThrottle):
    """`PUT /users/{id}` with `password` or `email` checks `current_password`: at the login's per-email rate
    per caller, so a stolen access token cannot guess the password it would need to take the account."""

    scope = "login_email"

    def get_cache_key(self, request, view):
        try:
            data = request.data if hasattr(request.data, "keys") else {}
        except Exception:  # unparsable body: the view answers 422 itself
            return None
        if not (request.user and request.user.is_authenticated) or not ({"password", "email"} & set(data.keys())):
            return None
        return self.cache_format % {"scope": "credential_change", "ident": request.user.pk}


class VerificationResendThrottle(UserRateThrottle):
    """Each resend emails the caller's address: bound how often anyone can make us do it."""

    scope = "verify_email_resend"


# --- The admin site's login: the API login's limits and counters -------------------------------------


class _AdminLoginEmailThrottle(LoginEmailThrottle):
    field = "username"  # the admin form's name for the email; same scope, so the same bucket as the API


class _FormRequest:
    """What the throttles read of a request (client address, body), for a plain Django form post."""

    def __init__(self, request):
        self.META = request.META
        self.headers = request.headers
        self.data = request.POST


def admin_login(request, **kwargs):
    """`/admin/login/` throttled as `POST /users/login` is, before the form authenticates (hashes) anything.

    An attacker alternating between the two logins draws on one budget per IP and per email.
    """
    if request.method == "POST":
        form_request = _FormRequest(request)
        for throttle in (LoginIPThrottle(), _AdminLoginEmailThrottle()):
            if not throttle.allow_request(form_request, None):
                wait = max(1, int(throttle.wait() or 1))
                return JsonResponse(
                    {"message": f"Request was throttled. Expected available in {wait} seconds."},
                    status=429,
                    headers={"Retry-After": str(wait)},
                )
    return admin.site.login(request, **kwargs)
