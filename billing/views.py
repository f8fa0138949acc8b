from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.views import APIView

from companies.access import CompanyScopedView
from leadsy.api.pagination import object_response, paginated_response
from leadsy.api.schema import PAGINATION_PARAMETERS, ErrorSerializer, envelope, list_envelope
from leadsy.ids import as_id

from . import selectors, services
from .models import Membership
from .serializers import MembershipAttachSerializer, MembershipSerializer, SubscriptionSerializer

SUBSCRIPTION = envelope("subscription", SubscriptionSerializer)


class MembershipListView(APIView):
    @extend_schema(
        tags=["Memberships"],
        summary="List the plans",
        operation_id="memberships_list",
        parameters=PAGINATION_PARAMETERS,
        responses={200: list_envelope("memberships", MembershipSerializer)},
    )
    def get(self, request):
        return paginated_response(request, selectors.membership_list(), MembershipSerializer, key="memberships")


class MembershipDetailView(APIView):
    @extend_schema(
        tags=["Memberships"], summary="Show a plan", responses={200: envelope("membership", MembershipSerializer)}
    )
    def get(self, request, membership_id):
        membership = selectors.membership_list().filter(pk=as_id(membership_id)).first()
        if membership is None:
            raise NotFound()
        return object_response("membership", MembershipSerializer(membership).data)


class CompanyMembershipView(CompanyScopedView):
    company_permissions = {"POST": "memberships.manage"}

    @extend_schema(
        tags=["Memberships"],
        summary="Attach a plan to a company (replaces the current subscription; owner/admin)",
        parameters=[OpenApiParameter("membership_id", OpenApiTypes.INT, description="Alternative to the body field.")],
        request=MembershipAttachSerializer,
        responses={201: SUBSCRIPTION, 409: ErrorSerializer},
    )
    def post(self, request, company_id):
        company = self.tenant.company
        raw = request.data.get("membership_id") if hasattr(request.data, "get") else None
        if raw is None:
            raw = request.query_params.get("membership_id")
        if raw is None:
            raise ValidationError({"membership_id": ["This field is required."]})
        membership = Membership.objects.filter(pk=as_id(raw)).first()
        if membership is None:
            raise ValidationError({"membership_id": ["No such plan."]})
        subscription = services.membership_attach(company=company, membership=membership)
        return object_response("subscription", SubscriptionSerializer(subscription).data, status=201)


class CompanyMembershipCancelView(CompanyScopedView):
    company_permissions = {"POST": "memberships.manage"}

    @extend_schema(
        tags=["Memberships"],
        summary="Cancel the paid plan; the company returns to the free plan (owner/admin)",
        description="Answers with the cancelled subscription. 409 when the company is already on the free plan.",
        request=None,
        responses={200: SUBSCRIPTION, 409: ErrorSerializer},
    )
    def post(self, request, company_id):
        subscription = services.subscription_cancel(company=self.tenant.company)
        return object_response("subscription", SubscriptionSerializer(subscription).data)
