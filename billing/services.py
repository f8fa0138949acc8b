"""Plan changes. A company always has exactly one active subscription (the database enforces it)."""

import calendar

from django.db import transaction
from django.utils import timezone

from leadsy.errors import Conflict, InvalidFields

from .models import Membership, Subscription
from .selectors import current_subscription, free_membership


def _lock_company(company):
    # Serialize plan changes per company: two concurrent attaches must not both cancel the same row.
    from companies.models import Company

    return Company.objects.select_for_update().get(pk=company.pk)


def _one_interval_later(start, interval: str):
    """The end of the first billing period: a calendar month (or year) later, clamped to the month's end."""
    months = 12 if interval == "year" else 1
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return start.replace(year=year, month=month, day=min(start.day, calendar.monthrange(year, month)[1]))


def _start(*, company, membership: Membership) -> Subscription:
    now = timezone.now()
    return Subscription.objects.create(
        company=company,
        membership=membership,
        started_at=now,
        # The free plan has no billing period; paid ones renew each interval (billing itself is out of scope).
        current_period_end=None if membership.is_free else _one_interval_later(now, membership.interval),
    )


def _end(subscription: Subscription) -> None:
    subscription.status = Subscription.Status.CANCELLED
    subscription.cancelled_at = timezone.now()
    subscription.save(update_fields=["status", "cancelled_at"])


@transaction.atomic
def subscribe_free(*, company) -> Subscription:
    """Put a new company on the free plan (idempotent: an existing active subscription is kept)."""
    _lock_company(company)
    return current_subscription(company=company) or _start(company=company, membership=free_membership())


@transaction.atomic
def membership_attach(*, company, membership: Membership) -> Subscription:
    """Replace the company's current plan. A plan too small for the company's users is refused."""
    from companies.models import UserAccess

    _lock_company(company)
    users = UserAccess.objects.filter(company=company).count()
    if users > membership.max_users:
        raise InvalidFields(
            {
                "membership_id": [
                    f"The {membership.name} plan allows {membership.max_users} users; the company has {users}."
                ]
            }
        )
    current = current_subscription(company=company)
    if current is not None:
        if current.membership_id == membership.id:
            raise Conflict(f"The company is already on the {membership.name} plan.")
        _end(current)
    return _start(company=company, membership=membership)


@transaction.atomic
def subscription_cancel(*, company) -> Subscription:
    """Cancel the paid plan and fall back to the free one; returns the cancelled subscription."""
    _lock_company(company)
    current = current_subscription(company=company)
    if current is None or current.membership.is_free:
        raise Conflict("The company is already on the free plan.")
    _end(current)
    _start(company=company, membership=free_membership())
    current.refresh_from_db()
    return current
