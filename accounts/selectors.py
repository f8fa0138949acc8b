"""Reads about users. `primary_access_for` is the one place that knows how a user's primary access is found."""

from django.db.models import Prefetch, QuerySet
from rest_framework.exceptions import NotFound

from companies.access import PERMISSIONS, as_id, users_visible_to
from companies.models import Access, UserAccess


def with_primary_access(users: QuerySet) -> QuerySet:
    """Prefetch what the user object shows, so a list of users costs a constant number of queries."""
    return users.prefetch_related(
        Prefetch(
            "user_accesses",
            queryset=UserAccess.objects.filter(primary=True).select_related("company", "access"),
            to_attr="_primary_accesses",
        )
    )


def primary_access_for(user) -> UserAccess | None:
    if hasattr(user, "_primary_accesses"):
        return user._primary_accesses[0] if user._primary_accesses else None
    return UserAccess.objects.filter(user=user, primary=True).select_related("company", "access").first()


def user_get_for_user(*, user, user_id):
    """A user the caller can see (the tenancy module's rule), else 404; ready for UserSerializer."""
    user_id = as_id(user_id)
    target = with_primary_access(users_visible_to(user)).filter(id=user_id).first() if user_id else None
    if target is None:
        raise NotFound()
    return target


def user_find_by_email_for_user(*, user, email: str):
    target = with_primary_access(users_visible_to(user)).filter(email__iexact=email.strip()).first()
    if target is None:
        raise NotFound()
    return target


def user_list_for_user(*, user, company_id: int | None = None) -> QuerySet:
    users = users_visible_to(user)
    if company_id is not None:
        users = users.filter(user_accesses__company_id=company_id)
    return with_primary_access(users.order_by("id"))


def user_administered_by(*, actor, user) -> bool:
    """Owner/admin of **every** company the user belongs to (and owner wherever the user is owner).

    "Any one" is not enough: anyone can create a company, and a user added to it would otherwise be
    administered by its creator (issue 13). Owners are managed by owners only, as with access levels,
    so an admin cannot lock out the company's owner. A user in no company is administered by nobody.
    """
    if not actor.is_authenticated or actor.pk == user.pk:
        return False
    user_levels = dict(UserAccess.objects.filter(user=user).values_list("company_id", "access__name"))
    if not user_levels:
        return False
    actor_levels = dict(
        UserAccess.objects.filter(
            user=actor, company_id__in=user_levels, access__name__in=PERMISSIONS["users.manage"]
        ).values_list("company_id", "access__name")
    )
    return all(
        company_id in actor_levels and (actor_levels[company_id] == Access.OWNER or level != Access.OWNER)
        for company_id, level in user_levels.items()
    )
