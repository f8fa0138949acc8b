from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower


class Stage(models.Model):
    """A step of the lead pipeline (New, Contacted, ...), seeded by a data migration."""

    name = models.CharField(max_length=64, unique=True)
    position = models.PositiveIntegerField(unique=True)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        FINISHED = "finished", "Finished"

    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["company", "status"])]

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    """A qualification question of a campaign. Positions are 1..n per campaign, kept by the services."""

    class Kind(models.TextChoices):
        SINGLE_CHOICE = "single_choice", "Single choice"
        MULTIPLE_CHOICE = "multiple_choice", "Multiple choice"
        TEXT = "text", "Text"
        NUMBER = "number", "Number"

    CHOICE_KINDS = frozenset({Kind.SINGLE_CHOICE, Kind.MULTIPLE_CHOICE})

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="questions")
    text = models.CharField(max_length=500)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    required = models.BooleanField(default=False)
    position = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["campaign", "position"]
        constraints = [
            # The services renumber through a high offset first, so this holds at every statement.
            models.UniqueConstraint(fields=["campaign", "position"], name="campaigns_question_position_unique"),
            models.CheckConstraint(condition=Q(position__gte=1), name="campaigns_question_position_positive"),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def takes_options(self) -> bool:
        return self.kind in self.CHOICE_KINDS


class Option(models.Model):
    """One answer a choice question offers."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(max_length=255)
    value = models.CharField(max_length=255)
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["question", "position"]
        constraints = [
            models.UniqueConstraint(fields=["question", "position"], name="campaigns_option_position_unique"),
            models.CheckConstraint(condition=Q(position__gte=1), name="campaigns_option_position_positive"),
        ]

    def __str__(self) -> str:
        return self.label


class Lead(models.Model):
    """A prospect of one company. The database itself refuses a duplicate email or phone per company.

    `email` is stored lower-cased and `phone` in E.164; both are NULL when absent so that the
    partial unique constraints ignore them.
    """

    # Every index slows each imported row down, so there are no redundant ones: the company's index is
    # the (company, created_at) one; stages are global, so they are indexed per company; a campaign or
    # an import belongs to one company, so its own index also serves "this company's leads of it".
    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="leads", db_index=False)
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads")
    stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="leads", db_index=False
    )
    import_file = models.ForeignKey(
        "imports.ImportFile", null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    email = models.CharField(max_length=254, null=True, blank=True)  # noqa: DJ001 - NULL = absent, skipped by the unique index
    phone = models.CharField(max_length=20, null=True, blank=True)  # noqa: DJ001 - NULL = absent, skipped by the unique index
    company_name = models.CharField(max_length=255, blank=True)
    job_title = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=150, blank=True)
    country = models.CharField(max_length=2, blank=True)
    source = models.CharField(max_length=100, blank=True)
    notes = models.TextField(blank=True)
    extra = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                F("company"), Lower("email"), condition=Q(email__isnull=False), name="campaigns_lead_email_per_company"
            ),
            models.UniqueConstraint(
                fields=["company", "phone"], condition=Q(phone__isnull=False), name="campaigns_lead_phone_per_company"
            ),
        ]
        indexes = [
            # The list's default order, tie-breaker included: an import gives a whole chunk of leads
            # one created_at, which without `id` here costs a sort of the whole chunk per page.
            models.Index(fields=["company", "-created_at", "-id"], name="lead_company_newest_idx"),
            models.Index(fields=["company", "stage"], name="lead_company_stage_idx"),
        ]

    def __str__(self) -> str:
        return self.email or self.phone or f"Lead {self.pk}"


# The contact fields a lead file fills, in the order the import template offers them; every other
# Lead column is set by the import itself (company, campaign, stage, import_file, extra). Imports
# and the bulk writer take this list and the lengths below from here, so a new field is one edit.
LEAD_CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "company_name",
    "job_title",
    "city",
    "country",
    "source",
    "notes",
)
# The plain text ones (email and phone have their own normal form).
LEAD_TEXT_FIELDS = tuple(name for name in LEAD_CONTACT_FIELDS if name not in ("email", "phone"))
# field -> max_length, for the text fields that have one (notes is unbounded).
LEAD_MAX_LENGTHS = {
    name: Lead._meta.get_field(name).max_length
    for name in LEAD_TEXT_FIELDS
    if Lead._meta.get_field(name).max_length is not None
}


class LeadSearch(models.Model):
    """A lead's searched fields in one folded text (accents removed, lower case), for `?q=` (campaigns/search.py).

    A table of its own, not a column of `campaigns_lead`: on PostgreSQL `document` has a trigram GIN index
    (created by the migration), and every index on the lead table is paid by each imported row. Imports do not
    write here; a Celery task fills it after the import (`lead_search_index_pending`), and until then the leads
    are found through `LeadSearchPending`. No foreign keys in the database: a lead deleted by set-based SQL
    leaves an orphan row here, which no search returns (searches go through `campaigns_lead`), rather than a
    failed commit.
    """

    lead = models.OneToOneField(
        Lead, primary_key=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="search"
    )
    company_id = models.BigIntegerField()
    document = models.TextField()

    def __str__(self) -> str:
        return f"Lead {self.lead_id}"


class LeadSearchPending(models.Model):
    """Leads written by an import and not yet in `LeadSearch`: one row per imported chunk, a range of lead ids
    (other companies' leads inside the range are excluded by `company_id`). Searches scan these ranges of the
    lead table directly, so a lead is findable from the commit that wrote it."""

    company_id = models.BigIntegerField()
    first_lead_id = models.BigIntegerField()
    last_lead_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["company_id"], name="leadsearchpending_company_idx")]

    def __str__(self) -> str:
        return f"Leads {self.first_lead_id} to {self.last_lead_id} of company {self.company_id}"
