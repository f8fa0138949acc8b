"""Every state change of a user: sign-up, profile and password changes, tokens, onboarding."""

from datetime import UTC, datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model, password_validation
from django.contrib.auth.models import update_last_login
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from rest_framework.exceptions import AuthenticationFailed, NotFound, PermissionDenied, ValidationError
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from companies.access import require
from companies.models import Access, Company, UserAccess
from companies.services import AccessChange, user_accesses_apply
from leadsy.api.errors import Conflict
from leadsy.images import verified_image_file
from leadsy.mail import send_templated_email

from .selectors import user_administered_by
from .tokens import email_change_target, email_change_token, email_verification_token

User = get_user_model()

LOGIN_FAILED = "Invalid email or password."
REFRESH_FAILED = "Token is invalid or expired"
INVALID_RESET_LINK = "This link is invalid, expired or already used."
CREDENTIALS_ARE_OWN = "A user's email and password are its own: only that user changes them."


# --- Sign-up -----------------------------------------------------------------------------------


def _email_taken(email: str, *, exclude_id: int | None = None) -> bool:
    users = User.objects.filter(email__iexact=email.strip())
    if exclude_id is not None:
        users = users.exclude(id=exclude_id)
    return users.exists()


def _save_unique_email(user) -> None:
    # The check above races with a concurrent request for the same email; the database decides.
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationError({"email": ["A user with this email already exists."]}) from None


def _validate_password(password: str, *, user, field: str = "password") -> None:
    try:
        password_validation.validate_password(password, user=user)
    except DjangoValidationError as error:
        raise ValidationError({field: list(error.messages)}) from None


@transaction.atomic
def user_create(
    *,
    first_name: str,
    last_name: str,
    email: str,
    password: str | None = None,
    user_accesses_attributes: list[dict] | None = None,
    created_by=None,
):
    """Create a user, all or nothing.

    Accesses are granted only by an owner/admin of every company named: an anonymous caller
    naming any company gets 403, so nobody grants themselves access to an existing company.
    Without a password the user is `pending` and is emailed a link to set one.
    """
    entries = user_accesses_attributes or []
    if entries:
        _authorize_access_grants(actor=created_by, entries=entries)
    if _email_taken(email):
        raise ValidationError({"email": ["A user with this email already exists."]})
    user = User(first_name=first_name, last_name=last_name, email=email)
    if password:
        _validate_password(password, user=user)
        user.set_password(password)
        user.status = User.Status.ACTIVE
    else:
        user.set_unusable_password()
        user.status = User.Status.PENDING
    user.full_clean(exclude=["password"])
    _save_unique_email(user)
    if entries:
        user_accesses_create_for_new_user(user=user, entries=entries, actor=created_by)
    if password:
        # Active at once but unverified: invitations to this address keep their code from it until
        # the emailed link proves the mailbox.
        _send_verification_email(user=user)
    else:
        _send_password_email_on_commit(user=user, setting=True)
    return user


def _authorize_access_grants(*, actor, entries: list[dict]) -> None:
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied("Only an owner or admin of a company can give access to it.")
    for entry in entries:
        company_id = entry["company_id"]
        # 404 when the caller cannot see the company, 403 when its level is too low.
        if not UserAccess.objects.filter(user=actor, company_id=company_id).exists():
            raise NotFound()
        require(user=actor, company_id=company_id, permission="users.manage")


def user_accesses_create_for_new_user(*, user, entries: list[dict], actor=None) -> list[UserAccess]:
    """Give a just-created user its accesses: `entries` are `{company_id, access_id, primary}` dicts.

    The companies app applies them with its rules (levels, one primary, the plan's max_users), all or
    nothing; here the entries themselves are checked: known access ids, one entry per company.
    """
    company_ids = [entry["company_id"] for entry in entries]
    errors = {}
    if len(set(company_ids)) != len(company_ids):
        errors["user_accesses_attributes"] = ["Each company can be named only once."]
    accesses = Access.objects.in_bulk({entry["access_id"] for entry in entries})
    if any(entry["access_id"] not in accesses for entry in entries):
        errors["access_id"] = ["No such access."]
    if errors:
        raise ValidationError(errors)
    companies = Company.objects.in_bulk(set(company_ids))
    changes = [
        AccessChange(
            company=companies[entry["company_id"]], access=accesses[entry["access_id"]], primary=entry.get("primary")
        )
        for entry in entries
    ]
    return user_accesses_apply(actor=actor, user=user, changes=changes)


