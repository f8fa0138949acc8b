from django.db import models
from django.db.models import Q


class Membership(models.Model):
    """A plan. Every plan has integer limits; exactly one is the free plan new companies start on."""

    name = models.CharField(max_length=64, unique=True)
    price_cents = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3, default="USD")
    interval = models.CharField(max_length=16, default="month")
    max_users = models.PositiveIntegerField()
    max_leads_per_import = models.PositiveIntegerField()
    features = models.JSONField(default=list, blank=True)
    is_free = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["price_cents", "id"]
        constraints = [
            models.UniqueConstraint(fields=["is_free"], condition=Q(is_free=True), name="billing_one_free_plan")
        ]

    def __str__(self) -> str:
        return self.name


class Subscription(models.Model):
    """A company's plan over time. The active row is the current plan; cancelled rows are the history."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        CANCELLED = "cancelled", "Cancelled"

    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="subscriptions")
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="subscriptions")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    started_at = models.DateTimeField()
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            # The database refuses a second current plan, whatever races the services lose.
            models.UniqueConstraint(
                fields=["company"], condition=Q(status="active"), name="billing_one_active_subscription_per_company"
            )
        ]

    def __str__(self) -> str:
        return f"{self.company} on {self.membership} ({self.status})"
