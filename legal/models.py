from django.conf import settings
from django.db import models


class LegalTerm(models.Model):
    """One version of the terms and conditions. The current one is the latest already published."""

    version = models.CharField(max_length=32, unique=True, help_text="e.g. 2026-02")
    title = models.CharField(max_length=200)
    body = models.TextField()
    published_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="Empty = draft. Becomes current once this moment has passed."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return f"{self.version}: {self.title}"


class TermsAcceptance(models.Model):
    """Who accepted which version, when and from where: kept as evidence, never edited."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="terms_acceptances")
    legal_term = models.ForeignKey(LegalTerm, on_delete=models.PROTECT, related_name="acceptances")
    accepted_at = models.DateTimeField(auto_now_add=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)

    class Meta:
        ordering = ["-accepted_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "legal_term"], name="legal_acceptance_once_per_term")]

    def __str__(self) -> str:
        return f"{self.user} accepted {self.legal_term.version}"
