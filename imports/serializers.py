import json

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from accounts.serializers import UserShortSerializer
from companies.serializers import CompanyShortSerializer
from leadsy.files import absolute_url

from .models import ImportFile, Webhook, WebhookDelivery


def _download_url(request, import_file: ImportFile, kind: str) -> str:
    name = "import-original-file" if kind == "original_file" else "import-error-file"
    return absolute_url(request, reverse(name, kwargs={"import_code": import_file.import_code}))


class ImportFileSerializer(serializers.ModelSerializer):
    """The contract's import_file object. File URLs point at the authenticated download endpoint."""

    status_name = serializers.SerializerMethodField()
    error_file = serializers.SerializerMethodField()
    original_file = serializers.SerializerMethodField()
    imported_by = UserShortSerializer(read_only=True, allow_null=True)
    company = CompanyShortSerializer(read_only=True)
    success_rate = serializers.FloatField(read_only=True)
    warnings = serializers.SerializerMethodField()

    class Meta:
        model = ImportFile
        fields = [
            "id", "import_code", "status", "total_records", "processed_records", "failed_records",
            "duplicate_records", "warning_records", "warnings",
            "status_name", "started_at", "finished_at", "error_file", "original_file", "imported_by",
            "success_rate", "company", "error_message", "files_expired_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(
        serializers.ListField(child=serializers.DictField(), help_text='[{"warning": "...", "count": 12}]')
    )
    def get_warnings(self, import_file) -> list[dict]:
        counts = sorted((import_file.warning_counts or {}).items(), key=lambda item: (-item[1], item[0]))
        return [{"warning": warning, "count": count} for warning, count in counts[: ImportFile.WARNINGS_SHOWN]]

    def get_status_name(self, import_file) -> str:
        return import_file.get_status_display()

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_error_file(self, import_file) -> str | None:
        return _download_url(self.context.get("request"), import_file, "error_file") if import_file.error_file else None

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_original_file(self, import_file) -> str | None:
        if not import_file.original_file:
            return None
        return _download_url(self.context.get("request"), import_file, "original_file")


class ImportUploadSerializer(serializers.Serializer):
    """Endpoint 33's multipart body (company_id is resolved by the view: 404/403 before anything else)."""

    file = serializers.FileField(allow_empty_file=True)
    company_id = serializers.IntegerField()
    campaign_id = serializers.IntegerField(required=False, allow_null=True)
    stage_id = serializers.IntegerField(required=False, allow_null=True)
    on_duplicate = serializers.ChoiceField(choices=["skip", "update"], default="skip")
    mapping = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text='JSON object: file column → lead field (null or "" ignores the column), e.g. {"Correo": "email"}',
    )
    default_country = serializers.CharField(
        required=False, allow_blank=True, help_text="ISO 3166-1 alpha-2 region for phones without a country code"
    )

    def validate_mapping(self, value: str) -> dict:
        if not value:
            return {}
        try:
            mapping = json.loads(value)
        except ValueError:
            raise serializers.ValidationError("Must be a JSON object of file column → lead field.") from None
        # At most one key per column of a file: a larger mapping is refused before the file is read.
        max_columns = settings.IMPORT_MAX_COLUMNS
        if isinstance(mapping, dict) and len(mapping) > max_columns:
            raise serializers.ValidationError(f"At most {max_columns} columns can be mapped (one per file column).")
        if not isinstance(mapping, dict) or not all(
            isinstance(k, str) and isinstance(v, str | None) and "\x00" not in k + (v or "") for k, v in mapping.items()
        ):
            raise serializers.ValidationError("Must be a JSON object of file column → lead field.")
        return mapping

    def validate_default_country(self, value: str) -> str:
        value = value.strip().upper()
        if value and value not in phonenumbers.SUPPORTED_REGIONS:
            raise serializers.ValidationError("Must be an ISO 3166-1 alpha-2 country code.")
        return value


