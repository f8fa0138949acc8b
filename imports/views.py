import csv
import io

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser

from companies.access import CompanyScopedView, Tenant, object_of, tenant_for
from leadsy.api.errors import PayloadTooLarge
from leadsy.api.input import validated
from leadsy.api.pagination import object_response, paginated_response
from leadsy.api.schema import PAGINATION_PARAMETERS, envelope, list_envelope
from leadsy.errors import Gone

from .models import ImportFile
from .pipeline.headers import TEMPLATE_HEADER
from .selectors import import_file_by_code, import_file_list
from .serializers import ImportFileSerializer, ImportPreviewSerializer, ImportUploadSerializer
from .services import (
    IDEMPOTENCY_HEADER,
    import_file_cancel,
    import_file_create,
    import_file_create_once,
    import_file_preview,
)
from .uploads import UploadSizeLimitHandler, max_upload_bytes

IMPORT_FILE_ENVELOPE = envelope("import_file", ImportFileSerializer)
STATUS_BY_NAME = {label: value for value, label in ImportFile.Status.choices}
# Multipart boundaries and the other form fields around the file.
MULTIPART_OVERHEAD = 1024 * 1024


def _parse_status(raw: str | None) -> int | None:
    if raw in (None, ""):
        return None
    raw = raw.strip().lower()
    if raw in STATUS_BY_NAME:
        return STATUS_BY_NAME[raw]
    if raw.isdigit() and int(raw) in STATUS_BY_NAME.values():
        return int(raw)
    raise ValidationError({"status": ["Must be 0-4 or one of: " + ", ".join(STATUS_BY_NAME) + "."]})


