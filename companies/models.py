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
