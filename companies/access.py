"""Tenancy, in one place: which companies a user may see, and what its access level lets it do.

Every company-scoped view and selector in every app goes through here. A company the user holds
no access in does not exist for it (404); a visible company where its level is too low is 403.
"""

from django.db.models import OuterRef, Q, QuerySet, Subquery
from rest_framework.exceptions import NotFound, PermissionDenied

from leadsy.ids import MAX_ID, as_id  # noqa: F401 - importable from here for accounts/companies

from .models import Access, Company, UserAccess

_ALL = frozenset({Access.OWNER, Access.ADMIN, Access.MANAGER, Access.AGENT})
_ADMINS = frozenset({Access.OWNER, Access.ADMIN})
_RUNNERS = frozenset({Access.OWNER, Access.ADMIN, Access.MANAGER})

# What each access level may do. The README's table is written from this one.
PERMISSIONS: dict[str, frozenset[str]] = {
    "company.view": _ALL,
    "company.manage": _ADMINS,  # settings, avatar, cycles, child companies
    "users.view": _ALL,
    "users.manage": _ADMINS,  # user accesses, creating users in the company
    "invitations.manage": _ADMINS,
    "memberships.manage": _ADMINS,
    "campaigns.view": _ALL,
    "campaigns.manage": _RUNNERS,
    "leads.view": _ALL,
    "imports.view": _ALL,
    "imports.manage": _RUNNERS,  # upload, cancel
}


def companies_visible_to(user) -> QuerySet[Company]:
    if not user.is_authenticated:
        return Company.objects.none()
    return Company.objects.filter(user_accesses__user=user)


def annotate_access_level(queryset: QuerySet, *, user, company_field: str = "company_id") -> QuerySet:
    """Add `access_level`: the user's level in each row's company (None when it holds none), in the same query.

    For hot reads of one object (import status polling): fetch and authorize in one round trip, then
    `require(..., level=obj.access_level)`.
    """
    level = UserAccess.objects.filter(user=user, company_id=OuterRef(company_field)).values("access__name")[:1]
    return queryset.annotate(access_level=Subquery(level))


def access_name(*, user, company_id: int) -> str | None:
    """The user's access level in the company, or None when it holds none."""
    if not user.is_authenticated:
        return None
    return UserAccess.objects.filter(user=user, company_id=company_id).values_list("access__name", flat=True).first()


def can(*, user, company_id: int, permission: str) -> bool:
    return access_name(user=user, company_id=company_id) in PERMISSIONS[permission]


def company_get_for_user(*, user, company_id, permission: str = "company.view") -> Company:
    """Fetch and authorize in one call: the company, 404 when invisible, 403 when the level is too low."""
    company_id = as_id(company_id)
    if company_id is None or not user.is_authenticated:
        raise NotFound()
    access = UserAccess.objects.select_related("company", "access").filter(user=user, company_id=company_id).first()
    if access is None:
        raise NotFound()
    require(user=user, company_id=company_id, permission=permission, level=access.access.name)
    return access.company


def require(*, user, company_id: int, permission: str, level: str | None = None) -> None:
    """403 unless the user's level in this (visible) company grants the permission."""
    level = level if level is not None else access_name(user=user, company_id=company_id)
    if level not in PERMISSIONS[permission]:
        raise PermissionDenied("Your access level in this company does not allow this action.")


def users_visible_to(viewer):
    """Users the viewer may see: itself and everyone sharing at least one company with it."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    if not viewer.is_authenticated:
        return User.objects.none()
    shared = UserAccess.objects.filter(company__user_accesses__user=viewer).values("user_id")
    return User.objects.filter(Q(pk=viewer.pk) | Q(pk__in=shared))


def user_get_visible(*, viewer, user_id):
    """A user the viewer may see, else 404 (an invisible user and a missing one look the same)."""
    user_id = as_id(user_id)
    user = users_visible_to(viewer).filter(pk=user_id).first() if user_id is not None else None
    if user is None:
        raise NotFound()
    return user
