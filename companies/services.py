"""State changes for companies, user accesses, invitations and cycles. Other apps call these.

Services take the acting user as `actor` where a permission depends on it; `actor=None` is the
system (an accepted invitation, a management command) and skips the level checks.
"""

import logging
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import NotFound, PermissionDenied

from billing import selectors as billing_selectors
from billing import services as billing_services
from leadsy.api.errors import Conflict
from leadsy.mail import send_templated_email

from . import access as tenancy
from .models import Access, Company, Cycle, Invitation, UserAccess

logger = logging.getLogger(__name__)

INVITATION_LIFETIME = timedelta(days=7)


# --- Companies ------------------------------------------------------------------------------------
@transaction.atomic
def company_create(*, user, name: str, country: str = "", parent_company: Company | None = None) -> Company:
    """A new company owned by its creator, on the free plan. The parent must be administered by the creator."""
    if parent_company is not None and not tenancy.can(
        user=user, company_id=parent_company.id, permission="company.manage"
    ):
        raise ValidationError({"parent_company_id": ["No such company among those you administer."]})
    company = Company.objects.create(name=name, country=(country or "").upper(), parent_company=parent_company)
    UserAccess.objects.create(
        user=user,
        company=company,
        access=Access.objects.get(name=Access.OWNER),
        primary=not UserAccess.objects.filter(user=user, primary=True).exists(),
    )
    billing_services.subscribe_free(company=company)
    return company


def company_ancestors(company: Company) -> list[Company]:
    chain, seen, current = [], {company.pk}, company.parent_company
    while current is not None:
        if current.pk in seen:
            break
        chain.append(current)
        seen.add(current.pk)
        current = current.parent_company
    return chain


def company_parent_validate(*, company: Company, parent_company: Company | None) -> None:
    """No cycles in the tree: the parent may not be the company itself or one of its descendants."""
    if parent_company is None:
        return
    if parent_company.pk == company.pk or company.pk in {c.pk for c in company_ancestors(parent_company)}:
        raise ValidationError({"parent_company_id": ["A company cannot sit below itself or one of its children."]})


@transaction.atomic
def company_avatar_set(*, company: Company, image) -> Company:
    old = company.avatar.name if company.avatar else None
    company.avatar.save(image.name, image, save=True)
    if old:
        transaction.on_commit(lambda: company.avatar.storage.delete(old))
    return company


@transaction.atomic
def company_avatar_delete(*, company: Company) -> Company:
    if company.avatar:
        old, storage = str(company.avatar.name), company.avatar.storage
        company.avatar = ""
        company.save(update_fields=["avatar", "updated_at"])
        transaction.on_commit(lambda: storage.delete(old))
    return company


@transaction.atomic
def company_cycles_set(*, company: Company, enabled: bool) -> Company:
    company.cycles_enabled = enabled
    company.save(update_fields=["cycles_enabled", "updated_at"])
    return company


# --- Cycles ---------------------------------------------------------------------------------------
@transaction.atomic
def cycle_create(*, company: Company, name: str, starts_on: date, ends_on: date) -> Cycle:
    company = Company.objects.select_for_update().get(pk=company.pk)  # one cycle write per company at a time
    if not company.cycles_enabled:
        raise ValidationError({"base": ["Cycles are disabled for this company; enable them first."]})
    if starts_on > ends_on:
        raise ValidationError({"ends_on": ["Must be on or after starts_on."]})
    overlapping = Cycle.objects.filter(company=company, starts_on__lte=ends_on, ends_on__gte=starts_on).first()
    if overlapping is not None:
        raise ValidationError(
            {
                "starts_on": [
                    f"Overlaps the cycle {overlapping.name} ({overlapping.starts_on} to {overlapping.ends_on})."
                ]
            }
        )
    try:
        with transaction.atomic():
            return Cycle.objects.create(company=company, name=name, starts_on=starts_on, ends_on=ends_on)
    except IntegrityError:  # the PostgreSQL exclusion constraint caught a race the check missed
        raise ValidationError({"starts_on": ["Overlaps another cycle of this company."]}) from None


