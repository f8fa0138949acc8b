"""Reads scoped by tenancy (companies/access.py)."""

from django.db.models import Case, Q, QuerySet, When
from django.utils import timezone

from accounts.selectors import with_primary_access

from . import access as tenancy
from .models import Access, Company, Invitation, UserAccess


def company_list_for_user(*, user) -> QuerySet[Company]:
    from django.db.models import Prefetch

    from billing.models import Subscription

    return (
        tenancy.companies_visible_to(user)
        .prefetch_related(
            Prefetch(
                "subscriptions",
                queryset=Subscription.objects.filter(status=Subscription.Status.ACTIVE).select_related("membership"),
                to_attr="_active_subscriptions",
            )
        )
        .order_by("id")
    )


def access_list() -> QuerySet[Access]:
    return Access.objects.all()


def company_users(*, tenant: tenancy.Tenant, q: str = ""):
    """Users of a company, each with its access there (`company_access`), searchable by name or email."""
    from django.contrib.auth import get_user_model
    from django.db.models import Prefetch

    company = tenancy.require_tenant(tenant).company
    users = get_user_model().objects.filter(user_accesses__company=company)
    q = (q or "").strip()
    if q:
        users = users.filter(Q(email__icontains=q) | Q(first_name__icontains=q) | Q(last_name__icontains=q))
    users = users.prefetch_related(
        Prefetch(
            "user_accesses",
            queryset=UserAccess.objects.filter(company=company).select_related("access"),
            to_attr="_company_accesses",
        )
    )
    return with_primary_access(users).order_by("id")


def user_accesses_visible(*, viewer, user, company: Company | None = None) -> QuerySet[UserAccess]:
    """The user's accesses in companies the viewer can see."""
    accesses = UserAccess.objects.select_related("access").filter(
        user=user, company__in=tenancy.companies_visible_to(viewer)
    )
    if company is not None:
        accesses = accesses.filter(company=company)
    return accesses.order_by("id")


def pending_invitations(*, viewer, email: str | None = None) -> QuerySet[Invitation]:
    """Pending invitations addressed to the viewer, or sent by companies where it manages invitations.

    Each carries `code_visible`: the code is for the inviting company's owners/admins and for an
    invitee whose email is verified. An unverified invitee sees its invitation without the code (it
    must use the emailed link), so signing up with someone else's address steals nothing.
    """
    managed = UserAccess.objects.filter(user=viewer, access__name__in=tenancy.PERMISSIONS["invitations.manage"]).values(
        "company_id"
    )
    invitations = Invitation.objects.filter(
        Q(email__iexact=viewer.email) | Q(company_id__in=managed),
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    )
    if email:
        invitations = invitations.filter(email__iexact=email.strip())
    own_verified = Q(email__iexact=viewer.email) if viewer.email_verified else Q(pk__in=[])
    invitations = invitations.annotate(
        code_visible=Case(When(Q(company_id__in=managed) | own_verified, then=True), default=False)
    )
    return invitations.select_related("company", "access", "invited_by").order_by("-created_at", "-id")