# --- Profile changes ---------------------------------------------------------------------------


@transaction.atomic
def user_update(*, user, updated_by, data: dict):
    """Partial update, all or nothing (note 10 of the contract).

    `email` and `password` only by the user itself, with `current_password`; a new email waits for
    the link sent to it (`email_change_confirm`). Names by the user itself or by someone who
    administers every company the user belongs to; `status` only by the latter, never on yourself.
    """
    is_self = user.pk == updated_by.pk
    user = User.objects.select_for_update().get(pk=user.pk)
    new_email = data["email"].strip().lower() if "email" in data else None
    changes_email = new_email is not None and new_email != user.email
    changes_status = "status" in data and data["status"] != user.status
    if (changes_email or "password" in data) and not is_self:
        raise PermissionDenied(CREDENTIALS_ARE_OWN)
    administers = not is_self and user_administered_by(actor=updated_by, user=user)
    if not (is_self or administers):
        raise PermissionDenied("Only the user itself or an owner/admin of every company of the user can change it.")
    if changes_status and not administers:
        raise PermissionDenied("Only an owner or admin of every company of the user can change its status.")

    errors: dict = {}
    if (changes_email or "password" in data) and not user.check_password(data.get("current_password") or ""):
        reason = (
            "This field is required." if not data.get("current_password") else "Your current password is not correct."
        )
        errors["current_password"] = [reason]
    if changes_email and _email_taken(new_email or "", exclude_id=user.pk):
        errors["email"] = ["A user with this email already exists."]
    if "password" in data and "current_password" not in errors:
        try:
            _validate_password(data["password"], user=user)
        except ValidationError as error:
            errors.update(error.detail)  # type: ignore[arg-type]  # _validate_password raises {"password": [...]}
    if changes_status and data["status"] == User.Status.ACTIVE and not user.has_usable_password():
        errors["status"] = ["The user has not set a password yet."]
    if errors:
        raise ValidationError(errors)

    revoke = False
    if changes_status:
        user.status = data["status"]
        revoke = user.status == User.Status.INACTIVE
    for field in ("first_name", "last_name"):
        if field in data:
            setattr(user, field, data[field])
    if "password" in data:
        user.set_password(data["password"])
        revoke = True
    if changes_email:
        # After the password change above: the link hashes the password the user will have.
        _send_email_change_emails(user=user, new_email=new_email or "")
    user.save()
    if revoke:
        user_tokens_revoke(user=user)
    return user


def _send_email_change_emails(*, user, new_email: str) -> None:
    """The link goes to the new address (it proves that mailbox); the old address is told."""
    query = urlencode({"uid": _uid(user), "token": email_change_token(user=user, new_email=new_email)})
    context = {
        "first_name": user.first_name,
        "old_email": user.email,
        "new_email": new_email,
        "valid_days": _valid_days(),
    }
    link = f"{settings.FRONTEND_URL.rstrip('/')}/confirm-email-change?{query}"
    send_templated_email(
        to=new_email, template="accounts/email/email_change_confirm", context={**context, "link": link}
    )
    reset_link = f"{settings.FRONTEND_URL.rstrip('/')}/forgot-password"
    send_templated_email(
        to=user.email, template="accounts/email/email_change_notice", context={**context, "reset_link": reset_link}
    )


