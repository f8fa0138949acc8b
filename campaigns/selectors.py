"""Reads of stages, campaigns, questions and leads, scoped by tenancy through `companies.access`.

Company data is read only with a `Tenant` (`companies.access.tenant_for`, run by `CompanyScopedView`
before the handler): a selector here cannot be called with a bare company or id. An id that does not
exist and an id of another company both raise the same NotFound.
"""

from django.db import connection
from django.db.models import Count, F, Prefetch, QuerySet

from companies.access import Tenant, require_tenant
from leadsy.errors import NotFound
from leadsy.ids import as_id

from .models import Campaign, Lead, Option, Question, Stage
from .search import lead_search_filter

# `?ordering=` of the leads list: the public name → the database ordering (id breaks ties).
LEAD_ORDERINGS = {
    "created_at": ["created_at", "id"],
    "-created_at": ["-created_at", "-id"],
    "first_name": ["first_name", "id"],
    "-first_name": ["-first_name", "-id"],
    "last_name": ["last_name", "id"],
    "-last_name": ["-last_name", "-id"],
    "email": ["email", "id"],
    "-email": ["-email", "-id"],
    "company_name": ["company_name", "id"],
    "-company_name": ["-company_name", "-id"],
}
DEFAULT_LEAD_ORDERING = "-created_at"


def stage_list() -> QuerySet[Stage]:
    return Stage.objects.order_by("position")


# --- campaigns ----------------------------------------------------------------------------------


def _campaigns() -> QuerySet[Campaign]:
    return Campaign.objects.annotate(questions_count=Count("questions")).order_by("-created_at", "-id")


def campaign_list(*, tenant: Tenant, status: str | None = None) -> QuerySet[Campaign]:
    campaigns = _campaigns().filter(company=require_tenant(tenant).company)
    if status:
        campaigns = campaigns.filter(status=status)
    return campaigns


def campaign_get(*, tenant: Tenant, campaign_id) -> Campaign:
    """The tenant's campaign with `questions_count`; 404 when missing or another company's."""
    campaign = _campaigns().filter(company=require_tenant(tenant).company, pk=as_id(campaign_id) or 0).first()
    if campaign is None:
        raise NotFound()
    return campaign


# --- questions ----------------------------------------------------------------------------------


def questions_with_options(questions: QuerySet[Question]) -> QuerySet[Question]:
    return questions.prefetch_related(Prefetch("options", queryset=Option.objects.order_by("position")))


def question_list(*, campaign: Campaign) -> QuerySet[Question]:
    return questions_with_options(Question.objects.filter(campaign=campaign).order_by("position"))


def question_get(*, tenant: Tenant, question_id) -> Question:
    questions = Question.objects.filter(campaign__company=require_tenant(tenant).company, pk=as_id(question_id) or 0)
    question = questions_with_options(questions).first()
    if question is None:
        raise NotFound()
    return question


# --- leads --------------------------------------------------------------------------------------


def _leads() -> QuerySet[Lead]:
    # The import is read through one column, not a join of the whole import row.
    return Lead.objects.select_related("stage").annotate(import_code=F("import_file__import_code"))


def lead_list(
    *,
    tenant: Tenant,
    stage_id: int | None = None,
    campaign_id: int | None = None,
    import_code: str | None = None,
    q: str | None = None,
    ordering: str = DEFAULT_LEAD_ORDERING,
) -> QuerySet[Lead]:
    company = require_tenant(tenant).company
    leads = _leads().filter(company=company)
    if stage_id is not None:
        leads = leads.filter(stage_id=stage_id)
    if campaign_id is not None:
        leads = leads.filter(campaign_id=campaign_id)
    if import_code:
        leads = leads.filter(import_file__import_code=import_code)
    if q:
        # Every word must match one of the fields, accents and case aside: "ana garcia" finds Ana García's row.
        leads = lead_search_filter(leads, company_id=company.pk, q=q)
    return leads.order_by(*LEAD_ORDERINGS[ordering])


def lead_get(*, tenant: Tenant, lead_id) -> Lead:
    lead = _leads().filter(company=require_tenant(tenant).company, pk=as_id(lead_id) or 0).first()
    if lead is None:
        raise NotFound()
    return lead


def lead_extra_keys(leads: QuerySet[Lead]) -> list[str]:
    """Every `extra` key of these leads, sorted, in one query (PostgreSQL: `jsonb_object_keys`;
    SQLite: `json_each`). The export makes one column of each."""
    sql, params = leads.order_by().values("extra").query.sql_with_params()
    if connection.vendor == "postgresql":
        keys_sql = (
            f"SELECT DISTINCT k FROM ({sql}) AS t, jsonb_object_keys(t.extra) AS k "  # noqa: S608 - compiled ORM SQL
            "WHERE jsonb_typeof(t.extra) = 'object'"
        )
    else:
        keys_sql = (
            f"SELECT DISTINCT j.key FROM ({sql}) AS t, json_each(t.extra) AS j "  # noqa: S608 - compiled ORM SQL
            "WHERE json_type(t.extra) = 'object'"
        )
    with connection.cursor() as cursor:
        cursor.execute(keys_sql, params)
        keys = [row[0] for row in cursor.fetchall()]
    return sorted(keys, key=lambda key: (key.casefold(), key))
