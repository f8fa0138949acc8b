"""Endpoints 63-66: a company's webhooks and their deliveries (owner/admin: `webhooks.manage`)."""

from drf_spectacular.utils import extend_schema

from companies.access import CompanyScopedView, company_of
from leadsy.api.input import validated
from leadsy.api.pagination import object_response, paginated_response
from leadsy.api.schema import PAGINATION_PARAMETERS, MessageSerializer, envelope, list_envelope

from .models import Webhook
from .selectors import webhook_delivery_list, webhook_get, webhook_list
from .serializers import (
    WebhookCreatedSerializer,
    WebhookCreateSerializer,
    WebhookDeliverySerializer,
    WebhookSerializer,
)
from .webhooks.services import webhook_create, webhook_delete, webhook_test

TAGS = ["Webhooks"]
BY_WEBHOOK = company_of(Webhook, "webhook_id")


class WebhookListView(CompanyScopedView):
    company_permissions = {"GET": "webhooks.manage", "POST": "webhooks.manage"}

    @extend_schema(
        tags=TAGS,
        operation_id="webhook_list",
        summary="A company's webhooks, newest first (owner/admin)",
        parameters=PAGINATION_PARAMETERS,
        responses={200: list_envelope("webhooks", WebhookSerializer)},
    )
    def get(self, request, company_id):
        return paginated_response(request, webhook_list(tenant=self.tenant), WebhookSerializer, key="webhooks")

    @extend_schema(
        tags=TAGS,
        operation_id="webhook_create",
        summary="Add a webhook (owner/admin); its secret is shown in this answer only",
        description="The URL must be https:// and resolve only to public addresses (422 on `url` otherwise).",
        request=WebhookCreateSerializer,
        responses={201: envelope("webhook", WebhookCreatedSerializer)},
    )
    def post(self, request, company_id):
        data = validated(WebhookCreateSerializer, request.data)
        webhook = webhook_create(company=self.tenant.company, user=request.user, **data)
        return object_response("webhook", WebhookCreatedSerializer(webhook).data, status=201)


class WebhookDetailView(CompanyScopedView):
    company_permissions = {"DELETE": "webhooks.manage"}
    company_source = BY_WEBHOOK

    @extend_schema(
        tags=TAGS,
        operation_id="webhook_delete",
        summary="Delete a webhook and its deliveries (owner/admin)",
        responses={200: MessageSerializer},
    )
    def delete(self, request, webhook_id):
        webhook_delete(webhook=webhook_get(tenant=self.tenant, webhook_id=webhook_id))
        return object_response("message", "The webhook was deleted.")


class WebhookDeliveryListView(CompanyScopedView):
    company_permissions = {"GET": "webhooks.manage"}
    company_source = BY_WEBHOOK

    @extend_schema(
        tags=TAGS,
        operation_id="webhook_delivery_list",
        summary="A webhook's deliveries, newest first (owner/admin)",
        parameters=PAGINATION_PARAMETERS,
        responses={200: list_envelope("deliveries", WebhookDeliverySerializer)},
    )
    def get(self, request, webhook_id):
        webhook = webhook_get(tenant=self.tenant, webhook_id=webhook_id)
        deliveries = webhook_delivery_list(webhook=webhook)
        return paginated_response(request, deliveries, WebhookDeliverySerializer, key="deliveries")


class WebhookTestView(CompanyScopedView):
    company_permissions = {"POST": "webhooks.manage"}
    company_source = BY_WEBHOOK

    @extend_schema(
        tags=TAGS,
        operation_id="webhook_test",
        summary="Send a `webhook.test` event now (owner/admin); the delivery is sent by a worker",
        description="A successful test delivery enables a webhook that was disabled after failing for days.",
        request=None,
        responses={202: envelope("delivery", WebhookDeliverySerializer)},
    )
    def post(self, request, webhook_id):
        delivery = webhook_test(webhook=webhook_get(tenant=self.tenant, webhook_id=webhook_id))
        return object_response("delivery", WebhookDeliverySerializer(delivery).data, status=202)
