from django.conf import settings
from django.db import models
from django.db.models import Q


class Access(models.Model):
    """An access level (owner, admin, manager, agent), seeded by a data migration."""

    OWNER, ADMIN, MANAGER, AGENT = "owner", "admin", "manager", "agent"

    name = models.CharField(max_length=32, unique=True)
    description = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "accesses"

    def __str__(self) -> str:
        return self.name


class Company(models.Model):
    name = models.CharField(max_length=200)
    parent_company = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="child_companies"
    )
    country = models.CharField(
        max_length=2, blank=True, help_text="ISO 3166-1 alpha-2; default phone region for imports."
    )
    cycles_enabled = models.BooleanField(default=False)
    avatar = models.ImageField(upload_to="avatars/companies/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "companies"

    def __str__(self) -> str:
        return self.name

    @property
    def default(self) -> bool:
        """The root of a company tree is its default company."""
        return self.parent_company_id is None


class UserAccess(models.Model):
    """What a user may do in one company. A user sees only companies where it holds one."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="user_accesses")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="user_accesses")
    access = models.ForeignKey(Access, on_delete=models.PROTECT, related_name="user_accesses")
    primary = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "user accesses"
        constraints = [
            models.UniqueConstraint(fields=["user", "company"], name="companies_useraccess_one_per_company"),
            models.UniqueConstraint(
                fields=["user"], condition=Q(primary=True), name="companies_useraccess_one_primary_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.company} ({self.access})"


class Cycle(models.Model):
    """A period of a company's work (e.g. a quarter). Cycles of one company never overlap.

    On PostgreSQL an exclusion constraint (migration 0004) refuses overlaps even under races;
    the service validates first so both databases answer 422 with a reason.
    """

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="cycles")
    name = models.CharField(max_length=100)
    starts_on = models.DateField()
    ends_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_on__lte=models.F("ends_on")), name="companies_cycle_starts_before_end"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.starts_on} to {self.ends_on})"


class Invitation(models.Model):
    """An email invited into a company at an access level; the code in the email is the only key."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        EXPIRED = "expired", "Expired"
        REVOKED = "revoked", "Revoked"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254, db_index=True)
    access = models.ForeignKey(Access, on_delete=models.PROTECT, related_name="invitations")
    code = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="invitations_sent"
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.email} → {self.company} ({self.access})"

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)

    @property
    def status(self) -> str:
        from django.utils import timezone

        if self.accepted_at:
            return self.Status.ACCEPTED
        if self.revoked_at:
            return self.Status.REVOKED
        if self.expires_at <= timezone.now():
            return self.Status.EXPIRED
        return self.Status.PENDING