@transaction.atomic
def email_change_confirm(*, uid: str, token: str):
    """Endpoint 57: the link sent to the new address. It works once: it hashes the email it replaces."""
    user = _user_from_uid(uid)
    new_email = email_change_target(user=user, token=token) if user is not None else None
    if new_email is None or user.status == User.Status.INACTIVE:
        raise ValidationError({"token": [INVALID_RESET_LINK]})
    if _email_taken(new_email, exclude_id=user.pk):
        raise ValidationError({"token": ["Another account took this email address meanwhile."]})
    user.email = new_email
    user.email_verified = True
    _save_unique_email(user)
    # The old address no longer logs in; sessions opened with it end.
    user_tokens_revoke(user=user)
    return user


# --- Email verification ----------------------------------------------------------------------------


def _send_verification_email(*, user) -> None:
    query = urlencode({"uid": _uid(user), "token": email_verification_token.make_token(user)})
    send_templated_email(
        to=user.email,
        template="accounts/email/verify_email",
        context={
            "first_name": user.first_name,
            "email": user.email,
            "link": f"{settings.FRONTEND_URL.rstrip('/')}/verify-email?{query}",
            "valid_days": _valid_days(),
        },
    )


def verification_email_resend(*, user) -> None:
    """Endpoint 56 (resend): a fresh link, unless the address is verified already (then nothing is sent)."""
    if not user.email_verified:
        _send_verification_email(user=user)


@transaction.atomic
def email_verify(*, uid: str, token: str):
    """Endpoint 56: the emailed link proves the mailbox. Idempotent for an already verified user."""
    user = _user_from_uid(uid)
    if user is None or user.status == User.Status.INACTIVE:
        raise ValidationError({"token": [INVALID_RESET_LINK]})
    if not user.email_verified:
        if not email_verification_token.check_token(user, token):
            raise ValidationError({"token": [INVALID_RESET_LINK]})
        user.email_verified = True
        user.save(update_fields=["email_verified", "updated_at"])
    elif not email_verification_token.check_token(user, token):
        # A used link of a verified user answers the same as any bad link.
        raise ValidationError({"token": [INVALID_RESET_LINK]})
    return user


@transaction.atomic
def user_status_set(*, user, status: str):
    """Activate or deactivate (admin actions); deactivation ends every session at once."""
    user.status = status
    user.save(update_fields=["status", "updated_at"])
    if status != User.Status.ACTIVE:
        user_tokens_revoke(user=user)
    return user


@transaction.atomic
def user_onboarding_complete(*, user):
    if not user.onboarding_completed:
        user.onboarding_completed = True
        user.save(update_fields=["onboarding_completed", "updated_at"])
    return user


@transaction.atomic
def user_avatar_set(*, user, avatar_base64):
    """Replace the avatar with a verified, re-encoded image; a refused image leaves the old one in place."""
    image = verified_image_file(base64_data=avatar_base64, field="avatar_base64")
    old_name = user.avatar.name
    user.avatar.save(image.name, image, save=False)
    user.save(update_fields=["avatar", "updated_at"])
    if old_name:
        _delete_file_on_commit(user.avatar.storage, old_name)
    return user


@transaction.atomic
def user_avatar_delete(*, user):
    old_name = user.avatar.name
    if old_name:
        user.avatar = ""
        user.save(update_fields=["avatar", "updated_at"])
        _delete_file_on_commit(user.avatar.storage, old_name)
    return user


def _delete_file_on_commit(storage, name: str) -> None:
    transaction.on_commit(lambda: storage.delete(name))


# --- Login and tokens ----------------------------------------------------------------------------


def login(*, request, email: str, password: str) -> tuple:
    """Check the credentials and issue tokens. One answer for unknown email, wrong password, pending or inactive."""
    # Django's ModelBackend hashes the password for an unknown email too, so both take the same time.
    user = authenticate(request, email=email.strip(), password=password)
    if user is None:
        # Not a token problem: the client is simply not signed in.
        raise AuthenticationFailed(LOGIN_FAILED, code="not_authenticated")
    refresh = RefreshToken.for_user(user)
    update_last_login(type(user), user)  # a signal receiver called directly: the sender is unused
    return user, refresh


