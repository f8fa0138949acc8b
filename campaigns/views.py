from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from companies.access import CompanyScopedView, company_of
from leadsy.api.input import validated, validated_query
from leadsy.api.pagination import CappedMetaSerializer, object_response, paginated_response
from leadsy.api.schema import PAGINATION_PARAMETERS, envelope, list_envelope

from . import selectors, services
from .models import Campaign, Lead, Question
from .serializers import (
    CampaignCreateSerializer,
    CampaignListParamsSerializer,
    CampaignSerializer,
    LeadListParamsSerializer,
    LeadSerializer,
    QuestionCreateSerializer,
    QuestionOptionsBulkUpdateSerializer,
    QuestionSerializer,
    StageSerializer,
)

# Built once: drf-spectacular refuses two components of one name built twice.
CAMPAIGN = envelope("campaign", CampaignSerializer)
QUESTION = envelope("question", QuestionSerializer)
LEAD = envelope("lead", LeadSerializer)
QUESTIONS = list_envelope("questions", QuestionSerializer)


class StageListView(APIView):
    @extend_schema(
        tags=["Stages"],
        summary="The lead pipeline stages, in order",
        operation_id="stages_list",
        parameters=PAGINATION_PARAMETERS,
        responses={200: list_envelope("stages", StageSerializer)},
    )
    def get(self, request):
        return paginated_response(request, selectors.stage_list(), StageSerializer, key="stages")


class CompanyCampaignsView(CompanyScopedView):
    company_permissions = {"GET": "campaigns.view", "POST": "campaigns.manage"}

    @extend_schema(
        tags=["Campaigns"],
        summary="A company's campaigns, newest first",
        operation_id="companies_campaigns_list",
        parameters=[*PAGINATION_PARAMETERS, CampaignListParamsSerializer],
        responses={200: list_envelope("campaigns", CampaignSerializer)},
    )
    def get(self, request, company_id):
        params = validated_query(CampaignListParamsSerializer, request)
        campaigns = selectors.campaign_list(tenant=self.tenant, status=params.get("status"))
        return paginated_response(request, campaigns, CampaignSerializer, key="campaigns")

    @extend_schema(
        tags=["Campaigns"],
        summary="Create a campaign (owner, admin or manager)",
        request=CampaignCreateSerializer,
        responses={201: CAMPAIGN},
    )
    def post(self, request, company_id):
        data = validated(CampaignCreateSerializer, request.data)
        campaign = services.campaign_create(company=self.tenant.company, **data)
        return object_response("campaign", CampaignSerializer(campaign).data, status=201)


class CampaignDetailView(CompanyScopedView):
    company_permissions = {"GET": "campaigns.view"}
    company_source = company_of(Campaign, "campaign_id")

    @extend_schema(tags=["Campaigns"], summary="One campaign", responses={200: CAMPAIGN})
    def get(self, request, campaign_id):
        campaign = selectors.campaign_get(tenant=self.tenant, campaign_id=campaign_id)
        return object_response("campaign", CampaignSerializer(campaign).data)


class CampaignQuestionsView(CompanyScopedView):
    company_permissions = {"GET": "campaigns.view", "POST": "campaigns.manage"}
    company_source = company_of(Campaign, "campaign_id")

    @extend_schema(
        tags=["Questions"],
        summary="A campaign's questions with their options, by position",
        operation_id="campaigns_questions_list",
        parameters=PAGINATION_PARAMETERS,
        responses={200: QUESTIONS},
    )
    def get(self, request, campaign_id):
        campaign = selectors.campaign_get(tenant=self.tenant, campaign_id=campaign_id)
        questions = selectors.question_list(campaign=campaign)
        return paginated_response(request, questions, QuestionSerializer, key="questions")

    @extend_schema(
        tags=["Questions"],
        summary="Add a question with its options (owner, admin or manager)",
        description=(
            "`position` inserts the question there and moves the later ones down; positions stay 1..n. "
            "`single_choice` and `multiple_choice` need at least one option; `text` and `number` take none "
            "(`options_attributes` absent or `[]`). Option positions must differ."
        ),
        request=QuestionCreateSerializer,
        responses={201: QUESTION},
    )
    def post(self, request, campaign_id):
        campaign = selectors.campaign_get(tenant=self.tenant, campaign_id=campaign_id)
        data = validated(QuestionCreateSerializer, request.data)
        question = services.question_create(campaign=campaign, options=data.pop("options_attributes"), **data)
        question = selectors.question_get(tenant=self.tenant, question_id=question.pk)
        return object_response("question", QuestionSerializer(question).data, status=201)