# --- User accesses --------------------------------------------------------------------------------
@dataclass
class AccessChange:
    """One entry of a user-access change: create (no `instance`), update, or destroy."""

    company: Company
    access: Access | None = None
    primary: bool | None = None
    destroy: bool = False
    instance: UserAccess | None = None


def _require_level(*, actor, change: AccessChange) -> None:
    """The actor must administer the company; touching the owner level needs an owner."""
    if actor is None:
        return
    level = tenancy.access_name(user=actor, company_id=change.company.id)
    tenancy.require(user=actor, company_id=change.company.id, permission="users.manage", level=level)
    touches_owner = (change.access is not None and change.access.name == Access.OWNER) or (
        change.instance is not None
        and change.instance.access.name == Access.OWNER
        and (change.destroy or (change.access is not None and change.access.name != Access.OWNER))
    )
    if touches_owner and level != Access.OWNER:
        raise PermissionDenied("Only an owner can grant or remove the owner level.")


@transaction.atomic
def user_accesses_apply(*, actor, user, changes: list[AccessChange]) -> list[UserAccess]:
    """Apply every change or none: permissions, one primary per user, a last owner, the plan's max_users.

    Raises ValidationError with `{"base": [...]}` for the rules that concern the whole set; the caller
    maps per-entry errors (already in `change.errors`) to its own field names before calling.
    """
    for change in changes:
        _require_level(actor=actor, change=change)
    # Lock the companies concerned so concurrent changes cannot both take the last owner or the last seat.
    company_ids = sorted({change.company.id for change in changes})
    list(Company.objects.select_for_update().filter(pk__in=company_ids).values_list("pk", flat=True))
    errors = []
    explicit_primaries = [c for c in changes if c.primary and not c.destroy]
    if len(explicit_primaries) > 1:
        errors.append("Only one access can be primary.")

    created = []
    for change in changes:
        if change.destroy:
            assert change.instance is not None  # only an existing access is planned for destruction
            change.instance.delete()
        elif change.instance is not None:
            change.instance.access = change.access or change.instance.access
            change.instance.save(update_fields=["access"])
        else:
            if UserAccess.objects.filter(user=user, company=change.company).exists():
                errors.append(f"{user.email} already has an access in {change.company.name}.")
                continue
            assert change.access is not None  # a new access is planned only with its level
            created.append(
                UserAccess.objects.create(user=user, company=change.company, access=change.access, primary=False)
            )

    for company_id in company_ids:
        company = Company.objects.get(pk=company_id)
        if not UserAccess.objects.filter(company=company, access__name=Access.OWNER).exists():
            errors.append(f"{company.name} would lose its last owner.")
        if any(a.company_id == company_id for a in created):
            limit = billing_selectors.current_membership(company=company)
            users = UserAccess.objects.filter(company=company).count()
            if users > limit.max_users:
                errors.append(
                    f"The {limit.name} plan allows {limit.max_users} users in {company.name} (max_users); "
                    f"this change would make {users}."
                )

    remaining = list(UserAccess.objects.filter(user=user).order_by("created_at", "id"))
    wanted = None
    if explicit_primaries:
        target = explicit_primaries[0]
        wanted = (
            target.instance
            if target.instance is not None
            else next((a for a in created if a.company_id == target.company.id), None)
        )
    else:
        current = next((a for a in remaining if a.primary), None)
        unset = any(
            c.primary is False and c.instance is not None and c.instance.primary for c in changes if not c.destroy
        )
        if current is not None and unset:
            errors.append("A user keeps exactly one primary access: mark another access primary instead.")
        wanted = current or (remaining[0] if remaining else None)
    if errors:
        raise ValidationError({"base": errors})
    if wanted is not None:
        UserAccess.objects.filter(user=user, primary=True).exclude(pk=wanted.pk).update(primary=False)
        UserAccess.objects.filter(pk=wanted.pk).update(primary=True)
    return list(UserAccess.objects.filter(user=user).select_related("access"))


