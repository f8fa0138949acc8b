"""Reads of stages, campaigns, questions and leads, scoped by tenancy through `companies.access`.

Every `*_get_for_user` fetches and authorizes in one call: an id that does not exist and an id of a
company the user cannot see both raise the same NotFound.
"""

from django.db.models import Count, F, Prefetch, Q, QuerySet

from companies.access import company_get_for_user
from companies.models import Company
from leadsy.errors import NotFound
from leadsy.ids import as_id

from .models import Campaign, Lead, Option, Question, Stage

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


def _company_id_of(model, pk: int | None, field: str = "company_id") -> int | None:
    """The company owning the row, read without loading the row; None when there is no such row."""
    if pk is None:
        return None
    return model.objects.filter(pk=pk).values_list(field, flat=True).first()


def stage_list() -> QuerySet[Stage]:
    return Stage.objects.order_by("position")


# --- campaigns ----------------------------------------------------------------------------------


def _campaigns() -> QuerySet[Campaign]:
    return Campaign.objects.annotate(questions_count=Count("questions")).order_by("-created_at", "-id")


def campaign_list(*, company: Company, status: str | None = None) -> QuerySet[Campaign]:
    campaigns = _campaigns().filter(company=company)
    if status:
        campaigns = campaigns.filter(status=status)
    return campaigns


def campaign_get_for_user(*, user, campaign_id, permission: str = "campaigns.view", lock: bool = False) -> Campaign:
    """The campaign with `questions_count`; 404 when missing or outside the user's companies, 403 by level."""
    campaign_id = as_id(campaign_id)
    company_id = _company_id_of(Campaign, campaign_id, "company_id")
    if company_id is None:
        raise NotFound()
    company_get_for_user(user=user, company_id=company_id, permission=permission)
    if lock:
        # Serialize changes to one campaign's questions: positions are renumbered as a whole.
        return Campaign.objects.select_for_update().get(pk=campaign_id)
    return _campaigns().get(pk=campaign_id)


# --- questions ----------------------------------------------------------------------------------


def questions_with_options(questions: QuerySet[Question]) -> QuerySet[Question]:
    return questions.prefetch_related(Prefetch("options", queryset=Option.objects.order_by("position")))


def question_list(*, campaign: Campaign) -> QuerySet[Question]:
    return questions_with_options(Question.objects.filter(campaign=campaign).order_by("position"))


def question_get_for_user(*, user, question_id, permission: str = "campaigns.view") -> Question:
    question_id = as_id(question_id)
    company_id = _company_id_of(Question, question_id, "campaign__company_id")
    if company_id is None:
        raise NotFound()
    company_get_for_user(user=user, company_id=company_id, permission=permission)
    return questions_with_options(Question.objects.filter(pk=question_id)).get()


# --- leads --------------------------------------------------------------------------------------


def _leads() -> QuerySet[Lead]:
    # The import is read through one column, not a join of the whole import row.
    return Lead.objects.select_related("stage").annotate(import_code=F("import_file__import_code"))


def lead_list(
    *,
    company: Company,
    stage_id: int | None = None,
    campaign_id: int | None = None,
    import_code: str | None = None,
    q: str | None = None,
    ordering: str = DEFAULT_LEAD_ORDERING,
) -> QuerySet[Lead]:
    leads = _leads().filter(company=company)
    if stage_id is not None:
        leads = leads.filter(stage_id=stage_id)
    if campaign_id is not None:
        leads = leads.filter(campaign_id=campaign_id)
    if import_code:
        leads = leads.filter(import_file__import_code=import_code)
    if q:
        # Every word must match one of the fields, so "ana garcia" finds Ana García's row.
        for word in q.split():
            leads = leads.filter(
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(email__icontains=word)
                | Q(phone__icontains=word)
                | Q(company_name__icontains=word)
            )
    return leads.order_by(*LEAD_ORDERINGS[ordering])


def lead_get_for_user(*, user, lead_id) -> Lead:
    lead_id = as_id(lead_id)
    company_id = _company_id_of(Lead, lead_id, "company_id")
    if company_id is None:
        raise NotFound()
    company_get_for_user(user=user, company_id=company_id, permission="leads.view")
    return _leads().get(pk=lead_id)