def tokens_body(refresh: RefreshToken) -> dict:
    access = refresh.access_token
    return {
        "token": str(access),
        "refresh_token": str(refresh),
        "expires_at": datetime.fromtimestamp(access["exp"], tz=UTC),
    }


@transaction.atomic
def token_refresh(*, refresh_token: str) -> RefreshToken:
    """Rotate a refresh token: the old one is blacklisted, so it works exactly once (even when raced)."""
    try:
        refresh = RefreshToken(refresh_token)  # type: ignore[arg-type]  # the encoded token; the stubs say Token
    except TokenError:
        raise AuthenticationFailed(REFRESH_FAILED) from None
    # Lock the token's row: of concurrent refreshes of one token, only the first gets through.
    outstanding = OutstandingToken.objects.select_for_update().filter(jti=refresh["jti"]).order_by().first()
    if outstanding is None or BlacklistedToken.objects.filter(token=outstanding).exists():
        raise AuthenticationFailed(REFRESH_FAILED)
    user = User.objects.filter(pk=refresh.get("user_id")).first()
    if user is None or not user.is_active or refresh.get("hash_password") != get_md5_hash_password(user.password):
        raise AuthenticationFailed(REFRESH_FAILED)
    BlacklistedToken.objects.create(token=outstanding)
    new_refresh = RefreshToken.for_user(user)
    return new_refresh


def user_tokens_revoke(*, user) -> int:
    """Blacklist every outstanding refresh token of the user.

    Access tokens carry a hash of the password (CHECK_REVOKE_TOKEN) and authentication refuses
    inactive users, so those stop by themselves; refresh tokens need the blacklist.
    """
    pending = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    return len(BlacklistedToken.objects.bulk_create([BlacklistedToken(token=token) for token in pending]))


# --- Password set and reset -----------------------------------------------------------------------


def password_reset_request(*, email: str) -> None:
    """Email a one-time link. 404 for an unknown email and 409 for an inactive user, as documented."""
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise NotFound("No user with this email.")
    if user.status == User.Status.INACTIVE:
        raise Conflict("This user is inactive.")
    _send_password_email_on_commit(user=user, setting=user.status == User.Status.PENDING)


@transaction.atomic
def password_reset_confirm(*, uid: str, token: str, password: str):
    """Set the password from an emailed link. The token hashes the current password, so it works once."""
    user = _user_from_uid(uid)
    if user is None or user.status == User.Status.INACTIVE or not default_token_generator.check_token(user, token):
        raise ValidationError({"token": [INVALID_RESET_LINK]})
    _validate_password(password, user=user)
    user.set_password(password)
    if user.status == User.Status.PENDING:
        user.status = User.Status.ACTIVE
    # The link was emailed to this address: whoever opened it reads that mailbox.
    user.email_verified = True
    user.save()
    user_tokens_revoke(user=user)
    return user


def _user_from_uid(uid: str):
    try:
        user_id = int(force_str(urlsafe_base64_decode(uid)))
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    return User.objects.select_for_update().filter(pk=user_id).first() if 0 < user_id < 2**63 else None


def _uid(user) -> str:
    return urlsafe_base64_encode(force_bytes(user.pk))


def _valid_days() -> int:
    return max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)


def password_link(*, user) -> str:
    query = urlencode({"uid": _uid(user), "token": default_token_generator.make_token(user)})
    path = "set-password" if user.status == User.Status.PENDING else "reset-password"
    return f"{settings.FRONTEND_URL.rstrip('/')}/{path}?{query}"


def _send_password_email_on_commit(*, user, setting: bool) -> None:
    # Queued after commit: the link must not reach anyone for a user whose creation was rolled back.
    send_templated_email(
        to=user.email,
        template="accounts/email/password",
        context={
            "first_name": user.first_name,
            "email": user.email,
            "link": password_link(user=user),
            "setting": setting,
            "valid_days": _valid_days(),
        },
    )
