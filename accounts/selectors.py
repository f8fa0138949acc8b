"""Reads about users. `primary_access_for` is the one place that knows how a user's primary access is found."""

from django.db.models import Prefetch, QuerySet

from companies.models import UserAccess


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
