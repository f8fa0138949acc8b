"""Reads of imports, always scoped by the caller's companies."""

from django.db.models import QuerySet
from rest_framework.exceptions import NotFound

from companies.access import companies_visible_to, company_get_for_user

from .models import ImportFile


def import_file_list_for_user(*, user, company_id=None, status: int | None = None) -> QuerySet[ImportFile]:
    if company_id is not None:
        company = company_get_for_user(user=user, company_id=company_id, permission="imports.view")
        imports = ImportFile.objects.filter(company=company)
    else:
        imports = ImportFile.objects.filter(company__in=companies_visible_to(user))
    if status is not None:
        imports = imports.filter(status=status)
    return imports.select_related("company", "imported_by").order_by("-created_at", "-id")


def import_file_get_for_user(*, user, import_code: str, permission: str = "imports.view") -> ImportFile:
    """The import, 404 when its company is not the caller's (same answer as a code that does not exist),
    403 when the caller's level there does not grant `permission`."""
    import_code = str(import_code)
    # Codes are URL-safe base64; anything else (a NUL byte would make PostgreSQL refuse the query) is unknown.
    if not import_code or len(import_code) > 32 or not import_code.replace("-", "").replace("_", "").isalnum():
        raise NotFound()
    import_file = (
        ImportFile.objects.select_related("company", "imported_by")
        .filter(import_code=import_code, company__in=companies_visible_to(user))
        .first()
    )
    if import_file is None:
        raise NotFound()
    company_get_for_user(user=user, company_id=import_file.company_id, permission=permission)
    return import_file
