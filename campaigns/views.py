from django.conf import settings
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from companies.access import CompanyScopedView, company_of
from leadsy.api.input import validated, validated_query
from leadsy.api.pagination import CappedMetaSerializer, object_response, paginated_response
from leadsy.api.schema import PAGINATION_PARAMETERS, envelope, list_envelope

from . import export, selectors, services
from .models import Campaign, Lead, Question
from .serializers import (
    CampaignCreateSerializer,
    CampaignListParamsSerializer,
    CampaignSerializer,
    LeadBulkSerializer,
    LeadExportParamsSerializer,
    LeadListParamsSerializer,
    LeadSerializer,
    LeadUpdateSerializer,
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
MESSAGE = inline_serializer("LeadDeleted", {"message": serializers.CharField()})
AFFECTED = inline_serializer("LeadsAffected", {"affected": serializers.IntegerField()})


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
    company_permissions = {"GET": "leads.view", "PUT": "leads.work", "DELETE": "leads.manage"}
    company_source = company_of(Lead, "lead_id")

    @extend_schema(tags=["Leads"], summary="One lead", responses={200: LEAD})
    def get(self, request, lead_id):
        lead = selectors.lead_get(tenant=self.tenant, lead_id=lead_id)
        return object_response("lead", LeadSerializer(lead).data)

    @extend_schema(
        tags=["Leads"],
        summary="Change a lead (partial): agents its stage and notes, managers and up every field",
        description=(
            "Only the fields sent change. Values are normalized as an import does (email lower-cased, phone "
            "in E.164, country to ISO alpha-2); invalid ones → 422 on the field. A new email or phone that "
            "another lead of the company has → 422 `duplicate` on that field. `extra` keys are merged, a "
            "null value removing its key. A stage that does not exist or a campaign of another company → 422. "
            "An agent sending any field but `stage_id` and `notes` → 403."
        ),
        request=LeadUpdateSerializer,
        responses={200: LEAD},
    )
    def put(self, request, lead_id):
        if hasattr(request.data, "keys"):  # the level decides before the values are looked at
            services.lead_edit_require(tenant=self.tenant, fields=request.data.keys())
        data = validated(LeadUpdateSerializer, request.data)
        services.lead_update(tenant=self.tenant, lead_id=lead_id, changes=data)
        lead = selectors.lead_get(tenant=self.tenant, lead_id=lead_id)
        return object_response("lead", LeadSerializer(lead).data)

    @extend_schema(tags=["Leads"], summary="Delete a lead (owner, admin or manager)", responses={200: MESSAGE})
    def delete(self, request, lead_id):
        services.lead_delete(tenant=self.tenant, lead_id=lead_id)
        return Response({"message": "Lead deleted."})


class CompanyLeadsBulkView(CompanyScopedView):
    company_permissions = {"POST": "leads.work"}  # move_stage; the other actions need leads.manage

    @extend_schema(
        tags=["Leads"],
        summary="One action over many leads, all or nothing",
        operation_id="companies_leads_bulk",
        description=(
            "`move_stage` (agents and up) puts the leads in `stage_id`; `assign_campaign` (managers and up) "
            "in `campaign_id`; `delete` (managers and up) removes them. The leads are either `lead_ids` (at "
            "most 10,000, each of this company, else 422 and nothing changes) or `filter`, the list's "
            "filters (every lead the list would return). Any error: 422 and nothing changes. "
            "Answers how many leads the action touched."
        ),
        request=LeadBulkSerializer,
        responses={200: AFFECTED},
    )
    def post(self, request, company_id):
        data = validated(LeadBulkSerializer, request.data)
        leads = selectors.lead_list(tenant=self.tenant, **data["filter"]) if "filter" in data else None
        affected = services.leads_bulk(
            tenant=self.tenant,
            action=data["action"],
            leads=leads,
            lead_ids=data.get("lead_ids"),
            stage_id=data.get("stage_id"),
            campaign_id=data.get("campaign_id"),
        )
        return Response({"affected": affected})


class CompanyLeadsExportView(CompanyScopedView):
    company_permissions = {"GET": "leads.manage"}  # an export takes the company's data out

    @extend_schema(
        tags=["Leads"],
        summary="Download the leads the list returns for the same filters, all pages (owner, admin or manager)",
        operation_id="companies_leads_export",
        description=(
            "Streamed. Columns: the import template's, then `stage`, `campaign`, `import_code`, `created_at`, "
            "then one per `extra` key. CSV: UTF-8 with BOM, cells a spreadsheet would run as a formula "
            "prefixed with `'`. XLSX: one sheet of at most 1,048,576 rows with the header, else 422."
        ),
        parameters=[LeadExportParamsSerializer],
        responses={
            (200, export.CSV_TYPE.split(";")[0]): OpenApiResponse(OpenApiTypes.STR, description="CSV file"),
            (200, export.XLSX_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="XLSX file"),
        },
    )
    def get(self, request, company_id):
        params = validated_query(LeadExportParamsSerializer, request)
        kind = params.pop("format")
        leads = selectors.lead_list(tenant=self.tenant, **params)
        file = export.lead_export(leads=leads, kind=kind, name=f"leads-{self.tenant.company.pk}")
        response = StreamingHttpResponse(file.chunks, content_type=file.content_type)
        response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
        return response

    def perform_content_negotiation(self, request, force=False):
        # `?format=` names the file's format here, not one of DRF's renderers (errors stay JSON).
        return super().perform_content_negotiation(request, force=True)