def _require_consent(*, actor, user) -> None:
    """Nobody is put into a company without agreeing: a new access only for a user who already holds one
    in a company the actor administers. Anyone else is not found (404) for this purpose. `actor=None`
    is the system (a command, the admin site)."""
    if actor is not None and not tenancy.users_administered_by(actor).filter(pk=user.pk).exists():
        raise NotFound()


@transaction.atomic
def user_access_create(*, actor, user, company: Company, access: Access, primary: bool = False) -> UserAccess:
    change = AccessChange(company=company, access=access, primary=primary)
    _require_level(actor=actor, change=change)  # 403 first: the caller's level in a company it sees
    _require_consent(actor=actor, user=user)
    user_accesses_apply(actor=actor, user=user, changes=[change])
    return UserAccess.objects.select_related("access").get(user=user, company=company)


def user_access_delete(*, actor, user_access: UserAccess) -> None:
    """Remove an access: an owner/admin of its company, or the user itself (leaving), unless it is the last owner."""
    leaving = actor is not None and actor.pk == user_access.user_id
    user_accesses_apply(
        actor=None if leaving else actor,
        user=user_access.user,
        changes=[AccessChange(company=user_access.company, destroy=True, instance=user_access)],
    )


# --- Invitations ----------------------------------------------------------------------------------
def _send_after_commit(invitation: Invitation) -> None:
    inviter = invitation.invited_by.full_name if invitation.invited_by else ""
    send_templated_email(
        to=invitation.email,
        template="companies/email/invitation",
        context={
            "inviter": inviter or "Leadsy",
            "company_name": invitation.company.name,
            "access_name": invitation.access.name,
            "code": invitation.code,
            "link": f"{settings.FRONTEND_URL.rstrip('/')}/invitations/{invitation.code}",
            "expires_at": f"{invitation.expires_at:%Y-%m-%d %H:%M}",
        },
    )


@transaction.atomic
def invitation_create(*, actor, company: Company, email: str, access: Access) -> Invitation:
    email = email.strip().lower()
    _require_level(actor=actor, change=AccessChange(company=company, access=access))
    if UserAccess.objects.filter(company=company, user__email__iexact=email).exists():
        raise ValidationError({"email": ["This person already has an access in the company."]})
    limit = billing_selectors.current_membership(company=company)
    if UserAccess.objects.filter(company=company).count() >= limit.max_users:
        raise ValidationError(
            {"base": [f"The {limit.name} plan allows {limit.max_users} users in {company.name} (max_users)."]}
        )
    # A new invitation supersedes the pending one for the same person and company.
    now = timezone.now()
    Invitation.objects.filter(
        company=company, email=email, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    ).update(revoked_at=now)
    invitation = Invitation.objects.create(
        company=company,
        email=email,
        access=access,
        invited_by=actor,
        code=secrets.token_urlsafe(24),
        expires_at=now + INVITATION_LIFETIME,
    )
    _send_after_commit(invitation)
    return invitation


def _require_pending(invitation: Invitation) -> None:
    status = invitation.status
    if status != Invitation.Status.PENDING:
        raise Conflict(f"This invitation is {status} and can no longer be used.")


@transaction.atomic
def invitation_revoke(*, invitation: Invitation) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    _require_pending(invitation)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    return invitation


@transaction.atomic
def invitation_resend(*, invitation: Invitation) -> Invitation:
    """Send the email again with a fresh 7 days."""
    # Lock only the invitation row (PostgreSQL refuses FOR UPDATE on the nullable side of the inviter's join).
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("company", "access", "invited_by")
        .get(pk=invitation.pk)
    )
    if invitation.accepted_at or invitation.revoked_at:
        raise Conflict(f"This invitation is {invitation.status} and can no longer be used.")
    invitation.expires_at = timezone.now() + INVITATION_LIFETIME
    invitation.save(update_fields=["expires_at"])
    _send_after_commit(invitation)
    return invitation


