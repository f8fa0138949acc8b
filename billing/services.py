"""Plan changes. A company always has exactly one active subscription (the database enforces it)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from leadsy.api.errors import Conflict

from .models import Membership, Subscription
from .selectors import current_subscription, free_membership


def _lock_company(company):
    # Serialize plan changes per company: two concurrent attaches must not both cancel the same row.
    from companies.models import Company

    return Company.objects.select_for_update().get(pk=company.pk)


def _start(*, company, membership: Membership) -> Subscription:
    return Subscription.objects.create(company=company, membership=membership, started_at=timezone.now())


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
        raise ValidationError(
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
