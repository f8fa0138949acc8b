"""Reads of imports, always scoped by the caller's companies."""

from django.db.models import QuerySet

from companies.access import annotate_access_level, companies_visible_to, company_get_for_user, require
from leadsy.errors import NotFound

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
    if not user.is_authenticated:
        raise NotFound()
    # One query for the import and the caller's level in its company: clients poll this endpoint.
    imports = ImportFile.objects.select_related("company", "imported_by").filter(import_code=import_code)
    import_file = next(iter(annotate_access_level(imports, user=user)[:1]), None)
    if import_file is None or import_file.access_level is None:
        raise NotFound()
    require(user=user, company_id=import_file.company_id, permission=permission, level=import_file.access_level)
    return import_file