class _PreviewFormatSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["csv", "xlsx"])
    encoding = serializers.CharField(allow_null=True, help_text='e.g. "utf-8", "windows-1252" (csv only)')
    delimiter = serializers.CharField(allow_null=True)
    header_row = serializers.IntegerField(help_text="The file's line (CSV) or sheet row (XLSX) of the header.")
    sheet = serializers.CharField(allow_null=True)


class _PreviewColumnSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    name = serializers.CharField()
    field = serializers.CharField(allow_null=True, help_text="The lead field it feeds; null: kept in extra.")
    matched_by = serializers.ChoiceField(choices=["alias", "mapping", "content"], allow_null=True)


class _PreviewRowSerializer(serializers.Serializer):
    row_number = serializers.IntegerField()
    lead = serializers.DictField()
    # DRF's metaclass moves declared fields off the class, so this does not hide Serializer.errors at run time.
    errors = serializers.ListField(child=serializers.CharField())  # type: ignore[assignment]
    warnings = serializers.ListField(child=serializers.CharField())


class _PreviewSummarySerializer(serializers.Serializer):
    sampled = serializers.IntegerField()
    valid = serializers.IntegerField()
    invalid = serializers.IntegerField()
    duplicates = serializers.IntegerField()


class ImportPreviewSerializer(serializers.Serializer):
    """Endpoint 58's `preview` (for the schema; the service builds the dict)."""

    file_format = _PreviewFormatSerializer()
    total_records = serializers.IntegerField(
        help_text="The file's records. Estimated from its first MiB for a CSV over 8 MiB or an XLSX over 512 KiB: "
        "the preview then refuses only a file clearly over the row limit (by more than a quarter); the upload (33) "
        "counts every row and refuses any file over it."
    )
    columns = _PreviewColumnSerializer(many=True)
    rows = _PreviewRowSerializer(many=True, help_text="The first 20 data rows, normalized.")
    summary = _PreviewSummarySerializer()


class WebhookSerializer(serializers.ModelSerializer):
    """A webhook (63-65). Its secret is in the 201 of the create only (WebhookCreatedSerializer)."""

    events = serializers.ListField(child=serializers.ChoiceField(choices=Webhook.EVENTS), read_only=True)

    class Meta:
        model = Webhook
        fields = ["id", "url", "events", "is_active", "failing_since", "disabled_at", "created_at"]
        read_only_fields = fields


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(read_only=True, help_text="Shown only here: keep it to verify signatures.")

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookCreateSerializer(serializers.Serializer):
    """Endpoint 63's body. The URL's destination is checked by the service (https, public addresses)."""

    url = serializers.CharField(max_length=2000, help_text="https:// URL that receives the events (POST, JSON).")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=Webhook.EVENTS), allow_empty=False, max_length=len(Webhook.EVENTS)
    )
    secret = serializers.CharField(
        required=False,
        min_length=16,
        max_length=200,
        help_text="The signing secret (16-200 characters); generated when absent.",
    )

    def validate_url(self, value: str) -> str:
        value = value.strip()
        try:
            URLValidator(schemes=["http", "https"])(value)
        except DjangoValidationError:
            raise serializers.ValidationError("Must be a URL (https://...).") from None
        return value

    def validate_secret(self, value: str) -> str:
        if not value.isprintable() or value != value.strip():
            raise serializers.ValidationError("Must be printable characters without leading or trailing spaces.")
        return value


class WebhookDeliverySerializer(serializers.ModelSerializer):
    """A delivery (65, 66): its status and the last attempt's answer."""

    status = serializers.SerializerMethodField()

    class Meta:
        model = WebhookDelivery
        fields = [
            "id", "event", "status", "attempts", "response_status", "last_error", "next_attempt_at",
            "created_at", "delivered_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=["pending", "succeeded", "failed"]))
    def get_status(self, delivery) -> str:
        return delivery.get_status_display()
