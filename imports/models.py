import secrets

from django.conf import settings
from django.db import models

from leadsy.storage import get_private_storage


def new_import_code() -> str:
    return secrets.token_urlsafe(16)


class ImportFile(models.Model):
    """One uploaded lead file and the state of its processing (the contract's `import_file`)."""

    class Status(models.IntegerChoices):
        PENDING = 0, "pending"
        PROCESSING = 1, "processing"
        COMPLETED = 2, "completed"
        FAILED = 3, "failed"
        CANCELLED = 4, "cancelled"

    import_code = models.CharField(max_length=32, unique=True, default=new_import_code, editable=False)
    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="import_files")
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="import_files"
    )
    campaign = models.ForeignKey("campaigns.Campaign", null=True, blank=True, on_delete=models.SET_NULL)
    stage = models.ForeignKey("campaigns.Stage", null=True, blank=True, on_delete=models.SET_NULL)
    status = models.PositiveSmallIntegerField(choices=Status.choices, default=Status.PENDING, db_index=True)
    original_name = models.CharField(max_length=255, blank=True)
    original_file = models.FileField(upload_to="imports/originals/", storage=get_private_storage, max_length=255)
    error_file = models.FileField(upload_to="imports/errors/", storage=get_private_storage, max_length=255, blank=True)
    options = models.JSONField(default=dict, blank=True, help_text="on_duplicate, mapping, default_country, ...")
    total_records = models.PositiveIntegerField(default=0)
    processed_records = models.PositiveIntegerField(default=0)
    failed_records = models.PositiveIntegerField(default=0)
    # Of failed_records, the rows skipped as duplicates (they are still failed rows in the error file).
    duplicate_records = models.PositiveIntegerField(default=0)
    # Imported rows with a value that could not be used for an optional field (kept in extra).
    warning_records = models.PositiveIntegerField(default=0)
    # warning -> rows, the most frequent first (at most WARNINGS_KEPT); the API shows the first ten.
    warning_counts = models.JSONField(default=dict, blank=True, editable=False)
    error_message = models.TextField(null=True, blank=True)  # noqa: DJ001 - the contract answers null
    # What the upload check found (kind, encoding, delimiter, header), so processing need not re-inspect.
    file_format = models.JSONField(default=dict, blank=True, editable=False)
    # Data rows fully handled and committed; a resumed run skips them.
    checkpoint_rows = models.PositiveIntegerField(default=0)
    # The lease: only the runner named here may commit chunks, until the lease expires.
    lease_owner = models.CharField(max_length=200, blank=True, default="")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Runs that took the lease")
    # The client's Idempotency-Key of the upload and the file's SHA-256: a retried POST answers this import.
    idempotency_key = models.CharField(max_length=255, blank=True, default="", editable=False)
    content_sha256 = models.CharField(max_length=64, blank=True, default="", editable=False)
    # When the retention task deleted the original and error files (the row and its counters stay).
    files_expired_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When the importer was emailed that this import finished: a redelivered finish task sends nothing more.
    finished_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    WARNINGS_KEPT = 100
    WARNINGS_SHOWN = 10

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["imported_by", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="import_idempotency_key_per_user",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "status", "-created_at"], name="import_company_status_idx"),
            models.Index(fields=["status", "lease_expires_at"], name="import_status_lease_idx"),
            # The daily retention task looks only at imports whose files are still stored.
            models.Index(
                fields=["finished_at"], condition=models.Q(files_expired_at=None), name="import_files_kept_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.import_code} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.COMPLETED, self.Status.FAILED, self.Status.CANCELLED)

    @property
    def success_rate(self) -> float:
        if not self.total_records:
            return 0.0
        return round(100 * (self.processed_records - self.failed_records) / self.total_records, 2)


def merge_warning_counts(counts: dict[str, int], new: dict[str, int]) -> dict[str, int]:
    """The most frequent warnings of both, at most ImportFile.WARNINGS_KEPT of them."""
    merged = dict(counts)
    for warning, count in new.items():
        merged[warning] = merged.get(warning, 0) + count
    ranked = sorted(merged.items(), key=lambda item: (-item[1], item[0]))[: ImportFile.WARNINGS_KEPT]
    return dict(ranked)


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class Webhook(models.Model):
    """A company's receiver of import events (endpoints 63-66): deliveries are signed with `secret`."""

    EVENTS = ("import.completed", "import.failed")

    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list)
    secret = models.CharField(max_length=200, editable=False)
    is_active = models.BooleanField(default=True, help_text="Off once deliveries failed for 3 days")
    # The first failed attempt since the last success; a webhook failing this long is disabled.
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["company", "-created_at"], name="webhook_company_created_idx")]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event sent (or being sent) to one webhook: the exact body, tried until 2xx or out of attempts."""

    class Status(models.IntegerChoices):
        PENDING = 0, "pending"
        SUCCEEDED = 1, "succeeded"
        FAILED = 2, "failed"

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=50)
    import_file = models.ForeignKey(ImportFile, null=True, blank=True, on_delete=models.SET_NULL)
    body = models.TextField(help_text="The JSON sent, byte for byte the same at every attempt")
    status = models.PositiveSmallIntegerField(choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    # When the next attempt is due (pending only); taking an attempt moves it forward (a claim).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["webhook", "-created_at"], name="delivery_webhook_created_idx"),
            models.Index(fields=["next_attempt_at"], condition=models.Q(status=0), name="delivery_pending_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.webhook_id} ({self.get_status_display()})"