def _upload_company(request, kwargs):
    """The company source of 33 and 58: the body's size is checked before Django spools it to disk (the
    company_id is a field of that body), then the company_id field."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > max_upload_bytes() + MULTIPART_OVERHEAD:
        raise PayloadTooLarge("The file is larger than the upload limit.")
    request._request.upload_handlers.insert(0, UploadSizeLimitHandler(request._request))
    company_id = request.data.get("company_id")
    if company_id in (None, ""):
        raise ValidationError({"company_id": ["This field is required."]})
    return company_id


def _upload_request(request, tenant: Tenant) -> dict:
    """The fields shared by 33 and 58, as the keyword arguments of the upload services."""
    company = tenant.company
    data = validated(ImportUploadSerializer, request.data)
    options = {"on_duplicate": data["on_duplicate"]}
    for key in ("mapping", "default_country", "campaign_id", "stage_id"):
        if data.get(key) not in (None, "", {}):
            options[key] = data[key]
    return {"company": company, "file": data["file"], "name": data["file"].name, "options": options}


# The import routes of one import: the import, its company and the caller's level in one query.
BY_CODE = object_of(lambda kwargs: import_file_by_code(kwargs["import_code"]))


class ImportListView(CompanyScopedView):
    # GET lists every visible company's imports unless `?company_id=` names one (checked in the handler):
    # without it the list acts in no single company.
    company_permissions = {"GET": None, "POST": "imports.manage"}
    company_source = _upload_company
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="import_list",
        summary="List imports",
        parameters=[
            OpenApiParameter("company_id", OpenApiTypes.INT, description="Only this company's imports."),
            OpenApiParameter(
                "status", OpenApiTypes.STR, description="0-4 or pending|processing|completed|failed|cancelled."
            ),
            *PAGINATION_PARAMETERS,
        ],
        responses={200: list_envelope("import_files", ImportFileSerializer)},
    )
    def get(self, request):
        company_id = request.query_params.get("company_id")
        tenant = None
        if company_id not in (None, ""):
            tenant = tenant_for(user=request.user, company_id=company_id, permission="imports.view")
        imports = import_file_list(
            user=request.user, tenant=tenant, status=_parse_status(request.query_params.get("status"))
        )
        return paginated_response(request, imports, ImportFileSerializer, key="import_files")

    @extend_schema(
        operation_id="import_create",
        summary="Import leads from a CSV/TSV/XLSX file",
        request={"multipart/form-data": ImportUploadSerializer},
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                OpenApiTypes.STR,
                location=OpenApiParameter.HEADER,
                description="A client-chosen key (at most 255 characters): a retry with the same key answers the "
                "first import (200) instead of creating another; the key reused for another file → 422.",
            )
        ],
        responses={202: IMPORT_FILE_ENVELOPE, 200: IMPORT_FILE_ENVELOPE},
    )
    def post(self, request):
        upload = _upload_request(request, self.tenant)
        options = upload.pop("options")
        upload["user"] = request.user
        key = request.headers.get(IDEMPOTENCY_HEADER)
        created = True
        if key is None:
            import_file = import_file_create(**upload, options=options)
        else:
            import_file, created = import_file_create_once(**upload, options=options, idempotency_key=key)
        data = ImportFileSerializer(import_file, context={"request": request}).data
        return object_response("import_file", data, status=202 if created else 200)


class ImportPreviewView(CompanyScopedView):
    company_permissions = {"POST": "imports.manage"}
    company_source = _upload_company
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="import_preview",
        summary="Preview an import: what the file's first rows would become (nothing is stored)",
        request={"multipart/form-data": ImportUploadSerializer},
        responses={200: envelope("preview", ImportPreviewSerializer)},
    )
    def post(self, request):
        preview = import_file_preview(**_upload_request(request, self.tenant))
        return object_response("preview", preview)


class ImportDetailView(CompanyScopedView):
    company_permissions = {"GET": "imports.view"}
    company_source = BY_CODE

    @extend_schema(
        operation_id="import_retrieve",
        summary="Check the status of an import",
        responses={200: IMPORT_FILE_ENVELOPE},
    )
    def get(self, request, import_code):
        return object_response("import_file", ImportFileSerializer(self.object, context={"request": request}).data)


class ImportCancelView(CompanyScopedView):
    company_permissions = {"POST": "imports.manage"}
    company_source = BY_CODE

    @extend_schema(
        operation_id="import_cancel",
        summary="Cancel an import (409 once it has finished)",
        request=None,
        responses={200: IMPORT_FILE_ENVELOPE},
    )
    def post(self, request, import_code):
        import_file = import_file_cancel(import_file=self.object)
        return object_response("import_file", ImportFileSerializer(import_file, context={"request": request}).data)


def _download_schema(operation_id: str, what: str):
    return extend_schema(
        operation_id=operation_id,
        summary=f"Download an import's {what}",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file (local storage)"
            ),
            302: OpenApiResponse(description="Redirect to a short-lived signed URL (S3 storage)"),
            404: OpenApiResponse(description="No such import, or it has no such file (yet)"),
            410: OpenApiResponse(
                description="The import's files were deleted after IMPORT_FILE_RETENTION_DAYS (its `files_expired_at`)"
            ),
        },
    )


class ImportDownloadView(CompanyScopedView):
    """Endpoint 48: the original file or the error file, through authentication (never a public URL)."""

    company_permissions = {"GET": "imports.view"}
    company_source = BY_CODE

    def get(self, request, import_code, kind):
        import_file = self.object
        if import_file.files_expired_at:
            raise Gone(
                f"The files of this import were deleted on {import_file.files_expired_at:%Y-%m-%d}, "
                f"{settings.IMPORT_FILE_RETENTION_DAYS} days after it finished."
            )
        field = import_file.original_file if kind == "original_file" else import_file.error_file
        if not field:
            raise NotFound("This import has no such file (yet).")
        if kind == "original_file":
            filename = import_file.original_name or field.name.rsplit("/", 1)[-1]
        else:
            stem = (import_file.original_name or import_file.import_code).rsplit(".", 1)[0]
            filename = f"{stem}-errors.csv"
        if not isinstance(field.storage, FileSystemStorage):  # S3: a short-lived signed URL
            return HttpResponseRedirect(field.storage.url(field.name))
        response = FileResponse(field.storage.open(field.name, "rb"), as_attachment=True, filename=filename)
        response["Cache-Control"] = "private, no-store"
        return response


class ImportOriginalFileView(ImportDownloadView):
    @_download_schema("import_original_file_download", "original file")
    def get(self, request, import_code, kind="original_file"):
        return super().get(request, import_code, kind)


class ImportErrorFileView(ImportDownloadView):
    @_download_schema("import_error_file_download", "error file (the failed rows and why)")
    def get(self, request, import_code, kind="error_file"):
        return super().get(request, import_code, kind)


class ImportTemplateView(CompanyScopedView):
    company_permissions = {"GET": None}  # the accepted header row: reference data of no company

    @extend_schema(
        operation_id="import_template",
        summary="CSV template with the accepted header row",
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV header row")},
    )
    def get(self, request):
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerow(TEMPLATE_HEADER)
        response = HttpResponse(("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="leadsy-import-template.csv"'
        return response