class CampaignQuestionOptionsView(CompanyScopedView):
    company_permissions = {"PUT": "campaigns.manage"}
    company_source = company_of(Campaign, "campaign_id")

    @extend_schema(
        tags=["Questions"],
        summary="Change the options of several questions at once, all or nothing (owner, admin or manager)",
        description=(
            "Each entry names a question of this campaign. An option with `id` is changed (only the fields "
            'sent) or removed with `"_destroy": true`; an option without `id` is added (`label` and '
            "`value` required). Options not named keep their place. The positions of a question's options "
            "after the change must all differ (else 422), and are then renumbered 1..n. Choice questions "
            "keep at least one option; text and number questions take none. Any error: 422 and nothing "
            "changes. The answer lists all of the campaign's questions."
        ),
        request=QuestionOptionsBulkUpdateSerializer,
        responses={200: QUESTIONS},
    )
    def put(self, request, campaign_id):
        campaign = selectors.campaign_get(tenant=self.tenant, campaign_id=campaign_id)
        data = validated(QuestionOptionsBulkUpdateSerializer, request.data)
        services.question_options_bulk_update(campaign=campaign, questions=data["questions"])
        questions = list(selectors.question_list(campaign=campaign))
        total = len(questions)
        meta = {"page": 1, "per_page": max(total, 1), "total_count": total, "total_pages": 1 if total else 0}
        return Response({"questions": QuestionSerializer(questions, many=True).data, "meta": meta})


class QuestionDetailView(CompanyScopedView):
    company_permissions = {"GET": "campaigns.view"}
    company_source = company_of(Question, "question_id", "campaign__company_id")

    @extend_schema(tags=["Questions"], summary="One question with its options", responses={200: QUESTION})
    def get(self, request, question_id):
        question = selectors.question_get(tenant=self.tenant, question_id=question_id)
        return object_response("question", QuestionSerializer(question).data)


class CompanyLeadsView(CompanyScopedView):
    company_permissions = {"GET": "leads.view"}

    @extend_schema(
        tags=["Leads"],
        summary="A company's leads, filtered and searched",
        operation_id="companies_leads_list",
        description=(
            "`q`: every word must occur in first name, last name, email, phone or company name, accents and "
            'case aside ("garcia" finds "García", "munoz" finds "Muñoz"). '
            "`import_code` keeps the leads written by that import. "
            "`meta.total_count` is exact up to 10,000 matches; past that it is 10,000 and "
            "`meta.total_count_capped` is true."
        ),
        parameters=[*PAGINATION_PARAMETERS, LeadListParamsSerializer],
        responses={200: list_envelope("leads", LeadSerializer, meta=CappedMetaSerializer)},
    )
    def get(self, request, company_id):
        leads = selectors.lead_list(tenant=self.tenant, **validated_query(LeadListParamsSerializer, request))
        return paginated_response(request, leads, LeadSerializer, key="leads", count_cap=settings.LEAD_LIST_COUNT_CAP)


class LeadDetailView(CompanyScopedView):
    company_permissions = {"GET": "leads.view"}
    company_source = company_of(Lead, "lead_id")

    @extend_schema(tags=["Leads"], summary="One lead", responses={200: LEAD})
    def get(self, request, lead_id):
        lead = selectors.lead_get(tenant=self.tenant, lead_id=lead_id)
        return object_response("lead", LeadSerializer(lead).data)
