"""Reads of imports, always scoped by the caller's companies."""

from django.db.models import QuerySet
from rest_framework.exceptions import NotFound

from companies.access import Tenant, as_id, companies_visible_to, require_tenant

from .models import ImportFile, Webhook, WebhookDelivery


def import_file_list(*, user, tenant: Tenant | None = None, status: int | None = None) -> QuerySet[ImportFile]:
    """The imports of the tenant's company, or (no tenant) of every company the user can see."""
    if tenant is not None:
        imports = ImportFile.objects.filter(company=require_tenant(tenant).company)
    else:
        imports = ImportFile.objects.filter(company__in=companies_visible_to(user))
    if status is not None:
        imports = imports.filter(status=status)
    return imports.select_related("company", "imported_by").order_by("-created_at", "-id")


def import_file_by_code(import_code) -> QuerySet[ImportFile]:
    """At most one import, for `companies.access.object_of`: the view's source fetches it and authorizes the
    caller in one query (clients poll the status)."""
    import_code = str(import_code)
    # Codes are URL-safe base64; anything else (a NUL byte would make PostgreSQL refuse the query) is unknown.
    if not import_code or len(import_code) > 32 or not import_code.replace("-", "").replace("_", "").isalnum():
        return ImportFile.objects.none()
    return ImportFile.objects.select_related("imported_by").filter(import_code=import_code)


def webhook_list(*, tenant: Tenant) -> QuerySet[Webhook]:
    return Webhook.objects.filter(company=require_tenant(tenant).company).order_by("-created_at", "-id")


def webhook_get(*, tenant: Tenant, webhook_id) -> Webhook:
    """The tenant's webhook, else 404 (the view's company source already proved it is the tenant's)."""
    pk = as_id(webhook_id)
    webhook = webhook_list(tenant=tenant).filter(pk=pk).first() if pk is not None else None
    if webhook is None:
        raise NotFound()
    return webhook


def webhook_delivery_list(*, webhook: Webhook) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(webhook=webhook).order_by("-created_at", "-id")
