"""Reads about plans. Other apps ask here for a company's limits (keyword `company=`)."""

from django.db.models import QuerySet

from .models import Membership, Subscription
from .plans import ensure_plans


def membership_list() -> QuerySet[Membership]:
    return Membership.objects.all()


def free_membership() -> Membership:
    free = Membership.objects.filter(is_free=True).first()
    if free is None:  # plans are reference data: restore them (after a test flush, or a hand-emptied table)
        ensure_plans()
        free = Membership.objects.get(is_free=True)
    return free


def current_subscription(*, company) -> Subscription | None:
    return (
        Subscription.objects.select_related("membership")
        .filter(company=company, status=Subscription.Status.ACTIVE)
        .first()
    )


def current_membership(*, company) -> Membership:
    """The company's plan; the free plan when (unexpectedly) it has no active subscription."""
    subscription = current_subscription(company=company)
    return subscription.membership if subscription else free_membership()


def max_users(*, company) -> int:
    return current_membership(company=company).max_users


def max_leads_per_import(*, company) -> int:
    return current_membership(company=company).max_leads_per_import


def subscription_history(*, company) -> QuerySet[Subscription]:
    return Subscription.objects.select_related("membership").filter(company=company)
