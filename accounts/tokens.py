"""One-time tokens for the links we email, beside Django's password-reset generator.

Each hashes the state it changes, so a link dies once used: verification hashes `email_verified`,
an email change hashes the current email and password (and carries the new email, signed).
"""

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac


class EmailVerificationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "leadsy.accounts.tokens.EmailVerificationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        return f"{user.pk}{user.email}{user.email_verified}{timestamp}"


email_verification_token = EmailVerificationTokenGenerator()

_EMAIL_CHANGE_SALT = "leadsy.accounts.tokens.email_change"


def _email_change_hash(user, new_email: str) -> str:
    value = f"{user.pk}|{user.email}|{user.password}|{new_email}"
    return salted_hmac(_EMAIL_CHANGE_SALT, value, algorithm="sha256").hexdigest()


def email_change_token(*, user, new_email: str) -> str:
    return signing.dumps({"e": new_email, "h": _email_change_hash(user, new_email)}, salt=_EMAIL_CHANGE_SALT)


def email_change_target(*, user, token: str) -> str | None:
    """The new email the token confirms for this user, or None when it is forged, expired or spent."""
    try:
        payload = signing.loads(token, salt=_EMAIL_CHANGE_SALT, max_age=settings.PASSWORD_RESET_TIMEOUT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("e"), str) or not isinstance(payload.get("h"), str):
        return None
    if not constant_time_compare(payload["h"], _email_change_hash(user, payload["e"])):
        return None
    return payload["e"]