@transaction.atomic
def invitation_accept(*, code: str, user=None, first_name: str = "", last_name: str = "", password: str | None = None):
    """Accept an invitation: an existing user (logged in as the invited email) or a new person signing up.

    Returns the user, now holding the invited access (primary when it had none).
    """
    invitation = Invitation.objects.select_for_update().select_related("company", "access").filter(code=code).first()
    if invitation is None:
        raise NotFound()
    _require_pending(invitation)
    User = get_user_model()
    if user is not None:
        if user.email.lower() != invitation.email:
            raise PermissionDenied("This invitation was sent to another email address.")
        # The code was emailed to this address: the caller reads that mailbox.
        if not user.email_verified:
            user.email_verified = True
            user.save(update_fields=["email_verified", "updated_at"])
    else:
        errors = {}
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise ValidationError(
                {"base": ["An account with this email already exists: log in and accept the invitation."]}
            )
        if not (first_name or "").strip():
            errors["first_name"] = ["This field is required."]
        if not password:
            errors["password"] = ["This field is required."]
        else:
            try:
                validate_password(password, User(email=invitation.email, first_name=first_name, last_name=last_name))
            except ValidationError as error:
                errors["password"] = error.messages
        if errors:
            raise ValidationError(errors)
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    email=invitation.email,
                    password=password,
                    first_name=first_name.strip(),
                    last_name=(last_name or "").strip(),
                    status=User.Status.ACTIVE,
                    email_verified=True,  # the code came by email to this address
                )
        except IntegrityError:  # the same email signed up a moment ago through another path
            raise ValidationError(
                {"base": ["An account with this email already exists: log in and accept the invitation."]}
            ) from None
    if UserAccess.objects.filter(user=user, company=invitation.company).exists():
        raise Conflict("You already have an access in this company.")
    user_accesses_apply(
        actor=None, user=user, changes=[AccessChange(company=invitation.company, access=invitation.access)]
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return user


@transaction.atomic
def user_accesses_update(*, actor, user, entries: list[dict]) -> list[UserAccess]:
    """The bulk PUT: resolve the entries (unknown ids → 422 per entry, invisible companies → 404), then apply."""
    from rest_framework.exceptions import ValidationError as FieldErrors  # nested per-entry errors

    levels = {level.id: level for level in Access.objects.all()}
    visible = tenancy.companies_visible_to(actor)
    creates = False
    errors: list[dict] = [{} for _ in entries]
    changes, seen = [], set()
    for index, entry in enumerate(entries):
        instance = None
        if "id" in entry:
            instance = (
                UserAccess.objects.select_related("company", "access")
                # An id that is not one (as_id → None) matches no row: the error below.
                .filter(pk=tenancy.as_id(entry["id"]), user=user, company__in=visible)  # type: ignore[misc]
                .first()
            )
            if instance is None or instance.pk in seen:
                errors[index]["id"] = ["No such access of this user." if instance is None else "Listed twice."]
                continue
            seen.add(instance.pk)
            if "company_id" in entry and entry["company_id"] != instance.company_id:
                errors[index]["company_id"] = ["An access cannot move to another company; destroy it and create one."]
            company = instance.company
        else:
            company = tenancy.company_get_for_user(user=actor, company_id=entry["company_id"])
            creates = True
        level = None
        if "access_id" in entry:
            access_id = tenancy.as_id(entry["access_id"])
            level = levels.get(access_id) if access_id is not None else None
            if level is None:
                errors[index]["access_id"] = ["No such access level."]
        changes.append(
            AccessChange(
                company=company,
                access=level,
                primary=entry.get("primary"),
                destroy=entry.get("_destroy", False),
                instance=instance,
            )
        )
    if any(errors):
        raise FieldErrors({"user_accesses_attributes": errors})
    if creates:
        for change in changes:
            _require_level(actor=actor, change=change)  # 403 before 404, as in user_access_create
        _require_consent(actor=actor, user=user)
    return user_accesses_apply(actor=actor, user=user, changes=changes)
