import csv
import io

from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.views import APIView

from companies.access import company_get_for_user
from leadsy.api.errors import PayloadTooLarge
from leadsy.api.input import validated
from leadsy.api.pagination import object_response, paginated_response
from leadsy.api.schema import PAGINATION_PARAMETERS, envelope, list_envelope
from leadsy.ids import as_id

from .models import ImportFile
from .pipeline.headers import TEMPLATE_HEADER
from .selectors import import_file_get_for_user, import_file_list_for_user
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


def _upload_request(request) -> dict:
    """The checks shared by 33 and 58: the body's size before Django spools it, the company (404/403),
    the fields. Returns the keyword arguments of the upload services."""
    # Refuse an oversized body before Django spools it to disk.
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
    company = company_get_for_user(user=request.user, company_id=company_id, permission="imports.manage")
    data = validated(ImportUploadSerializer, request.data)
    options = {"on_duplicate": data["on_duplicate"]}
    for key in ("mapping", "default_country", "campaign_id", "stage_id"):
        if data.get(key) not in (None, "", {}):
            options[key] = data[key]
    return {"company": company, "file": data["file"], "name": data["file"].name, "options": options}


class ImportListView(APIView):
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
        if company_id not in (None, "") and as_id(company_id) is None:
            raise NotFound()
        imports = import_file_list_for_user(
            user=request.user,
            company_id=company_id or None,
            status=_parse_status(request.query_params.get("status")),
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
        upload = _upload_request(request)
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


class ImportPreviewView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="import_preview",
        summary="Preview an import: what the file's first rows would become (nothing is stored)",
        request={"multipart/form-data": ImportUploadSerializer},
        responses={200: envelope("preview", ImportPreviewSerializer)},
    )
    def post(self, request):
        preview = import_file_preview(**_upload_request(request))
        return object_response("preview", preview)


class ImportDetailView(APIView):
    @extend_schema(
        operation_id="import_retrieve",
        summary="Check the status of an import",
        responses={200: IMPORT_FILE_ENVELOPE},
    )
    def get(self, request, import_code):
        import_file = import_file_get_for_user(user=request.user, import_code=import_code)
        return object_response("import_file", ImportFileSerializer(import_file, context={"request": request}).data)


class ImportCancelView(APIView):
    @extend_schema(
        operation_id="import_cancel",
        summary="Cancel an import (409 once it has finished)",
        request=None,
        responses={200: IMPORT_FILE_ENVELOPE},
    )
    def post(self, request, import_code):
        import_file = import_file_get_for_user(user=request.user, import_code=import_code, permission="imports.manage")
        import_file = import_file_cancel(import_file=import_file)
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
        },
    )


class ImportDownloadView(APIView):
    """Endpoint 48: the original file or the error file, through authentication (never a public URL)."""

    def get(self, request, import_code, kind):
        import_file = import_file_get_for_user(user=request.user, import_code=import_code)
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


class ImportTemplateView(APIView):
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
