"""Reads about plans. Other apps ask here for a company's limits (keyword `company=`)."""

from django.db.models import QuerySet

from .models import Membership, Subscription


def membership_list() -> QuerySet[Membership]:
    return Membership.objects.all()


def free_membership() -> Membership:
    return Membership.objects.get(is_free=True)


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
